// A grammY storage adapter over one key/value table of a better-sqlite3 database, used for both the
// session and the conversations plugin. Values are JSON; it never opens or closes the database.
import type Database from "better-sqlite3";
import type { StorageAdapter } from "grammy";

/**
 * grammY's StorageAdapter (read/write/delete by key) on a `(key TEXT PRIMARY KEY, value TEXT)` table,
 * created if missing. Each call is one autocommit statement, so a write is durable once it returns
 * (as durable as the database's `synchronous` setting makes it). Throws what SQLite throws.
 */
export class SqliteStorage<T> implements StorageAdapter<T> {
  private readonly selectValue: Database.Statement<[string], { value: string }>;
  private readonly upsertValue: Database.Statement<[string, string]>;
  private readonly deleteValue: Database.Statement<[string]>;

  constructor(db: Database.Database, table: string) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new Error(`not a table name: ${table}`);
    db.exec(`CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID`);
    this.selectValue = db.prepare(`SELECT value FROM ${table} WHERE key = ?`);
    this.upsertValue = db.prepare(
      `INSERT INTO ${table} (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
    );
    this.deleteValue = db.prepare(`DELETE FROM ${table} WHERE key = ?`);
  }

  read(key: string): T | undefined {
    const row = this.selectValue.get(key);
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  write(key: string, value: T): void {
    this.upsertValue.run(key, JSON.stringify(value));
  }

  delete(key: string): void {
    this.deleteValue.run(key);
  }
}
