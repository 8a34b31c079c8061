// The media-tracker agent's dependencies, built the same way for the bot and the console chat:
// the stores on the shared database, the allowlist, the dialog timeout, and where files come from.
import type { Database } from "../runtime/index.js";
import type { FileSource, MediaTrackerDeps } from "../agents/media-tracker/turn.js";
import type { Config } from "./config.js";
import { createImportStore } from "./store/imports.js";
import { createMediaStore } from "./store/media.js";

export function createAgentDeps(db: Database, config: Config, files: FileSource): MediaTrackerDeps {
  return {
    media: createMediaStore(db),
    imports: createImportStore(db),
    allowedUserIds: config.ALLOWED_USER_IDS,
    files,
    dialogTimeoutMs: config.DIALOG_TIMEOUT_MINUTES * 60_000,
  };
}
