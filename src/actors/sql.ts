/**
 * Schema upkeep for actors' SQLite: tables are created with `CREATE TABLE IF NOT EXISTS`, and a
 * column added later is added to tables that already exist (additive only, as D1 migrations).
 */

/**
 * Adds each column of `columns` (name → SQL declaration, e.g. `"TEXT"`, `"INTEGER NOT NULL DEFAULT 0"`)
 * that `table` lacks. Existing rows get the declaration's default.
 */
export function ensureColumns(sql: SqlStorage, table: string, columns: Record<string, string>): void {
  // The column names of an empty result; this runs in every actor's constructor.
  const present = new Set(sql.exec(`SELECT * FROM ${table} LIMIT 0`).columnNames);
  for (const [name, declaration] of Object.entries(columns)) {
    if (!present.has(name)) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${declaration}`);
  }
}
