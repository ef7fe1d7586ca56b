/** Handoffs between a mission's tasks: collecting a finished task's files within the caps, the dependent's prompt and spec. */
import { describe, expect, it } from "vitest";
import { HANDOFF_MAX_BYTES, HANDOFF_MAX_FILES, attemptTaskSpec, collectHandoff, withHandoffs, type Handoff } from "../../src/actors/mission/handoff.ts";
import type { MissionRow } from "../../src/actors/mission/rows.ts";

const handoff = (key: string, files: Record<string, string>, changedFiles = Object.keys(files), summary = `${key} done`): Handoff => ({
  key,
  taskId: `task_${key}`,
  summary,
  changedFiles,
  files,
});

describe("withHandoffs", () => {
  it("is the prompt alone without handoffs", () => {
    expect(withHandoffs("do it", [])).toBe("do it");
  });

  it("appends each dependency's summary, changed files and the copied ones, in order", () => {
    const prompt = withHandoffs("write tests", [handoff("a", { "a.ts": "x" }, ["a.ts", "big.bin"]), handoff("b", {}, [], "")]);
    expect(prompt).toBe(
      [
        "write tests",
        "",
        'Handoff from task "a" (task_a), which this task depends on:',
        "Summary: a done",
        "Changed files: a.ts, big.bin — copied into your workspace: a.ts",
        "",
        'Handoff from task "b" (task_b), which this task depends on:',
        "Summary: (none)",
        "Changed files: (none)",
      ].join("\n"),
    );
  });
});

describe("collectHandoff", () => {
  const view = (changedFiles: string[], summary: string | null = "did it") => ({ id: "task_1", summary, changedFiles });

  it("copies readable changed files and lists every changed path", async () => {
    const contents: Record<string, string> = { "a.txt": "A", "b.txt": "BB" };
    const result = await collectHandoff("k", view(["a.txt", "gone.txt", "b.txt"], null), async (path) =>
      path in contents ? { ok: true, content: contents[path] ?? "" } : { ok: false },
    );
    expect(result).toEqual({ key: "k", taskId: "task_1", summary: "", changedFiles: ["a.txt", "gone.txt", "b.txt"], files: { "a.txt": "A", "b.txt": "BB" } });
  });

  it("reads at most HANDOFF_MAX_FILES files, the first ones listed", async () => {
    const paths = Array.from({ length: HANDOFF_MAX_FILES + 5 }, (_, i) => `f${i}.txt`);
    const read: string[] = [];
    const result = await collectHandoff("k", view(paths), async (path) => {
      read.push(path);
      return { ok: true, content: "x" };
    });
    expect(read).toEqual(paths.slice(0, HANDOFF_MAX_FILES));
    expect(Object.keys(result.files)).toEqual(paths.slice(0, HANDOFF_MAX_FILES));
    expect(result.changedFiles).toEqual(paths);
  });

  it("leaves out a file that would pass HANDOFF_MAX_BYTES, keeping a later one that fits", async () => {
    const contents: Record<string, string> = {
      "half.txt": "h".repeat(HANDOFF_MAX_BYTES / 2),
      "too-big.txt": "t".repeat(HANDOFF_MAX_BYTES / 2 + 1),
      "rest.txt": "r".repeat(HANDOFF_MAX_BYTES / 2),
      "one-more.txt": "o",
    };
    const result = await collectHandoff("k", view(Object.keys(contents)), async (path) => ({ ok: true, content: contents[path] ?? "" }));
    expect(Object.keys(result.files)).toEqual(["half.txt", "rest.txt"]);
  });
});

describe("attemptTaskSpec", () => {
  const mission: MissionRow = {
    id: "msn_1",
    project_id: "prj_1",
    user_id: "usr_1",
    goal: "g",
    status: "running",
    max_concurrent: 2,
    max_retries: 1,
    session_id: null,
    budget_usd: 2.5,
    summary: null,
    error: null,
    summary_posted: 0,
    created_at: "t",
    updated_at: "t",
  };

  it("starts the dependent with the handed files under its own seed files, and the mission's ids and budget", () => {
    const spec = attemptTaskSpec(
      mission,
      { prompt: "p" },
      "task_9",
      { model: "scripted", workspace: { files: { "shared.txt": "seed" } } },
      [handoff("a", { "shared.txt": "from a", "a.txt": "A" }), handoff("b", { "a.txt": "from b" })],
    );
    expect(spec).toMatchObject({
      id: "task_9",
      projectId: "prj_1",
      userId: "usr_1",
      model: "scripted",
      workspace: { files: { "shared.txt": "seed", "a.txt": "from b" } },
      missionId: "msn_1",
      missionBudgetUsd: 2.5,
      sessionId: undefined,
      policies: undefined,
    });
    expect(spec.prompt).toBe(withHandoffs("p", [handoff("a", { "shared.txt": "from a", "a.txt": "A" }), handoff("b", { "a.txt": "from b" })]));
  });
});
