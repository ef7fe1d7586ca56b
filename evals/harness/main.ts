/**
 * `npm run eval`: runs the eval suite (evals/tasks/) through SAM against one model and reports
 * per task and in total: pass rate (mean and spread over repeats), turns, tool calls, tokens,
 * USD and wall time — printed, and written as JSON (`--out`, stable) and as an HTML report with
 * charts beside it. `--compare a.json b.json` puts several reports side by side.
 *
 *   npm run eval -- --model compat/my-model                        # starts its own stack, stops it after
 *   npm run eval -- --model scripted                               # the reference (oracle) runs
 *   npm run eval -- --model scripted --script empty                # the do-nothing runs (all must fail)
 *   npm run eval -- --model openai/gpt-5-mini --url https://sam.example --token sam_pat_... --repeat 3
 *   npm run eval -- --compare evals/results/a.json evals/results/b.json --out compare.html
 *
 * Without `--url` it starts a stack the way `npm start` does (test/e2e/stack.ts), with this
 * process's environment (so `SAM_COMPAT_BASE_URL`, `SAM_COMPAT_PRICES`, AI Gateway settings...
 * apply), and stops it at the end. `--max-usd` stops starting runs once that much was spent;
 * `--resume` keeps the finished runs of `--out` and runs only the others.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { comparisonTable, htmlReport, reportSchema, textTable, totals, type Report, type RunResultRow } from "./report.ts";
import { runEvalTask, type RunPlace, type ScriptMode } from "./run-task.ts";
import { SamHttp } from "./sam-api.ts";
import { loadSuite, type EvalTask } from "./suite.ts";

/** What `runSuite` takes (the command line, parsed). */
export interface SuiteOptions {
  model: string;
  /** For `scripted`: which script to replay (default oracle); ignored for other models. */
  script?: ScriptMode;
  /** Task ids (default: all). */
  tasks?: string[];
  repeat?: number;
  concurrency?: number;
  /** SAM's address and a token; absent: a stack is started and stopped. */
  url?: string;
  token?: string;
  /** The JSON report's path (the HTML goes beside it, `.html`). */
  out?: string;
  /** Stop starting runs once this many USD were spent. */
  maxUsd?: number;
  /** Keep the finished runs already in `out`. */
  resume?: boolean;
  /** Progress lines go here (default stderr). */
  log?: (line: string) => void;
}

const root = resolve(import.meta.dirname, "../..");

/** The default report path: evals/results/<model>-<time>.json. */
function defaultOut(model: string, startedAt: string): string {
  return resolve(root, "evals/results", `${model.replace(/[^a-zA-Z0-9._-]+/g, "_")}-${startedAt.replace(/[:.]/g, "-")}.json`);
}

/** Reads the report at `path` to resume it. @throws Error when it is not a report of this model and script. */
function previous(path: string, model: string, script: ScriptMode | null): Report | null {
  if (!existsSync(path)) return null;
  const report = reportSchema.parse(JSON.parse(readFileSync(path, "utf8")));
  if (report.model !== model || report.script !== script) throw new Error(`${path} is a report of ${report.model}${report.script ? ` (${report.script})` : ""}, not of ${model}${script ? ` (${script})` : ""}`);
  return report;
}

/** Writes `report` to `out` (JSON) and its HTML beside it. */
function save(report: Report, out: string): void {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(out.replace(/\.json$/, "") + ".html", htmlReport([report], `SAM eval: ${report.model}${report.script ? ` (${report.script})` : ""}`));
}

/**
 * Runs the suite; returns the report (also written to `out`). Runs go `concurrency` at a time;
 * each finished run is saved at once, so an interrupted eval can be resumed.
 * @throws Error for bad options or when SAM cannot be reached.
 */
export async function runSuite(options: SuiteOptions): Promise<{ report: Report; out: string }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const script: ScriptMode | null = options.model === "scripted" ? (options.script ?? "oracle") : null;
  const suite = loadSuite(options.tasks);
  const repeat = options.repeat ?? 1;
  const startedAt = new Date().toISOString();
  const out = resolve(options.out ?? defaultOut(options.model, startedAt));
  const before = options.resume ? previous(out, options.model, script) : null;
  const kept: RunResultRow[] = (before?.tasks ?? []).filter((r) => r.status !== "error");
  const report: Report = {
    model: options.model,
    startedAt: before?.startedAt ?? startedAt,
    passRate: 0,
    tasks: kept,
    script,
    repeat,
    finishedAt: null,
    totals: totals(kept),
    errors: [],
    stopped: null,
  };
  const pending: { task: EvalTask; run: number }[] = [];
  for (let run = 1; run <= repeat; run++) for (const task of suite) if (!kept.some((r) => r.id === task.id && r.run === run)) pending.push({ task, run });
  if (before) log(`resuming ${out}: ${kept.length} finished runs kept, ${pending.length} to run`);

  let stack: { url: string; token: string; stop(): Promise<unknown> } | null = null;
  if (!options.url) {
    const { startStack } = await import("../../test/e2e/stack.ts");
    log("starting SAM (as npm start does)...");
    stack = await startStack();
  }
  const api = new SamHttp(options.url ?? stack!.url, options.token ?? stack!.token);
  try {
    const name = `eval ${options.model}${script ? ` (${script})` : ""} ${startedAt}`;
    const project = await api.post<{ id: string }>("/api/projects", { name });
    const graders = await api.post<{ id: string }>("/api/projects", { name: `${name} graders` });
    const place: RunPlace = { api, projectId: project.id, graderProjectId: graders.id };
    const total = pending.length + kept.length;
    let spent = report.totals.costUsd;
    const finish = (row: RunResultRow) => {
      report.tasks.push(row);
      report.totals = totals(report.tasks);
      report.passRate = report.totals.runs ? report.totals.passed / report.totals.runs : 0;
      spent = report.totals.costUsd;
      save(report, out);
      log(
        `[${report.tasks.length}/${total}] ${row.id}${repeat > 1 ? ` #${row.run}` : ""} ${row.passed ? "PASS" : "FAIL"} · ${row.turns} turns · ${row.toolCalls} tool calls · $${row.costUsd.toFixed(4)} · ${(row.wallMs / 1000).toFixed(1)} s` +
          ` — passing ${report.totals.passed}/${report.totals.runs}, spent $${spent.toFixed(4)}`,
      );
    };
    const worker = async () => {
      for (;;) {
        if (options.maxUsd !== undefined && spent >= options.maxUsd) {
          report.stopped ??= `--max-usd ${options.maxUsd}: spent $${spent.toFixed(4)}; ${pending.length} runs not started`;
          return;
        }
        const next = pending.shift();
        if (!next) return;
        try {
          finish(await runEvalTask(place, next.task, options.model, script ?? "oracle", next.run));
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          report.errors.push({ id: next.task.id, run: next.run, message });
          finish({ id: next.task.id, kind: next.task.kind, language: next.task.language, run: next.run, passed: false, turns: 0, toolCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, wallMs: 0, taskId: "", status: "error", gradeExitCode: null, gradeOutput: message });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
    // Runs finish in any order; the report lists them in the suite's order, then by repeat.
    const order = new Map(suite.map((t, i) => [t.id, i]));
    report.tasks.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0) || a.run - b.run);
    report.finishedAt = new Date().toISOString();
    report.passRate = report.totals.runs ? report.totals.passed / report.totals.runs : 0;
    save(report, out);
    return { report, out };
  } finally {
    await stack?.stop();
  }
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("a whole number ≥ 1");
  return n;
}

function usdValue(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("a number ≥ 0");
  return n;
}

/** The command line; returns the exit code (0: ran; 1: failed to run; 2: misused). */
export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name("npm run eval --")
    .description("Run SAM's eval suite (evals/tasks/) against a model, or compare reports")
    .option("--model <id>", "a model SAM knows: scripted, compat/<name>, openai/..., workers-ai/...")
    .option("--script <mode>", "for --model scripted: oracle (the reference runs) or empty (do nothing)", "oracle")
    .option("--tasks <ids>", "comma-separated task ids (default: all)", (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean))
    .option("--repeat <n>", "runs per task", positiveInt, 1)
    .option("--concurrency <n>", "runs at a time", positiveInt, 4)
    .option("--url <url>", "a running SAM (default: start one, as npm start does)")
    .option("--token <token>", "a personal access token for --url")
    .option("--out <file>", "the JSON report (the HTML report goes beside it); with --compare, the HTML file")
    .option("--max-usd <usd>", "stop starting runs once this much was spent", usdValue)
    .option("--resume", "keep the finished runs of --out and run only the others")
    .option("--compare <reports...>", "print and chart several JSON reports side by side")
    .exitOverride();
  try {
    program.parse(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return error.code === "commander.helpDisplayed" ? 0 : 2;
    throw error;
  }
  const o = program.opts<{ model?: string; script: string; tasks?: string[]; repeat: number; concurrency: number; url?: string; token?: string; out?: string; maxUsd?: number; resume?: boolean; compare?: string[] }>();
  const fail = (message: string, code = 2) => {
    process.stderr.write(`eval: ${message}\n`);
    return code;
  };
  try {
    if (o.compare) {
      const reports = o.compare.map((path) => reportSchema.parse(JSON.parse(readFileSync(path, "utf8"))));
      process.stdout.write(`${comparisonTable(reports).join("\n")}\n`);
      const html = resolve(o.out ?? resolve(root, "evals/results/comparison.html"));
      mkdirSync(dirname(html), { recursive: true });
      writeFileSync(html, htmlReport(reports, `SAM eval: ${reports.map((r) => r.model).join(" vs ")}`));
      process.stdout.write(`comparison: ${html}\n`);
      return 0;
    }
    if (!o.model) return fail("--model is required (e.g. --model compat/my-model, or --model scripted for the reference runs)");
    if (o.script !== "oracle" && o.script !== "empty") return fail("--script is oracle or empty");
    if ((o.url === undefined) !== (o.token === undefined)) return fail("--url and --token go together");
    if (o.resume && !o.out) return fail("--resume needs --out (the report to resume)");
    const { report, out } = await runSuite({ model: o.model, script: o.script, tasks: o.tasks, repeat: o.repeat, concurrency: o.concurrency, url: o.url, token: o.token, out: o.out, maxUsd: o.maxUsd, resume: o.resume });
    process.stdout.write(`${textTable(report).join("\n")}\n`);
    if (report.stopped) process.stdout.write(`stopped early: ${report.stopped}\n`);
    for (const error of report.errors) process.stdout.write(`error: ${error.id} #${error.run}: ${error.message}\n`);
    process.stdout.write(`report: ${out} (and ${out.replace(/\.json$/, "")}.html)\n`);
    return 0;
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error), 1);
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
