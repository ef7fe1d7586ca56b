/** searchWorkspace directly: the worker deadline protects the runner from slow patterns. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { searchWorkspace } from "../../src/sandbox/runner/search.ts";
import { WorkspaceError } from "../../src/sandbox/workspace.ts";

const root = mkdtempSync(path.join(os.tmpdir(), "sam-search-"));
writeFileSync(path.join(root, "evil.txt"), `${"a".repeat(40)}!\n`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("searchWorkspace", () => {
  it("stops a catastrophically backtracking pattern at the deadline without blocking the event loop", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const started = Date.now();
    const err = await searchWorkspace(root, "^(a+)+$", undefined, 500).catch((e: unknown) => e);
    clearInterval(timer);
    expect(err).toBeInstanceOf(WorkspaceError);
    expect((err as WorkspaceError).code).toBe("invalid_input");
    expect(Date.now() - started).toBeLessThan(5000);
    expect(ticks).toBeGreaterThan(5);
  });

  it("finds ordinary matches", async () => {
    expect(await searchWorkspace(root, "a{40}!")).toEqual({ matches: [{ path: "evil.txt", line: 1, text: `${"a".repeat(40)}!` }], truncated: false });
  });
});
