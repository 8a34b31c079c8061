// The console chat and the export with DATABASE_URL, as an owner who moved to PostgreSQL runs them:
// the same dialog, the same list, and one line without the password when the server is out of reach.
// On the local PostgreSQL (skipped with the run's notice without one), but for the unreachable case.
import { describe, expect, it } from "vitest";
import { runTool } from "../support/cli-process.js";
import { withTestDatabase } from "../support/postgres.js";

const database = await withTestDatabase();
const PASSWORD = "n0t-Printed";

function withPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = PASSWORD;
  return parsed.toString();
}

describe("the tools with DATABASE_URL out of reach", { timeout: 120_000 }, () => {
  it("export and chat say where in one line, exit 1, and never print the password", async () => {
    const env = { DATABASE_URL: `postgres://media:${PASSWORD}@127.0.0.1:1/media_tracker` };
    const exported = await runTool("export", ["--chat", "1", "--format", "json"], { env });
    const chat = await runTool("chat", ["--chat", "1"], { env, input: "/help\n" });
    for (const result of [exported, chat]) {
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr.trim()).toBe(
        "error: Cannot open the database PostgreSQL at 127.0.0.1:1/media_tracker: connection refused; check that PostgreSQL runs there and listens on that port.",
      );
      expect(result.stderr).not.toContain(PASSWORD);
    }
  });
});

database.describe("the tools on PostgreSQL", () => {
  it("the console chat runs a dialog on DATABASE_URL, and the export prints what it saved", { timeout: 120_000 }, async () => {
    const env = { DATABASE_URL: withPassword(database.url) };
    const chat = await runTool("chat", ["--chat", "77"], { env, input: "/add_movie\nBlade Runner, \"Final Cut\" 🎬\n1982\n4\n/movies\n" });
    expect(chat.code).toBe(0);
    expect(chat.stdout).toContain(`Chatting as chat 77 on PostgreSQL at ${new URL(database.url).host}${new URL(database.url).pathname}.`);
    expect(chat.stdout).toContain('Saved the movie: Blade Runner, "Final Cut" 🎬 (1982), ★★★★☆ 4/5.');
    expect(chat.stdout).toContain("Your movies (1)");
    const exported = await runTool("export", ["--chat", "77", "--format", "json"], { env });
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toEqual([
      expect.objectContaining({ kind: "movie", title: 'Blade Runner, "Final Cut" 🎬', year: 1982, rating: 4 }),
    ]);
    for (const result of [chat, exported]) expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });
});
