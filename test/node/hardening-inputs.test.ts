/**
 * Inputs refused or cleaned before they reach storage: workspace seed paths
 * (seedPathProblem, workspaceSeedSchema in src/shared/task-spec.ts) and control characters in a
 * full-text search (ftsQuery in src/actors/project/fts.ts).
 */
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { ftsQuery } from "../../src/actors/project/fts.ts";
import { missionRequestSchema } from "../../src/shared/mission-plan.ts";
import { MAX_SEED_SEGMENT_BYTES, seedPathProblem, taskRequestSchema, workspaceSeedSchema } from "../../src/shared/task-spec.ts";

describe("seedPathProblem", () => {
  it("accepts plain relative paths", () => {
    for (const path of ["README.md", "src/main.ts", "a/b/c/d.txt", ".gitignore", "dir/.hidden", "..dots..", "with space/and-ünïcode.txt", "x".repeat(MAX_SEED_SEGMENT_BYTES)]) {
      expect(seedPathProblem(path), path).toBeNull();
    }
  });

  it("refuses what would escape or fail when the workspace is made, naming the path", () => {
    const cases: [string, RegExp][] = [
      ["", /may not be empty/],
      ["../x", /"\.\.\/x" has a '\.\.' segment/],
      ["a/../../x", /'\.\.' segment/],
      ["/etc/x", /"\/etc\/x" is absolute/],
      [".", /"\." has a '\.' segment/],
      ["./a", /'\.' segment/],
      ["a//b", /"a\/\/b" has an empty segment/],
      ["a/", /empty segment/],
      ["a\u0000b", /"a\\u0000b" contains a NUL or control character/],
      ["tab\there", /control character/],
      ["del\u007f", /control character/],
      ["x".repeat(MAX_SEED_SEGMENT_BYTES + 1), /longer than 255 bytes/],
      ["é".repeat(128), /longer than 255 bytes/],
    ];
    for (const [path, problem] of cases) expect(seedPathProblem(path), JSON.stringify(path)).toMatch(problem);
  });
});

describe("workspaceSeedSchema", () => {
  const refusal = (files: Record<string, string>) => {
    const parsed = workspaceSeedSchema.safeParse({ files });
    return parsed.success ? null : z.prettifyError(parsed.error);
  };

  it("keeps good seeds", () => {
    expect(refusal({ "a.txt": "1", "src/b.ts": "2" })).toBeNull();
    expect(workspaceSeedSchema.parse({}).files).toBeUndefined();
  });

  it("refuses a seed with a bad path, naming it", () => {
    expect(refusal({ "ok.txt": "", "../escape": "x" })).toContain('seed file path "../escape"');
    expect(refusal({ "/etc/passwd": "x" })).toContain("is absolute");
  });

  it("refuses a path that is also the folder of another", () => {
    expect(refusal({ a: "file", "a/b": "inside" })).toContain('seed file path "a" is also the folder of another seed file');
    expect(refusal({ "a/b": "x", "a/c": "y" })).toBeNull();
  });

  it("lists at most five problems", () => {
    const files = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`../bad${i}`, "x"]));
    const parsed = workspaceSeedSchema.safeParse({ files });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(parsed.error.issues).toHaveLength(5);
  });

  it("is checked in task requests and mission plans alike", () => {
    expect(taskRequestSchema.safeParse({ prompt: "p", workspace: { files: { "../x": "" } } }).success).toBe(false);
    expect(taskRequestSchema.safeParse({ prompt: "p", workspace: { files: { "x/y": "" } } }).success).toBe(true);
    const plan = { goal: "g", tasks: [{ key: "a", prompt: "p", workspace: { files: { "/etc/x": "" } } }] };
    expect(missionRequestSchema.safeParse(plan).success).toBe(false);
    expect(missionRequestSchema.safeParse({ ...plan, tasks: [{ key: "a", prompt: "p", workspace: { files: { "etc/x": "" } } }] }).success).toBe(true);
  });
});

describe("ftsQuery with control characters", () => {
  it("reads NUL and other control characters as spaces between words", () => {
    expect(ftsQuery("deploy\u0000pipeline")).toBe('"deploy" "pipeline"');
    expect(ftsQuery("a\u0001b\u001fc\u007fd\u0085e\u009ff")).toBe('"a" "b" "c" "d" "e" "f"');
  });

  it("gives the empty phrase for text of control characters only", () => {
    expect(ftsQuery("\u0000")).toBe('""');
    expect(ftsQuery("\u0000\u0001 \u0002")).toBe('""');
  });

  it("leaves no control character in the query", () => {
    const text = Array.from({ length: 0xa0 }, (_, i) => String.fromCharCode(i)).join("word");
    expect(ftsQuery(text)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});

describe("addressKey (the rate limit's key of a client address)", () => {
  it("keeps an IPv4 address and keys IPv6 by its /64", async () => {
    const { addressKey } = await import("../../src/api/people/throttle.ts");
    expect(addressKey("203.0.113.9")).toBe("203.0.113.9");
    expect(addressKey("2001:db8:0:1:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:0:1::/64");
    expect(addressKey("2001:db8:0:1::7")).toBe("2001:db8:0:1::/64");
    expect(addressKey("2001:DB8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
  });
});
