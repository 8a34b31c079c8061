// A unit's handle on the shared transaction, for any driver: the connection's statements, refused
// once the unit has settled (a handle kept past its unit would write into a later batch), and
// nested savepoints. The committers of runtime/sqlite/ and runtime/postgres/ hand one to each unit.
import type { RunResult, Sql, Tx } from "./store.js";

export class UnitTx implements Tx {
  private open = true;
  private savepoints = 0;

  constructor(private readonly connection: Sql) {}

  get dialect() {
    return this.connection.dialect;
  }

  all<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return this.check() ?? this.connection.all<R>(sql, params);
  }

  get<R>(sql: string, params?: readonly unknown[]): Promise<R | undefined> {
    return this.check() ?? this.connection.get<R>(sql, params);
  }

  run(sql: string, params?: readonly unknown[]): Promise<RunResult> {
    return this.check() ?? this.connection.run(sql, params);
  }

  exec(script: string): Promise<void> {
    return this.check() ?? this.connection.exec(script);
  }

  async savepoint<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const name = `nested_${++this.savepoints}`;
    await this.exec(`SAVEPOINT ${name}`);
    let value: T;
    try {
      value = await work(this);
    } catch (error) {
      // A fault may have ended the whole transaction already; then the unit fails with it anyway.
      await this.exec(`ROLLBACK TO SAVEPOINT ${name}`).then(() => this.exec(`RELEASE SAVEPOINT ${name}`)).catch(() => undefined);
      throw error;
    }
    await this.exec(`RELEASE SAVEPOINT ${name}`);
    return value;
  }

  /** The unit settled: every later call is refused. */
  close(): void {
    this.open = false;
  }

  private check(): Promise<never> | undefined {
    if (this.open) return undefined;
    return Promise.reject(new Error("This transaction handle belongs to a unit that has finished; use the handle of the current unit."));
  }
}
