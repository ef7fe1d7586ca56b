/**
 * A task's transcript cap and page bound (src/actors/task/transcript-limits.ts), the
 * `transcript_limit` ending, and the loop's exit when the journal has no room for a step or a
 * tool result (src/actors/task/loop.ts against fakes).
 */
import type { ModelMessage } from "ai";
import { describe, expect, it } from "vitest";
import { taskRow as row } from "./fakes.ts";
import { endingOf } from "../../src/actors/task/loop-rules.ts";
import { runTaskLoop, type LoopDeps } from "../../src/actors/task/loop.ts";
import {
  isCappedEvent,
  MAX_TRANSCRIPT_BYTES,
  MAX_TRANSCRIPT_PAGE_BYTES,
  pageTakes,
  TranscriptLimitError,
  transcriptLimitMessage,
  utf8Length,
} from "../../src/actors/task/transcript-limits.ts";
import type { GatedStepResult, StepAdmission } from "../../src/models/gate.ts";
import { taskFailureCodeSchema } from "../../src/shared/protocol.ts";

describe("transcript limits", () => {
  it("caps a transcript at 16 MiB and a page at 4 MiB", () => {
    expect(MAX_TRANSCRIPT_BYTES).toBe(16 * 1024 * 1024);
    expect(MAX_TRANSCRIPT_PAGE_BYTES).toBe(4 * 1024 * 1024);
  });

  it("counts UTF-8 bytes as SQLite stores them", () => {
    for (const text of ["", "plain ascii", "café", "日本語", "emoji 🚀 and 👩‍💻", "\u0000\u007f\u0080\u07ff\u0800\uffff", "lone \ud800 surrogate"]) {
      expect(utf8Length(text)).toBe(Buffer.byteLength(text, "utf8"));
    }
  });

  it("refuses past the cap what can repeat without bound, never a status change, a check-in or an answer", () => {
    expect(isCappedEvent({ type: "model_step", step: 1, text: "", toolCalls: [], finishReason: "stop", usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 }, durationMs: 1 })).toBe(true);
    expect(isCappedEvent({ type: "tool_call", step: 1, toolCallId: "c", toolName: "bash", input: {} })).toBe(true);
    expect(isCappedEvent({ type: "tool_result", step: 1, toolCallId: "c", toolName: "bash", output: "", isError: false, exitCode: 0, durationMs: 1 })).toBe(true);
    expect(isCappedEvent({ type: "message", kind: "message", from: "ada", text: "hi" })).toBe(true);
    expect(isCappedEvent({ type: "message", kind: "check_in", from: "SAM", text: "progress?" })).toBe(false);
    expect(isCappedEvent({ type: "message", kind: "answer", from: "ada", text: "yes" })).toBe(false);
    expect(isCappedEvent({ type: "status", status: "failed", reason: "x", code: "transcript_limit" })).toBe(false);
  });

  it("fills a page up to its byte bound, always with at least one event", () => {
    expect(pageTakes(0, 0, 10 * MAX_TRANSCRIPT_PAGE_BYTES, MAX_TRANSCRIPT_PAGE_BYTES)).toBe(true);
    expect(pageTakes(1, 100, 100, 200)).toBe(true);
    expect(pageTakes(2, 200, 1, 200)).toBe(false);
    // A page of 1000 events of 64 KiB stops after 64 of them (4 MiB).
    let count = 0;
    let bytes = 0;
    while (count < 1000 && pageTakes(count, bytes, 64 * 1024, MAX_TRANSCRIPT_PAGE_BYTES)) {
      count++;
      bytes += 64 * 1024;
    }
    expect(count).toBe(64);
  });

  it("fails a task with code transcript_limit and a message saying the limit", () => {
    expect(taskFailureCodeSchema.parse("transcript_limit")).toBe("transcript_limit");
    expect(transcriptLimitMessage(MAX_TRANSCRIPT_BYTES)).toBe("transcript limit reached: a task's transcript may hold at most 16 MiB (16777216 bytes) of events");
    expect(new TranscriptLimitError(MAX_TRANSCRIPT_BYTES).message).toBe(transcriptLimitMessage(MAX_TRANSCRIPT_BYTES));
    expect(endingOf({ kind: "transcript_limit", maxBytes: MAX_TRANSCRIPT_BYTES })).toEqual({
      status: "failed",
      summary: null,
      failure: { code: "transcript_limit", message: transcriptLimitMessage(MAX_TRANSCRIPT_BYTES) },
    });
  });
});

const toolStep = (text: string): GatedStepResult => ({
  text, toolCalls: [{ toolCallId: `call_${text}`, toolName: "bash", input: {} }], responseMessages: [{ role: "assistant", content: text }],
  finishReason: "tool-calls", inputTokens: 1, outputTokens: 1, cachedInputTokens: 0, durationMs: 1, costUsd: 0,
});

/** A loop whose journal holds `roomFor` journal writes (steps and results), then throws TranscriptLimitError. */
function fullAfter(roomFor: number) {
  let current = row();
  let writes = 0;
  const log: string[] = [];
  const released: StepAdmission[] = [];
  const write = (what: string) => {
    if (writes++ >= roomFor) throw new TranscriptLimitError(1000);
    log.push(what);
  };
  const deps: LoopDeps = {
    journal: {
      row: () => current,
      pendingToolCalls: () => [],
      deliverInbox: () => {},
      conversation: (prompt): ModelMessage[] => [{ role: "user", content: prompt }],
      recordStep: (before, s) => {
        write(`step ${s.text}`);
        current = { ...current, steps: before.steps + 1 };
      },
      recordToolResult: (c) => write(`result ${c.toolCallId}`),
    },
    model: {
      step: async () => toolStep(`s${current.steps + 1}`),
      admitAhead: () => ({ inputChars: 0, call: Promise.resolve(null) }),
      release: (admission) => released.push(admission),
    },
    tools: { run: async () => ({ output: "x".repeat(100), isError: false, exitCode: 0 }) },
    setAbort: () => {},
  };
  return { deps, log, released };
}

describe("runTaskLoop with a full transcript", () => {
  it("exits as transcript_limit when a step does not fit", async () => {
    const w = fullAfter(2);
    await expect(runTaskLoop(w.deps)).resolves.toEqual({ kind: "transcript_limit", maxBytes: 1000 });
    expect(w.log).toEqual(["step s1", "result call_s1"]);
  });

  it("exits as transcript_limit when a tool result does not fit, and gives back the admission asked for ahead", async () => {
    const w = fullAfter(1);
    await expect(runTaskLoop(w.deps)).resolves.toEqual({ kind: "transcript_limit", maxBytes: 1000 });
    expect(w.log).toEqual(["step s1"]);
    expect(w.released).toHaveLength(1);
  });

  it("still throws any other error of the journal", async () => {
    const w = fullAfter(100);
    w.deps.journal.recordStep = () => {
      throw new Error("disk on fire");
    };
    await expect(runTaskLoop(w.deps)).rejects.toThrow("disk on fire");
  });
});
