/**
 * The runner's file operations (read, write, list, search, diff) over real HTTP, including
 * escape attempts through `..`, absolute paths and symlinks planted by sandboxed commands.
 */
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, startTestRunner, token, type TestRunner } from "./runner-helpers.ts";

let t: TestRunner;
const WS = "ws_files";
let hostFile: string;
const HOST_CONTENT = "host file that must stay untouched\n";

beforeAll(async () => {
  t = await startTestRunner();
  hostFile = path.join(os.tmpdir(), `sam-host-target-${token()}.txt`);
  await fsp.writeFile(hostFile, HOST_CONTENT);
  const seed = { "a.txt": "alpha\nbeta\n", "src/main.js": "console.log('hello');\n", "gone.txt": "bye\n" };
  expect((await t.call("PUT", `/v1/workspaces/${WS}`, { files: seed })).status).toBe(201);
  // Planted from inside the sandbox, as an agent could.
  const plant = await t.exec(
    WS,
    [
      "ln -s /etc/passwd leak",
      "ln -s / root",
      "ln -s /etc etcdir",
      "ln -s ../.. up",
      `ln -s ${hostFile} hostlink`,
      "ln -s /workspace/a.txt abs-inside",
      "ln -s src/main.js rel-inside",
      "mkdir -p sub && ln -s ../../.. sub/escape",
    ].join(" && "),
  );
  expect(plant.exitCode).toBe(0);
});

afterAll(async () => {
  await fsp.rm(hostFile, { force: true });
  await t?.stop();
});

const op = (name: string, body: unknown) => t.call("POST", `/v1/workspaces/${WS}/${name}`, body);

async function expectOutside(name: string, body: Record<string, unknown>): Promise<void> {
  const res = await op(name, body);
  expect(res.status, `${name} ${JSON.stringify(body)}`).toBe(400);
  expect(errorOf(res.json).code, `${name} ${JSON.stringify(body)}`).toBe("path_outside_workspace");
}

describe("path confinement", () => {
  const escapes = [
    "../x",
    "a/../../x",
    "../../../../etc/passwd",
    "/etc/passwd",
    "/tmp/x",
    "/workspace/../etc/passwd",
    "/workspacefoo/x",
    "leak",
    "root/etc/passwd",
    "etcdir/passwd",
    "up/x",
    "hostlink",
    "sub/escape/etc/passwd",
    "root",
  ];

  it("refuses reads that leave the workspace", async () => {
    for (const p of escapes) await expectOutside("read", { path: p });
  });

  it("refuses writes that leave the workspace and leaves the targets untouched", async () => {
    for (const p of [...escapes, `root${hostFile}`, "etcdir/sam-pwned"]) await expectOutside("write", { path: p, content: "pwned" });
    expect(await fsp.readFile(hostFile, "utf8")).toBe(HOST_CONTENT);
    await expect(fsp.stat("/etc/sam-pwned")).rejects.toThrow();
  });

  it("refuses list and search through escaping paths", async () => {
    for (const p of ["root", "etcdir", "../", "/etc", "up"]) {
      await expectOutside("list", { path: p });
      await expectOutside("search", { pattern: "root", path: p });
    }
  });

  it("accepts /workspace paths and symlinks that stay inside", async () => {
    expect((await op("write", { path: "/workspace/w/x.txt", content: "über\n" })).json).toEqual({ bytes: 6 });
    expect((await op("read", { path: "w/x.txt" })).json).toEqual({ content: "über\n" });
    expect((await op("read", { path: "/workspace/w/x.txt" })).json).toEqual({ content: "über\n" });
    expect((await op("read", { path: "./w/../w/x.txt" })).json).toEqual({ content: "über\n" });
    expect((await op("read", { path: "abs-inside" })).json).toEqual({ content: "alpha\nbeta\n" });
    expect((await op("read", { path: "rel-inside" })).json).toEqual({ content: "console.log('hello');\n" });
    const seen = await t.exec(WS, "cat w/x.txt");
    expect(seen.output).toBe("über\n");
  });

  it("refuses a write whose final component is a dangling symlink to outside", async () => {
    const target = path.join(os.tmpdir(), `sam-dangling-${token()}`);
    expect((await t.exec(WS, `ln -s ${target} dangling`)).exitCode).toBe(0);
    await expectOutside("write", { path: "dangling", content: "pwned" });
    await expect(fsp.stat(target)).rejects.toThrow();
  });
});

describe("read and write", () => {
  it("reports not_found and is_directory", async () => {
    const missing = await op("read", { path: "nope.txt" });
    expect(missing.status).toBe(404);
    expect(errorOf(missing.json).code).toBe("not_found");
    for (const [name, body] of [
      ["read", { path: "src" }],
      ["write", { path: "src", content: "x" }],
      ["read", { path: "/workspace" }],
    ] as const) {
      const res = await op(name, body);
      expect(res.status).toBe(400);
      expect(errorOf(res.json).code).toBe("is_directory");
    }
  });

  it("does not block on a FIFO", async () => {
    expect((await t.exec(WS, "mkfifo pipe")).exitCode).toBe(0);
    const r = await op("read", { path: "pipe" });
    expect(r.status).toBe(400);
    expect(errorOf(r.json).code).toBe("invalid_input");
  });

  it("creates parents and replaces content", async () => {
    expect((await op("write", { path: "deep/er/f.txt", content: "long content" })).json).toEqual({ bytes: 12 });
    expect((await op("write", { path: "deep/er/f.txt", content: "short" })).json).toEqual({ bytes: 5 });
    expect((await t.exec(WS, "cat deep/er/f.txt; echo; echo more >> deep/er/f.txt && echo appended")).output).toBe("short\nappended\n");
  });
});

describe("list", () => {
  it("lists recursively, reports symlinks without following them, skips .git and node_modules contents", async () => {
    await t.exec(WS, "mkdir -p .git/objects node_modules/pkg && touch .git/objects/x node_modules/pkg/index.js");
    const res = await op("list", {});
    expect(res.status).toBe(200);
    const { entries, truncated } = res.json as { entries: { path: string; type: string; size: number }[]; truncated: boolean };
    expect(truncated).toBe(false);
    const byPath = new Map(entries.map((e) => [e.path, e]));
    expect(byPath.get("a.txt")).toEqual({ path: "a.txt", type: "file", size: 11 });
    expect(byPath.get("src")?.type).toBe("dir");
    expect(byPath.get("src/main.js")?.type).toBe("file");
    for (const link of ["leak", "root", "etcdir", "up", "hostlink", "sub/escape"]) expect(byPath.get(link)?.type, link).toBe("symlink");
    expect(byPath.get(".git")?.type).toBe("dir");
    expect(byPath.get("node_modules")?.type).toBe("dir");
    expect(entries.some((e) => e.path.startsWith(".git/") || e.path.startsWith("node_modules/"))).toBe(false);
    expect(entries.some((e) => e.path.startsWith("root/") || e.path.startsWith("etcdir/"))).toBe(false);
  });

  it("narrows to a directory or a file", async () => {
    const dir = (await op("list", { path: "src" })).json as { entries: { path: string }[] };
    expect(dir.entries.map((e) => e.path)).toEqual(["src/main.js"]);
    const file = (await op("list", { path: "/workspace/a.txt" })).json as { entries: { path: string }[] };
    expect(file.entries).toEqual([{ path: "a.txt", type: "file", size: 11 }]);
  });

  it("stops at 2,000 entries with truncated set", async () => {
    const id = `ws_many_${token()}`;
    await t.call("PUT", `/v1/workspaces/${id}`, {});
    await t.exec(id, "mkdir many && cd many && seq 1 2100 | xargs touch");
    const res = (await t.call("POST", `/v1/workspaces/${id}/list`, {})).json as { entries: unknown[]; truncated: boolean };
    expect(res.entries.length).toBe(2000);
    expect(res.truncated).toBe(true);
  });
});

describe("search", () => {
  it("finds regex matches with 1-based lines, skipping symlinks and binary files", async () => {
    await t.exec(WS, "printf 'beta\\0binary' > bin.dat");
    const res = await op("search", { pattern: "^be+ta$" });
    expect(res.json).toEqual({ matches: [{ path: "a.txt", line: 2, text: "beta" }], truncated: false });
    // /etc/passwd content ("root:") is reachable only through symlinks, which are not followed.
    const leak = (await op("search", { pattern: "^root:" })).json as { matches: unknown[] };
    expect(leak.matches).toEqual([]);
  });

  it("narrows to a file or directory", async () => {
    const inFile = (await op("search", { pattern: "hello", path: "src/main.js" })).json as { matches: { path: string }[] };
    expect(inFile.matches.map((m) => m.path)).toEqual(["src/main.js"]);
    const inDir = (await op("search", { pattern: "alpha", path: "src" })).json as { matches: unknown[] };
    expect(inDir.matches).toEqual([]);
  });

  it("rejects an invalid regex with 400 invalid_input", async () => {
    const res = await op("search", { pattern: "([a-z" });
    expect(res.status).toBe(400);
    expect(errorOf(res.json).code).toBe("invalid_input");
  });

  it("caps matches at 500", async () => {
    const id = `ws_matches_${token()}`;
    await t.call("PUT", `/v1/workspaces/${id}`, {});
    await t.exec(id, "seq 1 800 | sed 's/^/hit /' > hits.txt");
    const res = (await t.call("POST", `/v1/workspaces/${id}/search`, { pattern: "hit" })).json as { matches: unknown[]; truncated: boolean };
    expect(res.matches.length).toBe(500);
    expect(res.truncated).toBe(true);
  });
});

describe("diff", () => {
  it("reports added, modified and deleted files against the seed", async () => {
    const id = `ws_diff_${token()}`;
    await t.call("PUT", `/v1/workspaces/${id}`, { files: { "a.txt": "one\ntwo\n", "old.txt": "bye\n", "keep.txt": "same\n" } });
    const empty = await t.call("POST", `/v1/workspaces/${id}/diff`, {});
    expect(empty.json).toEqual({ diff: "", changedFiles: [] });
    await t.exec(id, "echo three >> a.txt; rm old.txt; mkdir -p d && echo new > d/new.txt; mkdir -p node_modules && echo x > node_modules/ignored.js");
    const res = await t.call("POST", `/v1/workspaces/${id}/diff`, {});
    expect(res.status).toBe(200);
    const { diff, changedFiles } = res.json as { diff: string; changedFiles: string[] };
    expect(changedFiles).toEqual(["a.txt", "d/new.txt", "old.txt"]);
    expect(diff).toContain("diff --git a/a.txt b/a.txt\n");
    expect(diff).toContain("--- a/a.txt\n+++ b/a.txt\n");
    expect(diff).toContain("+three\n");
    expect(diff).toContain("diff --git a/d/new.txt b/d/new.txt\nnew file mode 100644\n");
    expect(diff).toContain("--- /dev/null\n+++ b/d/new.txt\n");
    expect(diff).toContain("diff --git a/old.txt b/old.txt\ndeleted file mode 100644\n");
    expect(diff).not.toContain("keep.txt");
    expect(diff).not.toContain(t.workspacesDir);
  });

  it("lists the same changed files without the patch on /changes", async () => {
    const id = `ws_changes_${token()}`;
    await t.call("PUT", `/v1/workspaces/${id}`, { files: { "a.txt": "one\n", "old.txt": "bye\n", "keep.txt": "same\n", "run.sh": "true\n" } });
    expect((await t.call("POST", `/v1/workspaces/${id}/changes`, {})).json).toEqual({ changedFiles: [] });
    await t.exec(id, "echo two >> a.txt; rm old.txt; mkdir -p d && echo new > d/new.txt; chmod +x run.sh; mkdir -p .git && echo x > .git/HEAD");
    const res = await t.call("POST", `/v1/workspaces/${id}/changes`, {});
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ changedFiles: ["a.txt", "d/new.txt", "old.txt", "run.sh"] });
    expect(((await t.call("POST", `/v1/workspaces/${id}/diff`, {})).json as { changedFiles: string[] }).changedFiles).toEqual(["a.txt", "d/new.txt", "old.txt", "run.sh"]);
    const missing = await t.call("POST", `/v1/workspaces/ws_missing_${token()}/changes`, {});
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ error: { code: "workspace_unavailable" } });
  });

  it("treats an unchanged large file as unchanged and a changed one as changed", async () => {
    const id = `ws_diff_big_${token()}`;
    const big = "x".repeat(5 * 1024 * 1024);
    await t.call("PUT", `/v1/workspaces/${id}`, { files: { "big.txt": big, "big2.txt": big } });
    await t.exec(id, "printf y | dd of=big2.txt bs=1 seek=100 conv=notrunc 2>/dev/null");
    const { diff, changedFiles } = (await t.call("POST", `/v1/workspaces/${id}/diff`, {})).json as { diff: string; changedFiles: string[] };
    expect(changedFiles).toEqual(["big2.txt"]);
    expect(diff.length).toBeLessThan(10_000);
    expect(diff).toMatch(/^-\[content not shown: 5242880 bytes, sha256 [0-9a-f]{64}\]$/m);
    expect(diff).toMatch(/^\+\[content not shown: 5242880 bytes, sha256 [0-9a-f]{64}\]$/m);
  });

  it("shows a planted symlink as its target text, never the target's content", async () => {
    const id = `ws_diff_link_${token()}`;
    await t.call("PUT", `/v1/workspaces/${id}`, {});
    await t.exec(id, `ln -s ${hostFile} link`);
    const { diff, changedFiles } = (await t.call("POST", `/v1/workspaces/${id}/diff`, {})).json as { diff: string; changedFiles: string[] };
    expect(changedFiles).toEqual(["link"]);
    expect(diff).toContain("new file mode 120000");
    expect(diff).toContain(`+${hostFile}`);
    expect(diff).not.toContain(HOST_CONTENT.trim());
  });
});
