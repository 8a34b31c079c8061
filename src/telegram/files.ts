// Downloads files people send to the bot (imports): getFile, then the file URL on the same API root.
// Errors say whether a retry can help; none carries the URL, which holds the token.
import { type Api, GrammyError } from "grammy";
import { PermanentError, RetryableError } from "../../runtime/index.js";
import type { FileSource } from "../../agents/media-tracker/turn.js";

export function createFileSource(api: Api, token: string, apiRoot: string): FileSource {
  const root = apiRoot.replace(/\/+$/, "");
  return {
    async download(fileId) {
      let path: string | undefined;
      try {
        path = (await api.getFile(fileId)).file_path;
      } catch (error) {
        if (error instanceof GrammyError && error.error_code < 500 && error.error_code !== 429) {
          throw new PermanentError(`Telegram would not give the file: ${error.description}`);
        }
        throw new RetryableError("Telegram did not answer getFile; try again", undefined, { cause: error });
      }
      if (!path) throw new PermanentError("Telegram gave no download path for the file (over 20 MB?)");
      let response: Response;
      try {
        response = await fetch(`${root}/file/bot${token}/${path}`);
      } catch {
        throw new RetryableError("The file download failed on the network; try again");
      }
      if (response.status >= 500 || response.status === 429) throw new RetryableError(`The file download failed (${response.status})`);
      if (!response.ok) throw new PermanentError(`The file could not be downloaded (${response.status})`);
      return Buffer.from(await response.arrayBuffer());
    },
  };
}
