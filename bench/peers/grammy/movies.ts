// The peer's SQLite file: opening it (WAL) and the `movies` table. No Telegram here.
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export type Synchronous = "NORMAL" | "FULL";

/**
 * Opens (creating the folder and file if missing) `<dataDir>/peer-grammy.db` in WAL mode with the
 * given `synchronous` level, and creates the `movies` table. Throws if the file cannot be opened.
 */
export function openDatabase(dataDir: string, synchronous: Synchronous): Database.Database {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, "peer-grammy.db"));
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma("busy_timeout = 5000");
  db.exec(`
    CREATE TABLE IF NOT EXISTS movies (
      id INTEGER PRIMARY KEY,
      chat_id INTEGER NOT NULL,
      title TEXT NOT NULL,
      year INTEGER NOT NULL,
      rating INTEGER NOT NULL,
      added_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS movies_by_chat ON movies (chat_id, id);
  `);
  return db;
}

export interface Movie {
  title: string;
  year: number;
  rating: number;
  /** Unix time in milliseconds. */
  addedAt: number;
}

/** The `movies` table of one open database. Each method is one statement; errors are SQLite's. */
export class MovieStore {
  private readonly insert: Database.Statement<[number, string, number, number, number]>;
  private readonly selectForChat: Database.Statement<[number, number], { title: string; year: number; rating: number; added_at: number }>;
  private readonly countForChat: Database.Statement<[number], { n: number }>;

  constructor(db: Database.Database) {
    this.insert = db.prepare("INSERT INTO movies (chat_id, title, year, rating, added_at) VALUES (?, ?, ?, ?, ?)");
    this.selectForChat = db.prepare(
      "SELECT title, year, rating, added_at FROM movies WHERE chat_id = ? ORDER BY id LIMIT ?",
    );
    this.countForChat = db.prepare("SELECT count(*) AS n FROM movies WHERE chat_id = ?");
  }

  add(chatId: number, movie: Movie): void {
    this.insert.run(chatId, movie.title, movie.year, movie.rating, movie.addedAt);
  }

  /** The chat's first `limit` movies in the order they were added, and how many it has in all. */
  list(chatId: number, limit: number): { movies: Movie[]; total: number } {
    const movies = this.selectForChat
      .all(chatId, limit)
      .map((r) => ({ title: r.title, year: r.year, rating: r.rating, addedAt: r.added_at }));
    const total = movies.length < limit ? movies.length : this.countForChat.get(chatId)!.n;
    return { movies, total };
  }
}
