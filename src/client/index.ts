/**
 * `sam/client`: the public entry of SAM's typed client, for apps that build their own UI on a
 * project's live socket (with a personal access token, or an embed token minted per visitor by
 * the app's backend). It re-exports the client and the frame and view types its handlers see.
 * Documented with a runnable example in docs/embedding.md.
 *
 *   import { connectProject } from "sam/client";
 *   const client = connectProject({ host: "https://sam.example", projectId, token });
 *   client.onFrame((frame) => console.log(frame.type));
 */
export { connectProject, socketTarget, type ConnectionStatus, type ProjectClient, type ProjectClientOptions } from "./project-client.ts";
export {
  clientFrameSchema,
  MAX_MESSAGE_CHARS,
  MAX_TASK_LIST,
  MAX_WATCHED_TASKS,
  serverFrameSchema,
  type ChatAuthor,
  type ChatMessage,
  type ClientFrame,
  type FrameErrorCode,
  type MissionView,
  type ServerFrame,
  type TaskFailure,
  type TaskStatus,
  type TaskView,
  type ToolCard,
  type TranscriptEvent,
  type Usage,
  type Welcome,
} from "../shared/protocol.ts";
export { embedCapabilitySchema, type EmbedCapability } from "../shared/embed.ts";
