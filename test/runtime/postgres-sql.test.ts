// The PostgreSQL driver's pure parts, no server needed: `?` rewritten as `$n` only where it is a
// placeholder, and which errors count as faults of the database.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../runtime/errors.js";
import { toNumberedPlaceholders } from "../../runtime/postgres/postgres-placeholders.js";
import { asStoreError, isConnectionLoss, isPostgresFault } from "../../runtime/postgres/postgres-sql.js";
import { describePostgresUrl, postgresUrlFor } from "../../runtime/postgres/postgres-url.js";

describe("toNumberedPlaceholders", () => {
  it("numbers placeholders in order", () => {
    expect(toNumberedPlaceholders("INSERT INTO t (a, b, c) VALUES (?, ?, ?)")).toBe("INSERT INTO t (a, b, c) VALUES ($1, $2, $3)");
    expect(toNumberedPlaceholders("SELECT 1")).toBe("SELECT 1");
  });

  it("leaves a ? in a string, a quoted name or a comment as text", () => {
    expect(toNumberedPlaceholders("SELECT '?', 'it''s ?', ? -- why?\n, ?")).toBe("SELECT '?', 'it''s ?', $1 -- why?\n, $2");
    expect(toNumberedPlaceholders(`SELECT "odd?name", ? FROM t`)).toBe(`SELECT "odd?name", $1 FROM t`);
    expect(toNumberedPlaceholders("SELECT /* a ? /* nested ? */ still ? */ ?")).toBe("SELECT /* a ? /* nested ? */ still ? */ $1");
  });

  it("reads E'…' strings with backslash escapes, and a plain string's backslash as text", () => {
    expect(toNumberedPlaceholders("SELECT E'a\\' ?', ?")).toBe("SELECT E'a\\' ?', $1");
    expect(toNumberedPlaceholders("SELECT 'a\\', ?")).toBe("SELECT 'a\\', $1");
  });

  it("skips dollar-quoted bodies but not parameters or identifiers with $", () => {
    expect(toNumberedPlaceholders("SELECT $$ ? $$, $tag$ ? $$ ? $tag$, ?")).toBe("SELECT $$ ? $$, $tag$ ? $$ ? $tag$, $1");
    expect(toNumberedPlaceholders("SELECT a$b, ?")).toBe("SELECT a$b, $1");
  });
});

function databaseError(code: string): pg.DatabaseError {
  const error = new pg.DatabaseError("server said no", 0, "error");
  error.code = code;
  return error;
}

describe("isPostgresFault", () => {
  it("counts the server's troubles and lost connections as faults", () => {
    for (const code of ["08006", "08001", "53100", "53300", "57P01", "57P02", "57P03", "40001", "40P01", "55P03", "57014"]) {
      expect(isPostgresFault(databaseError(code)), code).toBe(true);
    }
    for (const code of ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE"]) {
      expect(isPostgresFault(Object.assign(new Error(""), { code })), code).toBe(true);
    }
    expect(isPostgresFault(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isPostgresFault(new Error("Client has encountered a connection error and is not queryable"))).toBe(true);
  });

  it("leaves the work's own errors alone", () => {
    for (const code of ["23505", "23514", "42601", "42P01", "22P02"]) {
      expect(isPostgresFault(databaseError(code)), code).toBe(false);
      expect(asStoreError(databaseError(code))).not.toBeInstanceOf(StoreUnavailableError);
    }
    expect(isPostgresFault(new TypeError("not a function"))).toBe(false);
  });

  it("wraps a fault as StoreUnavailableError, keeping the driver's error as its cause", () => {
    const cause = databaseError("57P01");
    const wrapped = asStoreError(cause);
    expect(wrapped).toBeInstanceOf(StoreUnavailableError);
    expect((wrapped as Error).message).toContain("57P01");
    expect((wrapped as Error).cause).toBe(cause);
  });

  it("tells a lost connection (the outcome unknown) from the server refusing a statement", () => {
    expect(isConnectionLoss(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isConnectionLoss(databaseError("57P01"))).toBe(true);
    expect(isConnectionLoss(asStoreError(databaseError("08006")))).toBe(true);
    expect(isConnectionLoss(databaseError("40001"))).toBe(false);
    expect(isConnectionLoss(databaseError("23505"))).toBe(false);
    expect(isConnectionLoss(undefined)).toBe(false);
  });
});

describe("postgres URLs", () => {
  it("describes where a URL points without its password", () => {
    expect(describePostgresUrl("postgres://bot:s3cret@db.example:6543/tracker")).toBe("db.example:6543/tracker");
    expect(describePostgresUrl("postgres://bot@localhost")).toBe("localhost:5432/bot");
    expect(describePostgresUrl("postgres:///tracker?host=/run/postgresql")).toBe("/run/postgresql:5432/tracker");
    expect(describePostgresUrl("not a url s3cret")).not.toContain("s3cret");
  });

  it("names another database on the same server", () => {
    expect(postgresUrlFor("postgres://bot:pw@db:5432/postgres?sslmode=require", "mt_test_1")).toBe("postgres://bot:pw@db:5432/mt_test_1?sslmode=require");
  });
});
