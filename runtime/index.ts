// The runtime's one import point. It knows nothing of Telegram or media: agents and deliveries
// are given to it by the application.
export { createRuntime } from "./runtime.js";
export type { CommittedMessage, Runtime, RuntimeOptions } from "./runtime.js";
export type { CommitStats, Dialect, RunResult, Sql, Store, Tx, Unit } from "./store.js";
export { openSqliteStore } from "./sqlite/sqlite-store.js";
export type { SqliteStore, SqliteStoreOptions, WriteLock } from "./sqlite/sqlite-store.js";
export { makeFolder } from "./sqlite/sqlite-file.js";
export type { Synchronous } from "./sqlite/sqlite-file.js";
export { Inbox } from "./inbox.js";
export { defineAgent } from "./agent.js";
export type { AgentContext, AgentDefinition, Message, RunOptions, TimerMessage } from "./agent.js";
export { migrate, readMigrations, schemaVersion, DatabaseTooNewError } from "./migrate.js";
export type { Migration, MigrateOptions } from "./migrate.js";
export { RUNTIME_MIGRATIONS_TABLE, migrateRuntimeSchema, runtimeMigrations } from "./schema.js";
export type { AcceptOutcome, NewMessage, StoreOutcome } from "./inbox.js";
export type { Deliver, DeliveryResult, Pacing } from "./outbox-worker.js";
export type { RecoveryReport } from "./recovery.js";
export { OperatorActions } from "./operator-actions.js";
export type { OperatorAction, OperatorOutcome } from "./operator-actions.js";
export { Introspection } from "./introspect.js";
export type {
  AgentSummary, ArmedTimer, MessageRecord, OperatorActionRecord, ParkedMessage, SendRecord, StepRecord, StoredState,
} from "./introspect.js";
export type { Clock, Scheduled, Scheduler } from "./clock.js";
export { realScheduler, systemClock, systemScheduler } from "./clock.js";
export { VirtualScheduler } from "./virtual-scheduler.js";
export type { VirtualSchedulerOptions, VirtualWaitOptions } from "./virtual-scheduler.js";
export type { Logger, RuntimeEvents } from "./observer.js";
export { AgentBusyError, NonDeterminismError, PermanentError, RetryableError, StepMisuseError, StoreUnavailableError } from "./errors.js";
export { CRASH_POINTS, crashPoint } from "./crash-points.js";
export type { CrashPointName } from "./crash-points.js";
