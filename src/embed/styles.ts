/**
 * The `<sam-agent>` widget's stylesheet, put in its shadow root (with the renderer's,
 * src/render/styles.ts): nothing here reaches the host page, and `:host { all: initial }` stops
 * the host's inherited styles (font, colour, line height...) from reaching in. Colours are custom
 * properties on `.root`, light by default and dark under `.root.dark` (element.ts sets the class
 * from the host's scheme, state.ts `colourScheme`). The layout is one column (chat, then tasks)
 * and two side by side from 640 px of the widget's own width (a container query), so it reads on
 * a phone; the host sizes it (`sam-agent { height: ... }`; 520 px by default).
 */
export const widgetStyles = `
:host {
  all: initial;
  display: block;
  height: 520px;
  min-height: 260px;
  max-width: 100%;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 14px;
  line-height: 1.45;
}
:host([hidden]) { display: none; }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.root {
  --bg: #ffffff;
  --fg: #1f2328;
  --muted: #59636e;
  --border: #d1d9e0;
  --panel: #f6f8fa;
  --mine: #ddf4ff;
  --lead: #f6f8fa;
  --accent: #0969da;
  --accent-fg: #ffffff;
  --ok: #1a7f37;
  --warn: #9a6700;
  --bad: #cf222e;
  color-scheme: light;
  container-type: inline-size;
  height: 100%;
  display: flex;
  flex-direction: column;
  background: var(--bg);
  color: var(--fg);
  border: 1px solid var(--border);
  border-radius: 12px;
  overflow: hidden;
}
.root.dark {
  --bg: #0d1117;
  --fg: #e6edf3;
  --muted: #9198a1;
  --border: #3d444d;
  --panel: #151b23;
  --mine: #0c2d6b;
  --lead: #151b23;
  --accent: #4493f8;
  --accent-fg: #ffffff;
  --ok: #3fb950;
  --warn: #d29922;
  --bad: #f85149;
  color-scheme: dark;
}
.bar {
  display: flex;
  align-items: center;
  gap: 8px;
  padding: 8px 12px;
  border-bottom: 1px solid var(--border);
  background: var(--panel);
}
.title { font-weight: 600; flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.status { font-size: 12px; color: var(--muted); display: inline-flex; align-items: center; gap: 6px; }
.status::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--warn); }
.status[data-status="open"]::before { background: var(--ok); }
.status[data-status="closed"]::before { background: var(--bad); }
.body { flex: 1; min-height: 0; display: flex; flex-direction: column; }
.chat { flex: 1; min-height: 0; display: flex; flex-direction: column; }
.messages { flex: 1; min-height: 0; overflow-y: auto; margin: 0; padding: 12px; list-style: none; display: flex; flex-direction: column; gap: 8px; }
.more { align-self: center; }
.message { padding: 8px 10px; border-radius: 10px; background: var(--lead); border: 1px solid var(--border); max-width: 100%; overflow-wrap: anywhere; }
.message.mine { background: var(--mine); align-self: flex-end; max-width: 92%; }
.message.draft { border-style: dashed; }
.author { display: block; font-size: 12px; font-weight: 600; color: var(--muted); margin-bottom: 2px; }
.text > :first-child { margin-top: 0; }
.text > :last-child { margin-bottom: 0; }
.text pre { overflow-x: auto; max-width: 100%; }
.text img, .text svg { max-width: 100%; height: auto; }
.cards { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 4px; }
.card { font-size: 12px; color: var(--muted); border: 1px solid var(--border); border-radius: 999px; padding: 0 8px; }
.empty { color: var(--muted); text-align: center; margin: auto 0; }
.notice { margin: 0; padding: 8px 12px; font-size: 13px; color: var(--muted); border-top: 1px solid var(--border); }
.notice.error { color: var(--bad); }
.composer { display: flex; gap: 8px; padding: 8px; border-top: 1px solid var(--border); }
textarea {
  flex: 1;
  min-width: 0;
  resize: none;
  font: inherit;
  font-size: 16px;
  color: var(--fg);
  background: var(--bg);
  border: 1px solid var(--border);
  border-radius: 8px;
  padding: 6px 8px;
}
textarea:focus, button:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
button {
  font: inherit;
  border: 1px solid var(--accent);
  background: var(--accent);
  color: var(--accent-fg);
  border-radius: 8px;
  padding: 6px 14px;
  cursor: pointer;
}
button.link { background: none; color: var(--accent); border-color: var(--border); font-size: 12px; padding: 2px 10px; }
button:disabled { opacity: 0.5; cursor: default; }
.tasks { border-top: 1px solid var(--border); max-height: 40%; overflow-y: auto; background: var(--panel); }
.tasks h2 { font-size: 13px; margin: 0; padding: 8px 12px 4px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
.task-list { list-style: none; margin: 0; padding: 0 8px 8px; display: flex; flex-direction: column; gap: 6px; }
.task { padding: 6px 8px; border: 1px solid var(--border); border-radius: 8px; background: var(--bg); overflow-wrap: anywhere; }
.task-status { font-size: 11px; font-weight: 600; text-transform: uppercase; color: var(--warn); margin-right: 6px; }
.task-status[data-status="succeeded"] { color: var(--ok); }
.task-status[data-status="failed"], .task-status[data-status="cancelled"] { color: var(--bad); }
.task-summary { font-size: 13px; color: var(--muted); margin-top: 4px; }
@container (min-width: 640px) {
  .body { flex-direction: row; }
  .tasks { border-top: 0; border-left: 1px solid var(--border); max-height: none; width: 280px; flex: none; }
}
`;
