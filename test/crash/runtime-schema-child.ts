// A child process for the runtime schema's crash test: it opens the storage as the bot does, but
// dies with SIGKILL inside the transaction that migrates the runtime's tables, once the script
// holding `marker` has run up to the statement that holds it (the statements before it done, the
// rest not, nothing committed).
//   node --import tsx test/crash/runtime-schema-child.ts <database file> <marker>
import { SqliteSql } from "../../runtime/sqlite/sqlite-sql.js";
import { openStorage } from "../../src/storage.js";

const [file, marker] = [process.argv[2]!, process.argv[3]!];
const exec = SqliteSql.prototype.exec;
SqliteSql.prototype.exec = function (this: SqliteSql, script: string) {
  if (!script.includes(marker)) return exec.call(this, script);
  // The migration's statements one by one: part of its work done, then the power goes.
  const statements = script.split(/;\s*\n/).filter((s) => s.replace(/--.*$/gm, "").trim() !== "");
  const upTo = statements.findIndex((s) => s.includes(marker));
  for (const statement of statements.slice(0, upTo + 1)) this.db.exec(statement);
  process.stdout.write("mid-migration\n");
  process.kill(process.pid, "SIGKILL");
  return Promise.resolve();
};
await openStorage({ DATABASE_PATH: file, DATABASE_URL: undefined });
process.stdout.write("migrated\n");
