/**
 * What people say to SAM's tech lead, as the corpus the local recogniser's language model is
 * estimated from (`language-model.ts`): requests about missions, tasks, status, answers,
 * knowledge and policies in several phrasings; the names of the tech lead's and tasks' tools as
 * spoken ("create task" for `create_task`); the words of software work; and a list of common
 * English words that keeps free phrasing recognisable. A request's `prompt` (task titles,
 * mission goals, names) is added to this per request (`recogniser.ts`).
 *
 * The word-error-rate set of `evals/speech/` is held out: none of its sentences is in this corpus
 * (checked by test/node/speech-language-model.test.ts), so the measured rate is that of new
 * sentences in the project's vocabulary, not of memorised ones.
 */

/**
 * The tools of the tech lead (`src/tools/platform-tools.ts`) and of tasks
 * (`src/tools/workspace-tools.ts`, `task-platform-tools.ts`), by their API names. A test checks
 * that every tech-lead tool is here.
 */
export const TOOL_NAMES: readonly string[] = [
  "create_mission",
  "get_mission",
  "list_missions",
  "pause_mission",
  "resume_mission",
  "cancel_mission",
  "dispatch_task",
  "get_task",
  "list_tasks",
  "cancel_task",
  "send_message_to_task",
  "retry_task",
  "search_messages",
  "add_knowledge",
  "search_knowledge",
  "add_policy",
  "list_policies",
  "get_project_status",
  "read_file",
  "write_file",
  "edit_file",
  "list_files",
  "search",
  "bash",
  "wait_for_tasks",
  "ask_human",
];

/** Requests to the tech lead, one sentence each, as spoken (no digits; `text.ts` spells them out anyway). */
export const TECH_LEAD_REQUESTS: readonly string[] = [
  // missions
  "create a mission to add dark mode to the settings page",
  "create a mission to fix the login bug",
  "start a mission to migrate the database to the new schema",
  "make a mission that upgrades the dependencies and runs the tests",
  "plan a mission for the new sign up flow",
  "I want a mission to rewrite the search page in react",
  "set up a mission to add rate limiting to the API",
  "please create a mission to improve the performance of the chat",
  "can you start a mission to clean up the old code",
  "what missions are running",
  "list the missions",
  "list all missions",
  "show me the missions",
  "how is the mission going",
  "what is the status of the mission",
  "show me the plan of the mission",
  "pause the mission",
  "pause the current mission",
  "resume the mission",
  "resume the paused mission",
  "cancel the mission",
  "cancel that mission please",
  "stop the mission",
  "get the mission",
  // tasks
  "create a task to fix the failing tests",
  "create a task to update the readme",
  "dispatch a task to write unit tests for the parser",
  "start a task to fix the bug in the login page",
  "add a task to refactor the database module",
  "make a task to add logging to the worker",
  "create a new task to review the pull request",
  "run the tests",
  "run all the tests",
  "run the unit tests and tell me what fails",
  "fix the bug",
  "fix the bug in the settings page",
  "fix the failing test",
  "check the task",
  "check on the task",
  "check the status of the task",
  "what is the task doing",
  "how is the task going",
  "is the task done yet",
  "did the task finish",
  "did the tests pass",
  "which tasks failed",
  "which tasks are still running",
  "list the tasks",
  "list all the tasks",
  "list the running tasks",
  "show me the failed tasks",
  "get the task",
  "retry the task",
  "retry the failed task",
  "try that task again",
  "cancel the task",
  "cancel that task",
  "cancel the last task",
  "stop the task",
  "send a message to the task",
  "tell the task to use the new API",
  "tell the task to stop changing the tests",
  "send a message to the task to add more tests",
  "what did the task change",
  "what files did the task change",
  "show me the changes",
  "what did the last task do",
  // status
  "what is the status",
  "what is the status of the project",
  "get the project status",
  "give me a status update",
  "give me a summary",
  "summarize what happened today",
  "how are things going",
  "what is running right now",
  "what is happening",
  "is anything blocked",
  "is anything waiting for me",
  "what is waiting for an answer",
  "how much have we spent",
  "how much did that cost",
  "what is left in the budget",
  // answers
  "yes",
  "no",
  "yes go ahead",
  "no do not do that",
  "the answer is yes",
  "the answer is no",
  "answer the question with yes",
  "answer the task",
  "tell it to go ahead",
  "approve it",
  "use the first option",
  "use the second one",
  "that is fine",
  "sounds good",
  "okay do it",
  "thank you",
  "wait",
  "never mind",
  // knowledge and policies
  "remember that we deploy on fridays",
  "add knowledge that the API lives in the worker",
  "add a policy never push to the main branch",
  "add a policy that every change needs tests",
  "list the policies",
  "what are the policies",
  "search the knowledge for the deploy process",
  "search the messages for the outage",
  "what did we decide about the database",
  // software work
  "write a test for the new endpoint",
  "refactor the module",
  "review the pull request",
  "open a pull request",
  "merge the branch",
  "commit the changes",
  "deploy to staging",
  "roll back the release",
  "update the dependencies",
  "build the project",
  "lint the code",
  "read the file",
  "write the file",
  "edit the file",
  "list the files",
  "search the code for the error",
  "find where the timeout is set",
  "why did the build fail",
  "what is the error",
  "add an endpoint for the users",
  "add a button to the page",
  "make the page faster",
  "improve the error messages",
  "update the docs",
  "write the documentation for the API",
  "check the logs",
  "the tests are failing on the main branch",
  "the login page is broken",
  "there is a bug in the chat",
];

/**
 * Common English words (function words, everyday verbs, nouns and adjectives) and the words of
 * software work: unigrams of the model, so that requests phrased in ways the corpus does not
 * have are still recognisable. Words without a pronunciation in the dictionary are dropped
 * when the model is built.
 */
export const GENERAL_WORDS: readonly string[] = `
a about above after again against all almost also always am an and another any anything are
around as ask asked at away back bad be because been before being below best better between
big both bring but by call can can't change check clean close come could day did didn't
different do does doesn't doing don't done down during each early easy else end enough even
ever every everything fast few find first for from full get give go going gone good got great
had has have having he help her here high him his how i i'm if important in into is isn't it
it's its just keep kind know last later least left less let let's like little long look lot
made make many may maybe me mean more most much must my need never new next no not nothing now
of off old on once one only open or other our out over own part people please put quick quickly
rather really right same say see seem set she should show since small so some something soon
start still stop such sure take tell than thanks that that's the their them then there these
they thing things think this those through time to today together tomorrow too try turn two
under until up us use used very want was way we we're well went were what what's when where
whether which while who why will with without work would wrong yes yesterday yet you you're
your
zero one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
hundred thousand first second third minute minutes hour hours week
add added adds allow api app apps application assign audit backend backup branch branches break
broken budget bug bugs build builds button cache call cancel cancelled chat ci cli client code
commit commits config configuration container cost create created css data database debug
delete deploy deployed deployment dependency dependencies design diff dispatch doc docs
document documentation done edit email endpoint endpoints error errors event events fail failed
failing fails failure feature features field file files fix fixed flag flow folder form
frontend function functions get github handler health html http image import index input
install issue issues job jobs json key keys knowledge lead library limit limits line lines
link lint list lists load log logging login logout logs main merge message messages method
migrate migration mission missions mobile mode model models module modules name network node
notification option options output package page pages parser password patch path pause paused
payment performance permission permissions plan policy policies process production profile
project projects pull push python query queue react read readme rebase release remove rename
repo repository request requests resume retry review run running runs schema script scripts
search security send server service session settings setup sign signed slow staging start
started status step steps storage style summary support table task tasks team test tested
testing tests text theme timeout title token tokens tool tools type typescript ui unit update
upgrade upload url user users validate validation version view wait web website worker workers
workflow write written
adding asks blocking builds changed changes changing checked checking cleaned closed closes
commits created creates creating deleted deletes deploying deploys done edits ended ends
finished finishes finishing fixes fixing gets gives going helps lists listed listing makes
merged merges ones opened opens paused pauses planned plans pushed pushes reads removed
renamed reviewed reviews runs sends sent shows started starts stopped stops tells tried tries
updated updates updating uses wants wrote writes
`
  .split(/\s+/)
  .filter((w) => w !== "");
