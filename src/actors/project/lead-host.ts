/**
 * The project's side of the platform tools (src/tools/platform-tools.ts): a `PlatformHost` over
 * the project's stores (task and mission views, chat search, knowledge, policies) and the
 * launcher (actors/launch.ts), for one person — the tech lead's in one chat session, or an MCP
 * client's (no session). A launch the launcher refuses becomes a `ToolFailure` with the same
 * message, which the caller reads as the tool's error.
 */
import type { ToolSet } from "ai";
import type { TechLeadSettings } from "../../shared/project-settings.ts";
import { techLeadToolSet } from "../../tools/tech-lead-tools.ts";
import { launchMission, launchTask, LaunchRefusedError, type LaunchContext } from "../launch.ts";
import type { LeadReplyContext } from "../tech-lead/reply.ts";
import { ToolFailure, type PlatformHost } from "../../tools/platform-tools.ts";
import type { ChatStore } from "./chat-store.ts";
import { addKnowledge, addPolicy, listPolicies, searchKnowledge } from "./knowledge.ts";
import { readIdentity } from "./settings.ts";
import { hasMissionView, listMissionViews, listTaskViews, readTaskView } from "./views.ts";

/** The project and conversation a host serves. */
export interface LeadHostScope {
  env: Env;
  storage: DurableObjectStorage;
  chat: ChatStore;
  projectId: string;
  /** The chat session the work reports back to; null: the project's newest session. */
  sessionId: string | null;
  /** Who acts for the person, in words (PlatformHost.via); "the tech lead" when absent. */
  via?: string;
  /** The person the tech lead answers: they start what it launches and pay for it. */
  user: { id: string; name: string };
  /** Names the project in log lines. */
  label: string;
}

/** Runs `launch`, turning a LaunchRefusedError into a ToolFailure with its message. */
async function refusedAsFailure<T>(launch: () => Promise<T>): Promise<T> {
  try {
    return await launch();
  } catch (error) {
    if (error instanceof LaunchRefusedError) throw new ToolFailure(error.message);
    throw error;
  }
}

/** The tools' host for `scope`. */
export function leadHost(scope: LeadHostScope): PlatformHost {
  const { storage, chat } = scope;
  const sql = storage.sql;
  const launch: LaunchContext = { env: scope.env, projectId: scope.projectId, userId: scope.user.id };
  return {
    env: scope.env,
    launchTask: (request) => refusedAsFailure(() => launchTask(launch, request)),
    launchMission: (request) => refusedAsFailure(() => launchMission(launch, request)),
    userName: scope.user.name,
    via: scope.via ?? "the tech lead",
    sessionId: scope.sessionId,
    hasTask: (taskId) => readTaskView(sql, taskId) !== null,
    hasMission: (missionId) => hasMissionView(sql, missionId),
    listMissions: () => listMissionViews(sql, scope.label),
    listTasks: () => listTaskViews(sql, scope.label),
    searchMessages: (query, limit) => chat.searchMessages(query, limit),
    addKnowledge: (title, text) => addKnowledge(storage, title, text),
    searchKnowledge: (query, limit) => searchKnowledge(sql, query, limit),
    addPolicy: (text, createdBy) => addPolicy(sql, text, createdBy),
    listPolicies: () => listPolicies(sql),
  };
}

/** What {@link leadReplyContext} reads from the project actor. */
export interface LeadReplySource {
  env: Env;
  storage: DurableObjectStorage;
  chat: ChatStore;
  /** The actor's name (the project's id). */
  name: string;
  /** The project's tech-lead model (its settings), or null. */
  techLead: TechLeadSettings | null;
  /** The project's MCP servers' tools for the tech lead (lead-mcp-tools.ts). */
  mcpTools(): Promise<ToolSet>;
  post: LeadReplyContext["post"];
  send: LeadReplyContext["send"];
}

/**
 * What a tech-lead reply to `user` in `sessionId` needs (tech-lead/reply.ts), read when its turn
 * starts: the project's identity and model, and — unless `withTools` is false (an embed's
 * visitor: words only) — the tech lead's tools: the project's MCP servers' tools and the
 * platform tools bound to this session and person.
 */
export function leadReplyContext(source: LeadReplySource, sessionId: string, user: { id: string; name: string }, withTools: boolean): LeadReplyContext {
  const identity = readIdentity(source.storage.sql);
  const project = { id: identity?.id ?? source.name, name: identity?.name ?? "project" };
  const scope: LeadHostScope = { env: source.env, storage: source.storage, chat: source.chat, projectId: project.id, sessionId, user, label: source.name };
  return {
    env: source.env,
    storage: source.storage,
    project,
    techLead: source.techLead,
    tools: async () => (withTools ? { ...(await source.mcpTools()), ...techLeadToolSet(leadHost(scope)) } : {}),
    post: source.post,
    send: source.send,
    label: source.name,
  };
}
