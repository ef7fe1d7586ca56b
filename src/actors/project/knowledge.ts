/**
 * The project's policies (rules every task's instructions include) and knowledge (facts the tech
 * lead keeps, searchable through an FTS5 index kept in step with the table).
 */
import type { KnowledgeEntry, Policy } from "../../shared/knowledge.ts";
import { ftsQuery } from "./fts.ts";

/** The project's policies, oldest first. */
export function listPolicies(sql: SqlStorage): Policy[] {
  return sql
    .exec<{ id: number; text: string; created_by: string; created_at: string }>(`SELECT * FROM policies ORDER BY id`)
    .toArray()
    .map((r) => ({ id: r.id, text: r.text, createdBy: r.created_by, createdAt: r.created_at }));
}

/** Adds a policy by `createdBy` (a person's name). Returns it. */
export function addPolicy(sql: SqlStorage, text: string, createdBy: string): Policy {
  const createdAt = new Date().toISOString();
  const id = sql.exec<{ id: number }>(`INSERT INTO policies (text, created_by, created_at) VALUES (?, ?, ?) RETURNING id`, text, createdBy, createdAt).one().id;
  return { id, text, createdBy, createdAt };
}

/** Adds a knowledge entry and indexes it, in one transaction. Returns it. */
export function addKnowledge(storage: DurableObjectStorage, title: string, text: string): KnowledgeEntry {
  const createdAt = new Date().toISOString();
  return storage.transactionSync(() => {
    const id = storage.sql.exec<{ id: number }>(`INSERT INTO knowledge (title, text, created_at) VALUES (?, ?, ?) RETURNING id`, title, text, createdAt).one().id;
    storage.sql.exec(`INSERT INTO knowledge_fts (rowid, title, text) VALUES (?, ?, ?)`, id, title, text);
    return { id, title, text, createdAt };
  });
}

/** The knowledge entries matching every word of `query` (see `ftsQuery`), best first, at most `limit`. */
export function searchKnowledge(sql: SqlStorage, query: string, limit: number): KnowledgeEntry[] {
  return sql
    .exec<{ id: number; title: string; text: string; created_at: string }>(
      `SELECT k.id, k.title, k.text, k.created_at FROM knowledge_fts f JOIN knowledge k ON k.id = f.rowid
       WHERE knowledge_fts MATCH ? ORDER BY rank LIMIT ?`,
      ftsQuery(query),
      limit,
    )
    .toArray()
    .map((r) => ({ id: r.id, title: r.title, text: r.text, createdAt: r.created_at }));
}
