/**
 * The words a project's voice turns are likely to use, sent to an OpenAI-compatible recogniser
 * as its `prompt` (Whisper biases its decoding towards a prompt's words; SAM's local recogniser
 * adds them to its language model): the goals and task keys of the project's missions and the
 * start of its tasks' prompts, newest first. Pure.
 */
import type { MissionView, TaskView } from "../../shared/protocol.ts";

/** Missions and tasks read for a vocabulary (the newest of each). */
export const VOCABULARY_ITEMS = 20;
/** Characters kept of a task's prompt (its first sentence, most often). */
const PROMPT_CHARS = 80;

/**
 * The vocabulary of a project with `missions` and `tasks` (newest first, as the project lists
 * them): the VOCABULARY_ITEMS newest missions' goals and task keys, then as many tasks' prompts
 * cut at their first sentence or PROMPT_CHARS characters, without repeats, joined by ". ".
 * Returns "" for a project with neither.
 */
export function projectVocabulary(missions: readonly MissionView[], tasks: readonly TaskView[]): string {
  const phrases: string[] = [];
  for (const mission of missions.slice(0, VOCABULARY_ITEMS)) {
    phrases.push(mission.goal);
    for (const task of mission.tasks) phrases.push(task.key.replace(/[-_]+/g, " "));
  }
  for (const task of tasks.slice(0, VOCABULARY_ITEMS)) {
    const first = task.prompt.split(/(?<=[.!?])\s|\n/)[0] ?? "";
    phrases.push(first.slice(0, PROMPT_CHARS));
  }
  const seen = new Set<string>();
  return phrases
    .map((p) => p.trim().replace(/[.!?]+$/, ""))
    .filter((p) => p !== "" && !seen.has(p.toLowerCase()) && seen.add(p.toLowerCase()))
    .join(". ");
}
