// Copies every table of a SQLite source into a PostgreSQL store whose schema is this release's, in
// ONE unit, so in one transaction: a copy that fails or is killed mid-way leaves the target as it
// was, and running it again does the whole copy. Rows go in by their own keys with INSERT … ON
// CONFLICT DO NOTHING, so a row already there (a second run) is counted, not copied twice. Then
// every serial or identity column's sequence is moved past the highest key copied, so the rows the
// bot adds next never collide with copied ones.
import type { Store, Tx } from "../../runtime/store.js";
import type { SourceTable, SourceValue, SqliteSource } from "./sqlite-source.js";
import { quoteName } from "./sql-names.js";

export interface TableCopy {
  table: string;
  /** Rows inserted by this run. */
  copied: number;
  /** Rows whose key the target had already (an earlier run copied them). */
  alreadyThere: number;
}

export interface CopyReport {
  /** By table name. */
  tables: TableCopy[];
  copied: number;
  alreadyThere: number;
}

/** The target cannot take the source's tables as they are (a table or column it lacks). */
export class CopyRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CopyRefusedError";
  }
}

/** Parameters per INSERT: well under PostgreSQL's 65,535, and rows enough per round trip. */
const MAX_PARAMETERS = 10_000;
const MAX_ROWS = 1_000;
/** Text per INSERT, so a table of large JSON (staged imports) goes in several. */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** Copies `source` into `target` (a PostgreSQL store) in one transaction; see the top of this file. */
export async function copyDatabase(source: SqliteSource, target: Store): Promise<CopyReport> {
  if (target.dialect !== "postgres") throw new Error("copy-db copies into PostgreSQL only.");
  const tables = source.tables();
  return target.submit(async (tx) => {
    const targetColumns = await columnsOf(tx);
    for (const table of tables) checkTarget(table, targetColumns);
    const copies = new Map<string, TableCopy>();
    for (const table of inDependencyOrder(tables, await foreignKeys(tx))) {
      copies.set(table.name, await copyTable(tx, source, table));
    }
    await moveSequences(tx, tables);
    const report = tables.map((table) => copies.get(table.name)!);
    return {
      tables: report,
      copied: report.reduce((sum, t) => sum + t.copied, 0),
      alreadyThere: report.reduce((sum, t) => sum + t.alreadyThere, 0),
    };
  });
}

async function copyTable(tx: Tx, source: SqliteSource, table: SourceTable): Promise<TableCopy> {
  const columns = table.columns.map(quoteName).join(", ");
  const rowsPerBatch = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMETERS / table.columns.length)));
  const rowPlaceholders = `(${table.columns.map(() => "?").join(", ")})`;
  let copied = 0;
  try {
    for (const batch of source.batches(table.name, table.columns, rowsPerBatch, MAX_BATCH_BYTES)) {
      const sql = `INSERT INTO ${quoteName(table.name)} (${columns}) VALUES ${batch.map(() => rowPlaceholders).join(", ")} ON CONFLICT DO NOTHING`;
      copied += (await tx.run(sql, batch.flat().map(toParameter))).changes;
    }
  } catch (error) {
    throw new Error(`copying table ${table.name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { table: table.name, copied, alreadyThere: table.rows - copied };
}

/**
 * A source value as the pg driver sends it: a 64-bit integer as its digits (exact past 2^53), and
 * text without U+0000, which PostgreSQL's TEXT cannot hold and the application's stores drop too
 * (src/store/storable-text.ts).
 */
function toParameter(value: SourceValue): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string" && value.includes("\u0000")) return value.replaceAll("\u0000", "");
  return value;
}

/** The target's tables (in its current schema) and their columns. */
async function columnsOf(tx: Tx): Promise<Map<string, Set<string>>> {
  const rows = await tx.all<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'`,
  );
  const tables = new Map<string, Set<string>>();
  for (const row of rows) {
    const columns = tables.get(row.table_name) ?? new Set<string>();
    columns.add(row.column_name);
    tables.set(row.table_name, columns);
  }
  return tables;
}

/** Every table and column of the source must have its place in the target: nothing is left behind. */
function checkTarget(table: SourceTable, targetColumns: Map<string, Set<string>>): void {
  const columns = targetColumns.get(table.name);
  if (!columns) {
    // Not one of this release's tables (the schema check passed): added to the file by hand, or by another program.
    throw new CopyRefusedError(`the target has no table ${table.name}, which the source has`);
  }
  const missing = table.columns.filter((column) => !columns.has(column));
  if (missing.length > 0) {
    throw new CopyRefusedError(`the target's table ${table.name} has no column ${missing.join(", ")}, which the source has`);
  }
}

/** Which table refers to which (foreign keys) in the target, child → its parents. */
async function foreignKeys(tx: Tx): Promise<Map<string, Set<string>>> {
  const rows = await tx.all<{ child: string; parent: string }>(
    `SELECT child.relname AS child, parent.relname AS parent FROM pg_constraint k
       JOIN pg_class child ON child.oid = k.conrelid
       JOIN pg_class parent ON parent.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = child.relnamespace
     WHERE k.contype = 'f' AND n.nspname = current_schema()`,
  );
  const parents = new Map<string, Set<string>>();
  for (const { child, parent } of rows) {
    if (child === parent) continue;
    const set = parents.get(child) ?? new Set<string>();
    set.add(parent);
    parents.set(child, set);
  }
  return parents;
}

/** The tables with every table a foreign key refers to before the tables referring to it (entries before entry_events). */
function inDependencyOrder(tables: readonly SourceTable[], parents: Map<string, Set<string>>): SourceTable[] {
  const ordered: SourceTable[] = [];
  const placed = new Set<string>();
  const names = new Set(tables.map((t) => t.name));
  let remaining = [...tables];
  while (remaining.length > 0) {
    const ready = remaining.filter((t) => [...(parents.get(t.name) ?? [])].every((p) => placed.has(p) || !names.has(p)));
    // A cycle of foreign keys (none in this schema): the rest in name order, and the target says which row fails.
    const next = ready.length > 0 ? ready : remaining;
    for (const table of next) {
      ordered.push(table);
      placed.add(table.name);
    }
    remaining = remaining.filter((t) => !placed.has(t.name));
  }
  return ordered;
}

/**
 * Moves each serial or identity sequence of the copied tables past the highest key: the largest of
 * the keys now in the table, SQLite's own high-water mark (AUTOINCREMENT never hands a deleted
 * row's key out again, and neither will PostgreSQL then), and where the sequence stands already (it
 * never goes back). setval is not undone by a rollback: a copy that fails after it leaves the
 * sequence ahead, which only skips some numbers.
 */
async function moveSequences(tx: Tx, tables: readonly SourceTable[]): Promise<void> {
  const sequences = await tx.all<{ table_name: string; column_name: string; sequence: string }>(
    `SELECT table_name, column_name, pg_get_serial_sequence(format('%I.%I', table_schema, table_name), column_name) AS sequence
     FROM information_schema.columns
     WHERE table_schema = current_schema()
       AND pg_get_serial_sequence(format('%I.%I', table_schema, table_name), column_name) IS NOT NULL`,
  );
  for (const { table_name, column_name, sequence } of sequences) {
    const table = tables.find((t) => t.name === table_name);
    if (!table) continue;
    const row = await tx.get<{ highest: number | null }>(
      `SELECT GREATEST(MAX(${quoteName(column_name)}), ?::bigint, pg_sequence_last_value(?::regclass)) AS highest FROM ${quoteName(table_name)}`,
      [table.highestKey ?? null, sequence],
    );
    const highest = row?.highest ?? null;
    if (highest !== null && highest >= 1) await tx.get("SELECT setval(?::regclass, ?::bigint)", [sequence, highest]);
  }
}
