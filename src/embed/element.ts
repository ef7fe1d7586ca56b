/**
 * `<sam-agent project="prj_..." token="sam_emb_..." session="ses_..." host="https://...">`: a
 * SAM project's chat (and, when the token allows `tasks:read`, its tasks) on another app's page.
 * A plain custom element with an open shadow root (its styles never leak in or out), over the
 * typed client (`connectProject`, partysocket: it reconnects by itself, and the bar shows the
 * connection's state). Markdown is rendered with the shared renderer (src/render/: sanitised,
 * code highlighted, Mermaid diagrams loaded lazily). The state and its rules are state.ts.
 *
 * Attributes: `project` and `token` (required), `session` (the chat session to show; an embed
 * token bound to a session shows that one), `host` (SAM's URL; default the origin embed.js was
 * loaded from), `theme` (`light`, `dark`; default: the host page's scheme), `title` (the bar's
 * title; default "Agent"). Changing `project`, `token`, `host` or `session` reconnects.
 */
import { connectProject, type ConnectionStatus, type ProjectClient } from "../client/project-client.ts";
import { renderDiagrams } from "../render/diagrams.ts";
import { renderMarkdown } from "../render/markdown.ts";
import { renderStyles } from "../render/styles.ts";
import { MAX_MESSAGE_CHARS, type ChatMessage, type ServerFrame, type TaskView } from "../shared/protocol.ts";
import { allows, applyFrame, colourScheme, initialState, promptLine, widgetSession, type Draft, type WidgetState } from "./state.ts";
import { widgetStyles } from "./styles.ts";

/** The words the bar shows for each connection status. */
const STATUS_WORDS: Record<ConnectionStatus, string> = { connecting: "Connecting…", open: "Live", reconnecting: "Reconnecting…", closed: "Disconnected" };

/** Attributes whose change opens a new connection. */
const CONNECTION_ATTRIBUTES = ["project", "token", "host", "session"];

/** Makes an element of `tag` with `className` (and text). */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = "", text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The `<sam-agent>` element; see the module comment. */
export class SamAgentElement extends HTMLElement {
  static observedAttributes = [...CONNECTION_ATTRIBUTES, "theme", "title"];

  private readonly shadow: ShadowRoot;
  private readonly rootEl: HTMLDivElement;
  private readonly titleEl: HTMLSpanElement;
  private readonly statusEl: HTMLSpanElement;
  private readonly messagesEl: HTMLOListElement;
  private readonly moreButton: HTMLButtonElement;
  private readonly emptyEl: HTMLLIElement;
  private readonly noticeEl: HTMLParagraphElement;
  private readonly composer: HTMLFormElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly tasksEl: HTMLElement;
  private readonly taskListEl: HTMLUListElement;
  /** Rendered messages and drafts by key (`m:<id>`, `d:<draftId>`), with the text they show. */
  private readonly rendered = new Map<string, { node: HTMLLIElement; text: string; cards: number }>();
  private client: ProjectClient | null = null;
  private state: WidgetState = initialState(null);
  private status: ConnectionStatus = "connecting";
  private readonly darkQuery = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;
  private readonly onScheme = () => this.applyScheme();
  private schemeObserver: MutationObserver | null = null;

  constructor() {
    super();
    this.shadow = this.attachShadow({ mode: "open" });
    const style = el("style");
    style.textContent = `${widgetStyles}\n${renderStyles}`;
    this.rootEl = el("div", "root");
    const bar = el("header", "bar");
    this.titleEl = el("span", "title", "Agent");
    this.statusEl = el("span", "status", STATUS_WORDS.connecting);
    this.statusEl.setAttribute("role", "status");
    bar.appendChild(this.titleEl);
    bar.appendChild(this.statusEl);
    const body = el("div", "body");
    const chat = el("section", "chat");
    chat.setAttribute("aria-label", "Chat");
    this.messagesEl = el("ol", "messages");
    this.messagesEl.setAttribute("aria-live", "polite");
    const moreItem = el("li", "more");
    this.moreButton = el("button", "link", "Earlier messages");
    this.moreButton.type = "button";
    this.moreButton.addEventListener("click", () => this.loadEarlier());
    moreItem.appendChild(this.moreButton);
    this.messagesEl.appendChild(moreItem);
    this.emptyEl = el("li", "empty", "No messages yet.");
    this.noticeEl = el("p", "notice");
    this.composer = el("form", "composer");
    this.input = el("textarea");
    this.input.rows = 2;
    this.input.maxLength = MAX_MESSAGE_CHARS;
    this.input.placeholder = "Write a message…";
    this.input.setAttribute("aria-label", "Message");
    this.sendButton = el("button", "", "Send");
    this.sendButton.type = "submit";
    this.composer.appendChild(this.input);
    this.composer.appendChild(this.sendButton);
    this.composer.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send();
      }
    });
    chat.appendChild(this.messagesEl);
    chat.appendChild(this.noticeEl);
    chat.appendChild(this.composer);
    this.tasksEl = el("aside", "tasks");
    this.tasksEl.setAttribute("aria-label", "Tasks");
    this.tasksEl.hidden = true;
    this.tasksEl.appendChild(el("h2", "", "Tasks"));
    this.taskListEl = el("ul", "task-list");
    this.tasksEl.appendChild(this.taskListEl);
    body.appendChild(chat);
    body.appendChild(this.tasksEl);
    this.rootEl.appendChild(bar);
    this.rootEl.appendChild(body);
    this.shadow.appendChild(style);
    this.shadow.appendChild(this.rootEl);
  }

  connectedCallback(): void {
    this.darkQuery?.addEventListener("change", this.onScheme);
    // The host page may switch its scheme by a class, an attribute or its style on <html> or <body>.
    this.schemeObserver = new MutationObserver(this.onScheme);
    for (const target of [document.documentElement, document.body]) {
      if (target) this.schemeObserver.observe(target, { attributes: true, attributeFilter: ["class", "style", "data-theme"] });
    }
    this.applyScheme();
    this.titleEl.textContent = this.getAttribute("title") || "Agent";
    this.open();
  }

  disconnectedCallback(): void {
    this.darkQuery?.removeEventListener("change", this.onScheme);
    this.schemeObserver?.disconnect();
    this.schemeObserver = null;
    this.client?.close();
    this.client = null;
  }

  attributeChangedCallback(name: string, before: string | null, after: string | null): void {
    if (before === after || !this.isConnected) return;
    if (name === "theme") this.applyScheme();
    else if (name === "title") this.titleEl.textContent = after || "Agent";
    else if (CONNECTION_ATTRIBUTES.includes(name)) this.open();
  }

  /** (Re)connects with the current attributes, starting from an empty state. */
  private open(): void {
    this.client?.close();
    this.client = null;
    this.state = initialState(this.getAttribute("session"));
    for (const entry of this.rendered.values()) entry.node.remove();
    this.rendered.clear();
    const project = this.getAttribute("project");
    const token = this.getAttribute("token");
    if (!project || !token) {
      this.status = "closed";
      this.render("This widget needs its project and token attributes.");
      return;
    }
    let host: string;
    try {
      host = new URL(this.getAttribute("host") || new URL(import.meta.url).origin).origin;
    } catch {
      this.status = "closed";
      this.render("The host attribute is not a URL.");
      return;
    }
    const client = connectProject({ host, projectId: project, token });
    this.client = client;
    client.onStatus((status) => {
      this.status = status;
      this.render();
    });
    client.onFrame((frame) => this.receive(frame));
  }

  /** Applies a frame; a `welcome` (the first frame of every connection, reconnects included) asks for history and tasks. */
  private receive(frame: ServerFrame): void {
    this.state = applyFrame(this.state, frame);
    if (frame.type === "welcome" && this.client) {
      this.state = { ...this.state, sessionId: widgetSession(this.getAttribute("session"), frame) };
      if (this.state.sessionId && allows(frame, "chat:read")) this.client.requestHistory(this.state.sessionId);
      if (allows(frame, "tasks:read")) this.client.requestTasks();
    }
    this.render();
  }

  private send(): void {
    const text = this.input.value.trim();
    const sessionId = this.state.sessionId;
    if (!text || !sessionId || !this.client || this.status !== "open" || !allows(this.state.welcome, "chat:write")) return;
    this.client.sendChat(sessionId, text);
    this.input.value = "";
  }

  private loadEarlier(): void {
    const oldest = this.state.messages[0];
    if (oldest && this.state.sessionId) this.client?.requestHistory(this.state.sessionId, oldest.seq);
  }

  /** Light or dark, from the `theme` attribute, the host page's `color-scheme` around the element, or the reader's preference. */
  private applyScheme(): void {
    const around = this.parentElement ?? document.documentElement;
    const hostScheme = getComputedStyle(around).colorScheme || "normal";
    const scheme = colourScheme(this.getAttribute("theme"), hostScheme, this.darkQuery?.matches ?? false);
    this.rootEl.classList.toggle("dark", scheme === "dark");
    this.rootEl.classList.toggle("light", scheme === "light");
  }

  /** Shows the state: status, messages and drafts (only what changed is re-rendered), notice, composer, tasks. */
  private render(problem?: string): void {
    this.statusEl.textContent = STATUS_WORDS[this.status];
    this.statusEl.dataset.status = this.status;
    const { welcome, sessionId } = this.state;
    const nearBottom = this.messagesEl.scrollHeight - this.messagesEl.scrollTop - this.messagesEl.clientHeight < 48;
    this.renderMessages();
    const mayWrite = allows(welcome, "chat:write");
    this.composer.hidden = !welcome || !mayWrite || !sessionId;
    this.input.disabled = this.sendButton.disabled = this.status !== "open";
    let notice = problem ?? this.state.error ?? "";
    let isError = notice !== "";
    if (!notice && welcome && !sessionId) notice = "No chat session: set the session attribute.";
    else if (!notice && welcome && !mayWrite) {
      notice = "Read only: you can follow this chat but not write to it.";
      isError = false;
    }
    this.noticeEl.textContent = notice;
    this.noticeEl.hidden = notice === "";
    this.noticeEl.classList.toggle("error", isError);
    this.noticeEl.classList.toggle("read-only", !!welcome && !mayWrite && !problem && !this.state.error);
    this.tasksEl.hidden = !allows(welcome, "tasks:read");
    if (!this.tasksEl.hidden) this.renderTasks(this.state.tasks);
    if (nearBottom) this.messagesEl.scrollTop = this.messagesEl.scrollHeight;
  }

  private renderMessages(): void {
    const mineId = this.state.welcome?.user.id;
    const wanted: { key: string; author: string; kind: string; text: string; cards: string[]; mine: boolean; draft: boolean; seq?: number }[] = [
      ...this.state.messages.map((m: ChatMessage) => ({ key: `m:${m.id}`, author: m.author.name, kind: m.author.kind, text: m.text, cards: m.cards.map((c) => c.toolName), mine: m.author.id === mineId, draft: false, seq: m.seq })),
      ...this.state.drafts.map((d: Draft) => ({ key: `d:${d.draftId}`, author: d.author.name, kind: d.author.kind, text: d.text, cards: d.cards.map((c) => c.toolName), mine: false, draft: true })),
    ];
    const keys = new Set(wanted.map((w) => w.key));
    for (const [key, entry] of this.rendered) {
      if (!keys.has(key)) {
        entry.node.remove();
        this.rendered.delete(key);
      }
    }
    this.moreButton.parentElement!.hidden = !this.state.hasMore;
    if (wanted.length === 0) this.messagesEl.appendChild(this.emptyEl);
    else this.emptyEl.remove();
    for (const item of wanted) {
      let entry = this.rendered.get(item.key);
      if (!entry) {
        const node = el("li", `message${item.mine ? " mine" : ""}${item.draft ? " draft" : ""}`);
        node.dataset.authorKind = item.kind;
        if (item.seq !== undefined) node.dataset.seq = String(item.seq);
        node.appendChild(el("span", "author", item.author));
        const text = el("div", "text render-md");
        node.appendChild(text);
        entry = { node, text: "\u0000", cards: -1 };
        this.rendered.set(item.key, entry);
      }
      if (entry.text !== item.text || entry.cards !== item.cards.length) {
        const text = entry.node.querySelector<HTMLDivElement>(".text")!;
        text.innerHTML = renderMarkdown(item.text);
        entry.node.querySelector(".cards")?.remove();
        if (item.cards.length > 0) {
          const cards = el("div", "cards");
          for (const name of item.cards) cards.appendChild(el("span", "card", `⚙ ${name}`));
          entry.node.appendChild(cards);
        }
        entry.text = item.text;
        entry.cards = item.cards.length;
        // Diagrams only once a reply is stored (a draft's source is still growing).
        if (!item.draft) void renderDiagrams(text);
      }
      // appendChild moves a node already in the list: the list ends up in `wanted`'s order.
      this.messagesEl.appendChild(entry.node);
    }
  }

  private renderTasks(tasks: readonly TaskView[]): void {
    const items = tasks.map((task) => {
      const item = el("li", "task");
      item.dataset.taskId = task.id;
      item.dataset.status = task.status;
      const status = el("span", "task-status", task.status);
      status.dataset.status = task.status;
      item.appendChild(status);
      item.appendChild(el("span", "task-prompt", promptLine(task.prompt)));
      const words = task.summary ?? task.question ?? task.error;
      if (words) {
        const summary = el("div", "task-summary render-md");
        summary.innerHTML = renderMarkdown(words);
        item.appendChild(summary);
      }
      return item;
    });
    while (this.taskListEl.firstChild) this.taskListEl.removeChild(this.taskListEl.firstChild);
    if (items.length === 0) this.taskListEl.appendChild(el("li", "empty", "No tasks yet."));
    for (const item of items) this.taskListEl.appendChild(item);
  }
}
