/**
 * The rule for the project's running slots (a cap on how many mission tasks run at once across
 * the project, `limits.maxConcurrentTasks`). Pure: slots.ts applies it to the stored slots.
 */

/**
 * Which of `taskIds` may run, in order: a task that already holds a slot keeps it (so asking
 * again is idempotent), and each other task takes a free slot while `used < cap`. Returns the
 * granted ids (in request order) and, among them, the ones that take a new slot.
 */
export function grantSlots(taskIds: readonly string[], holds: (taskId: string) => boolean, used: number, cap: number): { granted: string[]; taken: string[] } {
  const granted: string[] = [];
  const taken: string[] = [];
  let inUse = used;
  for (const taskId of taskIds) {
    if (holds(taskId)) {
      granted.push(taskId);
    } else if (inUse < cap) {
      inUse += 1;
      taken.push(taskId);
      granted.push(taskId);
    }
  }
  return { granted, taken };
}
