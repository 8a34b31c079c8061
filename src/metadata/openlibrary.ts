// Books from Open Library (no key): GET /search.json?q=…&fields=…&limit=… for matches, and for one
// work GET /works/{id}.json, its first author's /authors/{id}.json and /works/{id}/editions.json
// (for an ISBN). Covers come from its covers service by cover id. Open Library asks every client
// for a User-Agent naming it, and for moderate use: one call per search, three per details.
import { z } from "zod";
import { raceSignal } from "./clock.js";
import { MetadataError, ProviderUnavailableError, TitleNotFoundError } from "./errors.js";
import { createHttpClient, DEFAULT_TIMEOUT_MS, endpoint, type HttpClient } from "./http.js";
import { cleanLine, compact, MAX_NAME, MAX_QUERY, MAX_TITLE, pickIsbn, yearFrom } from "./normalize.js";
import type { BookDetails, BookMatch, BookProvider } from "./types.js";

export const OPENLIBRARY_DEFAULT_ROOT = "https://openlibrary.org";
export const OPENLIBRARY_COVERS = "https://covers.openlibrary.org/b/id";

/** The fields a search asks for; without `fields` a popular work's answer runs to megabytes. */
export const SEARCH_FIELDS = "key,title,author_name,first_publish_year,cover_i,isbn";

export interface OpenLibraryOptions {
  root?: string;
  userAgent: string;
  timeoutMs?: number;
  maxResults?: number;
  fetch?: typeof fetch;
}

const WORK_KEY = /^\/works\/(OL[1-9]\d{0,11}W)$/;
const AUTHOR_KEY = /^\/authors\/(OL[1-9]\d{0,11}A)$/;

const loose = <T extends z.ZodType>(schema: T) => schema.nullish().catch(undefined);

const searchAnswer = z.object({
  docs: z.array(
    z.object({
      key: z.string(),
      title: z.string(),
      author_name: loose(z.array(z.unknown())),
      first_publish_year: loose(z.number()),
      cover_i: loose(z.number()),
      isbn: loose(z.array(z.unknown())),
    }),
  ),
});

const workAnswer = z.union([
  // A merged work is a redirect record pointing at the one that stays.
  z.object({ type: z.object({ key: z.literal("/type/redirect") }), location: z.string() }),
  z.object({ type: z.object({ key: z.literal("/type/delete") }) }),
  z.object({
    key: z.string(),
    title: z.string(),
    authors: loose(
      z.array(
        z.object({
          author: loose(z.object({ key: z.string() })),
          key: loose(z.string()),
        }),
      ),
    ),
    covers: loose(z.array(z.unknown())),
    first_publish_date: loose(z.string()),
  }),
]);

const authorAnswer = z.object({ name: z.string() });

const editionsAnswer = z.object({
  entries: z.array(
    z.object({
      isbn_13: loose(z.array(z.unknown())),
      isbn_10: loose(z.array(z.unknown())),
    }),
  ),
});

export function createOpenLibraryProvider(options: OpenLibraryOptions): BookProvider {
  const root = options.root ?? OPENLIBRARY_DEFAULT_ROOT;
  const maxResults = options.maxResults ?? 5;
  const http = createHttpClient({
    provider: "openlibrary",
    userAgent: options.userAgent,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });

  return {
    name: "openlibrary",

    async search(query, signal) {
      const q = cleanLine(query, MAX_QUERY);
      if (!q) return [];
      const answer = await http.getJson(
        endpoint(root, "/search.json", { q, fields: SEARCH_FIELDS, limit: maxResults }),
        searchAnswer,
        signal ? { signal } : {},
      );
      const matches: BookMatch[] = [];
      for (const doc of answer.docs) {
        const id = WORK_KEY.exec(doc.key)?.[1];
        const title = cleanLine(doc.title, MAX_TITLE);
        if (!id || !title) continue;
        matches.push(
          compact({
            provider: "openlibrary" as const,
            id,
            title,
            year: yearFrom(doc.first_publish_year, 1, 2100),
            author: cleanLine(doc.author_name?.[0], MAX_NAME),
            coverUrl: coverUrl(doc.cover_i),
            isbn: pickIsbn(doc.isbn ?? undefined),
          }),
        );
        if (matches.length >= maxResults) break;
      }
      return matches;
    },

    async details(id, signal) {
      if (!/^OL[1-9]\d{0,11}W$/.test(id)) throw new TitleNotFoundError("openlibrary", id);
      const { workId, work } = await fetchWork(http, root, id, signal);
      const title = cleanLine(work.title, MAX_TITLE);
      if (!title) throw new ProviderUnavailableError("openlibrary", "malformed", "a work without a title");
      const firstAuthor = work.authors?.map((a) => a.author?.key ?? a.key).find((key) => key && AUTHOR_KEY.test(key));
      // The author's name and an ISBN are extras: the book is still worth offering without them.
      const [author, isbn] = await Promise.all([
        optional(signal, async () => {
          if (!firstAuthor) return undefined;
          const answer = await http.getJson(endpoint(root, `${firstAuthor}.json`), authorAnswer, signal ? { signal } : {});
          return cleanLine(answer.name, MAX_NAME);
        }),
        optional(signal, async () => {
          const answer = await http.getJson(endpoint(root, `/works/${workId}/editions.json`, { limit: 20 }), editionsAnswer, {
            ...(signal ? { signal } : {}),
          });
          return (
            pickIsbn(answer.entries.flatMap((e) => e.isbn_13 ?? [])) ?? pickIsbn(answer.entries.flatMap((e) => e.isbn_10 ?? []))
          );
        }),
      ]);
      const details: BookDetails = compact({
        provider: "openlibrary" as const,
        openLibraryKey: workId,
        title,
        author,
        year: yearFrom(work.first_publish_date, 1, 2100),
        coverUrl: coverUrl(work.covers?.find((c) => typeof c === "number" && c > 0)),
        isbn,
      });
      return details;
    },
  };
}

type Work = Extract<z.infer<typeof workAnswer>, { title: string }>;

/** The work, following one redirect (merged works); TitleNotFoundError for a deleted or unknown one. */
async function fetchWork(
  http: HttpClient,
  root: string,
  id: string,
  signal: AbortSignal | undefined,
): Promise<{ workId: string; work: Work }> {
  let workId = id;
  for (let hop = 0; hop < 2; hop++) {
    const answer = await http.getJson(endpoint(root, `/works/${workId}.json`), workAnswer, {
      ...(signal ? { signal } : {}),
      notFoundId: id,
    });
    if ("title" in answer) return { workId, work: answer };
    if (!("location" in answer)) throw new TitleNotFoundError("openlibrary", id);
    const next = WORK_KEY.exec(answer.location)?.[1];
    if (!next) throw new ProviderUnavailableError("openlibrary", "malformed", "a redirect to something that is not a work");
    workId = next;
  }
  throw new ProviderUnavailableError("openlibrary", "malformed", "a chain of redirects");
}

/** Runs an extra call; a lookup failure means "not known" (undefined), the caller's abort still aborts. */
async function optional<T>(signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await raceSignal(call(), signal);
  } catch (error) {
    if (error instanceof MetadataError) return undefined;
    throw error;
  }
}

function coverUrl(coverId: unknown): string | undefined {
  return typeof coverId === "number" && Number.isInteger(coverId) && coverId > 0 ? `${OPENLIBRARY_COVERS}/${coverId}-M.jpg` : undefined;
}
