/**
 * `npm run bench`: SAM's performance benchmarks (the method is in each module's
 * header). Starts the whole stack as `npm start` does (wrangler dev + local runner,
 * free port, throw-away state directory), runs the benchmarks, prints one table per benchmark
 * and writes every figure to `evals/perf/results/<ISO-timestamp>.json` and `latest.json`.
 *
 *   npm run bench             # all five
 *   npm run bench -- chat     # chat fan-out only
 *   npm run bench -- task     # task loop only
 *   npm run bench -- mission  # mission fan-out only
 *   npm run bench -- proxy    # AI proxy overhead only
 *   npm run bench -- voice    # voice latency only
 *
 * Exit code: 0 when every benchmark ran and its checks passed (goals missed are reported, not
 * failures), 1 when a benchmark failed or a check (chat persistence, every mission task
 * succeeded) did not hold, 2 on the overall time limit. Everything it starts is stopped before
 * it exits.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { resolve } from "node:path";
import { startStack, type Stack } from "../../test/e2e/stack.ts";
import { DEFAULT_CHAT_CONFIG, formatChatTable, runChatBench, type ChatBenchResult } from "./chat-fanout.ts";
import { DEFAULT_MISSION_CONFIG, formatMissionTable, runMissionBench, type MissionBenchResult } from "./missions.ts";
import { withTimeout } from "./stats.ts";
import { DEFAULT_TASK_CONFIG, formatTaskTable, runTaskLoopBench, type TaskLoopResult } from "./task-loop.ts";
import { DEFAULT_PROXY_CONFIG, formatProxyTable, runProxyBench, startBenchUpstream, type ProxyBenchResult } from "./proxy.ts";
import type { FakeOpenAI } from "../../test/support/fake-openai.ts";
import { DEFAULT_VOICE_CONFIG, formatVoiceTable, runVoiceBench, type VoiceBenchResult } from "./voice.ts";
import { DEFAULT_WORKSPACE_CONFIG, formatWorkspaceTable, runWorkspaceBench, type WorkspaceBenchResult } from "./workspace.ts";

const root = resolve(import.meta.dirname, "../..");
const resultsDir = resolve(import.meta.dirname, "results");
/** Hard limit on the whole benchmark run, ms. */
const OVERALL_LIMIT_MS = 15 * 60_000;

type BenchName = "chat" | "task" | "mission" | "proxy" | "voice" | "workspace";
const ALL: BenchName[] = ["chat", "task", "mission", "proxy", "voice", "workspace"];

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

function parseArgs(argv: string[]): BenchName[] {
  if (argv.length === 0) return ALL;
  const picked = new Set<BenchName>();
  for (const arg of argv) {
    if (arg === "chat" || arg === "task" || arg === "mission" || arg === "proxy" || arg === "voice" || arg === "workspace") picked.add(arg);
    else if (arg === "all") ALL.forEach((b) => picked.add(b));
    else {
      process.stderr.write(`usage: node evals/perf/run.ts [chat|task|mission|proxy|voice|workspace|all]...\nunknown argument: ${arg}\n`);
      process.exit(64);
    }
  }
  return ALL.filter((b) => picked.has(b));
}

function gitCommit(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

/** Builds the UI once if it was never built (the stack is started with SAM_SKIP_UI_BUILD=1). */
function ensureUiBuilt(): void {
  if (existsSync(resolve(root, "dist/ui/index.html"))) return;
  log("dist/ui is missing: building the UI once (vite build)");
  const result = spawnSync(resolve(root, "node_modules/.bin/vite"), ["build", "--logLevel", "warn"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  if (result.status !== 0) throw new Error(`vite build failed (exit ${result.status ?? result.signal})`);
}

/** Whether the stack answers `GET /api/health` within 3 s. */
async function healthy(stack: Stack): Promise<boolean> {
  try {
    const response = await fetch(`${stack.url}/api/health`, { signal: AbortSignal.timeout(3000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

interface Report {
  startedAt: string;
  finishedAt?: string;
  commit: string | null;
  machine: { node: string; platform: string; cpus: number; cpuModel: string; memoryGiB: number };
  benchmarks: BenchName[];
  stackStartMs?: number;
  /** Times the stack was found dead and started again. */
  stackRestarts: number;
  /** Things that did not fail the run but affect how to read it (repeated attempts). */
  notes: string[];
  chat?: ChatBenchResult;
  task?: TaskLoopResult;
  mission?: MissionBenchResult;
  proxy?: ProxyBenchResult;
  voice?: VoiceBenchResult;
  workspace?: WorkspaceBenchResult;
  errors: string[];
}

async function main(): Promise<number> {
  const benches = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const report: Report = {
    startedAt: startedAt.toISOString(),
    commit: gitCommit(),
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? "unknown",
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    },
    benchmarks: benches,
    stackRestarts: 0,
    notes: [],
    errors: [],
  };
  let stack: Stack | undefined;
  /** The fake OpenAI-compatible upstream of the proxy benchmark; the stack's compat server. */
  let upstream: FakeOpenAI | undefined;
  let stopping: Promise<void> | undefined;
  const stopStack = (): Promise<void> => {
    stopping ??= (async () => {
      if (!stack) return;
      log("stopping the stack");
      await withTimeout(stack.stop(), 20_000, "stopping the stack").catch((e: unknown) => log(String(e)));
      rmSync(stack.stateDir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const watchdog = setTimeout(() => {
    shuttingDown = true;
    log(`overall limit of ${OVERALL_LIMIT_MS / 1000} s reached; stopping`);
    void stopStack().finally(() => process.exit(2));
  }, OVERALL_LIMIT_MS);
  watchdog.unref();
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals) => {
    shuttingDown = true;
    log(`${signal}: stopping`);
    void stopStack().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  /** Starts a stack, or a fresh one when the current one stopped answering. */
  const ensureStack = async (): Promise<Stack> => {
    if (shuttingDown) throw new Error("shutting down");
    if (stack && (await healthy(stack))) return stack;
    if (stack) {
      log("the stack stopped answering (did another program kill workerd?): restarting it");
      report.stackRestarts++;
      await stopStack();
      stopping = undefined;
    }
    log("starting the stack (wrangler dev + runner)");
    const t0 = performance.now();
    upstream ??= await startBenchUpstream();
    stack = await startStack({ env: { SAM_COMPAT_BASE_URL: `${upstream.url}/v1` } });
    report.stackStartMs = Math.round(performance.now() - t0);
    log(`stack up at ${stack.url} in ${report.stackStartMs} ms`);
    return stack;
  };
  /** Runs a benchmark; once more on a fresh stack if the stack died under it. */
  const attempt = async <T>(name: BenchName, run: (s: Stack) => Promise<T>): Promise<T | undefined> => {
    for (let n = 1; ; n++) {
      const current = await ensureStack();
      try {
        return await run(current);
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        if (n < 2 && !shuttingDown && !(await healthy(current))) {
          log(`${name}: failed while the stack was down; repeating it on a new stack (${message.split("\n")[0]})`);
          report.notes.push(`${name}: attempt ${n} failed while the stack was down and was repeated on a new stack: ${message.split("\n")[0]}`);
          continue;
        }
        failed = true;
        report.errors.push(`${name}: ${message}`);
        return undefined;
      }
    }
  };

  const tables: string[] = [];
  let failed = false;
  try {
    ensureUiBuilt();
    if (benches.includes("chat")) {
      report.chat = await attempt("chat", (s) => runChatBench(s, DEFAULT_CHAT_CONFIG));
      if (report.chat) {
        tables.push(formatChatTable(report.chat));
        for (const [run, check] of Object.entries(report.chat.persistence)) {
          if (check.ok) continue;
          failed = true;
          report.errors.push(`chat: PERSISTENCE CHECK FAILED (${run}): ${check.problems.join("; ")}`);
        }
      }
    }
    if (benches.includes("task")) {
      report.task = await attempt("task", (s) => runTaskLoopBench(s, DEFAULT_TASK_CONFIG));
      if (report.task) tables.push(formatTaskTable(report.task));
    }
    if (benches.includes("mission")) {
      report.mission = await attempt("mission", (s) => runMissionBench(s, DEFAULT_MISSION_CONFIG));
      if (report.mission) {
        tables.push(formatMissionTable(report.mission));
        for (const [side, runs] of [["SAM", report.mission.sam.runs], ["baseline", report.mission.baseline.runs]] as const) {
          runs.forEach((run, i) => {
            if (run.check.ok) return;
            failed = true;
            report.errors.push(`mission: TASK CHECK FAILED (${side} run ${i + 1}, ${run.check.succeeded} succeeded): ${run.check.problems.join("; ")}`);
          });
        }
      }
    }
    if (benches.includes("proxy")) {
      report.proxy = await attempt("proxy", (s) => runProxyBench(s, upstream!, DEFAULT_PROXY_CONFIG));
      if (report.proxy) tables.push(formatProxyTable(report.proxy));
    }
    if (benches.includes("voice")) {
      report.voice = await attempt("voice", (s) => runVoiceBench(s, DEFAULT_VOICE_CONFIG));
      if (report.voice) tables.push(formatVoiceTable(report.voice));
    }
    if (benches.includes("workspace")) {
      // Runner and git server in this process; it needs no stack.
      try {
        report.workspace = await runWorkspaceBench(DEFAULT_WORKSPACE_CONFIG);
        tables.push(formatWorkspaceTable(report.workspace));
      } catch (error) {
        failed = true;
        report.errors.push(`workspace: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    }
  } catch (error) {
    failed = true;
    report.errors.push(`setup: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    if (failed && stack) process.stderr.write(`--- last stack output ---\n${stack.output().slice(-4000)}\n---\n`);
    await stopStack();
    await upstream?.close();
  }

  report.finishedAt = new Date().toISOString();
  mkdirSync(resultsDir, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const file = resolve(resultsDir, `${startedAt.toISOString().replace(/:/g, "-")}.json`);
  writeFileSync(file, json);
  writeFileSync(resolve(resultsDir, "latest.json"), json);

  process.stdout.write(`# SAM benchmarks (${report.machine.cpus} cores, Node ${report.machine.node}, commit ${report.commit ?? "?"})\n`);
  for (const table of tables) process.stdout.write(`${table}\n`);
  for (const note of report.notes) process.stdout.write(`\nnote: ${note}\n`);
  for (const error of report.errors) process.stdout.write(`\n!!! ${error}\n`);
  process.stdout.write(`\nresults: ${file} (and results/latest.json)\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
