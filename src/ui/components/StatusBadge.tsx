/** A coloured badge with a task status as its exact text. */
import type { TaskStatus } from "../../actors/protocol.ts";

/** Shows `status`; pass `testId` to tag it for tests (e.g. `task-status`). */
export function StatusBadge({ status, testId }: { status: TaskStatus; testId?: string }) {
  return (
    <span className={`badge badge-${status}`} data-testid={testId}>
      {status}
    </span>
  );
}
