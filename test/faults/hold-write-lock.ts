// A second process on the bot's database that takes and holds SQLite's write lock on command, as a
// backup tool or a stray sqlite3 shell would. Reads lines on stdin: "lock" (BEGIN IMMEDIATE, then
// prints "locked"), "release" (COMMIT, prints "released"). Prints "ready" once open; exits at EOF.
// Usage: node --import tsx test/faults/hold-write-lock.ts <database file>
import readline from "node:readline";
import BetterSqlite3 from "better-sqlite3";

const db = new BetterSqlite3(process.argv[2]!);
const lines = readline.createInterface({ input: process.stdin });
lines.on("line", (line) => {
  if (line === "lock") {
    db.exec("BEGIN IMMEDIATE");
    console.log("locked");
  } else if (line === "release") {
    db.exec("COMMIT");
    console.log("released");
  }
});
lines.on("close", () => {
  if (db.inTransaction) db.exec("COMMIT");
  db.close();
});
console.log("ready");
