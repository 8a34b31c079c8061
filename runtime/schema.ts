// The runtime's own tables, created and migrated by the runtime: each database has its list
// (runtime/sqlite/runtime-schema.ts, runtime/postgres/runtime-schema.ts), recorded in
// runtime_migrations, apart from the application's schema_migrations. Run before the application's
// migrations; a database that is already up to date costs one short unit.
import { type Migration, migrate } from "./migrate.js";
import { RUNTIME_MIGRATIONS as POSTGRES_RUNTIME_MIGRATIONS } from "./postgres/runtime-schema.js";
import { REPLICA_MIGRATIONS } from "./replicas/replica-schema.js";
import { RUNTIME_MIGRATIONS as SQLITE_RUNTIME_MIGRATIONS, RUNTIME_MIGRATIONS_TABLE, adoptLegacyRuntimeSchema } from "./sqlite/runtime-schema.js";
import type { Dialect, Store } from "./store.js";

export { RUNTIME_MIGRATIONS_TABLE };

/** PostgreSQL's list ends with the tables replicas share (leases, the send rate), numbered from 100. */
const POSTGRES_MIGRATIONS: readonly Migration[] = [...POSTGRES_RUNTIME_MIGRATIONS, ...REPLICA_MIGRATIONS];

/** This release's runtime migrations for a database. */
export function runtimeMigrations(dialect: Dialect): readonly Migration[] {
  return dialect === "sqlite" ? SQLITE_RUNTIME_MIGRATIONS : POSTGRES_MIGRATIONS;
}

/**
 * Brings the runtime's tables up to this release, in one unit: on a SQLite file from before the
 * runtime owned them, their records are carried over first (adoptLegacyRuntimeSchema). Returns the
 * versions it applied. Throws DatabaseTooNewError ("runtime schema") for a database of a newer release.
 */
export function migrateRuntimeSchema(store: Store, options: { now?: () => number } = {}): Promise<number[]> {
  return store.submit(async (tx) => {
    if (tx.dialect === "sqlite") await adoptLegacyRuntimeSchema(tx);
    return migrate(tx, runtimeMigrations(tx.dialect), {
      table: RUNTIME_MIGRATIONS_TABLE,
      schemaName: "runtime schema",
      now: options.now,
    });
  });
}
