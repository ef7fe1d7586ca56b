/**
 * Where the CPU goes during a benchmark phase (Linux only; elsewhere every figure is empty):
 * CPU time of this process and every descendant (the stack's start.ts + runner, wrangler,
 * workerd, esbuild, the bare ws server), grouped by role, plus the machine's total busy time,
 * so that load from other programs on the machine shows up as `otherMs`.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat (CLK_TCK; 100 on Linux). */
const TICKS_PER_SECOND = 100;
const MS_PER_TICK = 1000 / TICKS_PER_SECOND;

/** A point-in-time reading of CPU counters, all in ms of CPU time. */
export interface CpuSnapshot {
  /** pid → {role, cpu ms, of which kernel ms} for this process and its descendants. */
  processes: Map<number, { role: string; ms: number; sysMs: number }>;
  /** Busy CPU time of the whole machine (all cores), ms; NaN when unknown. */
  machineBusyMs: number;
  /** Wall time at the snapshot, ms (performance.now()). */
  at: number;
}

/** CPU used between two snapshots, ms of CPU time. */
export interface CpuUsage {
  /** Wall time between the snapshots, ms. */
  wallMs: number;
  /** CPU ms per role (processes of the same role added up). */
  byRole: Record<string, number>;
  /** Of `byRole`, the ms spent in the kernel (system calls, I/O). */
  sysByRole: Record<string, number>;
  /** CPU ms of this process and its descendants. */
  oursMs: number;
  /** CPU ms of everything else on the machine (other users, other tests). */
  otherMs: number;
  /** Machine CPU busy over the interval, as a share of all cores (0..1). */
  machineBusyShare: number;
}

function readStat(pid: number): { ppid: number; ticks: number; sysTicks: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may contain spaces) start after the last ')'.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), sysTicks: Number(fields[12]) };
  } catch {
    return null;
  }
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

/** Names a process by what it runs. `stackPort` tells wrangler's dev proxy from the Worker's workerd. */
function roleOf(pid: number, cmdline: string, stackPort: number | null): string {
  if (pid === process.pid) return "bench process";
  if (cmdline.includes("bare-server.ts")) return "bare ws server";
  if (cmdline.includes("scripts/start.ts")) return "start.ts + runner";
  if (cmdline.includes("wrangler-dist/cli.js")) return "wrangler (node)";
  if (cmdline.includes("esbuild")) return "esbuild";
  if (cmdline.includes("workerd")) {
    return stackPort !== null && cmdline.includes(`entry=127.0.0.1:${stackPort} `) ? "workerd (dev proxy)" : "workerd (Worker + actors)";
  }
  if (cmdline.includes("bwrap")) return "bwrap commands";
  const first = cmdline.split(" ")[0] ?? "";
  return first.split("/").at(-1) || "other";
}

function machineBusyMs(): number {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    const [user, nice, system, , , irq, softirq, steal] = values;
    return (user + nice + system + irq + softirq + (steal ?? 0)) * MS_PER_TICK;
  } catch {
    return Number.NaN;
  }
}

/**
 * Reads the CPU time of this process and all its descendants (ms) and the machine's busy time.
 * @param stackPort the stack's HTTP port, to tell the dev proxy's workerd apart (null: unknown).
 */
export function snapshotCpu(stackPort: number | null): CpuSnapshot {
  const processes = new Map<number, { role: string; ms: number; sysMs: number }>();
  const at = performance.now();
  let pids: number[] = [];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number);
  } catch {
    return { processes, machineBusyMs: Number.NaN, at };
  }
  const children = new Map<number, number[]>();
  const ticks = new Map<number, { ticks: number; sysTicks: number }>();
  for (const pid of pids) {
    const stat = readStat(pid);
    if (!stat) continue;
    ticks.set(pid, { ticks: stat.ticks, sysTicks: stat.sysTicks });
    const list = children.get(stat.ppid) ?? [];
    list.push(pid);
    children.set(stat.ppid, list);
  }
  const queue = [process.pid];
  while (queue.length) {
    const pid = queue.shift()!;
    const t = ticks.get(pid);
    if (t !== undefined) processes.set(pid, { role: roleOf(pid, readCmdline(pid), stackPort), ms: t.ticks * MS_PER_TICK, sysMs: t.sysTicks * MS_PER_TICK });
    queue.push(...(children.get(pid) ?? []));
  }
  return { processes, machineBusyMs: machineBusyMs(), at };
}

/** CPU used from `before` to `after` (processes that started in between count from 0). All ms. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot, cores: number): CpuUsage {
  const byRole: Record<string, number> = {};
  const sysByRole: Record<string, number> = {};
  let oursMs = 0;
  for (const [pid, now] of after.processes) {
    const then = before.processes.get(pid);
    const delta = now.ms - (then?.ms ?? 0);
    byRole[now.role] = (byRole[now.role] ?? 0) + delta;
    sysByRole[now.role] = (sysByRole[now.role] ?? 0) + now.sysMs - (then?.sysMs ?? 0);
    oursMs += delta;
  }
  for (const role of Object.keys(byRole)) {
    byRole[role] = Math.round(byRole[role]);
    sysByRole[role] = Math.round(sysByRole[role]);
    if (byRole[role] === 0) {
      delete byRole[role];
      delete sysByRole[role];
    }
  }
  const wallMs = after.at - before.at;
  const busy = after.machineBusyMs - before.machineBusyMs;
  return {
    wallMs: Math.round(wallMs),
    byRole,
    sysByRole,
    oursMs: Math.round(oursMs),
    otherMs: Math.round(Math.max(0, busy - oursMs)),
    machineBusyShare: wallMs > 0 ? Math.round((busy / (wallMs * cores)) * 100) / 100 : Number.NaN,
  };
}
