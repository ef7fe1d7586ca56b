import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ensureColumns } from "../../src/actors/sql.ts";

describe("actor schema upkeep", () => {
  it("adds only the missing columns, with their defaults for existing rows, and is a no-op the second time", async () => {
    const stub = env.TaskAgent.get(env.TaskAgent.idFromName("schema-upkeep"));
    const result = await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec(`CREATE TABLE old_table (id TEXT PRIMARY KEY, kept TEXT)`);
      sql.exec(`INSERT INTO old_table (id, kept) VALUES ('a', 'k')`);
      const columns = { kept: "TEXT", added: "TEXT NOT NULL DEFAULT 'dflt'", counter: "INTEGER NOT NULL DEFAULT 0" };
      ensureColumns(sql, "old_table", columns);
      const definition = () => sql.exec<{ sql: string }>(`SELECT sql FROM sqlite_master WHERE name = 'old_table'`).one().sql;
      const before = definition();
      ensureColumns(sql, "old_table", columns);
      return { row: sql.exec(`SELECT * FROM old_table`).one(), unchanged: definition() === before };
    });
    expect(result.row).toEqual({ id: "a", kept: "k", added: "dflt", counter: 0 });
    expect(result.unchanged).toBe(true);
  });

  it("creates a new task actor's table with every column at once (no ALTER TABLE)", async () => {
    const stub = env.TaskAgent.get(env.TaskAgent.idFromName("schema-fresh"));
    const sqlText = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec<{ sql: string }>(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'task'`).one().sql,
    );
    // ALTER TABLE ADD COLUMN appends ", <column>" to the stored statement on the same line; the
    // one CREATE statement has the later columns on their own line after updated_at.
    expect(sqlText).toMatch(/updated_at TEXT NOT NULL,\n\s+budget_usd REAL, .*checked_in_at INTEGER\)$/s);
  });
});
