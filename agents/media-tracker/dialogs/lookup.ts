// Finding a title instead of typing it: after the title of a book, movie or show, the dialog asks
// the provider (one journaled step, so a crash never repeats the search for the same message) and
// offers what it found as buttons under the next question. A pick fills what the provider knows and
// keeps its ids and cover with the entry; typing the next answer, or "None of these", goes on the
// manual way. A provider that is missing, down, slow or wrong only means no buttons.
import type { BookMatch, MetadataProviders, TitleMatch } from "../../../src/metadata/types.js";
import { parseAuthor, parseTitle, parseYear } from "../fields.js";
import type { EntryFields } from "../media-store.js";
import type { Button } from "../outgoing.js";
import type { DialogState } from "../state.js";
import type { Turn } from "../turn.js";

/** The kinds a provider can fill. */
export type LookupKind = keyof MetadataProviders & ("book" | "movie" | "show");

/** How many matches are offered. */
export const MAX_OFFERED = 5;
/** Button data prefix of a match: "lk:<token>:<index>" or "lk:<token>:none". */
export const LOOKUP_BUTTON = "lk";
/** Telegram shows about this many characters of a button; longer labels are cut. */
const MAX_LABEL = 60;

/** One match as the dialog keeps it (in its state and the journal): only what a pick needs. */
export interface OfferedMatch {
  id: string;
  title: string;
  year?: number;
  author?: string;
  network?: string;
  coverUrl?: string;
  isbn?: string;
}

/** Matches offered under a question; only this offer's buttons count, and only while that question is open. */
export interface Offer {
  token: string;
  /** The step whose question carries the buttons. */
  step: number;
  matches: OfferedMatch[];
}

/** What a pick stores with the entry (the provider's ids, cover, a show's episode counts). */
export type ProviderFields = Pick<EntryFields, "tmdbId" | "openLibraryKey" | "isbn" | "tvmazeId" | "coverUrl" | "seasonEpisodes">;

/** The dialog data key holding ProviderFields after a pick. */
export const PROVIDER_DATA = "provider";

/**
 * Searches the provider for `title` as one journaled step. Never throws: a provider that is not
 * set up, fails or answers nothing usable gives []. (Failures are logged where the providers are built.)
 */
export async function searchTitle(turn: Turn, kind: LookupKind, title: string): Promise<OfferedMatch[]> {
  const provider = turn.deps.metadata?.[kind];
  if (!provider) return [];
  // "typing…" while the provider answers: the runtime sends queued messages before a run step.
  turn.send({ type: "typing" });
  return turn.ctx.run(
    "lookup",
    async () => {
      try {
        const found: TitleMatch[] = await provider.search(title);
        return keepUsable(found);
      } catch {
        return [];
      }
    },
    { maxAttempts: 1 },
  );
}

/** The first matches whose title is one a person could have typed, cut to what the dialog keeps. */
function keepUsable(found: TitleMatch[]): OfferedMatch[] {
  const kept: OfferedMatch[] = [];
  for (const match of Array.isArray(found) ? found : []) {
    if (kept.length >= MAX_OFFERED) break;
    const title = parseTitle(String(match?.title ?? ""));
    if (!title.ok || typeof match.id !== "string" || match.id.length === 0 || match.id.length > 40) continue;
    const offered: OfferedMatch = { id: match.id, title: title.value };
    if (match.year !== undefined && parseYear(String(match.year)).ok) offered.year = match.year;
    if (typeof match.coverUrl === "string" && /^https:\/\/\S{1,500}$/.test(match.coverUrl)) offered.coverUrl = match.coverUrl;
    if (match.provider === "openlibrary") copyBook(match, offered);
    if (match.provider === "tvmaze" && match.network) offered.network = match.network.slice(0, 80);
    kept.push(offered);
  }
  return kept;
}

function copyBook(match: BookMatch, offered: OfferedMatch): void {
  const author = match.author === undefined ? undefined : parseAuthor(match.author);
  if (author?.ok) offered.author = author.value;
  if (match.isbn && /^(\d{9}[\dX]|\d{13})$/.test(match.isbn)) offered.isbn = match.isbn;
}

/** The buttons of an offer: one per match ("Dune (2021)", "Dune (1965), Frank Herbert"), then "None of these". */
export function offerButtons(offer: Offer): Button[][] {
  const rows = offer.matches.map((m, i) => [{ text: labelOf(m), data: `${LOOKUP_BUTTON}:${offer.token}:${i}` }]);
  return [...rows, [{ text: "None of these", data: `${LOOKUP_BUTTON}:${offer.token}:none` }]];
}

/** A match as a person tells it apart: its title, year, and the author or network. */
export function labelOf(m: OfferedMatch): string {
  const who = m.author ?? m.network;
  const year = m.year !== undefined ? ` (${m.year})` : "";
  const tail = `${year}${who ? `, ${who}` : ""}`;
  const room = MAX_LABEL - tail.length;
  const title = m.title.length > room ? `${m.title.slice(0, Math.max(room - 1, 10))}…` : m.title;
  return `${title}${tail}`;
}

/** The offer this button belongs to, if it is still the one under the open question; else undefined. */
export function currentOffer(dialog: DialogState, token: string | undefined): Offer | undefined {
  const offer = dialog.offer;
  return offer && offer.token === token && offer.step === dialog.step ? offer : undefined;
}

/**
 * What a pick fills in: the answers the provider knows (checked like typed ones, so a wrong
 * provider cannot store what a person could not type) and the fields kept with the entry. A show's
 * episode counts come from one more journaled call; without them the pick still counts.
 */
export async function pickFields(turn: Turn, kind: LookupKind, match: OfferedMatch): Promise<{ answers: Record<string, unknown>; provider: ProviderFields }> {
  const answers: Record<string, unknown> = { title: match.title };
  const provider: ProviderFields = {};
  if (match.coverUrl) provider.coverUrl = match.coverUrl;
  if (kind === "movie") {
    if (match.year !== undefined) answers.year = match.year;
    const tmdbId = Number(match.id);
    if (Number.isSafeInteger(tmdbId) && tmdbId > 0) provider.tmdbId = tmdbId;
  } else if (kind === "book") {
    if (match.author) answers.author = match.author;
    if (/^OL\d{1,12}[WM]$/.test(match.id)) provider.openLibraryKey = match.id;
    if (match.isbn) provider.isbn = match.isbn;
  } else {
    const tvmazeId = Number(match.id);
    if (Number.isSafeInteger(tvmazeId) && tvmazeId > 0) provider.tvmazeId = tvmazeId;
    const seasons = await seasonEpisodes(turn, match.id);
    if (seasons) provider.seasonEpisodes = seasons;
  }
  return { answers, provider };
}

/** A show's episode counts per season, journaled (not its episode list: the dialog needs only the counts). */
async function seasonEpisodes(turn: Turn, id: string): Promise<Record<string, number> | undefined> {
  const provider = turn.deps.metadata?.show;
  if (!provider) return undefined;
  const counts = await turn.ctx.run(
    "lookup-details",
    async () => {
      try {
        const details = await provider.details(id);
        const kept: Record<string, number> = {};
        for (const [season, count] of Object.entries(details.seasonEpisodes ?? {}).slice(0, 200)) {
          if (/^\d{1,4}$/.test(season) && Number.isSafeInteger(count) && count > 0) kept[season] = count;
        }
        return kept;
      } catch {
        return null;
      }
    },
    { maxAttempts: 1 },
  );
  return counts && Object.keys(counts).length > 0 ? counts : undefined;
}

/** A dialog's stored provider fields (set by a pick), to spread into the new entry. */
export function providerFieldsOf(data: Record<string, unknown>): ProviderFields {
  const stored = data[PROVIDER_DATA];
  return typeof stored === "object" && stored !== null ? (stored as ProviderFields) : {};
}
