// Where files people send are fetched from (Telegram's getFile and file download in the bot, the
// local disk in the console chat). Reached only inside ctx.run.

export interface DownloadOptions {
  /** Past this many bytes the download stops and resolves "too-big" (the rest is never read). */
  maxBytes: number;
}

export interface FileSource {
  /**
   * The file's bytes, or "too-big". Rejects with a RetryableError when trying again may help, a
   * PermanentError when it can't (e.g. Telegram took too long: the person is asked to send it
   * again), and a DownloadStopped when the process is stopping (the message is handled again
   * after the restart).
   */
  download(fileId: string, options: DownloadOptions): Promise<Buffer | "too-big">;
}

/** The download was cut short because the process is stopping; not the file's fault. */
export class DownloadStopped extends Error {
  constructor() {
    super("The download was stopped because the bot is shutting down.");
    this.name = "DownloadStopped";
  }
}
