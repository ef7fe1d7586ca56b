/**
 * The rule for the project's running slots (a cap on how many mission tasks run at once across
 * the project, `limits.maxConcurrentTasks`). Pure: slots.ts applies it to the stored slots.
 */

/**
 * Which of `taskIds` may run, in order: a task that already holds a slot keeps it (so asking
 * again is idempotent), and each other task takes a free slot while `used < cap`. `holds` says
 * whether a task held a slot before this call; an id repeated in `taskIds` takes at most one
 * slot (its later copies count as held). Returns the granted ids (in request order, a repeated
 * id once per copy granted) and `taken`, the distinct ids among them that take a new slot (each
 * to be inserted once).
 */
export function grantSlots(taskIds: readonly string[], holds: (taskId: string) => boolean, used: number, cap: number): { granted: string[]; taken: string[] } {
  const granted: string[] = [];
  const taken: string[] = [];
  const takenNow = new Set<string>();
  let inUse = used;
  for (const taskId of taskIds) {
    if (takenNow.has(taskId) || holds(taskId)) {
      granted.push(taskId);
    } else if (inUse < cap) {
      inUse += 1;
      takenNow.add(taskId);
      taken.push(taskId);
      granted.push(taskId);
    }
  }
  return { granted, taken };
}
