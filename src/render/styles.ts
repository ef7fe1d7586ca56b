/**
 * The stylesheet of the renderer, as a string: Markdown (`.render-md`), highlight.js tokens,
 * Mermaid diagrams (`.mermaid-diagram`, `.mermaid-error`) and diff2html's tables
 * (`.render-diff`). The web UI injects it once into the document (ui/components/Markdown.tsx);
 * the embeddable widget puts it in its shadow root.
 *
 * Colours are custom properties set on the rendered containers themselves (nothing is set on
 * `:root`, so the host page is untouched): light by default, dark under
 * `prefers-color-scheme: dark`, and forced either way by a `.dark`/`[data-theme=dark]` or
 * `.light`/`[data-theme=light]` ancestor (or the widget's `:host` carrying that class/attribute).
 * Token colours follow GitHub's light and dark code themes.
 */

const containers = ".render-md, .render-diff, .mermaid-diagram";

const light = `
  --render-fg: inherit;
  --render-muted: #667085;
  --render-border: #d0d7de;
  --render-code-bg: #f3f4f6;
  --render-quote: #57606a;
  --render-link: #0969da;
  --render-hl-keyword: #cf222e;
  --render-hl-string: #0a3069;
  --render-hl-number: #0550ae;
  --render-hl-comment: #6e7781;
  --render-hl-title: #8250df;
  --render-hl-type: #953800;
  --render-hl-attr: #0550ae;
  --render-hl-tag: #116329;
  --render-diff-add-bg: #dafbe1;
  --render-diff-add-word: #aceebb;
  --render-diff-del-bg: #ffebe9;
  --render-diff-del-word: #ffcecb;
  --render-diff-info-bg: #ddf4ff;
  --render-diff-gutter: #f6f8fa;
`;

const dark = `
  --render-fg: inherit;
  --render-muted: #98a2b3;
  --render-border: #30363d;
  --render-code-bg: #161b22;
  --render-quote: #8b949e;
  --render-link: #58a6ff;
  --render-hl-keyword: #ff7b72;
  --render-hl-string: #a5d6ff;
  --render-hl-number: #79c0ff;
  --render-hl-comment: #8b949e;
  --render-hl-title: #d2a8ff;
  --render-hl-type: #ffa657;
  --render-hl-attr: #79c0ff;
  --render-hl-tag: #7ee787;
  --render-diff-add-bg: rgba(46, 160, 67, 0.18);
  --render-diff-add-word: rgba(46, 160, 67, 0.45);
  --render-diff-del-bg: rgba(248, 81, 73, 0.18);
  --render-diff-del-word: rgba(248, 81, 73, 0.45);
  --render-diff-info-bg: rgba(56, 139, 253, 0.15);
  --render-diff-gutter: #161b22;
`;

/** The renderer's CSS (see the module comment). Plain CSS text; inject it once per document or shadow root. */
export const renderStyles = `
${containers} {${light}}
@media (prefers-color-scheme: dark) {
  ${containers} {${dark}}
}
:is(.dark, [data-theme=dark]) :is(${containers}) {${dark}}
:is(.light, [data-theme=light]) :is(${containers}) {${light}}
:host(.dark) :is(${containers}) {${dark}}
:host([data-theme=dark]) :is(${containers}) {${dark}}
:host(.light) :is(${containers}) {${light}}
:host([data-theme=light]) :is(${containers}) {${light}}

.render-md { white-space: normal; overflow-wrap: anywhere; line-height: 1.5; }
.render-md > :first-child { margin-top: 0; }
.render-md > :last-child { margin-bottom: 0; }
.render-md p, .render-md ul, .render-md ol, .render-md pre, .render-md table, .render-md blockquote { margin: 0 0 0.6em; }
.render-md h1, .render-md h2, .render-md h3, .render-md h4, .render-md h5, .render-md h6 { margin: 0.8em 0 0.4em; line-height: 1.25; }
.render-md h1 { font-size: 1.3em; }
.render-md h2 { font-size: 1.18em; }
.render-md h3 { font-size: 1.08em; }
.render-md h4, .render-md h5, .render-md h6 { font-size: 1em; }
.render-md ul, .render-md ol { padding-left: 1.5em; }
.render-md li > p { margin: 0; }
.render-md li:has(> input[type=checkbox]) { list-style: none; }
.render-md a { color: var(--render-link); text-decoration: underline; }
.render-md a:not([href]) { color: inherit; text-decoration: none; }
.render-md blockquote { border-left: 3px solid var(--render-border); padding: 0 0 0 0.8em; color: var(--render-quote); }
.render-md hr { border: 0; border-top: 1px solid var(--render-border); margin: 0.8em 0; }
.render-md img { max-width: 100%; height: auto; }
.render-md code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.9em; background: var(--render-code-bg); border-radius: 4px; padding: 0.1em 0.3em; }
.render-md pre { background: var(--render-code-bg); border: 1px solid var(--render-border); border-radius: 6px; padding: 0.6em 0.8em; overflow-x: auto; }
.render-md pre code { background: none; padding: 0; font-size: 0.88em; white-space: pre; display: block; }
.render-md table { border-collapse: collapse; display: block; max-width: 100%; overflow-x: auto; }
.render-md th, .render-md td { border: 1px solid var(--render-border); padding: 0.25em 0.6em; text-align: left; }
.render-md th { background: var(--render-code-bg); font-weight: 600; }

.hljs-keyword, .hljs-selector-tag, .hljs-built_in, .hljs-meta .hljs-keyword, .hljs-doctag { color: var(--render-hl-keyword); }
.hljs-string, .hljs-regexp, .hljs-meta .hljs-string, .hljs-template-tag { color: var(--render-hl-string); }
.hljs-number, .hljs-literal, .hljs-symbol, .hljs-bullet, .hljs-variable.constant_ { color: var(--render-hl-number); }
.hljs-comment, .hljs-quote, .hljs-meta { color: var(--render-hl-comment); font-style: italic; }
.hljs-title, .hljs-title.function_, .hljs-section { color: var(--render-hl-title); }
.hljs-type, .hljs-title.class_, .hljs-params, .hljs-variable.language_ { color: var(--render-hl-type); }
.hljs-attr, .hljs-attribute, .hljs-property, .hljs-selector-class, .hljs-selector-id { color: var(--render-hl-attr); }
.hljs-name, .hljs-tag, .hljs-selector-pseudo { color: var(--render-hl-tag); }
.hljs-addition { color: var(--render-hl-tag); background: var(--render-diff-add-bg); }
.hljs-deletion { color: var(--render-hl-keyword); background: var(--render-diff-del-bg); }
.hljs-emphasis { font-style: italic; }
.hljs-strong { font-weight: 600; }

.mermaid-diagram { margin: 0 0 0.6em; overflow-x: auto; }
.mermaid-diagram svg { max-width: 100%; height: auto; }
.mermaid-error { margin: -0.3em 0 0.6em; font-size: 0.85em; color: var(--render-hl-keyword); }

.render-diff { font-size: 0.85em; overflow-x: auto; }
.render-diff .d2h-file-header { display: none; }
.render-diff .d2h-file-wrapper { border: 1px solid var(--render-border); border-radius: 6px; overflow: hidden; }
.render-diff .d2h-files-diff { display: flex; }
.render-diff .d2h-file-side-diff { flex: 1 1 50%; min-width: 0; overflow-x: auto; }
.render-diff .d2h-code-wrapper { overflow-x: auto; }
.render-diff .d2h-diff-table { border-collapse: collapse; width: 100%; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
.render-diff .d2h-diff-table td { padding: 0; vertical-align: top; }
.render-diff .d2h-code-linenumber, .render-diff .d2h-code-side-linenumber { width: 1%; white-space: nowrap; color: var(--render-muted); background: var(--render-diff-gutter); border-right: 1px solid var(--render-border); text-align: right; user-select: none; padding: 0 0.4em; }
.render-diff .d2h-code-linenumber .line-num1, .render-diff .d2h-code-linenumber .line-num2 { display: inline-block; min-width: 2.5em; }
.render-diff .d2h-code-line, .render-diff .d2h-code-side-line { white-space: nowrap; padding: 0 0.5em; }
.render-diff .d2h-code-line-ctn { white-space: pre; }
.render-diff .d2h-code-line-prefix { display: inline-block; width: 1.2em; user-select: none; }
.render-diff .d2h-ins { background: var(--render-diff-add-bg); }
.render-diff .d2h-del { background: var(--render-diff-del-bg); }
.render-diff .d2h-info { background: var(--render-diff-info-bg); color: var(--render-muted); }
.render-diff .d2h-emptyplaceholder, .render-diff .d2h-code-side-emptyplaceholder { background: var(--render-diff-gutter); }
.render-diff ins, .render-diff del { text-decoration: none; border-radius: 2px; }
.render-diff .d2h-ins ins, .render-diff ins { background: var(--render-diff-add-word); }
.render-diff .d2h-del del, .render-diff del { background: var(--render-diff-del-word); }
.render-diff .d2h-file-diff, .render-diff .d2h-files-diff { overflow-x: auto; }

.render-diff-toolbar { display: flex; align-items: baseline; justify-content: space-between; gap: 0.75em; flex-wrap: wrap; }
.render-diff-toggle { display: inline-flex; align-items: center; gap: 0.35em; margin: 0; font-weight: normal; white-space: nowrap; }
.render-diff-toggle input { width: auto; margin: 0; }
.render-diff-file { margin: 0.5em 0; }
.render-diff-file > summary { cursor: pointer; padding: 0.25em 0; }
.render-diff-counts { margin-left: 0.75em; }
.render-diff-path { overflow-wrap: anywhere; }
.render-diff-added { color: #1f8a4c; font-weight: 600; }
.render-diff-removed { color: #c62f3a; font-weight: 600; }
.render-diff-actions { margin: 0.25em 0; }
`;
