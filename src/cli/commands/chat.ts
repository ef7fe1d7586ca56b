/**
 * `sam chat [--session S]`: an interactive chat with the project in the terminal. Messages of
 * other members and the tech lead's streamed replies appear live above the prompt; a line you
 * type is sent to the session (`@lead ...` asks the tech lead). `/quit` or Ctrl-D ends it.
 * With `--json`, every chat frame is printed as one JSON line (NDJSON).
 */
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { connectProject } from "../../client/project-client.ts";
import type { ChatMessage, ChatSession, ServerFrame } from "../../shared/protocol.ts";
import type { CliContext } from "../context.ts";
import { CliError } from "../errors.ts";

/** How many earlier messages are shown when the chat opens. */
export const HISTORY_MESSAGES = 20;

/** Registers `chat` on `program`. */
export function registerChat(program: Command, context: (command: Command) => CliContext): void {
  program
    .command("chat")
    .description("chat with the project live (@lead asks the tech lead); /quit or Ctrl-D to leave")
    .option("--session <sessionId>", "the chat session (default: the newest chat session, or a new one)")
    .action(async (options: { session?: string }, command: Command) => {
      const ctx = context(command);
      await chat(ctx, options.session);
    });
}

/** The session to chat in: `wanted`, else the newest non-voice session, else a new one. */
async function pickSession(ctx: CliContext, projectId: string, wanted: string | undefined): Promise<ChatSession> {
  const api = ctx.api();
  const { sessions } = await api.get<{ sessions: ChatSession[] }>(`/api/projects/${encodeURIComponent(projectId)}/sessions`);
  if (wanted) {
    const found = sessions.find((s) => s.id === wanted);
    if (!found) throw new CliError(`no session ${wanted} in ${projectId}`);
    return found;
  }
  const newest = sessions.find((s) => s.kind !== "voice");
  if (newest) return newest;
  return api.post<ChatSession>(`/api/projects/${encodeURIComponent(projectId)}/sessions`, { title: "Terminal chat" });
}

/** Runs the chat until the person leaves; resolves then. */
async function chat(ctx: CliContext, wanted: string | undefined): Promise<void> {
  const projectId = ctx.projectId();
  const target = ctx.target();
  const api = ctx.api();
  const session = await pickSession(ctx, projectId, wanted);
  const { messages } = await api.get<{ messages: ChatMessage[] }>(`/api/projects/${encodeURIComponent(projectId)}/sessions/${encodeURIComponent(session.id)}/messages?limit=${HISTORY_MESSAGES}`);
  const url = new URL(target.url);
  const client = connectProject({ host: url.host, projectId, token: target.token, secure: url.protocol === "https:" });
  client.socket.addEventListener("error", () => undefined);
  const out = ctx.io.stdout;
  let rl: ReturnType<typeof createInterface> | null = null;

  /** Prints `text` above the prompt line, keeping what the person is typing. */
  const say = (text: string) => {
    if (ctx.io.stdout.isTTY) out.write("\r\x1b[2K");
    out.write(`${text}\n`);
    rl?.prompt(true);
  };
  const seen = new Set(messages.map((m) => m.id));
  const drafts = new Map<string, string>();

  client.onFrame((frame: ServerFrame) => {
    if (frame.type === "chat.message" && frame.message.sessionId === session.id) {
      if (seen.has(frame.message.id)) return;
      seen.add(frame.message.id);
      if (frame.message.draftId) drafts.delete(frame.message.draftId);
      if (ctx.json) out.write(`${JSON.stringify(frame)}\n`);
      else say(`${frame.message.author.name}: ${frame.message.text}`);
    } else if (frame.type === "chat.delta" && frame.sessionId === session.id) {
      const text = (drafts.get(frame.draftId) ?? "") + frame.delta;
      drafts.set(frame.draftId, text);
      if (ctx.json) out.write(`${JSON.stringify(frame)}\n`);
      else if (ctx.io.stdout.isTTY) {
        // Redraw the streaming reply's last line in place above the prompt.
        out.write(`\r\x1b[2K${frame.author.name} (typing): ${text.split("\n").pop() ?? ""}`);
      }
    } else if (frame.type === "error") {
      if (ctx.json) out.write(`${JSON.stringify(frame)}\n`);
      else say(`! ${frame.code}: ${frame.message}`);
    }
  });
  // The banner says the chat is live: only once the socket is open (and lines are read from then on).
  await client.opened();
  if (ctx.json) {
    // --json: lines on stdin are sent as they come; the end of stdin ends the chat.
    const lines = createInterface({ input: ctx.io.stdin });
    lines.on("line", (line) => void (line.trim() && client.sendChat(session.id, line)));
    await new Promise<void>((resolve) => lines.on("close", resolve));
    client.close();
    return;
  }
  const prompt = createInterface({ input: ctx.io.stdin, output: out, prompt: "> ", terminal: ctx.io.stdout.isTTY === true });
  rl = prompt;
  out.write(`chatting in "${session.title}" (${session.id}) of ${projectId}; @lead asks the tech lead, /quit leaves\n`);
  for (const message of messages) out.write(`${message.author.name}: ${message.text}\n`);
  prompt.prompt();
  await new Promise<void>((resolve) => {
    prompt.on("line", (line) => {
      const text = line.trim();
      if (text === "/quit" || text === "/exit") return prompt.close();
      if (text) client.sendChat(session.id, text);
      prompt.prompt();
    });
    prompt.on("close", resolve);
  });
  client.close();
}
