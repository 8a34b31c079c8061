// The media-tracker agent's dependencies, built the same way for the bot and the console chat:
// the stores on the shared database, the allowlist, the dialog timeout, where files come from, and
// the language model (only when OPENAI_API_KEY is set).
import pino from "pino";
import type { Database } from "../runtime/index.js";
import type { LanguageModel } from "../agents/media-tracker/llm/model.js";
import type { FileSource, MediaTrackerDeps } from "../agents/media-tracker/turn.js";
import type { Config } from "./config.js";
import { createLanguageModel } from "./llm/client.js";
import type { AppLogger } from "./log.js";
import { createImportStore } from "./store/imports.js";
import { createMediaStore } from "./store/media.js";
import { createChatSettings } from "./store/chat-settings.js";
import { createMetadataProviders } from "./metadata/providers.js";

export function createAgentDeps(db: Database, config: Config, files: FileSource, log?: AppLogger): MediaTrackerDeps {
  const model = createModelFromConfig(config, log);
  return {
    media: createMediaStore(db),
    imports: createImportStore(db),
    settings: createChatSettings(db),
    metadata: createMetadataProviders(config),
    allowedUserIds: config.ALLOWED_USER_IDS,
    files,
    dialogTimeoutMs: config.DIALOG_TIMEOUT_MINUTES * 60_000,
    ...(model ? { model } : {}),
  };
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
