// Downloads files people send to the bot (imports): getFile, then the file URL on the same API root.
// Bounded three ways: the whole download must finish within `timeoutMs` (a hanging server must not
// hold a chat), it stops reading past `maxBytes`, and stop() cuts every download short so that a
// shutdown never waits on one. Errors say whether a retry can help; none carries the URL, which
// holds the token.
import { type Api, GrammyError } from "grammy";
import { PermanentError, RetryableError } from "../../runtime/index.js";
import { DownloadStopped, type FileSource } from "../../agents/media-tracker/import/file-source.js";

export interface TelegramFileSource extends FileSource {
  /** Aborts the downloads in progress (they reject with DownloadStopped) and refuses new ones. */
  stop(): void;
}

export interface FileSourceOptions {
  /** The most one download (getFile and the file itself) may take. */
  timeoutMs: number;
}

export function createFileSource(api: Api, token: string, apiRoot: string, options: FileSourceOptions): TelegramFileSource {
  const root = apiRoot.replace(/\/+$/, "");
  const seconds = Math.round(options.timeoutMs / 100) / 10;
  const limit = seconds === 1 ? "1 second" : `${seconds} seconds`;
  // One controller per download in progress. (Reached through globalThis: a bare global AbortSignal or
  // AbortController can make the bundle rename grammY's own polyfill class, and its fetch then refuses every call.)
  const inProgress = new Set<AbortController>();
  let stopped = false;

  async function download(fileId: string, maxBytes: number, signal: AbortSignal): Promise<Buffer | "too-big"> {
    let path: string | undefined;
    try {
      // grammY types its signal with an older AbortSignal shim; node's is what it really gets.
      path = (await api.getFile(fileId, signal as Parameters<Api["getFile"]>[1])).file_path;
    } catch (error) {
      if (signal.aborted) throw error;
      if (error instanceof GrammyError && error.error_code < 500 && error.error_code !== 429) {
        throw new PermanentError(`Telegram would not give the file: ${error.description}`);
      }
      throw new RetryableError("Telegram did not answer getFile; try again", undefined, { cause: error });
    }
    if (!path) throw new PermanentError("Telegram gave no download path for the file (over 20 MB?)");
    let response: Response;
    try {
      response = await fetch(`${root}/file/bot${token}/${path}`, { signal });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new RetryableError("The file download failed on the network; try again");
    }
    if (response.status >= 500 || response.status === 429) throw new RetryableError(`The file download failed (${response.status})`);
    if (!response.ok) throw new PermanentError(`The file could not be downloaded (${response.status})`);
    return readBody(response, maxBytes, signal);
  }

  return {
    async download(fileId, { maxBytes }) {
      if (stopped) throw new DownloadStopped();
      const controller = new globalThis.AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, options.timeoutMs);
      inProgress.add(controller);
      try {
        return await download(fileId, maxBytes, controller.signal);
      } catch (error) {
        if (stopped) throw new DownloadStopped();
        // Trying again would only keep the chat waiting longer: the person sends it again.
        if (timedOut) throw new PermanentError(`it took Telegram more than ${limit} to send it`);
        throw error;
      } finally {
        clearTimeout(timer);
        inProgress.delete(controller);
      }
    },
    stop() {
      stopped = true;
      for (const controller of inProgress) controller.abort();
    },
  };
}

/** The body, read as it comes; stops (and closes the connection) once it passes `maxBytes`. */
async function readBody(response: Response, maxBytes: number, signal: AbortSignal): Promise<Buffer | "too-big"> {
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    return "too-big";
  }
  if (!response.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return "too-big";
      }
      chunks.push(value);
    }
  } catch (error) {
    if (signal.aborted) throw error;
    throw new RetryableError("The file download was cut off; try again");
  }
  return Buffer.concat(chunks, size);
}
