/**
 * Worker-thread entry of {@link searchWorkspace}: runs one {@link searchTree} job given as
 * workerData and posts a {@link SearchReply}.
 */
import { parentPort, workerData } from "node:worker_threads";
import { WorkspaceError } from "../workspace.ts";
import { searchTree, type SearchJob, type SearchReply } from "./search.ts";

function post(reply: SearchReply): void {
  parentPort?.postMessage(reply);
}

searchTree(workerData as SearchJob).then(
  (result) => post({ ok: true, result }),
  (err: unknown) =>
    post(
      err instanceof WorkspaceError
        ? { ok: false, code: err.code, message: err.message }
        : { ok: false, code: "internal", message: err instanceof Error ? err.message : String(err) },
    ),
);
