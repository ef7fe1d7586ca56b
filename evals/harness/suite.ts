/**
 * The eval suite on disk (`evals/tasks/<id>/`): each task is a folder with
 *  - `task.json` — id, kind, language, title, prompt, limits (steps, USD), how it is graded, and
 *    for a mission its plan (`mode: "mission"`); answers to give when the agent asks a person;
 *  - `fixture/` — the small repository the agent starts with (its workspace's seed files);
 *  - `hidden/` — the grader's files (`grade.sh`, hidden tests, expected output), which the agent
 *    never sees: they exist only in the grader's workspace, under `.grader/`;
 *  - `oracle.json` — the reference run for the `scripted` model: a script (for a mission, one
 *    script per plan key) that must pass the grader.
 * The harness also gives the grader `.grader/fixture.sha256` (the fixture's checksums, for
 * "nothing else changed" checks).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { z } from "zod";
import { scriptSchema, type ScriptStep } from "../../src/shared/script.ts";

/** Where the suite lives. */
export const SUITE_DIR = resolve(import.meta.dirname, "../tasks");

/** The folder inside the grader's workspace that holds the hidden files. */
export const GRADER_DIR = ".grader";

const planTaskSchema = z.object({ key: z.string().min(1), prompt: z.string().min(1), dependsOn: z.array(z.string()).optional() });

/** `task.json`. */
export const evalTaskSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    /** What kind of work it is (bug-fix, rename, navigation, test-diagnosis, refactor, feature, build-repair, performance, ask-human, child-tasks, mission). */
    kind: z.string().min(1),
    /** The main language of the fixture (javascript, python, shell...). */
    language: z.string().min(1),
    title: z.string().min(1),
    prompt: z.string().min(1),
    /** The agent's limits: model steps per task and USD for the whole run. */
    limits: z.object({ maxSteps: z.number().int().positive(), maxUsd: z.number().positive() }),
    grade: z.object({
      /** Run in the grader's workspace (bash); exit 0 is a pass. */
      command: z.string().min(1),
      /** The run must have started at least this many child tasks. */
      requireChildren: z.number().int().positive().optional(),
    }),
    /** Answers to give, in order, when the agent asks a person (`ask_human`). */
    answers: z.array(z.string()).default([]),
    mode: z.enum(["task", "mission"]).default("task"),
    mission: z.object({ goal: z.string().min(1), tasks: z.array(planTaskSchema).min(1) }).optional(),
  })
  .refine((t) => t.mode === "task" || t.mission !== undefined, { message: "a mission task needs `mission`" });
export type EvalTaskSpec = z.infer<typeof evalTaskSchema>;

/** One eval task, loaded: its spec, files and reference run. */
export interface EvalTask extends EvalTaskSpec {
  /** Workspace-relative path → content of the fixture. */
  fixture: Record<string, string>;
  /** File name → content of the hidden grader files (placed under `.grader/`). */
  hidden: Record<string, string>;
  /** The reference script (task mode) or scripts by plan key (mission mode). */
  oracle: ScriptStep[] | Record<string, ScriptStep[]>;
}

/** Every file under `dir`, as relative path → UTF-8 content (sorted by path). */
export function readTree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  if (!existsSync(dir)) return files;
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(dir, path)] = readFileSync(path, "utf8");
    }
  };
  walk(dir);
  return files;
}

/**
 * Loads the suite from `dir` (default SUITE_DIR), only `ids` when given (in that order).
 * @throws Error naming the task and the problem when a folder is incomplete or invalid, or an id is unknown.
 */
export function loadSuite(ids?: string[], dir = SUITE_DIR): EvalTask[] {
  const all = readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, "task.json")))
    .sort();
  const wanted = ids && ids.length > 0 ? ids : all;
  return wanted.map((id) => {
    if (!all.includes(id)) throw new Error(`no eval task "${id}" (there are: ${all.join(", ")})`);
    const folder = join(dir, id);
    const spec = evalTaskSchema.safeParse(JSON.parse(readFileSync(join(folder, "task.json"), "utf8")));
    if (!spec.success) throw new Error(`${id}/task.json: ${spec.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    if (spec.data.id !== id) throw new Error(`${id}/task.json says its id is ${spec.data.id}`);
    const oracleJson: unknown = JSON.parse(readFileSync(join(folder, "oracle.json"), "utf8"));
    const oracle = spec.data.mode === "mission" ? z.record(z.string(), scriptSchema).parse(oracleJson) : scriptSchema.parse(oracleJson);
    const hidden = readTree(join(folder, "hidden"));
    if (!spec.data.grade.command.includes(GRADER_DIR) && Object.keys(hidden).length > 0) throw new Error(`${id}: the grade command does not use ${GRADER_DIR}/`);
    return { ...spec.data, fixture: readTree(join(folder, "fixture")), hidden, oracle };
  });
}

/** `sha256sum`-format checksums of `files` (`<hex>  <path>` lines, sorted), for `.grader/fixture.sha256`. */
export function checksums(files: Record<string, string>): string {
  return Object.keys(files)
    .sort()
    .map((path) => `${createHash("sha256").update(files[path]).digest("hex")}  ${path}\n`)
    .join("");
}

/** The do-nothing run: the agent answers at once and changes nothing (must fail every grader). */
export const EMPTY_SCRIPT: ScriptStep[] = [{ text: "I looked at it and changed nothing." }];
