/**
 * Pure merge helpers for live lists: frames and HTTP pages may overlap or arrive out of order,
 * so every list is merged by identity and kept in its order.
 */
import type { ChatMessage, MissionView, TaskView, TranscriptEvent } from "../../shared/protocol.ts";

/** Merges messages by id (incoming wins) and orders them by seq. */
export function mergeMessages(existing: readonly ChatMessage[], incoming: readonly ChatMessage[]): ChatMessage[] {
  if (incoming.length === 0) return existing as ChatMessage[];
  const byId = new Map<string, ChatMessage>();
  for (const message of existing) byId.set(message.id, message);
  for (const message of incoming) byId.set(message.id, message);
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

function time(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
}

/** Inserts or replaces a task (a stale update never overwrites a newer one); newest first. */
export function upsertTask(existing: readonly TaskView[], task: TaskView): TaskView[] {
  const index = existing.findIndex((t) => t.id === task.id);
  if (index >= 0) {
    const current = existing[index];
    if (time(task.updatedAt) < time(current.updatedAt)) return existing as TaskView[];
    const next = existing.slice();
    next[index] = task;
    return next;
  }
  return [...existing, task].sort((a, b) => time(b.createdAt) - time(a.createdAt));
}

/** Merges a fresh task list with tasks known locally, keeping the newer version of each. */
export function mergeTasks(existing: readonly TaskView[], fresh: readonly TaskView[]): TaskView[] {
  let out = existing as TaskView[];
  for (const task of fresh) out = upsertTask(out, task);
  return out;
}

/** Merges transcript events by seq (deduplicated) and orders them by seq. */
export function mergeEvents(existing: readonly TranscriptEvent[], incoming: readonly TranscriptEvent[]): TranscriptEvent[] {
  if (incoming.length === 0) return existing as TranscriptEvent[];
  const bySeq = new Map<number, TranscriptEvent>();
  for (const event of existing) bySeq.set(event.seq, event);
  for (const event of incoming) if (!bySeq.has(event.seq)) bySeq.set(event.seq, event);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** The highest seq in a list of events (0 when empty). */
export function lastSeq(events: readonly TranscriptEvent[]): number {
  let max = 0;
  for (const event of events) if (event.seq > max) max = event.seq;
  return max;
}

/** Inserts or replaces a mission (a stale update never overwrites a newer one); newest first. */
export function upsertMission(existing: readonly MissionView[], mission: MissionView): MissionView[] {
  const index = existing.findIndex((m) => m.id === mission.id);
  if (index >= 0) {
    if (time(mission.updatedAt) < time(existing[index].updatedAt)) return existing as MissionView[];
    const next = existing.slice();
    next[index] = mission;
    return next;
  }
  return [...existing, mission].sort((a, b) => time(b.createdAt) - time(a.createdAt));
}

/** Merges a fresh mission list with missions known locally, keeping the newer version of each. */
export function mergeMissions(existing: readonly MissionView[], fresh: readonly MissionView[]): MissionView[] {
  let out = existing as MissionView[];
  for (const mission of fresh) out = upsertMission(out, mission);
  return out;
}
