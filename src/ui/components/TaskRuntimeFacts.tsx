/**
 * Where a task runs (issue 16) as facts of the task page: the runtime (Sandbox or VM, with the
 * provider and server type) and, once the task has had a VM, what the VM cost (USD).
 */
import type { TaskView } from "../../shared/protocol.ts";
import { runtimeCost, runtimeFacts } from "../lib/runtime.ts";

/** Takes the task view's `runtime`; returns `<div><dt/><dd/></div>` facts for a `<dl>`. */
export function TaskRuntimeFacts({ runtime }: { runtime: TaskView["runtime"] }) {
  const { tier, detail } = runtimeFacts(runtime);
  const cost = runtimeCost(runtime);
  return (
    <>
      <div>
        <dt>Runtime</dt>
        <dd data-testid="task-runtime" data-tier={runtime?.tier ?? "sandbox"}>
          <strong data-testid="task-runtime-tier">{tier}</strong>
          {detail && (
            <>
              {" "}
              <span className="muted mono" data-testid="task-runtime-detail">
                {detail}
              </span>
            </>
          )}
        </dd>
      </div>
      {cost && (
        <div>
          <dt>VM cost</dt>
          <dd data-testid="task-runtime-cost">{cost}</dd>
        </div>
      )}
    </>
  );
}
