/**
 * `node evals/perf/profile.ts [seconds] [--out FILE] [--inspector ws://...]`: records a CPU
 * profile of the Worker's isolate (the Worker and every actor run in it) on a running stack,
 * prints the functions with the most self and inclusive time, and writes the profile as a
 * `.cpuprofile` (Chrome DevTools → Performance → Load profile).
 *
 * Start the stack (`npm start`), start this, then run the load (a benchmark, a script) within
 * the window. It connects to wrangler dev's inspector proxy (default ws://127.0.0.1:9229/ws),
 * which accepts DevTools' origin only, so this sends that origin. Only one DevTools session is
 * served at a time, and the first session after a Worker reload is the reliable one.
 *
 * Times are the sampled time attributed to each function, ms (sampling every 250 µs). `exec`
 * is SQLite; `(idle)` is the isolate waiting. Figures under the profiler are inflated; compare
 * shares, and confirm a change with `npm run bench`.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import WebSocket from "ws";

/** A node of a V8 CPU profile (the `Profiler.stop` result's `profile.nodes`). */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** A V8 CPU profile: nodes, the node of each sample, and µs between samples. */
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** The self and inclusive time (ms) per function (name, file, line), largest first. */
export function summarizeProfile(profile: CpuProfile): { selfMs: [string, number][]; inclusiveMs: [string, number][] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const label = (node: ProfileNode) => `${node.callFrame.functionName || "(anonymous)"} ${node.callFrame.url.split("/").pop() ?? ""}:${node.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  profile.samples.forEach((nodeId, i) => {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(nodeId);
    if (!node) return;
    self.set(label(node), (self.get(label(node)) ?? 0) + ms);
    const seen = new Set<string>();
    for (let current: number | undefined = nodeId; current !== undefined; current = parent.get(current)) {
      const name = label(byId.get(current)!);
      if (seen.has(name)) continue; // recursion counts once
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
    }
  });
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { selfMs: sorted(self), inclusiveMs: sorted(inclusive) };
}

/** Records `seconds` of CPU profile through the DevTools protocol at `inspectorUrl`. */
async function record(inspectorUrl: string, seconds: number): Promise<CpuProfile> {
  const socket = new WebSocket(inspectorUrl, { headers: { Origin: "https://devtools.devprod.cloudflare.dev" } });
  const pending = new Map<number, (result: unknown) => void>();
  let nextId = 0;
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => reject(new Error(`${method}: no answer in 10 s (is another DevTools session open?)`)), 10_000);
      pending.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 250 });
  await send("Profiler.start");
  process.stderr.write(`[profile] recording for ${seconds} s: run the load now\n`);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const { profile } = (await send("Profiler.stop")) as { profile: CpuProfile };
  socket.close();
  return profile;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { out: { type: "string", default: "worker.cpuprofile" }, inspector: { type: "string", default: "ws://127.0.0.1:9229/ws" }, top: { type: "string", default: "40" } },
  });
  const seconds = Number(positionals[0] ?? 10);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`seconds must be a positive number, not "${positionals[0]}"`);
  const profile = await record(values.inspector, seconds);
  writeFileSync(values.out, JSON.stringify(profile));
  const { selfMs, inclusiveMs } = summarizeProfile(profile);
  const top = Number(values.top);
  const print = (title: string, rows: [string, number][]) => {
    process.stdout.write(`\n${title}\n`);
    for (const [name, ms] of rows.slice(0, top)) process.stdout.write(`${ms.toFixed(1).padStart(9)} ms  ${name}\n`);
  };
  print("self time", selfMs);
  print("inclusive time", inclusiveMs);
  process.stdout.write(`\nprofile written to ${values.out}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`profile: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
