/**
 * Helpers for actors' SQLite. Schema upkeep: tables are created with `CREATE TABLE IF NOT
 * EXISTS`, and a column added later is added to tables that already exist (additive only, as D1
 * migrations). Caches: a transaction that rolls back drops what an actor keeps from storage.
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

/**
 * Runs `fn` in `storage.transactionSync`; when it throws (the writes are rolled back), calls
 * `dropCaches` first, so an actor's in-memory copies of rows never outlive a rollback. Returns
 * what `fn` returns; rethrows what it throws.
 */
export function transactionDroppingCaches<T>(storage: DurableObjectStorage, fn: () => T, dropCaches: () => void): T {
  try {
    return storage.transactionSync(fn);
  } catch (error) {
    dropCaches();
    throw error;
  }
}
