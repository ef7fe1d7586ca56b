/**
 * What the `<sam-agent>` widget knows, and how each frame of the project socket changes it:
 * who the connection is (`welcome`), the session's messages (history pages and live
 * `chat.message`s, merged by id in seq order), the tech lead's replies while they stream
 * (`chat.delta`/`chat.card` drafts, dropped when the stored message with their `draftId` comes),
 * the project's tasks (`task.list`, then `task.updated`), and the last error frame. Also the rules
 * the widget's controls follow: which session it shows, whether it may write or read tasks, its
 * colour scheme. Pure: no DOM, unit-tested in test/node/embed-state.test.ts.
 */
import type { EmbedCapability } from "../shared/embed.ts";
import { MAX_TASK_LIST, type ChatAuthor, type ChatMessage, type ServerFrame, type TaskView, type ToolCard, type Welcome } from "../shared/protocol.ts";

/** A reply being written: what has streamed so far of the draft `draftId`. */
export interface Draft {
  draftId: string;
  author: ChatAuthor;
  text: string;
  cards: ToolCard[];
}

/** The widget's state; see the module comment. `sessionId` is the session it shows (null: none known yet). */
export interface WidgetState {
  welcome: Welcome | null;
  sessionId: string | null;
  messages: ChatMessage[];
  /** Older messages exist before the first one held (from the last history page). */
  hasMore: boolean;
  drafts: Draft[];
  tasks: TaskView[];
  /** The last error frame, as `code: message`; cleared by the next message of the session. */
  error: string | null;
}

/** The state before any frame: showing `sessionAttribute` (the element's `session`, null when absent). */
export function initialState(sessionAttribute: string | null): WidgetState {
  return { welcome: null, sessionId: sessionAttribute || null, messages: [], hasMore: false, drafts: [], tasks: [], error: null };
}

/**
 * The session the widget shows: the one an embed token is bound to (the server allows no other),
 * else the element's `session` attribute; null when neither is known.
 */
export function widgetSession(sessionAttribute: string | null, welcome: Welcome | null): string | null {
  return welcome?.sessionId ?? (sessionAttribute || null);
}

/** Whether the connection `welcome` describes has `capability` (a person's connection: reading always, writing unless a viewer). */
export function allows(welcome: Welcome | null, capability: EmbedCapability): boolean {
  if (!welcome) return false;
  if (welcome.capabilities) return welcome.capabilities.includes(capability);
  return capability.endsWith(":read") || welcome.role !== "viewer";
}

/** Merges messages by id (the incoming copy wins), ordered by seq. */
export function mergeMessages(existing: readonly ChatMessage[], incoming: readonly ChatMessage[]): ChatMessage[] {
  const byId = new Map<string, ChatMessage>();
  for (const message of existing) byId.set(message.id, message);
  for (const message of incoming) byId.set(message.id, message);
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

/** Inserts or replaces a task (an older update never replaces a newer one), newest first, at most MAX_TASK_LIST. */
export function upsertTask(existing: readonly TaskView[], task: TaskView): TaskView[] {
  const current = existing.find((t) => t.id === task.id);
  if (current && Date.parse(task.updatedAt) < Date.parse(current.updatedAt)) return existing as TaskView[];
  const others = existing.filter((t) => t.id !== task.id);
  return [...others, task].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt)).slice(0, MAX_TASK_LIST);
}

/** `state.drafts` with `change` applied to the draft `draftId` (made from `author` on its first piece). */
function withDraft(drafts: readonly Draft[], draftId: string, author: ChatAuthor, change: (draft: Draft) => Draft): Draft[] {
  const index = drafts.findIndex((d) => d.draftId === draftId);
  if (index < 0) return [...drafts, change({ draftId, author, text: "", cards: [] })];
  const next = drafts.slice();
  next[index] = change(drafts[index]);
  return next;
}

/**
 * The state after `frame`. `welcome` records the connection (and its session, when bound); a
 * `chat.history` page of the shown session merges in (its `hasMore` counts when it is the
 * latest page or an older one than held); a `chat.message` of the session merges in and ends
 * its draft; `chat.delta`/`chat.card` of the session grow a draft; `task.list` and
 * `task.updated` keep the task list; an `error` frame is remembered. Anything else (another
 * session's frames, presence, missions, transcript events) leaves the state as it is.
 */
export function applyFrame(state: WidgetState, frame: ServerFrame): WidgetState {
  switch (frame.type) {
    case "welcome":
      return { ...state, welcome: frame, sessionId: frame.sessionId ?? state.sessionId };
    case "chat.history": {
      if (frame.sessionId !== state.sessionId) return state;
      const oldest = state.messages[0]?.seq ?? Number.POSITIVE_INFINITY;
      const firstOfPage = frame.messages[0]?.seq ?? Number.POSITIVE_INFINITY;
      const hasMore = frame.before === null && state.messages.length > 0 && oldest < firstOfPage ? state.hasMore : frame.hasMore;
      return { ...state, messages: mergeMessages(state.messages, frame.messages), hasMore };
    }
    case "chat.message": {
      if (frame.message.sessionId !== state.sessionId) return state;
      const draftId = frame.message.draftId;
      return { ...state, messages: mergeMessages(state.messages, [frame.message]), drafts: draftId ? state.drafts.filter((d) => d.draftId !== draftId) : state.drafts, error: null };
    }
    case "chat.delta":
      if (frame.sessionId !== state.sessionId || state.messages.some((m) => m.draftId === frame.draftId)) return state;
      return { ...state, drafts: withDraft(state.drafts, frame.draftId, frame.author, (d) => ({ ...d, text: d.text + frame.delta })) };
    case "chat.card":
      if (frame.sessionId !== state.sessionId || state.messages.some((m) => m.draftId === frame.draftId)) return state;
      return {
        ...state,
        drafts: withDraft(state.drafts, frame.draftId, { id: "tech-lead", name: "tech lead", kind: "tech-lead" }, (d) => ({
          ...d,
          cards: [...d.cards.filter((c) => c.toolCallId !== frame.card.toolCallId), frame.card],
        })),
      };
    case "task.list":
      return { ...state, tasks: frame.tasks.reduce<TaskView[]>((list, task) => upsertTask(list, task), state.tasks) };
    case "task.updated":
      return { ...state, tasks: upsertTask(state.tasks, frame.task) };
    case "error":
      return { ...state, error: `${frame.code}: ${frame.message}` };
    default:
      return state;
  }
}

/**
 * The widget's colour scheme: the `theme` attribute when it is `light` or `dark`; else the host
 * page's `color-scheme` (as computed around the element: `normal`, `light`, `dark`,
 * `light dark`, `only dark`...) when it names one scheme only; else (`normal`, or both) the
 * reader's `prefers-color-scheme`.
 */
export function colourScheme(themeAttribute: string | null, hostColorScheme: string, prefersDark: boolean): "light" | "dark" {
  if (themeAttribute === "light" || themeAttribute === "dark") return themeAttribute;
  const words = hostColorScheme.toLowerCase().split(/\s+/);
  const light = words.includes("light");
  const dark = words.includes("dark");
  if (dark && !light) return "dark";
  if (light && !dark) return "light";
  return prefersDark ? "dark" : "light";
}

/** A task's prompt as one short line for the list: its first non-empty line, cut at `max` characters (with an ellipsis). */
export function promptLine(prompt: string, max = 120): string {
  const line = prompt.split("\n").map((l) => l.trim()).find((l) => l.length > 0) ?? "";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
