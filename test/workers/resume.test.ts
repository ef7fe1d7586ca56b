import { abortAllDurableObjects, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { TranscriptEvent } from "../../src/shared/protocol.ts";
import { pollUntil } from "../support/poll.ts";
import { api, apiJson, projectWithSession, transcript, waitForTranscript } from "./helpers.ts";

describe("a task survives a crash", () => {
  it("resumes from the last finished step without re-running finished tool calls", async () => {
    const { projectId } = await projectWithSession();
    const created = await apiJson<{ id: string }>(
      `/api/projects/${projectId}/tasks`,
      {
        method: "POST",
        json: {
          prompt: "count",
          script: [
            { toolCalls: [{ toolName: "bash", input: { command: "echo ran >> first.log" } }] },
            { toolCalls: [{ toolName: "bash", input: { command: "echo started >> starts.log; sleep 3; echo ran >> second.log" } }] },
            { toolCalls: [{ toolName: "bash", input: { command: "cat first.log second.log" } }] },
            { text: "counted" },
          ],
        },
      },
      201,
    );
    const stub = env.TaskAgent.getByName(created.id);
    // Abort every actor, as a crash would, while the second command (the sleep) runs: not just
    // once its tool_call is journaled (the command may not have started yet: then it would start
    // only once), but once it wrote its first line.
    await waitForTranscript(created.id, "the sleep's tool_call", (events) => events.some((e) => e.type === "tool_call" && JSON.stringify(e.input).includes("sleep")));
    await pollUntil(
      "the interrupted command to start",
      async () => {
        const file = await api(`/api/tasks/${created.id}/files/starts.log`);
        return file.status === 200 ? await file.text() : "";
      },
      (text) => text === "started\n",
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    await abortAllDurableObjects();
    // The fiber's keep-alive alarm wakes the actor, which finds the interrupted fiber and resumes
    // the loop: each look runs that alarm by hand, then reads the task's status.
    const status = await pollUntil(
      "the resumed task to end",
      async () => {
        await runDurableObjectAlarm(stub);
        return ((await (await api(`/api/tasks/${created.id}`)).json()) as { status: string }).status;
      },
      (s) => s === "succeeded" || s === "failed",
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(status).toBe("succeeded");
    const events: TranscriptEvent[] = await transcript(created.id);
    const calls = events.filter((e) => e.type === "tool_call").map((e) => (e.type === "tool_call" ? e.toolCallId : ""));
    const results = events.filter((e) => e.type === "tool_result").map((e) => (e.type === "tool_result" ? e.toolCallId : ""));
    expect(new Set(calls).size).toBe(3);
    expect(calls).toHaveLength(3);
    expect(results).toEqual(calls);
    expect(events.filter((e) => e.type === "model_step")).toHaveLength(4);
    // The first command finished before the eviction and ran exactly once.
    const first = await api(`/api/tasks/${created.id}/files/first.log`);
    expect(await first.text()).toBe("ran\n");
    // The interrupted command started twice: the crash cut it mid-call (the runner killed it
    // when its caller went away) and, having no journaled result, it ran again after the resume.
    const starts = await api(`/api/tasks/${created.id}/files/starts.log`);
    expect(await starts.text()).toBe("started\nstarted\n");
    const second = await api(`/api/tasks/${created.id}/files/second.log`);
    expect(await second.text()).toBe("ran\n");
  });
});
