/**
 * `npm test`: type-checks, builds the UI and the deploy bundle (`wrangler deploy --dry-run`),
 * then runs every test suite — Node (runner with real bubblewrap), Workers runtime (actors,
 * routes, D1) and end to end (the started stack, real clients, headless Chromium) — and ends
 * with one line `tests: N passed, N failed`. Exits non-zero if anything failed.
 *
 * `npm test -- node workers` runs only the named suites (node, workers, e2e).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const bin = (name: string) => resolve(root, "node_modules/.bin", name);
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const suites = ["node", "workers", "e2e"] as const;
const selected = process.argv.slice(2).filter((a): a is (typeof suites)[number] => (suites as readonly string[]).includes(a));
const run = selected.length ? selected : [...suites];

function step(title: string, command: string, args: string[]): boolean {
  process.stdout.write(`\n=== ${title}\n`);
  const result = spawnSync(command, args, { cwd: root, env, stdio: "inherit" });
  return result.status === 0;
}

let passed = 0;
let failed = 0;
const failures: string[] = [];

function check(title: string, ok: boolean): void {
  if (ok) passed++;
  else {
    failed++;
    failures.push(title);
  }
}

if (!selected.length) {
  check("typecheck (tsc --noEmit, strict)", step("typecheck", bin("tsc"), ["-p", "tsconfig.json", "--noEmit"]));
  check(
    "UI build (vite)",
    step("UI build", bin("vite"), ["build", "--logLevel", "warn"]) &&
      step("UI build: the embeddable widget", bin("vite"), ["build", "--config", "vite.embed.config.ts", "--logLevel", "warn"]) &&
      // The runner's bundle for VMs (/vm/runner.js) and its search worker (issue 16).
      step("UI build: the VM runner", bin("vite"), ["build", "--config", "vite.vm-runner.config.ts", "--logLevel", "warn"]) &&
      step("UI build: the VM runner's search worker", bin("vite"), ["build", "--config", "vite.vm-runner.config.ts", "--mode", "search-worker", "--logLevel", "warn"]),
  );
  check("deploy bundle (wrangler deploy --dry-run)", step("deploy bundle", bin("wrangler"), ["deploy", "--dry-run", "--containers-rollout=none", "--outdir", "dist/worker"]));
}

const reports = resolve(root, "test-artifacts/reports");
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
for (const suite of run) {
  const report = resolve(reports, `${suite}.json`);
  const ok = step(`tests: ${suite}`, bin("vitest"), ["run", "--config", `vitest.${suite}.config.ts`, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`]);
  if (!existsSync(report)) {
    check(`${suite} suite (did not report)`, false);
    continue;
  }
  const counts = JSON.parse(readFileSync(report, "utf8")) as { numPassedTests: number; numFailedTests: number; numTotalTests: number; numPendingTests: number };
  passed += counts.numPassedTests;
  failed += counts.numFailedTests;
  if (counts.numFailedTests > 0) failures.push(`${suite}: ${counts.numFailedTests} failed`);
  if (!ok && counts.numFailedTests === 0) check(`${suite} suite (runner error)`, false);
  if (counts.numTotalTests === 0) check(`${suite} suite ran no test`, false);
}

process.stdout.write(`\n${failures.length ? `failures: ${failures.join("; ")}\n` : ""}`);
process.stdout.write(`tests: ${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);
