/**
 * The project's side of the platform tools (src/tools/platform-tools.ts): a `PlatformHost` over
 * the project's stores (task and mission views, chat search, knowledge, policies) and the
 * launcher (actors/launch.ts), for one person — the tech lead's in one chat session, or an MCP
 * client's (no session). A launch the launcher refuses becomes a `ToolFailure` with the same
 * message, which the caller reads as the tool's error.
 */
import { launchMission, launchTask, LaunchRefusedError, type LaunchContext } from "../launch.ts";
import { ToolFailure, type PlatformHost } from "../../tools/platform-tools.ts";
import type { ChatStore } from "./chat-store.ts";
import { addKnowledge, addPolicy, listPolicies, searchKnowledge } from "./knowledge.ts";
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
