// The media-tracker agent's dependencies, built the same way for the bot and the console chat:
// the stores on the shared database (reads of committed data; writes through a step's transaction), the allowlist, the dialog timeout, where files come from, and
// the language model (only when OPENAI_API_KEY is set), and how a stored raw Telegram update is read.
import pino from "pino";
import type { Store } from "../runtime/store.js";
import type { LanguageModel } from "../agents/media-tracker/llm/model.js";
import type { FileSource, MediaTrackerDeps } from "../agents/media-tracker/turn.js";
import type { Config } from "./config.js";
import { createLanguageModel } from "./llm/client.js";
import type { AppLogger } from "./log.js";
import { MetadataError } from "./metadata/errors.js";
import { createMetadataProviders } from "./metadata/providers.js";
import type { MetadataProviders, TitleProvider, TitleMatch } from "./metadata/types.js";
import { createImportStore } from "./store/imports.js";
import { createMediaStore } from "./store/media.js";
import { createChatSettings } from "./store/chat-settings.js";
import { translateUpdate } from "./telegram/update.js";

export interface AgentDepsOptions {
  /** The limit of one title-provider call; default 5 s (tests use less). */
  metadataTimeoutMs?: number;
}

export function createAgentDeps(store: Store, config: Config, files: FileSource, log?: AppLogger, options: AgentDepsOptions = {}): MediaTrackerDeps {
  const model = createModelFromConfig(config, log);
  const metadata = createMetadataProviders(config, options.metadataTimeoutMs !== undefined ? { timeoutMs: options.metadataTimeoutMs } : {});
  return {
    media: createMediaStore(store.read),
    readUpdate: translateUpdate,
    imports: createImportStore(store.read),
    settings: createChatSettings(store.read),
    allowedUserIds: config.ALLOWED_USER_IDS,
    files,
    dialogTimeoutMs: config.DIALOG_TIMEOUT_MINUTES * 60_000,
    ...(model ? { model } : {}),
    metadata: log ? logFailures(metadata, log) : metadata,
  };
}

/**
 * The same providers, with every failed call logged (once, as a warning): a lookup that fails only
 * means the dialog goes on the manual way, so the log is where an operator sees "TMDB key rejected".
 */
function logFailures(providers: MetadataProviders, log: AppLogger): MetadataProviders {
  const wrap = <P extends TitleProvider<TitleMatch, unknown>>(provider: P | undefined): P | undefined => {
    if (!provider) return undefined;
    const logged = <A extends unknown[], R>(call: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
      try {
        return await call(...args);
      } catch (error) {
        const message = error instanceof MetadataError ? error.message : "unexpected lookup failure";
        log.warn({ provider: provider.name, err: message }, message);
        throw error;
      }
    };
    const wrapped = Object.create(provider) as P;
    Object.assign(wrapped, { search: logged(provider.search.bind(provider)), details: logged(provider.details.bind(provider)) });
    return wrapped;
  };
  const book = wrap(providers.book);
  const movie = wrap(providers.movie);
  const show = wrap(providers.show);
  return { ...(book ? { book } : {}), ...(movie ? { movie } : {}), ...(show ? { show } : {}) };
}

/** The OpenAI-compatible model configured by OPENAI_*; undefined (the LLM is off) without a key. */
export function createModelFromConfig(config: Config, log?: AppLogger): LanguageModel | undefined {
  if (!config.OPENAI_API_KEY) return undefined;
  return createLanguageModel({
    apiKey: config.OPENAI_API_KEY,
    ...(config.OPENAI_BASE_URL ? { baseURL: config.OPENAI_BASE_URL } : {}),
    model: config.OPENAI_MODEL,
    timeoutMs: config.OPENAI_TIMEOUT_SECONDS * 1000,
    log: log ?? pino({ level: "silent" }),
  });
}
