/**
 * Pure helpers for the missions view: a plan in dependency order (with each entry's level),
 * and a plan entry joined with the live view of its current task, so a running task's status
 * and cost move before the mission itself reports the change.
 */
import type { MissionTaskStatus, MissionTaskView, MissionView, TaskStatus, TaskView, Usage } from "../../shared/protocol.ts";

/** A plan entry as shown: its level in the dependency order, live status and cost, and its live task. */
export type PlanRow = {
  entry: MissionTaskView;
  /** 0 for an entry without dependencies, else 1 + the deepest level among its dependencies. */
  level: number;
  status: MissionTaskStatus | TaskStatus;
  usage: Usage;
  /** The live view of the entry's current task, when known. */
  task: TaskView | null;
};

function addUsage(a: Usage, b: Usage): Usage {
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, costUsd: a.costUsd + b.costUsd };
}

/**
 * The entry joined with its live task. While the mission says `running`, the task's own status
 * (queued, waiting, ended...) is the fresher one, and its cost is not yet in the entry's totals
 * (those count finished attempts only); otherwise the mission's word stands, because after a
 * retry is scheduled the entry still names the failed attempt's task.
 */
export function liveEntry(entry: MissionTaskView, tasks: ReadonlyMap<string, TaskView>): Omit<PlanRow, "level"> {
  const task = entry.taskId ? (tasks.get(entry.taskId) ?? null) : null;
  if (entry.status === "running" && task) {
    return { entry, status: task.status, usage: addUsage(entry.usage, task.usage), task };
  }
  return { entry, status: entry.status, usage: entry.usage, task };
}

/** The plan in dependency order (each entry after its dependencies, plan order otherwise), with live data. */
export function planRows(mission: MissionView, tasks: ReadonlyMap<string, TaskView>): PlanRow[] {
  const byKey = new Map(mission.tasks.map((t) => [t.key, t]));
  const levels = new Map<string, number>();
  const visiting = new Set<string>();
  // The server refuses cycles; `visiting` only keeps a malformed plan from looping here.
  const levelOf = (key: string): number => {
    const known = levels.get(key);
    if (known !== undefined) return known;
    if (visiting.has(key)) return 0;
    visiting.add(key);
    const deps = byKey.get(key)?.dependsOn ?? [];
    const level = deps.reduce((max, dep) => (byKey.has(dep) ? Math.max(max, levelOf(dep) + 1) : max), 0);
    visiting.delete(key);
    levels.set(key, level);
    return level;
  };
  const indexed = mission.tasks.map((entry, index) => ({ entry, index, level: levelOf(entry.key) }));
  indexed.sort((a, b) => a.level - b.level || a.index - b.index);
  return indexed.map(({ entry, level }) => ({ ...liveEntry(entry, tasks), level }));
}

/** The mission's cost so far: its finished attempts plus the live cost of running ones. */
export function liveMissionUsage(mission: MissionView, tasks: ReadonlyMap<string, TaskView>): Usage {
  let usage = mission.usage;
  for (const entry of mission.tasks) {
    const task = entry.taskId ? tasks.get(entry.taskId) : undefined;
    if (entry.status === "running" && task) usage = addUsage(usage, task.usage);
  }
  return usage;
}

/** Tasks by id, for joining. */
export function tasksById(tasks: readonly TaskView[] | undefined): Map<string, TaskView> {
  return new Map((tasks ?? []).map((t) => [t.id, t]));
}
