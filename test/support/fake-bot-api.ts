// A local fake of the Telegram Bot API for tests: node:http on 127.0.0.1 with a random port.
// Point grammY's client at it with `new Api(token, { apiRoot: fake.apiRoot })`. It records every
// call, answers with realistic results, can be told to fail (HTTP error with Telegram's error
// JSON, connection reset, or delay; the next few calls, or every matching call for a while), and
// serves long polling from a queue of pushed updates.
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { botIdOf, inboxId } from "../../src/telegram/update-key.js";

// ---------------------------------------------------------------------------------------------
// Public types

/** A file uploaded with multipart/form-data (e.g. sendDocument with an InputFile). */
export interface RecordedFile {
  /** The API parameter that referenced the file ("document", "photo", …), or the part name. */
  field: string;
  /** The multipart part name (grammY's random attach id). */
  attachId: string;
  fileName: string;
  size: number;
  contentType: string | undefined;
  data: Buffer;
}

export interface RecordedCall {
  method: string;
  /**
   * The call's parameters. JSON bodies as sent; multipart fields are coerced back to JSON types
   * (objects/arrays parsed, chat_id/message_id-like fields to numbers, flags to booleans), and
   * `attach://<id>` references are replaced by their RecordedFile.
   */
  params: Record<string, unknown>;
  /** Date.now() at arrival. */
  at: number;
  /** Set when the call was failed: the HTTP status, or -1 for a connection reset. */
  failedWith?: number;
  /** True when the call was answered by destroying the socket. */
  reset?: boolean;
  /** Set when a failNext({ delayMs }) rule delayed this call. */
  delayedMs?: number;
  /** The `result` of a successful answer (set once answered). */
  result?: unknown;
  /** Which client sent it, when its API root was `viaRoot(tag)`: tells bot processes apart. */
  via?: string;
  /** Files uploaded with this call (multipart only). */
  files?: RecordedFile[];
}

export type ChatMemberStatus = "creator" | "administrator" | "member" | "restricted" | "left" | "kicked";

export type FailResponse =
  | { status: number; description?: string; retryAfter?: number }
  | "reset"
  | { delayMs: number }
  /** Answer normally once `until` settles: the test holds the call in flight as long as it needs. */
  | { until: Promise<unknown> };

export interface FakeBotApi {
  /** e.g. "http://127.0.0.1:54321" (no trailing slash, as grammY requires). */
  readonly apiRoot: string;
  /** The same API at a root of its own, e.g. "http://127.0.0.1:54321/via-p1": its calls are recorded with `via` = tag. */
  viaRoot(tag: string): string;
  readonly token: string;
  /** Every call whose path matched /bot<token>/<method>, in arrival order (failed ones too). */
  readonly calls: RecordedCall[];
  /** What setWebhook set; both fields cleared by deleteWebhook. */
  webhook: { url?: string; secret?: string };
  /** The last numeric `offset` a getUpdates call sent, if any. */
  readonly lastOffset: number | undefined;
  /** Updates pushed but not yet confirmed (offset has not passed them). */
  readonly pendingUpdates: readonly Record<string, unknown>[];
  /** Successful message-producing calls (send*, except sendChatAction; editMessage*; copy/forward), optionally for one chat. */
  sent(chatId?: number | string): RecordedCall[];
  /** Polls (every 10 ms) until predicate(api) is true; otherwise rejects after timeoutMs listing the calls. */
  waitFor(predicate: (api: FakeBotApi) => boolean | Promise<boolean>, timeoutMs?: number, label?: string): Promise<void>;
  /** The next `count` calls of `method` ("*" = any method) get `response` instead of a normal answer. */
  failNext(method: string, count: number, response: FailResponse): void;
  /**
   * A fault for a while: every call for which `match(method, params)` is true gets `response`
   * (e.g. one chat's sends, or all sendMessage calls) until the returned function ends it.
   */
  failWhile(match: (method: string, params: Record<string, unknown>) => boolean, response: FailResponse): () => void;
  /** Drops all pending failNext and failWhile rules. */
  clearFailures(): void;
  /** Forgets recorded calls (not updates, webhook or message counters). */
  clearCalls(): void;
  /** Queues an update for getUpdates (update_id assigned from 1 upward if missing) and wakes held polls. */
  pushUpdate(update: object): Record<string, unknown> & { update_id: number };
  /**
   * Makes a file downloadable as if a user had sent it: getFile(fileId) answers with a file_path,
   * and GET /file/bot<token>/<file_path> serves `bytes`. Returns the file_path.
   */
  addFile(fileId: string, name: string, bytes: Buffer | string): string;
  /** File downloads (GET /file/bot<token>/<path>) served or started so far, by file_path. */
  readonly downloads: readonly string[];
  /** What getChatMember answers for this user in this chat (default "member"): make someone a group admin. */
  setChatMember(chatId: number, userId: number, status: ChatMemberStatus): void;
  /**
   * A hanging file server: until the returned function is called, downloads send their headers and
   * the first half of the file, then nothing more (the rest follows once released).
   */
  stallDownloads(): () => void;
  /** Calls `listener` with each call as it is recorded (the benchmarks time replies with it); returns an unsubscribe. */
  onCall(listener: (call: RecordedCall) => void): () => void;
  /** Closes the server and destroys every socket, including held long polls. Idempotent. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Server

export const DEFAULT_TOKEN = "123456:TEST-token";

/** The inbox id of an update sent to a bot with `token` (the fake's own by default). */
export function updateInboxId(updateId: number, token = DEFAULT_TOKEN): string {
  return inboxId(botIdOf(token), updateId);
}

export async function startFakeBotApi(options: { token?: string } = {}): Promise<FakeBotApi> {
  const fake = new FakeBotApiServer(options.token ?? DEFAULT_TOKEN);
  await fake.listen();
  return fake;
}

interface FailRule {
  method: string;
  remaining: number;
  response: FailResponse;
  /** failWhile's test; such a rule never runs out. */
  match?: (method: string, params: Record<string, unknown>) => boolean;
}

interface PollWaiter {
  offset: number | undefined;
  limit: number;
  res: http.ServerResponse;
  call: RecordedCall;
  timer: NodeJS.Timeout;
}

type Update = Record<string, unknown> & { update_id: number };

const SEND_LIKE = /^(send(?!chataction$)|editmessage|copymessage|forwardmessage)/;

class FakeBotApiServer implements FakeBotApi {
  readonly token: string;
  readonly calls: RecordedCall[] = [];
  private readonly listeners = new Set<(call: RecordedCall) => void>();
  webhook: { url?: string; secret?: string } = {};
  lastOffset: number | undefined;

  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private rules: FailRule[] = [];
  private queue: Update[] = [];
  private nextUpdateId = 1;
  private waiters: PollWaiter[] = [];
  private readonly messageCounters = new Map<string, number>();
  /** Messages the fake produced, by "chatId:messageId", so edits can return the whole message. */
  private readonly messages = new Map<string, Record<string, unknown>>();
  private port = 0;
  private closed: Promise<void> | undefined;
  private readonly botId: number;
  /** getChatMember's answers, by "chatId:userId" (see setChatMember). */
  private readonly memberStatuses = new Map<string, ChatMemberStatus>();
  /** Files users "sent", by file_id (see addFile). */
  private readonly files = new Map<string, { path: string; bytes: Buffer }>();
  readonly downloads: string[] = [];
  /** Set while downloads stall (see stallDownloads); resolves when released. */
  private downloadStall: Promise<void> | undefined;

  constructor(token: string) {
    this.token = token;
    const prefix = Number(token.split(":")[0]);
    this.botId = Number.isSafeInteger(prefix) && prefix > 0 ? prefix : 123456;
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        // A bug in the fake itself: answer 500 rather than hanging the client.
        writeJson(res, 500, { ok: false, error_code: 500, description: `fake-bot-api: ${String(error)}` });
      });
    });
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        this.server.off("error", reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  viaRoot(tag: string): string {
    if (!/^[\w-]+$/.test(tag)) throw new Error(`viaRoot: "${tag}" is not a tag (letters, digits, - and _)`);
    return `${this.apiRoot}/via-${tag}`;
  }

  get pendingUpdates(): readonly Update[] {
    return [...this.queue];
  }

  sent(chatId?: number | string): RecordedCall[] {
    return this.calls.filter(
      (c) =>
        c.failedWith === undefined &&
        SEND_LIKE.test(c.method.toLowerCase()) &&
        (chatId === undefined || String(c.params.chat_id) === String(chatId)),
    );
  }

  async waitFor(predicate: (api: FakeBotApi) => boolean | Promise<boolean>, timeoutMs = 10_000, label?: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        if (await predicate(this)) return;
        lastError = undefined;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() >= deadline) break;
      await sleep(10);
    }
    const shown = this.calls.slice(-60).map(describeCall);
    const lines = [
      `fake-bot-api: waitFor${label ? ` (${label})` : ""} timed out after ${timeoutMs} ms.`,
      lastError !== undefined ? `Last predicate error: ${String(lastError)}` : undefined,
      `Recorded calls (${this.calls.length}${this.calls.length > shown.length ? `, last ${shown.length} shown` : ""}):`,
      ...(shown.length ? shown.map((l) => `  ${l}`) : ["  (none)"]),
      `Pending updates: ${this.queue.length}; webhook: ${this.webhook.url ?? "(none)"}`,
    ];
    throw new Error(lines.filter((l) => l !== undefined).join("\n"));
  }

  failNext(method: string, count: number, response: FailResponse): void {
    if (!Number.isInteger(count) || count < 1) throw new Error(`failNext: count must be a positive integer, got ${count}`);
    this.rules.push({ method: method.toLowerCase(), remaining: count, response });
  }

  failWhile(match: (method: string, params: Record<string, unknown>) => boolean, response: FailResponse): () => void {
    const rule: FailRule = { method: "*", remaining: Number.POSITIVE_INFINITY, response, match };
    this.rules.push(rule);
    return () => {
      this.rules = this.rules.filter((r) => r !== rule);
    };
  }

  clearFailures(): void {
    this.rules = [];
  }

  clearCalls(): void {
    this.calls.length = 0;
  }

  pushUpdate(update: object): Update {
    const u = { ...(update as Record<string, unknown>) };
    if (typeof u.update_id !== "number") u.update_id = this.nextUpdateId;
    const withId = u as Update;
    this.nextUpdateId = Math.max(this.nextUpdateId, withId.update_id + 1);
    // Private chats share one message-id sequence between user and bot: keep ours above theirs.
    const message = (withId.message ?? withId.edited_message) as Record<string, unknown> | undefined;
    const chat = message?.chat as Record<string, unknown> | undefined;
    if (chat && typeof message?.message_id === "number" && chat.id !== undefined) {
      const key = String(chat.id);
      this.messageCounters.set(key, Math.max(this.messageCounters.get(key) ?? 0, message.message_id));
    }
    this.queue.push(withId);
    this.wakeWaiters();
    return withId;
  }

  addFile(fileId: string, name: string, bytes: Buffer | string): string {
    const path = `documents/file_${this.files.size + 1}_${name.replace(/[^\w.-]+/g, "_")}`;
    this.files.set(fileId, { path, bytes: Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, "utf8") });
    return path;
  }

  setChatMember(chatId: number, userId: number, status: ChatMemberStatus): void {
    this.memberStatuses.set(`${chatId}:${userId}`, status);
  }

  stallDownloads(): () => void {
    let release!: () => void;
    this.downloadStall = new Promise<void>((resolve) => {
      release = resolve;
    });
    return () => {
      this.downloadStall = undefined;
      release();
    };
  }

  onCall(listener: (call: RecordedCall) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    if (this.closed) return this.closed;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiters) clearTimeout(w.timer);
    this.waiters = [];
    this.closed = new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
    });
    return this.closed;
  }

  // -------------------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    // A client given viaRoot(tag) as its root: the tag says who called, the rest is the usual path.
    const viaMatch = /^\/via-([\w-]+)(\/.*)$/.exec(url.pathname);
    const via = viaMatch?.[1];
    if (viaMatch) url.pathname = viaMatch[2]!;
    const body = await readBody(req);
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (download && (req.method === "GET" || req.method === "HEAD")) {
      const file = [...this.files.values()].find((f) => f.path === decodeURIComponent(download[2] ?? ""));
      if (decodeURIComponent(download[1] ?? "") !== this.token || !file) {
        writeJson(res, 404, { ok: false, error_code: 404, description: "Not Found" });
        return;
      }
      this.downloads.push(file.path);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": file.bytes.length });
      if (this.downloadStall) {
        const half = Math.floor(file.bytes.length / 2);
        res.write(file.bytes.subarray(0, half));
        await this.downloadStall;
        if (this.closed || res.destroyed) return;
        res.end(file.bytes.subarray(half));
        return;
      }
      res.end(file.bytes);
      return;
    }
    const match = /^\/bot([^/]+)\/([A-Za-z0-9_]+)\/?$/.exec(url.pathname);
    if (!match) {
      writeJson(res, 404, { ok: false, error_code: 404, description: "Not Found" });
      return;
    }
    const token = decodeURIComponent(match[1] ?? "");
    const method = match[2] ?? "";
    let parsed: { params: Record<string, unknown>; files: RecordedFile[] };
    try {
      parsed = parseParams(req.headers["content-type"], body, url.searchParams);
    } catch (error) {
      const call: RecordedCall = { method, params: {}, at: Date.now(), failedWith: 400, ...(via !== undefined ? { via } : {}) };
      this.calls.push(call);
      writeJson(res, 400, { ok: false, error_code: 400, description: `Bad Request: ${String(error)}` });
      return;
    }
    const call: RecordedCall = { method, params: parsed.params, at: Date.now(), ...(via !== undefined ? { via } : {}) };
    if (parsed.files.length) call.files = parsed.files;
    this.calls.push(call);
    for (const listener of this.listeners) listener(call);

    if (token !== this.token) {
      call.failedWith = 401;
      writeJson(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
      return;
    }

    const rule = this.takeRule(method, call.params);
    if (rule === "reset") {
      call.failedWith = -1;
      call.reset = true;
      req.socket.destroy();
      return;
    }
    if (rule && "status" in rule) {
      call.failedWith = rule.status;
      writeJson(res, rule.status, errorBody(rule.status, rule.description, rule.retryAfter));
      return;
    }
    if (rule && "delayMs" in rule) {
      call.delayedMs = rule.delayMs;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          resolve();
        }, rule.delayMs);
        this.timers.add(t);
      });
      if (this.closed || res.destroyed) return;
    }
    if (rule && "until" in rule) {
      await rule.until.catch(() => undefined);
      if (this.closed || res.destroyed) return;
    }
    this.answer(method, call, res);
  }

  private takeRule(method: string, params: Record<string, unknown>): FailResponse | undefined {
    const lower = method.toLowerCase();
    const rule = this.rules.find(
      (r) => r.remaining > 0 && (r.method === "*" || r.method === lower) && (r.match === undefined || r.match(method, params)),
    );
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
    return rule.response;
  }

  private ok(call: RecordedCall, res: http.ServerResponse, result: unknown): void {
    call.result = result;
    writeJson(res, 200, { ok: true, result });
  }

  private fail(call: RecordedCall, res: http.ServerResponse, status: number, description: string): void {
    call.failedWith = status;
    writeJson(res, status, errorBody(status, description));
  }

  private answer(method: string, call: RecordedCall, res: http.ServerResponse): void {
    const p = call.params;
    switch (method.toLowerCase()) {
      case "getme":
        return this.ok(call, res, this.botUser(true));
      case "getupdates":
        return this.getUpdates(call, res);
      case "setwebhook": {
        if (typeof p.url !== "string") return this.fail(call, res, 400, "Bad Request: bad webhook: url is empty");
        this.webhook = p.url === "" ? {} : { url: p.url, ...(typeof p.secret_token === "string" ? { secret: p.secret_token } : {}) };
        if (p.drop_pending_updates === true) this.queue = [];
        return this.ok(call, res, true);
      }
      case "deletewebhook":
        this.webhook = {};
        if (p.drop_pending_updates === true) this.queue = [];
        return this.ok(call, res, true);
      case "getfile": {
        const file = typeof p.file_id === "string" ? this.files.get(p.file_id) : undefined;
        if (!file) return this.fail(call, res, 400, "Bad Request: invalid file_id");
        return this.ok(call, res, {
          file_id: p.file_id,
          file_unique_id: `AgAD${String(p.file_id).slice(0, 8)}`,
          file_size: file.bytes.length,
          file_path: file.path,
        });
      }
      case "getwebhookinfo":
        return this.ok(call, res, {
          url: this.webhook.url ?? "",
          has_custom_certificate: false,
          pending_update_count: this.queue.length,
        });
      case "sendmessage": {
        if (p.chat_id === undefined) return this.fail(call, res, 400, "Bad Request: chat_id is empty");
        if (typeof p.text !== "string" || p.text.length === 0) return this.fail(call, res, 400, "Bad Request: message text is empty");
        // As Telegram: over 4096 UTF-16 units, or half a surrogate pair (a text cut inside an emoji), is refused.
        if (p.text.length > 4096) return this.fail(call, res, 400, "Bad Request: message is too long");
        if (/\p{Cs}/u.test(p.text)) return this.fail(call, res, 400, "Bad Request: text must be encoded in UTF-8");
        return this.ok(call, res, this.newMessage(p, { text: p.text }));
      }
      case "senddocument": {
        if (p.chat_id === undefined) return this.fail(call, res, 400, "Bad Request: chat_id is empty");
        const doc = p.document;
        const fileName = isRecordedFile(doc) ? doc.fileName : typeof doc === "string" ? doc.split("/").pop() || "file" : "file";
        const id = randomId();
        return this.ok(
          call,
          res,
          this.newMessage(p, {
            document: {
              file_id: `BQAC${id}`,
              file_unique_id: `AgAD${id.slice(0, 8)}`,
              file_name: fileName,
              ...(isRecordedFile(doc) ? { mime_type: guessMime(doc.fileName), file_size: doc.size } : {}),
            },
          }),
        );
      }
      case "sendphoto": {
        if (p.chat_id === undefined) return this.fail(call, res, 400, "Bad Request: chat_id is empty");
        const id = randomId();
        return this.ok(call, res, this.newMessage(p, { photo: [{ file_id: `AgAC${id}`, file_unique_id: `AQAD${id.slice(0, 8)}`, width: 90, height: 90 }] }));
      }
      case "sendmediagroup": {
        if (p.chat_id === undefined) return this.fail(call, res, 400, "Bad Request: chat_id is empty");
        if (!Array.isArray(p.media) || p.media.length === 0) return this.fail(call, res, 400, "Bad Request: media is empty");
        const groupId = String(Date.now());
        return this.ok(
          call,
          res,
          p.media.map((item: unknown) => {
            const media = (item ?? {}) as Record<string, unknown>;
            const fileName = isRecordedFile(media.media) ? media.media.fileName : "file";
            const id = randomId();
            const kind = typeof media.type === "string" ? media.type : "document";
            const content =
              kind === "photo"
                ? { photo: [{ file_id: `AgAC${id}`, file_unique_id: `AQAD${id.slice(0, 8)}`, width: 90, height: 90 }] }
                : { [kind]: { file_id: `BQAC${id}`, file_unique_id: `AgAD${id.slice(0, 8)}`, file_name: fileName } };
            return this.newMessage({ chat_id: p.chat_id, caption: media.caption }, { media_group_id: groupId, ...content });
          }),
        );
      }
      case "copymessage":
        if (p.chat_id === undefined) return this.fail(call, res, 400, "Bad Request: chat_id is empty");
        return this.ok(call, res, { message_id: this.nextMessageId(p.chat_id) });
      case "forwardmessage":
        if (p.chat_id === undefined) return this.fail(call, res, 400, "Bad Request: chat_id is empty");
        return this.ok(call, res, this.newMessage(p, {}));
      case "getchatmember": {
        if (p.chat_id === undefined || typeof p.user_id !== "number") return this.fail(call, res, 400, "Bad Request: invalid user_id specified");
        const status = this.memberStatuses.get(`${String(p.chat_id)}:${p.user_id}`) ?? "member";
        const rights = status === "administrator" ? { can_be_edited: false, is_anonymous: false, can_manage_chat: true, can_delete_messages: true } : {};
        return this.ok(call, res, { status, user: userFrom(p.user_id), ...(status === "creator" ? { is_anonymous: false } : rights) });
      }
      case "editmessagetext":
      case "editmessagereplymarkup":
      case "editmessagecaption":
        if (this.isUnchangedBy(method.toLowerCase(), p)) {
          return this.fail(call, res, 400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message");
        }
        return this.ok(call, res, this.editMessage(method.toLowerCase(), p));
      default:
        // setMyCommands, answerCallbackQuery, sendChatAction, deleteMessage, … and anything unknown.
        return this.ok(call, res, true);
    }
  }

  private getUpdates(call: RecordedCall, res: http.ServerResponse): void {
    const p = call.params;
    if (this.webhook.url) {
      return this.fail(call, res, 409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    }
    const offset = typeof p.offset === "number" ? p.offset : undefined;
    if (offset !== undefined) this.lastOffset = offset;
    const limit = Math.min(100, Math.max(1, typeof p.limit === "number" ? p.limit : 100));
    const timeout = typeof p.timeout === "number" && p.timeout > 0 ? p.timeout : 0;
    this.confirm(offset);
    const ready = this.available(offset, limit);
    if (ready.length > 0 || timeout === 0) return this.ok(call, res, ready);
    const waiter: PollWaiter = {
      offset,
      limit,
      res,
      call,
      timer: setTimeout(() => this.finishWaiter(waiter, []), timeout * 1000),
    };
    this.waiters.push(waiter);
    res.on("close", () => {
      clearTimeout(waiter.timer);
      this.waiters = this.waiters.filter((w) => w !== waiter);
    });
  }

  /** Telegram forgets confirmed updates (id < offset) for good; a negative offset keeps the last -offset. */
  private confirm(offset: number | undefined): void {
    if (offset === undefined || offset === 0) return;
    if (offset > 0) this.queue = this.queue.filter((u) => u.update_id >= offset);
    else this.queue = this.queue.slice(offset);
  }

  private available(offset: number | undefined, limit: number): Update[] {
    const from = offset !== undefined && offset > 0 ? offset : -Infinity;
    return this.queue.filter((u) => u.update_id >= from).slice(0, limit);
  }

  private wakeWaiters(): void {
    for (const w of [...this.waiters]) {
      const ready = this.available(w.offset, w.limit);
      if (ready.length > 0) this.finishWaiter(w, ready);
    }
  }

  private finishWaiter(w: PollWaiter, result: Update[]): void {
    clearTimeout(w.timer);
    this.waiters = this.waiters.filter((x) => x !== w);
    if (!w.res.destroyed && !w.res.writableEnded) this.ok(w.call, w.res, result);
  }

  private botUser(full: boolean): Record<string, unknown> {
    return {
      id: this.botId,
      is_bot: true,
      first_name: "Test Bot",
      username: "test_bot",
      ...(full ? { can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false } : {}),
    };
  }

  private nextMessageId(chatId: unknown): number {
    const key = String(chatId);
    const next = (this.messageCounters.get(key) ?? 0) + 1;
    this.messageCounters.set(key, next);
    return next;
  }

  private newMessage(p: Record<string, unknown>, content: Record<string, unknown>): Record<string, unknown> {
    const message: Record<string, unknown> = {
      message_id: this.nextMessageId(p.chat_id),
      from: this.botUser(false),
      date: unixNow(),
      chat: chatFor(p.chat_id),
      ...content,
      ...(typeof p.caption === "string" ? { caption: p.caption } : {}),
      ...(p.reply_markup !== undefined ? { reply_markup: p.reply_markup } : {}),
    };
    this.messages.set(`${String(p.chat_id)}:${String(message.message_id)}`, message);
    return message;
  }

  /** Telegram refuses an edit of a message it knows that would change nothing (text and buttons alike). */
  private isUnchangedBy(method: string, p: Record<string, unknown>): boolean {
    if (p.inline_message_id !== undefined) return false;
    const known = this.messages.get(`${String(p.chat_id)}:${String(p.message_id)}`);
    if (!known) return false;
    const buttons = (markup: unknown) => JSON.stringify((markup as { inline_keyboard?: unknown[] } | undefined)?.inline_keyboard ?? []);
    if (buttons(known.reply_markup) !== buttons(p.reply_markup)) return false;
    if (method === "editmessagetext") return known.text === p.text;
    if (method === "editmessagecaption") return known.caption === p.caption;
    return true;
  }

  private editMessage(method: string, p: Record<string, unknown>): unknown {
    if (p.inline_message_id !== undefined) return true;
    const key = `${String(p.chat_id)}:${String(p.message_id)}`;
    const known = this.messages.get(key);
    const message: Record<string, unknown> = known
      ? { ...known }
      : { message_id: p.message_id, from: this.botUser(false), date: unixNow(), chat: chatFor(p.chat_id) };
    message.edit_date = unixNow();
    if (method === "editmessagetext" && typeof p.text === "string") message.text = p.text;
    if (method === "editmessagecaption" && typeof p.caption === "string") message.caption = p.caption;
    if (p.reply_markup !== undefined) message.reply_markup = p.reply_markup;
    else delete message.reply_markup; // Telegram drops the inline keyboard when an edit omits it.
    this.messages.set(key, message);
    return message;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers for tests

/** POSTs an update as JSON to a webhook URL, with the secret header when given. */
export async function postUpdate(url: string, update: unknown, secret?: string): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (secret !== undefined) headers["X-Telegram-Bot-Api-Secret-Token"] = secret;
  const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(update) });
  return { status: res.status, body: await res.text() };
}

/** A text message update (message_id = updateId). Commands ("/x …") get a bot_command entity. */
export function makeTextUpdate(updateId: number, chatId: number, text: string, fromId: number = chatId) {
  const command = /^\/\S*/.exec(text);
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: unixNow(),
      chat: userChat(chatId),
      from: userFrom(fromId),
      text,
      ...(command ? { entities: [{ type: "bot_command", offset: 0, length: command[0].length }] } : {}),
    },
  };
}

/** A message with a document (a file the user sends), e.g. an import; register its bytes with addFile. */
export function makeDocumentUpdate(
  updateId: number,
  chatId: number,
  document: { fileId: string; fileName?: string; fileSize?: number; mimeType?: string },
  fromId: number = chatId,
) {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: unixNow(),
      chat: userChat(chatId),
      from: userFrom(fromId),
      document: {
        file_id: document.fileId,
        file_unique_id: `AgAD${document.fileId.slice(0, 8)}`,
        ...(document.fileName !== undefined ? { file_name: document.fileName } : {}),
        ...(document.fileSize !== undefined ? { file_size: document.fileSize } : {}),
        ...(document.mimeType !== undefined ? { mime_type: document.mimeType } : {}),
      },
    },
  };
}

/** A callback_query update for an inline button pressed under one of the bot's messages. */
export function makeCallbackUpdate(updateId: number, chatId: number, data: string, messageId = 1, fromId: number = chatId) {
  return {
    update_id: updateId,
    callback_query: {
      id: String(4_000_000_000_000 + updateId),
      from: userFrom(fromId),
      chat_instance: String(-7_000_000_000_000 - Math.abs(chatId)),
      data,
      message: {
        message_id: messageId,
        from: { id: 123456, is_bot: true, first_name: "Test Bot", username: "test_bot" },
        date: unixNow(),
        chat: userChat(chatId),
        text: "...",
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Internals

function userChat(chatId: number) {
  return chatId > 0
    ? { id: chatId, type: "private" as const, first_name: "Tester" }
    : { id: chatId, type: "group" as const, title: "Test Group" };
}

function userFrom(id: number) {
  return { id, is_bot: false, first_name: "Tester", language_code: "en" };
}

function chatFor(chatId: unknown): Record<string, unknown> {
  const id = typeof chatId === "number" ? chatId : Number(chatId);
  if (Number.isFinite(id)) return id > 0 ? { id, type: "private", first_name: "Tester" } : { id, type: "group", title: "Test Group" };
  // "@channelname": give it a stable channel-like id.
  const name = String(chatId).replace(/^@/, "");
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) % 1_000_000_000;
  return { id: -1_000_000_000_000 - h, type: "channel", title: name, username: name };
}

function errorBody(status: number, description?: string, retryAfter?: number): Record<string, unknown> {
  const retry = retryAfter ?? (status === 429 ? 1 : undefined);
  return {
    ok: false,
    error_code: status,
    description: description ?? defaultDescription(status, retry),
    ...(retry !== undefined ? { parameters: { retry_after: retry } } : {}),
  };
}

function defaultDescription(status: number, retryAfter: number | undefined): string {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden: bot was blocked by the user";
    case 404: return "Not Found";
    case 409: return "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";
    case 429: return `Too Many Requests: retry after ${retryAfter ?? 1}`;
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    default: return `Error ${status}`;
  }
}

function writeJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function describeCall(c: RecordedCall): string {
  const p = c.params;
  const parts = [c.method];
  if (p.chat_id !== undefined) parts.push(`chat=${String(p.chat_id)}`);
  const text = typeof p.text === "string" ? p.text : typeof p.caption === "string" ? p.caption : undefined;
  if (text !== undefined) parts.push(JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text));
  if (c.files?.length) parts.push(`files=${c.files.map((f) => `${f.fileName}(${f.size}B)`).join(",")}`);
  if (c.method.toLowerCase() === "getupdates" && p.offset !== undefined) parts.push(`offset=${String(p.offset)}`);
  if (c.reset) parts.push("[reset]");
  else if (c.failedWith !== undefined) parts.push(`[failed ${c.failedWith}]`);
  if (c.delayedMs !== undefined) parts.push(`[delayed ${c.delayedMs}ms]`);
  return parts.join(" ");
}

function isRecordedFile(v: unknown): v is RecordedFile {
  return typeof v === "object" && v !== null && "attachId" in v && "fileName" in v && Buffer.isBuffer((v as RecordedFile).data);
}

function guessMime(name: string): string {
  const ext = name.split(".").pop()?.toLowerCase();
  switch (ext) {
    case "csv": return "text/csv";
    case "json": return "application/json";
    case "txt": return "text/plain";
    case "pdf": return "application/pdf";
    case "zip": return "application/zip";
    default: return "application/octet-stream";
  }
}

function randomId(): string {
  let s = "";
  while (s.length < 24) s += Math.random().toString(36).slice(2);
  return s.slice(0, 24);
}

function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// --- request parameter parsing ---------------------------------------------------------------

function parseParams(
  contentType: string | undefined,
  body: Buffer,
  query: URLSearchParams,
): { params: Record<string, unknown>; files: RecordedFile[] } {
  const params: Record<string, unknown> = {};
  for (const [k, v] of query) params[k] = coerceField(k, v);
  const type = (contentType ?? "").toLowerCase();
  if (body.length === 0) return { params, files: [] };
  if (type.startsWith("application/json") || (!type && body[0] === 0x7b)) {
    const json: unknown = JSON.parse(body.toString("utf8"));
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error("JSON body is not an object");
    return { params: { ...params, ...(json as Record<string, unknown>) }, files: [] };
  }
  if (type.startsWith("application/x-www-form-urlencoded")) {
    for (const [k, v] of new URLSearchParams(body.toString("utf8"))) params[k] = coerceField(k, v);
    return { params, files: [] };
  }
  if (type.startsWith("multipart/form-data")) {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? "");
    const b = boundary?.[1] ?? boundary?.[2];
    if (!b) throw new Error("multipart body without boundary");
    const parts = parseMultipart(body, b.trim());
    const uploads = new Map<string, RecordedFile>();
    for (const part of parts) {
      if (part.fileName === undefined) params[part.name] = coerceField(part.name, part.data.toString("utf8"));
      else
        uploads.set(part.name, {
          field: part.name,
          attachId: part.name,
          fileName: part.fileName,
          size: part.data.length,
          contentType: part.contentType,
          data: part.data,
        });
    }
    // Replace "attach://<id>" references (top level or nested, e.g. media groups) by the file.
    const used = new Set<string>();
    const resolve = (v: unknown, key: string): unknown => {
      if (typeof v === "string" && v.startsWith("attach://")) {
        const file = uploads.get(v.slice("attach://".length));
        if (file) {
          file.field = key;
          used.add(file.attachId);
          return file;
        }
        return v;
      }
      if (Array.isArray(v)) return v.map((x) => resolve(x, key));
      if (typeof v === "object" && v !== null && !Buffer.isBuffer(v)) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x, k)]));
      }
      return v;
    };
    for (const [k, v] of Object.entries(params)) params[k] = resolve(v, k);
    for (const file of uploads.values()) if (!used.has(file.attachId)) params[file.attachId] = file;
    return { params, files: [...uploads.values()] };
  }
  throw new Error(`unsupported content-type ${contentType ?? "(none)"}`);
}

const NUMERIC_FIELDS = new Set([
  "chat_id", "from_chat_id", "message_id", "message_thread_id", "reply_to_message_id", "user_id",
  "offset", "limit", "timeout", "duration", "width", "height", "until_date", "cache_time",
  "direct_messages_topic_id", "video_start_timestamp", "max_connections",
]);
const BOOLEAN_FIELD = /^(disable_|protect_|allow_|drop_|has_|show_|supports_|is_|only_|revoke_)/;

/** Multipart fields arrive as strings; turn them back into what a JSON body would have carried. */
function coerceField(key: string, value: string): unknown {
  if (/^[[{]/.test(value)) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  if (NUMERIC_FIELDS.has(key) && /^-?\d+$/.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
  }
  if (BOOLEAN_FIELD.test(key) && (value === "true" || value === "false")) return value === "true";
  return value;
}

interface MultipartPart {
  name: string;
  fileName: string | undefined;
  contentType: string | undefined;
  data: Buffer;
}

/**
 * A small multipart/form-data parser. grammY writes headers like
 * `content-disposition:form-data;name="x";filename=a b.csv` (no space, unquoted filename),
 * which undici's Request.formData() in Node 20 rejects, hence this.
 */
function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new Error("multipart boundary not found");
  for (;;) {
    pos += delimiter.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break; // closing "--"
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), pos);
    if (next < 0) throw new Error("unterminated multipart part");
    const part = body.subarray(pos, next);
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd < 0) throw new Error("multipart part without headers");
    const headers = new Map<string, string>();
    for (const line of part.subarray(0, headerEnd).toString("utf8").split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const disposition = headers.get("content-disposition") ?? "";
    const name = dispositionParam(disposition, "name");
    if (name === undefined) throw new Error("multipart part without a name");
    parts.push({
      name,
      fileName: dispositionParam(disposition, "filename"),
      contentType: headers.get("content-type"),
      data: Buffer.from(part.subarray(headerEnd + 4)),
    });
    pos = next + 2;
  }
  return parts;
}

function dispositionParam(disposition: string, param: string): string | undefined {
  // Parameters are ";"-separated; values quoted ("…") or bare up to the next ";" (or line end).
  const re = new RegExp(`(?:^|;)\\s*${param}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]*))`, "i");
  const m = re.exec(disposition);
  if (!m) return undefined;
  if (m[1] !== undefined) return m[1].replace(/\\(.)/g, "$1");
  // grammY writes the filename last and unquoted, so a bare filename may itself contain ";".
  if (param === "filename") return disposition.slice(m.index + m[0].length - (m[2] ?? "").length).trim();
  return (m[2] ?? "").trim();
}
