/**
 * The renderer's pure parts (src/render): a unified diff split file by file (diff2html's parser,
 * paths as a reader expects them), code fences that the fenced text cannot close, and which
 * images rendered Markdown may load (only the page's own origin, or inline raster images).
 */
import { marked } from "marked";
import { describe, expect, it } from "vitest";
import { parseDiffFiles } from "../../src/render/diff-files.ts";
import { codeFence } from "../../src/render/fence.ts";
import { imageSourceAllowed, withoutOutsideUrls } from "../../src/render/image-source.ts";

const gitDiff = `diff --git a/src/a.ts b/src/a.ts
index 83db48f..bf269f4 100644
--- a/src/a.ts
+++ b/src/a.ts
@@ -1,3 +1,4 @@
 const a = 1;
-const b = 2;
+const b = 3;
+const d = 5;
 const c = 4;
diff --git a/gone.txt b/gone.txt
deleted file mode 100644
index 1b4b6a1..0000000
--- a/gone.txt
+++ /dev/null
@@ -1,2 +0,0 @@
-bye
-now
diff --git a/docs/new file.md b/docs/new file.md
new file mode 100644
index 0000000..e69de29
--- /dev/null
+++ b/docs/new file.md
@@ -0,0 +1 @@
+hello
`;

describe("parseDiffFiles", () => {
  it("gives one entry per file with its path and added/removed line counts", () => {
    const files = parseDiffFiles(gitDiff);
    expect(files.map(({ path, added, removed }) => ({ path, added, removed }))).toEqual([
      { path: "src/a.ts", added: 2, removed: 1 },
      { path: "gone.txt", added: 0, removed: 2 },
      { path: "docs/new file.md", added: 1, removed: 0 },
    ]);
    expect(files[1]?.file.isDeleted).toBe(true);
  });

  it("gives nothing for an empty diff", () => {
    expect(parseDiffFiles("")).toEqual([]);
    expect(parseDiffFiles("  \n")).toEqual([]);
  });
});

describe("codeFence", () => {
  it("uses three backticks and the language when the text has none", () => {
    expect(codeFence('{"a": 1}', "json")).toBe('```json\n{"a": 1}\n```');
  });

  it("uses a fence longer than any backtick run inside, so the text stays one code block", () => {
    const text = "before\n```\n</code><script>x()</script>\n````\nafter";
    const fenced = codeFence(text, "json");
    expect(fenced.startsWith("`````json\n")).toBe(true);
    const tokens = marked.lexer(fenced);
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({ type: "code", lang: "json", text });
  });

  it("keeps only the language's first word, in plain characters", () => {
    expect(codeFence("x", 'js onload="y"')).toBe("```js\nx\n```");
    expect(codeFence("x", "c<b>")).toBe("```cb\nx\n```");
  });
});

describe("which images rendered Markdown loads", () => {
  const page = "https://sam.example/projects/prj_1";
  it("loads relative, same-origin and inline raster images", () => {
    for (const src of ["/files/a.png", "a.png", "https://sam.example/a.png", "data:image/png;base64,iVBORw0KGgo=", " data:image/webp;base64,UklGR== "]) {
      expect(imageSourceAllowed(src, page), src).toBe(true);
    }
  });
  it("never loads another site's image, a protocol-relative one, inline SVG or another scheme", () => {
    for (const src of ["https://attacker.example/leak.png?secret=abc", "//attacker.example/x.png", "http://sam.example/a.png", "https://sam.example:8443/a.png", "data:image/svg+xml;base64,PHN2Zz4=", "javascript:alert(1)", "ftp://sam.example/a.png", "http://[bad"]) {
      expect(imageSourceAllowed(src, page), src).toBe(false);
    }
  });
});

describe("CSS in diagrams", () => {
  it("keeps in-document url(#...) and drops every other url() and @import", () => {
    expect(withoutOutsideUrls("marker-end: url(#arrowhead); fill: red")).toBe("marker-end: url(#arrowhead); fill: red");
    expect(withoutOutsideUrls("background: url('#grad')")).toBe("background: url('#grad')");
    expect(withoutOutsideUrls("background-image: url(https://attacker.example/x.png?s=1); color: red")).toBe("background-image: none; color: red");
    expect(withoutOutsideUrls('fill: URL( "//attacker.example/a" )')).toBe("fill: none");
    expect(withoutOutsideUrls('@import "https://attacker.example/a.css"; .node { fill: blue }')).toBe(" .node { fill: blue }");
    // Escapes cannot hide a url() or an @import; image-set() becomes an invalid function (ignored).
    expect(withoutOutsideUrls("background: u\\72l(https://attacker.example/x)")).toBe("background: none");
    expect(withoutOutsideUrls('@\\69mport "https://attacker.example/a.css";')).toBe("");
    expect(withoutOutsideUrls('background: image-set("https://attacker.example/x.png" 1x)')).toBe('background: none("https://attacker.example/x.png" 1x)');
    expect(withoutOutsideUrls("fill: url(https://attacker.example/p#x)")).toBe("fill: none");
  });
});
