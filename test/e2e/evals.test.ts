/**
 * The eval suite (evals/tasks/, evals/harness/) against the stack started as `npm start` starts
 * it: every task's reference (oracle) run passes its grader and its do-nothing run fails it, so
 * every grader is proven both ways; a grader given a wrong answer fails; the report's JSON
 * matches its schema; `--resume` runs only what is missing and `--max-usd` stops cleanly (with a
 * priced `compat/...` model against the local fake upstream), both through the command line.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSuite } from "../../evals/harness/main.ts";
import { reportSchema, type Report } from "../../evals/harness/report.ts";
import { grade, type RunPlace } from "../../evals/harness/run-task.ts";
import { SamHttp } from "../../evals/harness/sam-api.ts";
import { loadSuite } from "../../evals/harness/suite.ts";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.ts";
import { call, startStack, type Stack } from "./stack.ts";

const root = resolve(import.meta.dirname, "../..");
let stack: Stack;
let fake: FakeOpenAI;
const dir = mkdtempSync(join(tmpdir(), "sam-evals-"));

beforeAll(async () => {
  fake = await startFakeOpenAI();
  // A priced compat model: 1,000 USD per million tokens, so one fake step (17 tokens) costs $0.017.
  stack = await startStack({ env: { SAM_COMPAT_BASE_URL: `${fake.url}/v1`, SAM_COMPAT_PRICES: JSON.stringify({ "fake-model": { input: 1000, output: 1000 } }) } });
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
});

/** Runs the eval command line (`node evals/harness/main.ts ...`) to its end. */
function evalCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(resolve(root, "node_modules/.bin/node"), ["evals/harness/main.ts", "--url", stack.url, "--token", stack.token, ...args], { cwd: root });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => (stderr += c));
  return new Promise((done) => child.on("close", (code) => done({ code, stdout, stderr })));
}

describe("the eval suite", () => {
  it("has at least twelve tasks over three languages and the kinds the suite promises", () => {
    const suite = loadSuite();
    expect(suite.length).toBeGreaterThanOrEqual(12);
    expect(new Set(suite.map((t) => t.language)).size).toBeGreaterThanOrEqual(3);
    for (const kind of ["bug-fix", "rename", "navigation", "test-diagnosis", "refactor", "feature", "build-repair", "performance", "ask-human", "child-tasks", "mission"]) {
      expect(suite.map((t) => t.kind)).toContain(kind);
    }
  });

  it("every task's reference run passes its grader, through SAM, and the report matches its schema", async () => {
    const lines: string[] = [];
    const { report, out } = await runSuite({ model: "scripted", script: "oracle", url: stack.url, token: stack.token, out: join(dir, "oracle.json"), log: (l) => lines.push(l) });
    const failed = report.tasks.filter((t) => !t.passed).map((t) => `${t.id}: ${t.status}, grader ${t.gradeExitCode}: ${t.gradeOutput}`);
    expect(failed).toEqual([]);
    expect(report.tasks).toHaveLength(loadSuite().length);
    expect(report.passRate).toBe(1);
    expect(report.errors).toEqual([]);
    // Progress was visible while it ran: one line per finished run with the running tally.
    expect(lines.filter((l) => /^\[\d+\/\d+\] .* PASS .* passing \d+\/\d+, spent \$/.test(l))).toHaveLength(report.tasks.length);

    const json = JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>;
    expect(reportSchema.safeParse(json).success).toBe(true);
    expect(Object.keys(json)).toEqual(expect.arrayContaining(["model", "startedAt", "passRate", "tasks"]));
    for (const task of (json as unknown as Report).tasks) {
      expect(Object.keys(task)).toEqual(expect.arrayContaining(["id", "kind", "language", "passed", "turns", "toolCalls", "inputTokens", "outputTokens", "costUsd", "wallMs", "taskId"]));
      expect(task.taskId).toMatch(/^(tsk|msn)_/);
      expect(task.turns).toBeGreaterThan(0);
    }
    const asked = report.tasks.find((t) => t.id === "ask-human-py");
    expect(asked?.toolCalls).toBeGreaterThanOrEqual(2);
    expect(readFileSync(out.replace(/\.json$/, ".html"), "utf8")).toContain("new Chart(");
  }, 600_000);

  it("every task's do-nothing run fails its grader (the grader ran and said no)", async () => {
    const { report } = await runSuite({ model: "scripted", script: "empty", url: stack.url, token: stack.token, out: join(dir, "empty.json"), log: () => undefined });
    expect(report.errors).toEqual([]);
    expect(report.tasks.filter((t) => t.passed).map((t) => t.id)).toEqual([]);
    expect(report.tasks.filter((t) => t.gradeExitCode === null).map((t) => t.id)).toEqual([]);
    expect(report.passRate).toBe(0);
  }, 600_000);

  it("a grader given a wrong answer fails, and given the right one passes", async () => {
    const api = new SamHttp(stack.url, stack.token);
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "graders" } });
    const place: RunPlace = { api, projectId: project.id, graderProjectId: project.id };
    const [navigate, bugFix] = loadSuite(["navigate-py", "bug-fix-js"]);
    const wrong = await grade(place, navigate, { ...navigate.fixture, "ANSWER.txt": "shop/accounts/rules.py:is_valid_email\n" });
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.output).toContain("wrong answer");
    const right = await grade(place, navigate, { ...navigate.fixture, "ANSWER.txt": "./shop/accounts/rules.py:address_ok\n" });
    expect(right.exitCode).toBe(0);
    // Half a fix: the symptom in the prompt is gone (counting up), counting down still includes its end.
    const halfFixed = bugFix.fixture["src/range.js"].replace("i <= end", "i < end");
    const partly = await grade(place, bugFix, { ...bugFix.fixture, "src/range.js": halfFixed });
    expect(partly.exitCode).not.toBe(0);
  }, 120_000);

  it("--resume runs only what the report does not have yet; --max-usd stops cleanly", async () => {
    const out = join(dir, "resume.json");
    const first = await evalCli(["--model", "scripted", "--tasks", "bug-fix-js,rename-js", "--out", out]);
    expect(first.code, first.stderr).toBe(0);
    const before = reportSchema.parse(JSON.parse(readFileSync(out, "utf8")));
    expect(before.tasks.map((t) => t.id).sort()).toEqual(["bug-fix-js", "rename-js"]);

    const second = await evalCli(["--model", "scripted", "--tasks", "bug-fix-js,rename-js,wordfreq-sh", "--out", out, "--resume"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain("2 finished runs kept, 1 to run");
    const after = reportSchema.parse(JSON.parse(readFileSync(out, "utf8")));
    expect(after.tasks.map((t) => t.id).sort()).toEqual(["bug-fix-js", "rename-js", "wordfreq-sh"]);
    for (const kept of before.tasks) expect(after.tasks.find((t) => t.id === kept.id)?.taskId).toBe(kept.taskId);
    expect(second.stdout).toMatch(/total .* 3\/3 100%/);

    // Every fake model step costs $0.017; the first run spends more than $0.01, so no second run starts.
    fake.setScript([{ text: "I changed nothing." }]);
    const capped = await evalCli(["--model", "compat/fake-model", "--tasks", "bug-fix-js,rename-js,wordfreq-sh", "--concurrency", "1", "--max-usd", "0.01", "--out", join(dir, "capped.json")]);
    expect(capped.code, capped.stderr).toBe(0);
    const report = reportSchema.parse(JSON.parse(readFileSync(join(dir, "capped.json"), "utf8")));
    expect(report.tasks).toHaveLength(1);
    expect(report.tasks[0].costUsd).toBeGreaterThan(0.01);
    expect(report.stopped).toMatch(/--max-usd 0.01: spent \$0\.0\d+; 2 runs not started/);
    expect(capped.stdout).toContain("stopped early");
  }, 300_000);
});
