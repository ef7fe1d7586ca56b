/**
 * The fixed set of spoken tech-lead requests the local recogniser's word error rate is measured
 * on (evals/speech/wer.ts, test/node/speech-wer.test.ts). Held out: none of these sentences is in
 * the corpus the adapted language model is estimated from (src/speech/corpus.ts; a test checks
 * it), though their words and many of their phrases are. Change them and the figures in
 * README.md no longer compare.
 */

/** Twenty requests a person might say to the tech lead, as spoken (no digits or symbols). */
export const SPOKEN_REQUESTS: readonly string[] = [
  "create a mission to add dark mode to the chat page",
  "check the status of the login task",
  "cancel the mission that updates the docs",
  "run the unit tests and fix the failing ones",
  "list the tasks that are still running",
  "what is the status of the project today",
  "retry the failed task with the new model",
  "send a message to the task to use the staging database",
  "pause the mission until tomorrow",
  "resume the mission and tell me when it is done",
  "the answer is yes use the first option",
  "add a policy that every pull request needs a review",
  "search the knowledge for the release process",
  "how much have we spent on tokens this week",
  "fix the bug in the search page",
  "dispatch a task to write tests for the worker",
  "what did the last mission change",
  "show me the tasks that failed yesterday",
  "create a task to update the readme with the new settings",
  "is anything waiting for an answer from me",
];

/**
 * What the voice tech lead sends as `prompt` in the `with prompt` condition: the titles of an
 * example project's tasks and missions, as SAM sends its project's (some of the requests above
 * name them, some do not).
 */
export const PROJECT_PROMPT =
  "Tasks: Fix the login bug; Update the docs; Dark mode for the chat page; Migrate the staging database; Write tests for the worker. " +
  "Missions: Release process; Search page rewrite.";

/** espeak-ng voices the requests are spoken in: its default US voice, and the Klatt one SAM's `alloy` maps to. */
export const EVAL_VOICES: readonly string[] = ["en-us", "en-us+klatt"];
