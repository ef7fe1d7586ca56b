/** A coloured badge with a task, plan-entry or mission status as its exact text. */
import type { MissionStatus, MissionTaskStatus, TaskStatus } from "../../shared/protocol.ts";

/** Any status the UI shows in a badge. */
export type AnyStatus = TaskStatus | MissionTaskStatus | MissionStatus;

/** Shows `status`; pass `testId` to tag it for tests (e.g. `task-status`). */
export function StatusBadge({ status, testId }: { status: AnyStatus; testId?: string }) {
  return (
    <span className={`badge badge-${status}`} data-testid={testId}>
      {status}
    </span>
  );
}
