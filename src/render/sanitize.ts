/**
 * The HTML sanitisers of the renderer: DOMPurify instances of its own (their hooks never touch the
 * global DOMPurify a host page or another library may use), one per profile.
 *
 * - `sanitizeHtml` — for rendered Markdown and diffs: the HTML profile without SVG/MathML, no
 *   `style` attributes, no iframes/forms/embeds/styles, no `on*` handlers, URLs limited to
 *   DOMPurify's safe list (http(s), mailto, tel, relative; `data:` only on images, DOMPurify's
 *   default for `DATA_URI_TAGS`), `class` kept only for the renderer's own names (highlight.js
 *   `hljs*` and its `name_` sub-scopes, `language-*`, `mermaid-*`, diff2html `d2h-*`, `line-num1|2`), every link opened in a new tab
 *   with `rel="noopener noreferrer nofollow"`, and images loaded only from the page's own origin
 *   or inline (image-source.ts; another site's image loses its `src`, and no `srcset`, media
 *   element or `<picture>` source can fetch anything).
 * - `sanitizeSvg` — for Mermaid's output: the SVG profile (with HTML allowed only inside
 *   `foreignObject`, where Mermaid puts labels), no handlers, no `<use>`/`<image>`/animation
 *   elements, no `href`/`xlink:href` that leave the document (only `#fragment` links kept, so a
 *   Mermaid `click` link stays an inert `<a>` that still positions its node), no media elements,
 *   `srcset` or `poster`, label images only from SAM's origin or inline, and no CSS that fetches:
 *   no `url()` but `url(#fragment)`, `image-set()` or `@import`, in `style`, presentation
 *   attributes or `<style>` (a `classDef` could otherwise fetch another site).
 *
 * Browser-only: needs `window` (DOMPurify does nothing useful without a DOM).
 */
import DOMPurify, { type Config, type DOMPurify as Purifier } from "dompurify";
import { imageSourceAllowed, withoutOutsideUrls } from "./image-source.ts";

/** Class names the renderer itself emits; any other class (say one that restyles the app) is dropped. */
const OWN_CLASS = /^(hljs(-[\w-]+)?|[a-z]+_+|language-[\w+#.-]+|mermaid-[\w-]+|d2h-[\w-]+|line-num[12]|render-[\w-]+)$/;

const FORBIDDEN_TAGS = ["iframe", "frame", "frameset", "object", "embed", "form", "input", "button", "textarea", "select", "option", "style", "link", "meta", "base", "script", "svg", "math", "template", "dialog", "video", "audio", "source", "track", "picture"];

const htmlConfig: Config = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: FORBIDDEN_TAGS,
  FORBID_ATTR: ["style", "srcdoc", "formaction", "action", "autofocus", "id", "name", "srcset", "ping", "background", "poster"],
  ALLOW_DATA_ATTR: false,
  ADD_ATTR: ["target"],
};

const svgConfig: Config = {
  USE_PROFILES: { svg: true, svgFilters: true, html: true },
  ADD_TAGS: ["foreignObject"],
  FORBID_TAGS: ["script", "iframe", "frame", "object", "embed", "form", "input", "button", "textarea", "select", "link", "meta", "base", "use", "image", "animate", "set", "animateMotion", "animateTransform", "video", "audio", "source", "track", "picture"],
  FORBID_ATTR: ["srcset", "ping", "background", "poster", "srcdoc", "formaction", "action"],
  ALLOW_DATA_ATTR: false,
};

let htmlPurifier: Purifier | undefined;
let svgPurifier: Purifier | undefined;

function html(): Purifier {
  if (htmlPurifier) return htmlPurifier;
  const purifier = DOMPurify(window);
  purifier.addHook("uponSanitizeAttribute", (_node, data) => {
    if (data.attrName === "class") {
      data.attrValue = data.attrValue.split(/\s+/).filter((name) => OWN_CLASS.test(name)).join(" ");
      if (!data.attrValue) data.keepAttr = false;
    }
  });
  purifier.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A" && node.hasAttribute("href")) {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer nofollow");
    } else if (node.hasAttribute("target")) {
      node.removeAttribute("target");
    }
    // Another site's image would be fetched as soon as it is shown (see image-source.ts).
    if (node.tagName === "IMG" && node.hasAttribute("src") && !imageSourceAllowed(node.getAttribute("src") ?? "", window.location.href)) {
      node.setAttribute("title", `not loaded: ${node.getAttribute("src") ?? ""}`);
      node.removeAttribute("src");
    }
  });
  htmlPurifier = purifier;
  return purifier;
}

function svg(): Purifier {
  if (svgPurifier) return svgPurifier;
  const purifier = DOMPurify(window);
  purifier.addHook("uponSanitizeAttribute", (_node, data) => {
    const name = data.attrName.toLowerCase();
    if (name.startsWith("on")) data.keepAttr = false;
    // Only in-document references (`url(#marker)` is a style, not an href, and stays).
    if ((name === "href" || name === "xlink:href") && !data.attrValue.trim().startsWith("#")) data.keepAttr = false;
    // Styles and presentation attributes (`fill`, `mask`, `filter`, `marker-end`...) fetch nothing from elsewhere.
    if (name === "style" || /url\s*\(|image-set|\\/i.test(data.attrValue)) data.attrValue = withoutOutsideUrls(data.attrValue);
  });
  purifier.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName.toUpperCase() === "IMG" && node.hasAttribute("src") && !imageSourceAllowed(node.getAttribute("src") ?? "", window.location.href)) node.removeAttribute("src");
    if (node.tagName.toLowerCase() === "style" && node.textContent) node.textContent = withoutOutsideUrls(node.textContent);
  });
  svgPurifier = purifier;
  return purifier;
}

/** Sanitises HTML from Markdown or a diff renderer (rules above); returns the safe HTML string. */
export function sanitizeHtml(dirty: string): string {
  return html().sanitize(dirty, { ...htmlConfig, RETURN_TRUSTED_TYPE: false }) as string;
}

/** Sanitises an SVG document string produced by Mermaid (rules above); returns the safe SVG markup. */
export function sanitizeSvg(dirty: string): string {
  return svg().sanitize(dirty, { ...svgConfig, RETURN_TRUSTED_TYPE: false }) as string;
}
