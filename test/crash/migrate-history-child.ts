// A child process for the history migration's crash test: it opens the database and runs every
// pending migration, but dies with SIGKILL inside the transaction once migration 0011 has created
// entry_events and copied the books' finish dates, before the movies' and before the commit.
//   node --import tsx test/crash/migrate-history-child.ts <database file>
import { migrate, readMigrations } from "../../runtime/index.js";
import { SqliteSql } from "../../runtime/sqlite/sqlite-sql.js";
import { openSqliteStore } from "../../runtime/sqlite/sqlite-store.js";
import { MIGRATIONS_DIR } from "../../src/storage.js";

const store = openSqliteStore(process.argv[2]!);
const exec = SqliteSql.prototype.exec;
SqliteSql.prototype.exec = function (this: SqliteSql, sql: string) {
  if (!sql.includes("CREATE TABLE entry_events")) return exec.call(this, sql);
  // The migration's statements one by one: half of its work done, then the power goes.
  const statements = sql.split(/;\s*\n/).filter((s) => s.replace(/--.*$/gm, "").trim() !== "");
  const half = statements.findIndex((s) => s.includes("'finished'"));
  for (const statement of statements.slice(0, half + 1)) this.db.exec(statement);
  process.stdout.write("mid-migration\n");
  process.kill(process.pid, "SIGKILL");
  return Promise.resolve();
};
await store.submit((tx) => migrate(tx, readMigrations(MIGRATIONS_DIR)));
process.stdout.write("migrated\n");
