/**
 * The project's side of the tech lead's tools: a `TechLeadHost` over the project's stores (task
 * and mission views, chat search, knowledge, policies) and the launcher (actors/launch.ts), for
 * one person in one session. A launch the launcher refuses becomes a `ToolFailure` with the same
 * message, which the model reads as the tool's error.
 */
import { launchMission, launchTask, LaunchRefusedError, type LaunchContext } from "../launch.ts";
import { ToolFailure, type TechLeadHost } from "../../tools/tech-lead-tools.ts";
import type { ChatStore } from "./chat-store.ts";
import { addKnowledge, addPolicy, listPolicies, searchKnowledge } from "./knowledge.ts";
import { hasMissionView, listMissionViews, listTaskViews, readTaskView } from "./views.ts";

/** The project and conversation a host serves. */
export interface LeadHostScope {
  env: Env;
  storage: DurableObjectStorage;
  chat: ChatStore;
  projectId: string;
  sessionId: string;
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
export function leadHost(scope: LeadHostScope): TechLeadHost {
  const { storage, chat } = scope;
  const sql = storage.sql;
  const launch: LaunchContext = { env: scope.env, projectId: scope.projectId, userId: scope.user.id };
  return {
    env: scope.env,
    launchTask: (request) => refusedAsFailure(() => launchTask(launch, request)),
    launchMission: (request) => refusedAsFailure(() => launchMission(launch, request)),
    userName: scope.user.name,
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
