// The runtime's own tables on PostgreSQL, as numbered migrations (the same tables as
// runtime/sqlite/runtime-schema.ts). To be written with the PostgreSQL store.
import type { Migration } from "../migrate.js";

export const RUNTIME_MIGRATIONS: Migration[] = [];
