/**
 * The layering of `src/`, checked on the real import graph (type-only imports included): no
 * cycle, and no import that runs back up. The rules are docs/architecture.md's "Layers"; a new
 * module that breaks one fails here with the import that does.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { parseAst } from "rolldown/parseAst";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const src = resolve(root, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = resolve(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx)$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Every import and re-export specifier of a file (static, dynamic and type-only). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const program = parseAst(text, { lang: file.endsWith(".tsx") ? "tsx" : "ts", sourceType: "module" }, file);
  const found: string[] = [];
  for (const node of program.body) {
    if ((node.type === "ImportDeclaration" || node.type === "ExportAllDeclaration" || node.type === "ExportNamedDeclaration") && node.source) {
      found.push(node.source.value);
    }
  }
  // Dynamic imports and `import("...")` types, found lexically (the AST walk above sees only top-level statements).
  for (const match of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) found.push(match[1]);
  return found;
}

/** Module path relative to src/ (`actors/task/loop.ts`), or the package name for a package import. */
type Edge = { from: string; to: string; external: boolean };

const files = sourceFiles(src);
const edges: Edge[] = files.flatMap((file) =>
  specifiers(file).map((spec) => {
    const from = relative(src, file);
    if (!spec.startsWith(".")) return { from, to: spec, external: true };
    return { from, to: relative(src, resolve(dirname(file), spec)), external: false };
  }),
);

const inside = (path: string, ...dirs: string[]) => dirs.some((d) => path === d || path.startsWith(`${d}/`));

/** Each rule: the files it covers, and whether an import of theirs is allowed. */
const rules: { name: string; covers: (from: string) => boolean; allows: (edge: Edge) => boolean }[] = [
  {
    name: "shared/ is a leaf: it imports only shared/, ids.ts and zod",
    covers: (from) => inside(from, "shared"),
    allows: (e) => (e.external ? e.to === "zod" : inside(e.to, "shared") || e.to === "ids.ts"),
  },
  {
    name: "tools/, models/ and sandbox/ never import actors/ or api/",
    covers: (from) => inside(from, "tools", "models", "sandbox"),
    allows: (e) => e.external || !inside(e.to, "actors", "api"),
  },
  {
    name: "actors/ never imports api/",
    covers: (from) => inside(from, "actors"),
    allows: (e) => e.external || !inside(e.to, "api"),
  },
  {
    name: "ui/ and client/ import only shared/, ids.ts and themselves (ui/ also render/)",
    covers: (from) => inside(from, "ui", "client"),
    allows: (e) => e.external || inside(e.to, "shared", "ui", "client") || e.to === "ids.ts" || (inside(e.from, "ui") && inside(e.to, "render")),
  },
  {
    name: "render/ imports only shared/ and itself",
    covers: (from) => inside(from, "render"),
    allows: (e) => e.external || inside(e.to, "shared", "render"),
  },
  {
    name: "embed/ (the <sam-agent> widget) imports only client/, render/, shared/, ids.ts and itself",
    covers: (from) => inside(from, "embed"),
    allows: (e) => e.external || inside(e.to, "embed", "client", "render", "shared") || e.to === "ids.ts",
  },
  {
    name: "cli/ (the sam CLI, a Node program) speaks the API only: it imports client/, shared/ and itself, never the Workers side",
    covers: (from) => inside(from, "cli"),
    allows: (e) => (e.external ? !/^(agents|ai|@cloudflare\/|cloudflare:)/.test(e.to) : inside(e.to, "cli", "client", "shared")),
  },
  {
    name: "the runner (a Node program of its own) imports only sandbox/ (the port it serves), never the Workers side",
    covers: (from) => inside(from, "sandbox/runner"),
    allows: (e) => (e.external ? !/^(agents|ai|@cloudflare\/|cloudflare:)/.test(e.to) : inside(e.to, "sandbox") && !inside(e.to, "sandbox/open.ts", "sandbox/cloudflare-sandbox.ts")),
  },
  {
    name: "the local VM host (a Node program of its own, a stand-in for Hetzner Cloud) imports only sandbox/vm-host/, and nothing in src/ imports it",
    covers: (from) => inside(from, "sandbox/vm-host"),
    allows: (e) => (e.external ? !/^(agents|ai|@cloudflare\/|cloudflare:)/.test(e.to) : inside(e.to, "sandbox/vm-host")),
  },
  {
    name: "nothing in src/ but the VM host imports the VM host",
    covers: (from) => !inside(from, "sandbox/vm-host"),
    allows: (e) => e.external || !inside(e.to, "sandbox/vm-host"),
  },
  {
    name: "the speech service (a Node program of its own) imports only speech/, never the Workers side",
    covers: (from) => inside(from, "speech"),
    allows: (e) => (e.external ? !/^(agents|ai|@cloudflare\/|cloudflare:)/.test(e.to) : inside(e.to, "speech")),
  },
  {
    name: "nothing imports the speech service but itself",
    covers: (from) => !inside(from, "speech"),
    allows: (e) => e.external || !inside(e.to, "speech"),
  },
  {
    name: "nothing imports the composition roots worker.ts and env.ts",
    covers: () => true,
    allows: (e) => e.external || (e.to !== "worker.ts" && e.to !== "env.ts"),
  },
];

describe("the layers of src/", () => {
  it("finds the modules and their imports", () => {
    expect(files.length).toBeGreaterThan(50);
    expect(edges.some((e) => e.from === "worker.ts" && e.to === "api/app.ts")).toBe(true);
  });

  for (const rule of rules) {
    it(rule.name, () => {
      const broken = edges.filter((e) => rule.covers(e.from) && !rule.allows(e)).map((e) => `${e.from} → ${e.to}`);
      expect(broken).toEqual([]);
    });
  }

  it("has no import cycle, type-only imports included", () => {
    const graph = new Map<string, string[]>();
    for (const e of edges) if (!e.external) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
    const cycles: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const visit = (node: string, path: string[]): void => {
      if (state.get(node) === "done") return;
      if (state.get(node) === "visiting") {
        cycles.push([...path.slice(path.indexOf(node)), node].join(" → "));
        return;
      }
      state.set(node, "visiting");
      for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
      state.set(node, "done");
    };
    for (const node of graph.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });
});
