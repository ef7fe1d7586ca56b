/**
 * Mermaid diagrams, rendered safely: upgrades the `<pre class="mermaid-source">` placeholders that
 * `renderMarkdown` leaves for ```mermaid blocks into SVG.
 *
 * Mermaid (~2 MB) is imported lazily, on the first placeholder found, so it stays out of the
 * main bundles (Vite emits it as its own chunks). It runs with `securityLevel: "strict"` (labels
 * HTML-encoded, `click` callbacks and links disabled), directives cannot loosen that
 * (`secure` lists the keys a `%%{init}%%` may not set), and its SVG is sanitised again
 * (sanitize.ts `sanitizeSvg`: no scripts, handlers or outside hrefs) before it is swapped in.
 */
import { sanitizeSvg } from "./sanitize.ts";

/** Selector of the placeholders not yet handled. */
const PENDING = "pre.mermaid-source:not([data-diagram])";

/**
 * Where diagrams are looked for: a DOM parent node (an element, a document, or a fragment such as
 * a shadow root). Spelled out because the Workers types in this project shadow the DOM's `ParentNode`.
 */
export type DiagramRoot = Element | Document | DocumentFragment;

let sequence = 0;
let initializedTheme: "default" | "dark" | undefined;

/**
 * The scheme around `root`: the nearest `.dark`/`[data-theme=dark]` or `.light`/`[data-theme=light]`
 * ancestor, looking out through shadow roots to their hosts (the widget), else the OS preference.
 */
function prefersDark(root: DiagramRoot): boolean {
  let element: Element | null = root instanceof Element ? root : root instanceof ShadowRoot ? root.host : document.documentElement;
  while (element) {
    const themed = element.closest(".dark, [data-theme=dark], .light, [data-theme=light]");
    if (themed) return themed.matches(".dark, [data-theme=dark]");
    const outer = element.getRootNode();
    element = outer instanceof ShadowRoot ? outer.host : null;
  }
  return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
}

/**
 * Renders every Mermaid placeholder under `root` to a sanitised SVG.
 * @param root the container of rendered Markdown (an element, a document or a shadow root).
 * @returns resolves once each placeholder is replaced by `<div class="mermaid-diagram">` holding
 *   the SVG, or — when the source does not parse — left as source with a
 *   `<p class="mermaid-error">` note after it. Never rejects. Idempotent: a placeholder is marked
 *   (`data-diagram`) as soon as it is taken, so a second call (or a concurrent one) skips it.
 */
export async function renderDiagrams(root: DiagramRoot): Promise<void> {
  const blocks = Array.from(root.querySelectorAll<HTMLPreElement>(PENDING));
  if (blocks.length === 0) return;
  for (const block of blocks) block.dataset.diagram = "rendering";
  let mermaid: typeof import("mermaid").default;
  try {
    mermaid = (await import("mermaid")).default;
  } catch (error) {
    for (const block of blocks) fail(block, error);
    return;
  }
  const theme = prefersDark(root) ? "dark" : "default";
  if (initializedTheme !== theme) {
    mermaid.initialize({
      startOnLoad: false,
      securityLevel: "strict",
      theme,
      htmlLabels: false,
      suppressErrorRendering: true,
      maxTextSize: 50_000,
      secure: ["secure", "securityLevel", "startOnLoad", "maxTextSize", "suppressErrorRendering", "maxEdges", "htmlLabels", "themeCSS", "fontFamily", "themeVariables", "theme"],
    });
    initializedTheme = theme;
  }
  // One at a time: Mermaid renders into a shared scratch element and is not re-entrant.
  for (const block of blocks) {
    const source = block.textContent ?? "";
    try {
      const { svg } = await mermaid.render(`sam-mermaid-${++sequence}`, source);
      const figure = document.createElement("div");
      figure.className = "mermaid-diagram";
      figure.innerHTML = sanitizeSvg(svg);
      block.replaceWith(figure);
    } catch (error) {
      fail(block, error);
    }
  }
}

/** Leaves the block as its source, marked failed, with a one-line note after it. */
function fail(block: HTMLPreElement, error: unknown): void {
  block.dataset.diagram = "failed";
  const note = document.createElement("p");
  note.className = "mermaid-error";
  const message = error instanceof Error ? error.message : String(error);
  note.textContent = `Diagram not rendered: ${message.split("\n")[0]?.slice(0, 200) ?? "invalid"}`;
  block.insertAdjacentElement("afterend", note);
}
