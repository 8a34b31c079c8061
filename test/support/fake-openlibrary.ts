// A local fake of Open Library for the book lookup: GET /search.json (q, fields, limit, offset),
// /works/{id}.json (also redirect and delete records, as merged works have), /works/{id}/editions.json
// (limit, offset) and /authors/{id}.json, in Open Library's shapes; no key. A search returns only
// the fields asked for, as the real one does.
import { type FakeProvider, looselyContains, type ProviderRequest, type RouteAnswer, startFakeProviderServer } from "./fake-provider-server.js";

export interface FakeWork {
  /** "OL893415W" */
  id: string;
  title: string;
  /** Author ids, e.g. ["OL79034A"]. */
  authors: string[];
  first_publish_year?: number;
  /** Written in the work record as first_publish_date (often missing there). */
  first_publish_date?: string;
  covers?: number[];
  editions?: Array<{ id: string; isbn_13?: string[]; isbn_10?: string[]; publish_date?: string }>;
}

export const DEFAULT_AUTHORS: Record<string, string> = {
  OL79034A: "Frank Herbert",
  OL26320A: "J.R.R. Tolkien",
  OL7313085A: "Ted Chiang",
};

export const DEFAULT_WORKS: FakeWork[] = [
  {
    id: "OL893415W",
    title: "Dune",
    authors: ["OL79034A"],
    first_publish_year: 1965,
    first_publish_date: "1965",
    covers: [11481354, -1],
    editions: [
      { id: "OL26242482M", isbn_10: ["0441013597"], publish_date: "2005" },
      { id: "OL7353617M", isbn_13: ["9780441172719"], isbn_10: ["0441172717"], publish_date: "1990" },
    ],
  },
  { id: "OL893526W", title: "Dune Messiah", authors: ["OL79034A"], first_publish_year: 1969, covers: [12353456] },
  { id: "OL27448W", title: "The Lord of the Rings", authors: ["OL26320A"], first_publish_year: 1954, covers: [14625765] },
  { id: "OL17930368W", title: "Stories of Your Life and Others", authors: ["OL7313085A"], first_publish_year: 2002 },
];

export interface FakeOpenLibrary extends FakeProvider {
  readonly works: Map<string, FakeWork>;
  readonly authors: Map<string, string>;
  addWork(work: FakeWork): void;
  /** Makes `from` a redirect record to `to` (a merged work). */
  redirect(from: string, to: string): void;
}

export async function startFakeOpenLibrary(
  options: { works?: FakeWork[]; authors?: Record<string, string> } = {},
): Promise<FakeOpenLibrary> {
  const works = new Map(structuredClone(options.works ?? DEFAULT_WORKS).map((w) => [w.id, w]));
  const authors = new Map(Object.entries(options.authors ?? DEFAULT_AUTHORS));
  const redirects = new Map<string, string>();

  const route = (request: ProviderRequest): RouteAnswer => {
    if (request.path === "/search.json") return search(request.query);
    let m = /^\/works\/(OL\d+W)\.json$/.exec(request.path);
    if (m) {
      const id = m[1]!;
      const target = redirects.get(id);
      if (target) return { status: 200, body: { type: { key: "/type/redirect" }, key: `/works/${id}`, location: `/works/${target}`, revision: 2 } };
      const work = works.get(id);
      return work ? { status: 200, body: workRecord(work) } : notFound(`/works/${id}`);
    }
    m = /^\/works\/(OL\d+W)\/editions\.json$/.exec(request.path);
    if (m) {
      const work = works.get(m[1]!);
      if (!work) return notFound(`/works/${m[1]}`);
      const limit = Math.min(1000, Math.max(1, Number(request.query.limit ?? "50") || 50));
      const offset = Math.max(0, Number(request.query.offset ?? "0") || 0);
      const all = work.editions ?? [];
      return {
        status: 200,
        body: {
          links: { self: `/works/${work.id}/editions.json?limit=${limit}`, work: `/works/${work.id}` },
          size: all.length,
          entries: all.slice(offset, offset + limit).map((e) => ({
            key: `/books/${e.id}`,
            title: work.title,
            type: { key: "/type/edition" },
            works: [{ key: `/works/${work.id}` }],
            publish_date: e.publish_date ?? "",
            ...(e.isbn_13 ? { isbn_13: e.isbn_13 } : {}),
            ...(e.isbn_10 ? { isbn_10: e.isbn_10 } : {}),
            covers: work.covers ?? [],
          })),
        },
      };
    }
    m = /^\/authors\/(OL\d+A)\.json$/.exec(request.path);
    if (m) {
      const name = authors.get(m[1]!);
      return name
        ? { status: 200, body: { key: `/authors/${m[1]}`, name, personal_name: name, type: { key: "/type/author" }, revision: 5 } }
        : notFound(`/authors/${m[1]}`);
    }
    return notFound(request.path);
  };

  const search = (query: Record<string, string>): RouteAnswer => {
    const q = query.q ?? "";
    const limit = Math.min(1000, Math.max(1, Number(query.limit ?? "100") || 100));
    const offset = Math.max(0, Number(query.offset ?? "0") || 0);
    const hits = [...works.values()].filter(
      (w) => q.trim() !== "" && (looselyContains(w.title, q) || w.authors.some((a) => looselyContains(authors.get(a) ?? "", q))),
    );
    const fields = (query.fields ?? "*").split(",").map((f) => f.trim());
    const docs = hits.slice(offset, offset + limit).map((w) => pick(searchDoc(w, authors), fields));
    return {
      status: 200,
      body: {
        numFound: hits.length,
        start: offset,
        numFoundExact: true,
        num_found: hits.length,
        documentation_url: "https://openlibrary.org/dev/docs/api/search",
        q,
        offset: null,
        docs,
      },
    };
  };

  const server = await startFakeProviderServer({ route });
  return Object.assign(server, {
    works,
    authors,
    addWork(work: FakeWork) {
      works.set(work.id, work);
    },
    redirect(from: string, to: string) {
      redirects.set(from, to);
    },
  }) as FakeOpenLibrary;
}

function notFound(key: string): RouteAnswer {
  return { status: 404, body: { error: "notfound", key } };
}

function searchDoc(w: FakeWork, authors: Map<string, string>): Record<string, unknown> {
  const isbns = (w.editions ?? []).flatMap((e) => [...(e.isbn_10 ?? []), ...(e.isbn_13 ?? [])]);
  const cover = w.covers?.find((c) => c > 0);
  return {
    key: `/works/${w.id}`,
    type: "work",
    title: w.title,
    author_key: w.authors,
    author_name: w.authors.map((a) => authors.get(a) ?? "Unknown"),
    edition_count: (w.editions ?? []).length,
    ...(w.first_publish_year !== undefined ? { first_publish_year: w.first_publish_year } : {}),
    ...(cover !== undefined ? { cover_i: cover, cover_edition_key: w.editions?.[0]?.id } : {}),
    ...(isbns.length > 0 ? { isbn: isbns } : {}),
    has_fulltext: false,
    public_scan_b: false,
    language: ["eng"],
  };
}

function pick(doc: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  if (fields.includes("*")) return doc;
  return Object.fromEntries(Object.entries(doc).filter(([k]) => fields.includes(k)));
}

function workRecord(w: FakeWork): Record<string, unknown> {
  return {
    key: `/works/${w.id}`,
    title: w.title,
    authors: w.authors.map((a) => ({ author: { key: `/authors/${a}` }, type: { key: "/type/author_role" } })),
    type: { key: "/type/work" },
    ...(w.covers ? { covers: w.covers } : {}),
    ...(w.first_publish_date ? { first_publish_date: w.first_publish_date } : {}),
    description: { type: "/type/text", value: `About ${w.title}.` },
    subjects: ["Fiction"],
    latest_revision: 10,
    revision: 10,
    created: { type: "/type/datetime", value: "2009-10-15T11:34:21.437031" },
    last_modified: { type: "/type/datetime", value: "2024-01-02T03:04:05.000000" },
  };
}
