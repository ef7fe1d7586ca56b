/** resolveInWorkspace on a real temp tree (no runner). */
import { mkdtempSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { workspacePathComponents as lexicalComponents } from "../../src/sandbox/paths.ts";
import { resolveInWorkspace } from "../../src/sandbox/runner/paths.ts";
import { WorkspaceError } from "../../src/sandbox/workspace.ts";

const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), "sam-paths-")));
const root = path.join(tmp, "files");
mkdirSync(path.join(root, "dir/sub"), { recursive: true });
writeFileSync(path.join(root, "dir/f.txt"), "f");
writeFileSync(path.join(tmp, "outside.txt"), "o");
symlinkSync("/etc", path.join(root, "etc"));
symlinkSync("../outside.txt", path.join(root, "sneaky"));
symlinkSync("dir/f.txt", path.join(root, "ok"));
symlinkSync("/workspace/dir", path.join(root, "wsabs"));
symlinkSync("loop2", path.join(root, "loop1"));
symlinkSync("loop1", path.join(root, "loop2"));
symlinkSync(path.join(tmp, "not-there"), path.join(root, "dangling-out"));
symlinkSync("sub2", path.join(root, "dir/dangling-in"));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function codeOf(p: string): Promise<string> {
  try {
    await resolveInWorkspace(root, p);
    return "resolved";
  } catch (err) {
    return err instanceof WorkspaceError ? err.code : String(err);
  }
}

describe("workspacePathComponents", () => {
  it("normalises relative and /workspace paths", () => {
    expect(lexicalComponents("a/./b//c/../d")).toEqual(["a", "b", "d"]);
    expect(lexicalComponents("/workspace")).toEqual([]);
    expect(lexicalComponents("/workspace/x/../y")).toEqual(["y"]);
    expect(() => lexicalComponents("/etc/passwd")).toThrow(WorkspaceError);
    expect(() => lexicalComponents("a/../../b")).toThrow(WorkspaceError);
    expect(() => lexicalComponents("/workspace/../x")).toThrow(WorkspaceError);
    expect(() => lexicalComponents("a\0b")).toThrow(WorkspaceError);
  });
});

describe("resolveInWorkspace", () => {
  it("resolves paths and inside symlinks to real locations under the root", async () => {
    expect(await resolveInWorkspace(root, "dir/f.txt")).toBe(path.join(root, "dir/f.txt"));
    expect(await resolveInWorkspace(root, "ok")).toBe(path.join(root, "dir/f.txt"));
    expect(await resolveInWorkspace(root, "wsabs/f.txt")).toBe(path.join(root, "dir/f.txt"));
    expect(await resolveInWorkspace(root, "/workspace/new/file")).toBe(path.join(root, "new/file"));
    expect(await resolveInWorkspace(root, "dir/dangling-in")).toBe(path.join(root, "dir/sub2"));
    expect(await resolveInWorkspace(root, ".")).toBe(root);
  });

  it("refuses escapes with path_outside_workspace", async () => {
    for (const p of ["etc/passwd", "etc", "sneaky", "loop1", "dangling-out", "../outside.txt", "/etc", "dir/../../x"]) {
      expect(await codeOf(p), p).toBe("path_outside_workspace");
    }
  });
});
