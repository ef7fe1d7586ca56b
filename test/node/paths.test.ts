/** resolveInWorkspace on a real temp tree (no runner). */
import { mkdtempSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalizeWorkspacePath, workspacePathComponents as lexicalComponents } from "../../src/sandbox/paths.ts";
import { componentsUnder, resolveInWorkspace } from "../../src/sandbox/runner/paths.ts";
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

describe("workspacePathComponents edge cases", () => {
  const codeOfLexical = (p: string): string => {
    try {
      lexicalComponents(p);
      return "resolved";
    } catch (err) {
      return err instanceof WorkspaceError ? err.code : String(err);
    }
  };

  it("maps `.`, the empty path and trailing or doubled slashes to plain components", () => {
    expect(lexicalComponents(".")).toEqual([]);
    expect(lexicalComponents("")).toEqual([]);
    expect(lexicalComponents("./././")).toEqual([]);
    expect(lexicalComponents("dir/")).toEqual(["dir"]);
    expect(lexicalComponents("a//b/./c")).toEqual(["a", "b", "c"]);
    expect(lexicalComponents("a/..")).toEqual([]);
    expect(normalizeWorkspacePath("a//b/./c/")).toBe("a/b/c");
    expect(normalizeWorkspacePath("/workspace/")).toBe("");
  });

  it("refuses `..` that climbs above the workspace, however deep it starts", () => {
    for (const p of ["..", "../", "a/../..", "a/b/../../..", "./../x", "dir/./../../x"]) expect(codeOfLexical(p), p).toBe("path_outside_workspace");
    // Climbing back down inside is fine.
    expect(lexicalComponents("a/b/../../c")).toEqual(["c"]);
  });

  it("accepts absolute paths only under /workspace, normalised as POSIX does (`/..` is `/`)", () => {
    expect(lexicalComponents("/workspace/a/b")).toEqual(["a", "b"]);
    expect(lexicalComponents("/../workspace/a")).toEqual(["a"]);
    expect(lexicalComponents("/workspace/../workspace/a")).toEqual(["a"]);
    for (const p of ["/", "/..", "/etc/passwd", "/workspacefoo/x", "/tmp/x", "/workspace/..", "//etc"]) expect(codeOfLexical(p), p).toBe("path_outside_workspace");
  });

  it("refuses NUL bytes as invalid_input, wherever they are", () => {
    for (const p of ["a\0b", "\0", "/workspace/a\0", "../\0"]) expect(codeOfLexical(p), JSON.stringify(p)).toBe("invalid_input");
  });
});

describe("resolveInWorkspace edge cases", () => {
  const extra = realpathSync(mkdtempSync(path.join(os.tmpdir(), "sam-paths-extra-")));
  const base = path.join(extra, "files");
  const sibling = path.join(extra, "files-evil");

  beforeAll(() => {
    mkdirSync(path.join(base, "dir/sub"), { recursive: true });
    mkdirSync(sibling);
    writeFileSync(path.join(base, "dir/f.txt"), "f");
    writeFileSync(path.join(sibling, "x"), "x");
    symlinkSync(path.join(base, "dir"), path.join(base, "hostabs")); // host absolute path inside the root
    symlinkSync(path.join(sibling, "x"), path.join(base, "prefix")); // shares the root's name as a prefix
    symlinkSync("ok1", path.join(base, "chain")); // chain → ok1 → dir/f.txt
    symlinkSync("dir/f.txt", path.join(base, "ok1"));
    symlinkSync("..", path.join(base, "dir/up")); // back to the root: inside
    symlinkSync("../..", path.join(base, "dir/sub/upup")); // back to the root: inside
    symlinkSync("../../..", path.join(base, "dir/sub/out")); // one level above the root
    symlinkSync("/workspace/../etc", path.join(base, "wsdotdot")); // /workspace/.. is /, not the root
    symlinkSync(base, path.join(extra, "root-link")); // the root itself reached through a symlink
  });
  afterAll(() => rmSync(extra, { recursive: true, force: true }));

  async function code(p: string, at = base): Promise<string> {
    try {
      await resolveInWorkspace(at, p);
      return "resolved";
    } catch (err) {
      return err instanceof WorkspaceError ? err.code : String(err);
    }
  }

  it("resolves `.`, the empty path and /workspace to the root", async () => {
    for (const p of [".", "", "./", "/workspace", "/workspace/.", "dir/.."]) expect(await resolveInWorkspace(base, p), JSON.stringify(p)).toBe(base);
  });

  it("follows symlinks that stay inside, through chains and `..` targets", async () => {
    expect(await resolveInWorkspace(base, "hostabs/f.txt")).toBe(path.join(base, "dir/f.txt"));
    expect(await resolveInWorkspace(base, "chain")).toBe(path.join(base, "dir/f.txt"));
    expect(await resolveInWorkspace(base, "dir/up/dir/f.txt")).toBe(path.join(base, "dir/f.txt"));
    expect(await resolveInWorkspace(base, "dir/sub/upup")).toBe(base);
    expect(await resolveInWorkspace(base, "./dir/./f.txt")).toBe(path.join(base, "dir/f.txt"));
  });

  it("refuses symlinks out of the workspace, including to a sibling whose name starts with the root's", async () => {
    for (const p of ["prefix", "dir/sub/out", "dir/sub/out/files/dir/f.txt", "wsdotdot", "wsdotdot/passwd"]) expect(await code(p), p).toBe("path_outside_workspace");
  });

  it("refuses `..` and foreign absolute paths before touching the disk", async () => {
    for (const p of ["..", "../files-evil/x", "dir/../../files-evil/x", "/etc/passwd", "/workspace/../etc"]) expect(await code(p), p).toBe("path_outside_workspace");
  });

  it("refuses NUL bytes and over-long names as invalid_input", async () => {
    expect(await code("dir/\0f.txt")).toBe("invalid_input");
    expect(await code("x".repeat(300))).toBe("invalid_input");
  });

  it("resolves paths that do not exist yet lexically, also below a file", async () => {
    expect(await resolveInWorkspace(base, "new/deeper/file.txt")).toBe(path.join(base, "new/deeper/file.txt"));
    expect(await resolveInWorkspace(base, "dir/f.txt/below")).toBe(path.join(base, "dir/f.txt/below"));
  });

  it("answers under the root's real path when the root is given through a symlink", async () => {
    expect(await resolveInWorkspace(path.join(extra, "root-link"), "dir/f.txt")).toBe(path.join(base, "dir/f.txt"));
    expect(await code("prefix", path.join(extra, "root-link"))).toBe("path_outside_workspace");
  });
});

describe("componentsUnder", () => {
  it("gives the components of a resolved path under the root, and refuses any other", () => {
    expect(componentsUnder("/r/files", "/r/files")).toEqual([]);
    expect(componentsUnder("/r/files", "/r/files/a/b.txt")).toEqual(["a", "b.txt"]);
    for (const p of ["/r/files-evil/x", "/r", "/etc/passwd"]) expect(() => componentsUnder("/r/files", p), p).toThrow(WorkspaceError);
  });
});
