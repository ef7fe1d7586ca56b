/**
 * Markdown → safe HTML: the one renderer for what agents and people write (project chat, task
 * summaries and questions, the tech lead's cards, the embeddable widget).
 *
 * marked (GitHub Flavored Markdown, line breaks kept as in chat) parses; fenced code is
 * highlighted with highlight.js core and a small set of registered languages (the full build is
 * ~1 MB; unknown languages are shown escaped, unhighlighted); a ```mermaid block becomes a
 * placeholder `<pre class="mermaid-source"><code class="language-mermaid">` holding the escaped
 * source, which `renderDiagrams` (diagrams.ts) upgrades to an SVG; an image from another site
 * becomes a link to it, never loaded (image-source.ts); and the whole result passes
 * through DOMPurify (sanitize.ts) — raw HTML in the text is allowed only as far as that sanitiser
 * lets it, so a `<script>`, an `onerror=`, a `javascript:` link or an iframe never reaches the page.
 */
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import shell from "highlight.js/lib/languages/shell";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import { Marked, type Tokens } from "marked";
import { imageSourceAllowed } from "./image-source.ts";
import { sanitizeHtml } from "./sanitize.ts";

hljs.registerLanguage("typescript", typescript);
hljs.registerLanguage("javascript", javascript);
hljs.registerLanguage("json", json);
hljs.registerLanguage("bash", bash);
hljs.registerLanguage("shell", shell);
hljs.registerLanguage("python", python);
hljs.registerLanguage("diff", diff);
hljs.registerLanguage("yaml", yaml);
hljs.registerLanguage("xml", xml); // also `html`, `svg` (its aliases)
hljs.registerLanguage("css", css);
hljs.registerLanguage("sql", sql);
hljs.registerLanguage("go", go);
hljs.registerLanguage("rust", rust);
hljs.registerAliases(["sh", "zsh", "console"], { languageName: "bash" });
hljs.registerAliases(["tsx", "mts", "cts"], { languageName: "typescript" });
hljs.registerAliases(["jsx", "mjs", "cjs"], { languageName: "javascript" });
hljs.registerAliases(["jsonc", "json5"], { languageName: "json" });
hljs.registerAliases(["patch"], { languageName: "diff" });

/** Escapes text for an HTML text node or a double-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/** The fence's language word (`ts` of "```ts title=x"), lower-cased; "" when none. */
function fenceLanguage(lang: string | undefined): string {
  return (lang ?? "").trim().split(/\s+/)[0]?.toLowerCase() ?? "";
}

const marked = new Marked({
  gfm: true,
  breaks: true,
  renderer: {
    code({ text, lang }: Tokens.Code): string {
      const language = fenceLanguage(lang);
      if (language === "mermaid") {
        return `<pre class="mermaid-source"><code class="language-mermaid">${escapeHtml(text)}</code></pre>\n`;
      }
      const known = language && hljs.getLanguage(language) ? language : "";
      const body = known ? hljs.highlight(text, { language: known, ignoreIllegals: true }).value : escapeHtml(text);
      const langClass = known ? ` language-${escapeHtml(known)}` : "";
      return `<pre><code class="hljs${langClass}">${body}</code></pre>\n`;
    },
    // An image from another site is a link to it, never loaded (image-source.ts).
    image({ href, title, text }: Tokens.Image): string {
      const label = escapeHtml(text || href);
      const titleAttr = title ? ` title="${escapeHtml(title)}"` : "";
      if (typeof window !== "undefined" && imageSourceAllowed(href, window.location.href)) return `<img src="${escapeHtml(href)}" alt="${escapeHtml(text)}"${titleAttr}>`;
      return `<a href="${escapeHtml(href)}" class="render-image-link"${titleAttr}>image: ${label}</a>`;
    },
  },
});

/**
 * Renders Markdown to sanitised HTML.
 * @param text Markdown as an agent or a person wrote it (GFM: tables, task lists, strikethrough,
 *   autolinks; single newlines become `<br>`). Any length; raw HTML in it is sanitised, not trusted.
 * @returns an HTML string safe to assign to `innerHTML` (browser only: sanitising needs `window`).
 */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false }) as string;
  return sanitizeHtml(html);
}
