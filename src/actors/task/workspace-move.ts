/**
 * Moving a task's workspace to its VM (issue 16), part by part: the sandbox runner exports the
 * part that starts at a cursor (at most `WORKSPACE_PART_BYTES` of content, files sliced as needed;
 * src/sandbox/runner/archive.ts), the VM's runner imports it, and the next part is asked for
 * until the export says it was the last. At most one part is in the actor's memory at a time, and
 * each rides in one frame to the VM. A move interrupted halfway (a crash) starts again from the
 * first part: importing rewrites the same files.
 */
import type { ExportCursor, WorkspaceChunk, WorkspacePart } from "../../sandbox/vm/protocol.ts";

/** Where the parts come from: the sandbox workspace (`LocalRunnerWorkspace.exportPart`). */
export interface PartSource {
  exportPart(cursor?: ExportCursor): Promise<WorkspacePart>;
}

/** Where the parts go: the VM's workspace (`LocalRunnerWorkspace.importPart` over the tunnel), made with `network` by the first part. */
export interface PartTarget {
  importPart(chunks: readonly WorkspaceChunk[], network?: boolean): Promise<boolean>;
}

/** What a move carried: the working copy's files, the content bytes of both trees, and the parts. */
export interface MoveReport {
  files: number;
  bytes: number;
  parts: number;
}

/**
 * Moves `source`'s workspace into `target` (see the module's comment), between parts checking
 * `signal` (the task stopped). Returns what it carried.
 * @throws what `exportPart` or `importPart` throws (a workspace too large to move, the VM gone),
 *   the signal's reason, or an Error when an export does not move forward.
 */
export async function moveWorkspace(source: PartSource, target: PartTarget, network: boolean, signal?: AbortSignal): Promise<MoveReport> {
  const report: MoveReport = { files: 0, bytes: 0, parts: 0 };
  let cursor: ExportCursor | undefined;
  do {
    signal?.throwIfAborted();
    const part = await source.exportPart(cursor);
    // Every part moves the cursor forward; one that does not would loop for ever.
    if (part.next && cursor && (part.next.index < cursor.index || (part.next.index === cursor.index && part.next.offset <= cursor.offset))) {
      throw new Error("the workspace's export did not move forward; the move was stopped");
    }
    await target.importPart(part.chunks, network);
    report.parts += 1;
    for (const chunk of part.chunks) {
      if (chunk.offset !== 0) continue;
      report.bytes += chunk.size;
      if (chunk.tree === "files") report.files += 1;
    }
    cursor = part.next ?? undefined;
  } while (cursor);
  return report;
}

/** `bytes` for people: `512 B`, `3.4 KiB`, `12.0 MiB`, `1.5 GiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
