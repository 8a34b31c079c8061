// The one shape every title provider answers in, whatever its API looks like. Everything here is
// plain JSON (no undefined values, no classes), so a lookup's result can be journaled as a step.

export type ProviderName = "openlibrary" | "tmdb" | "tvmaze";

/** A search hit, as offered on a button: enough to tell two "Dune"s apart. */
export type TitleMatch = BookMatch | MovieMatch | ShowMatch;

interface MatchBase {
  /** The provider's own id, as text: "OL893415W" (Open Library work), "438631" (TMDB), "44933" (TVmaze). */
  id: string;
  title: string;
  year?: number;
  /** An https image URL for a card, when the provider has one. */
  coverUrl?: string;
}

export interface BookMatch extends MatchBase {
  provider: "openlibrary";
  /** The first author's name. */
  author?: string;
  /** One ISBN of the work (13 digits preferred), when the provider lists one. */
  isbn?: string;
}

export interface MovieMatch extends MatchBase {
  provider: "tmdb";
}

export interface ShowMatch extends MatchBase {
  provider: "tvmaze";
  /** The network or streaming service (TVmaze's network, else its web channel). */
  network?: string;
}

/** A book with what an entry keeps of it. */
export interface BookDetails {
  provider: "openlibrary";
  /** The work id, e.g. "OL893415W"; stored as the entry's openLibraryKey. */
  openLibraryKey: string;
  title: string;
  author?: string;
  year?: number;
  coverUrl?: string;
  isbn?: string;
}

/** A movie with what an entry keeps of it. */
export interface MovieDetails {
  provider: "tmdb";
  tmdbId: number;
  title: string;
  year?: number;
  coverUrl?: string;
  imdbId?: string;
}

/** One episode of a show. Specials without an episode number are left out. */
export interface Episode {
  season: number;
  number: number;
  name: string;
  /** When it airs or aired, ISO 8601 with offset (e.g. "2025-01-17T02:00:00+00:00"); absent when unknown. */
  airstamp?: string;
}

/** A show with its seasons and episodes (ordered by season, then number). */
export interface ShowDetails {
  provider: "tvmaze";
  tvmazeId: number;
  title: string;
  year?: number;
  network?: string;
  coverUrl?: string;
  /** TVmaze's status: "Running", "Ended", "To Be Determined", "In Development". */
  status?: string;
  /** Episode counts per season, keyed by season number: { "1": 9, "2": 10 }. */
  seasonEpisodes: Record<string, number>;
  episodes: Episode[];
}

/**
 * A title provider. Both calls honor the caller's signal (an abort rejects with the signal's reason)
 * and otherwise either answer in the shapes above or reject with a MetadataError: never anything else.
 */
export interface TitleProvider<M extends TitleMatch, D> {
  readonly name: ProviderName;
  /** Up to a handful of matches, best first; [] for a blank query or when nothing matches. */
  search(query: string, signal?: AbortSignal): Promise<M[]>;
  /** The title with this id (a match's id); TitleNotFoundError when the provider has none. */
  details(id: string, signal?: AbortSignal): Promise<D>;
}

export type BookProvider = TitleProvider<BookMatch, BookDetails>;
export type MovieProvider = TitleProvider<MovieMatch, MovieDetails>;

export interface ShowProvider extends TitleProvider<ShowMatch, ShowDetails> {
  /** The show's episodes, from a short-lived cache shared by every caller (one fetch per show, not per chat). */
  episodes(id: string, signal?: AbortSignal): Promise<Episode[]>;
}

/** The providers that are on, by the kind of entry they fill; a kind without one is typed by hand. */
export interface MetadataProviders {
  book?: BookProvider;
  movie?: MovieProvider;
  show?: ShowProvider;
}
