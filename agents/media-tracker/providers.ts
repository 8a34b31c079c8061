// The title providers as the agent sees them (the application's src/metadata/ clients fit these
// shapes): a search per kind, and a show's episodes for the new-episode check. Reached only inside
// ctx.run steps, so a lookup is journaled and never repeated on a replay.

/** A search hit: enough to tell two "Dune"s apart, and the provider's id to store. */
export interface TitleHit {
  provider: "openlibrary" | "tmdb" | "tvmaze";
  /** The provider's id, as text: "OL893415W" (Open Library work), "438631" (TMDB), "44933" (TVmaze). */
  id: string;
  title: string;
  year?: number;
  /** Books. */
  author?: string;
  isbn?: string;
  /** Shows: the network or streaming service. */
  network?: string;
  coverUrl?: string;
}

export interface TitleSearch {
  search(query: string, signal?: AbortSignal): Promise<TitleHit[]>;
}

/** One numbered episode of a show; `airstamp` is ISO 8601, absent when not scheduled. */
export interface ShowEpisode {
  season: number;
  number: number;
  name: string;
  airstamp?: string;
}

export interface ShowSource extends TitleSearch {
  /** The show's episodes, ordered by season then number (one fetch serves every chat). */
  episodes(id: string, signal?: AbortSignal): Promise<ShowEpisode[]>;
}

/** The providers that are on; a kind without one is typed by hand. */
export interface TitleProviders {
  book?: TitleSearch;
  movie?: TitleSearch;
  show?: ShowSource;
}
