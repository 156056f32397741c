// One browser connection to a Plaza world: the WebSocket, the mirror of visible avatars,
// clock sync, token renewal, chat, moderation and zone requests, moving between zones, and
// reconnecting after a drop.
//
// The server keeps a dropped user's avatar for 30 s (docs/protocol.md section 2.7), so a
// reconnect soon after a drop gets the same avatar back with a fresh view. That is why the
// first retry comes within half a second, and why the mirror and the MOVE/POSE sequence
// numbers start over on every WELCOME, resumed or not. Moving to another zone (a portal, a
// transfer, a kick to the entrance) keeps the socket: ENTER_ZONE empties the mirror, takes
// the new zone's origin, and lifts the sequence numbers above the floor the server gives.
//
// Events (CustomEvent, the payload in `detail`):
//   welcome        decoded WELCOME (also after each reconnect; check `resumed`)
//   world          {frame, mirror}: after the frame was applied to `mirror`
//   correction     decoded CORRECTION: rebase your avatar on (x, y, z)
//   error          decoded ERROR plus `name` (e.g. "BAD_FIELD"); the connection stays open
//   result         decoded RESULT (also delivered to the promise of renew(), moderate(),
//                  block(), report() or zoneRequest())
//   chat           decoded CHAT: a line heard; your own line comes back with `requestId`
//   zoneevent      decoded ZONE_EVENT {zone, event, data}, e.g. event "travel.refused"
//   enterzone      decoded ENTER_ZONE, after the mirror was emptied for the new zone and
//                  the MOVE/POSE counters were lifted above `seqFloor`; `welcome` and
//                  `avatarId` already describe the new zone
//   tokenexpiring  {expiresAt, renewing}: renewing is true when a tokenSource will renew
//   close          {code, reason, key, wasClean, willReconnect, delayMs}; `key` names a
//                  message for the user in the client's i18n table

import {
  CloseCode,
  ErrorCode,
  Opcode,
  SUBPROTOCOL,
  decodeServer,
  encodeBlock,
  encodeModerate,
  encodeMove,
  encodePing,
  encodePose,
  encodeReact,
  encodeRenew,
  encodeReport,
  encodeSay,
  encodeZone,
  errorCodeName,
} from "./codec.js";
import { CLOCK_SAMPLES, ClockSync } from "./clock.js";
import { MirrorError, WorldMirror } from "./mirror.js";

/** First reconnect delay; later ones double. Well inside the server's 30 s grace period. */
export const RECONNECT_BASE_MS = 500;
/** Longest wait between reconnect attempts. */
export const RECONNECT_MAX_MS = 15_000;
/** Attempts without a WELCOME in between before giving up (about 1.5 minutes in all). */
export const RECONNECT_MAX_ATTEMPTS = 10;
/**
 * How long a MODERATE, BLOCK, REPORT or ZONE request may wait for its RESULT (the server
 * waits up to 20 s for its database).
 */
export const REQUEST_TIMEOUT_MS = 30_000;
/** How long a RENEW may wait for its RESULT. */
export const RENEW_TIMEOUT_MS = 10_000;
/** How long a PING may wait for its PONG. */
export const PING_TIMEOUT_MS = 5_000;
/** After a failed automatic renewal, try again this much later (TOKEN_EXPIRING comes 60 s early). */
export const RENEW_RETRY_MS = 10_000;
/** Clock samples are refreshed this often while joined, to follow drift. */
export const CLOCK_RESYNC_MS = 5 * 60_000;
/**
 * MOVE and POSE are skipped while this much is still unsent: the server uses only the last
 * one per tick, so queueing stale ones behind a slow link only delays the fresh one.
 */
export const SEND_BACKLOG_BYTES = 16 * 1024;
/**
 * The code this client closes with when its mirror lost track of the server. Any code but
 * 1000 keeps the avatar waiting (section 2.6), so the reconnect resumes it with a fresh view.
 */
export const RESYNC_CLOSE_CODE = 4000;

/** Requests answered by a RESULT with their own request id, or refused by an ERROR. */
const REQUEST_OPCODES = new Set([Opcode.MODERATE, Opcode.BLOCK, Opcode.REPORT, Opcode.ZONE]);

/**
 * The i18n key of the message to show for a close code (src/i18n.js). Codes not listed
 * get "disconnected".
 */
export const CLOSE_MESSAGE_KEYS = Object.freeze({
  [CloseCode.NORMAL]: "disconnected",
  [CloseCode.GOING_AWAY]: "shuttingDown",
  [CloseCode.PROTOCOL_ERROR]: "protocolError",
  [CloseCode.ABNORMAL]: "disconnected",
  [CloseCode.INVALID_DATA]: "protocolError",
  [CloseCode.POLICY_VIOLATION]: "policy",
  [CloseCode.MESSAGE_TOO_BIG]: "tooBig",
  [CloseCode.INTERNAL_ERROR]: "serverError",
  [CloseCode.SERVICE_RESTART]: "shuttingDown",
  [CloseCode.TRY_AGAIN_LATER]: "full",
  [CloseCode.SLOW_CONSUMER]: "slow",
  [CloseCode.BANNED]: "banned",
  [CloseCode.TOKEN_EXPIRED]: "expired",
  [CloseCode.SESSION_REPLACED]: "replaced",
});

/**
 * The i18n key for a close code.
 * @param {number} code
 * @returns {string}
 */
export function closeMessageKey(code) {
  return CLOSE_MESSAGE_KEYS[code] ?? "disconnected";
}

/**
 * Whether a close with `code` (not started by this client) should be followed by a
 * reconnect: "retry", "freshToken" (only with a new token) or "never".
 * @param {number} code
 * @returns {"retry"|"freshToken"|"never"}
 */
export function reconnectPolicy(code) {
  switch (code) {
    case CloseCode.BANNED: // refused with 403 until the ban ends
    case CloseCode.SESSION_REPLACED: // two tabs retrying would take the avatar from each other in turn
    // The client broke a rule; connecting again would break it again (section 15).
    case CloseCode.PROTOCOL_ERROR:
    case CloseCode.INVALID_DATA:
    case CloseCode.POLICY_VIOLATION:
    case CloseCode.MESSAGE_TOO_BIG:
      return "never";
    case CloseCode.TOKEN_EXPIRED:
      return "freshToken";
    default:
      return "retry";
  }
}

/** The connection ended for good. `key` names a message for the user. */
export class PlazaCloseError extends Error {
  constructor(code, reason) {
    super(`connection closed (${code}${reason ? `: ${reason}` : ""})`);
    this.name = "PlazaCloseError";
    this.code = code;
    this.reason = reason;
    this.key = closeMessageKey(code);
  }
}

/**
 * A request (RENEW, MODERATE, BLOCK, REPORT, ZONE, PING) was refused or got no answer. `code` is the ERROR's
 * ErrorCode, or null for a timeout or a dropped connection. `retryable` requests may be sent
 * again; a MODERATE with the same request id is never carried out twice.
 */
export class PlazaRequestError extends Error {
  constructor(message, { code = null, requestId = null, retryable = false } = {}) {
    super(message);
    this.name = "PlazaRequestError";
    this.code = code;
    this.requestId = requestId;
    this.retryable = retryable;
  }
}

/**
 * A fresh random request id. crypto.randomUUID exists only on secure pages (https or
 * localhost), and a city deployment on a closed network may well be plain http.
 */
export function newRequestId() {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A connection to a Plaza world over the browser's WebSocket.
 *
 *     const connection = new PlazaConnection({ tokenSource: () => refreshToken(token) });
 *     connection.addEventListener("world", () => draw(connection.mirror));
 *     const welcome = await connection.connect(wsUrl, token);
 *     connection.sendMove({ x, y, z, yaw });
 */
export class PlazaConnection extends EventTarget {
  /** @type {WebSocket|null} */
  #ws = null;
  #opened = false;
  #discarding = false;
  #url = "";
  #token = "";
  /** @type {null|"user"|"resync"} */
  #closeIntent = null;
  #attempts = 0;
  #needFreshToken = false;
  // Bumped by connect() and close(), so an attempt still waiting for a token from an
  // earlier session never opens a socket for it.
  #generation = 0;
  #timers = { reconnect: null, clock: null, renew: null };
  /** @type {{resolve: Function, reject: Function}|null} */
  #connectWaiter = null;
  #moveSeq = 0;
  #poseSeq = 0;
  /** @type {Map<number, {resolve: Function, reject: Function, timer: any}>} */
  #pings = new Map();
  /** @type {Map<string, {requestId: string, opcode: number, promise: Promise<any>,
   *   resolve: Function, reject: Function, timer: any}>} */
  #requests = new Map();
  // Requests the server has not yet read, oldest first. An ERROR carries no request id, but
  // the server handles one connection's messages in order: each request is followed by a
  // PING, and an ERROR for its opcode that comes before that PING's PONG is this request's.
  #unread = [];
  /** @type {{resolve: Function, reject: Function, timer: any, token: string}|null} */
  #renew = null;
  #renewChain = Promise.resolve();
  #autoRenewing = false;
  #clockSync = null;

  /**
   * @param {object} [options]
   * @param {typeof WebSocket} [options.WebSocketImpl] the WebSocket class (tests pass a fake)
   * @param {() => Promise<string>} [options.tokenSource] a fresh token for the same user: used
   *   to RENEW on TOKEN_EXPIRING, and to reconnect after the token expired
   * @param {boolean} [options.reconnect] reconnect after a drop (default true)
   * @param {number} [options.reconnectBaseMs]
   * @param {number} [options.reconnectMaxMs]
   * @param {number} [options.maxReconnectAttempts]
   * @param {boolean} [options.autoSyncClock] sync the clock after each WELCOME and every
   *   CLOCK_RESYNC_MS (default true)
   * @param {number} [options.requestTimeoutMs]
   * @param {ClockSync} [options.clock]
   * @param {() => number} [options.random] for the backoff jitter
   * @param {typeof setTimeout} [options.setTimeout]
   * @param {typeof clearTimeout} [options.clearTimeout]
   */
  constructor(options = {}) {
    super();
    this.options = {
      WebSocketImpl: options.WebSocketImpl ?? globalThis.WebSocket,
      tokenSource: options.tokenSource ?? null,
      reconnect: options.reconnect ?? true,
      reconnectBaseMs: options.reconnectBaseMs ?? RECONNECT_BASE_MS,
      reconnectMaxMs: options.reconnectMaxMs ?? RECONNECT_MAX_MS,
      maxReconnectAttempts: options.maxReconnectAttempts ?? RECONNECT_MAX_ATTEMPTS,
      autoSyncClock: options.autoSyncClock ?? true,
      requestTimeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      random: options.random ?? Math.random,
      setTimeout: options.setTimeout ?? globalThis.setTimeout.bind(globalThis),
      clearTimeout: options.clearTimeout ?? globalThis.clearTimeout.bind(globalThis),
    };
    /** Server clock estimate. */
    this.clock = options.clock ?? new ClockSync();
    /** The visible avatars; reset on every WELCOME and ENTER_ZONE. */
    this.mirror = new WorldMirror();
    /**
     * The last WELCOME or ENTER_ZONE (decoded; `type` tells which), or null: the avatar id,
     * the zone (`zone.name`, `zone.title`, `zone.origin`) and its `instance` {zone, number}.
     */
    this.welcome = null;
    /** "idle", "connecting", "joined", "reconnecting" or "closed". */
    this.state = "idle";
    /** Unix seconds (server clock) when the token expires, once the server said so. */
    this.tokenExpiresAt = null;
  }

  /** The access token in use (replaced by renewals and fresh tokens). */
  get token() {
    return this.#token;
  }

  /** This client's avatar id, once joined. */
  get avatarId() {
    return this.welcome?.avatarId ?? null;
  }

  /**
   * Open the connection; resolves with the decoded WELCOME. Retryable failures before it
   * (a busy server, a dropped socket) are retried like any reconnect; rejects with
   * PlazaCloseError when the connection ends for good first.
   * @param {string} url the `ws_url` from sign-in or /api/config
   * @param {string} token the access token (sent as `?token=`: browsers cannot set headers)
   * @returns {Promise<object>}
   */
  connect(url, token) {
    if (this.state !== "idle" && this.state !== "closed") {
      return Promise.reject(new Error(`connect() while ${this.state}`));
    }
    this.#url = url;
    this.#token = token;
    this.#attempts = 0;
    this.#closeIntent = null;
    this.#needFreshToken = false;
    this.#generation++;
    this.state = "connecting";
    const promise = new Promise((resolve, reject) => {
      this.#connectWaiter = { resolve, reject };
    });
    this.#attempt();
    return promise;
  }

  /**
   * Close for good; the 'close' event follows. With the default 1000 the avatar leaves the
   * world at once; a code from 3000 to 4999 (what browsers allow besides 1000) keeps it
   * waiting 30 s, so a later connect() with the same user resumes it.
   * @param {number} [code]
   * @param {string} [reason]
   */
  close(code = CloseCode.NORMAL, reason = "") {
    this.#closeIntent = "user";
    this.#generation++;
    this.#clearTimer("reconnect");
    if (this.#ws !== null) {
      // Nothing more is sent or read on a socket that is closing.
      this.#discarding = true;
      this.#ws.close(code, reason);
      return;
    }
    if (this.state !== "closed" && this.state !== "idle") this.#finish(code, reason, true);
  }

  /**
   * Send a MOVE with the next sequence number: where your avatar is (metres, zone
   * coordinates), its yaw (rad), anim and flags. Returns the seq, or null when not sent (not
   * joined yet, or the link is backed up and this MOVE would be stale on arrival).
   * @param {{x: number, y: number, z: number, yaw?: number, anim?: number, flags?: number}} move
   * @returns {number|null}
   */
  sendMove({ x, y, z, yaw = 0, anim = 0, flags = 0 }) {
    if (!this.#canSendState()) return null;
    const seq = this.#moveSeq + 1;
    this.#ws.send(encodeMove({ seq, x, y, z, yaw, anim, flags }));
    this.#moveSeq = seq;
    return seq;
  }

  /**
   * Send a POSE (VR head and hands, each [dx, dy, dz, qx, qy, qz, qw] relative to the
   * avatar's root) with the next pose sequence number. Others see it only while your MOVE
   * flags include VR. Returns the seq, or null when not sent.
   * @param {{head: ArrayLike<number>, left: ArrayLike<number>, right: ArrayLike<number>}} pose
   * @returns {number|null}
   */
  sendPose({ head, left, right }) {
    if (!this.#canSendState()) return null;
    const seq = this.#poseSeq + 1;
    this.#ws.send(encodePose({ seq, head, left, right }));
    this.#poseSeq = seq;
    return seq;
  }

  #canSendState() {
    return (
      this.state === "joined" &&
      this.#ws !== null &&
      !this.#discarding &&
      this.#ws.bufferedAmount <= SEND_BACKLOG_BYTES
    );
  }

  #socketReady() {
    return this.#ws !== null && this.#opened && !this.#discarding;
  }

  /**
   * Estimate the server clock from `samples` PING/PONG round trips, one after another;
   * resolves with the offset (server minus local, seconds). Concurrent calls share one run.
   * @param {{samples?: number, timeoutMs?: number}} [options]
   * @returns {Promise<number>}
   */
  syncClock({ samples = CLOCK_SAMPLES, timeoutMs = PING_TIMEOUT_MS } = {}) {
    if (this.#clockSync === null) {
      this.#clockSync = (async () => {
        try {
          for (let i = 0; i < samples; i++) {
            const { sentAt, serverTime, receivedAt } = await this.#ping(timeoutMs);
            this.clock.addSample(sentAt, serverTime, receivedAt);
          }
          return this.clock.offset;
        } finally {
          this.#clockSync = null;
        }
      })();
    }
    return this.#clockSync;
  }

  #ping(timeoutMs = PING_TIMEOUT_MS) {
    if (!this.#socketReady()) {
      return Promise.reject(new PlazaRequestError("not connected", { retryable: true }));
    }
    let sentAt = this.clock.now();
    // PONGs are matched by their echoed time, so two PINGs in flight must not share one
    // (coarse browser timers can return the same reading twice).
    while (this.#pings.has(sentAt)) sentAt += 1e-6;
    this.#ws.send(encodePing(sentAt));
    return new Promise((resolve, reject) => {
      const timer = this.options.setTimeout(() => {
        this.#pings.delete(sentAt);
        reject(new PlazaRequestError("no PONG in time", { retryable: true }));
      }, timeoutMs);
      this.#pings.set(sentAt, { resolve, reject, timer });
    });
  }

  /**
   * Send RENEW with a fresh token for the same user; resolves with the RESULT (its
   * `detail.expires_at` is the new expiry), rejects with PlazaRequestError when refused.
   * One RENEW is in flight at a time, since every RENEW's RESULT has the id "renew".
   * @param {string} token
   * @returns {Promise<{type: "result", requestId: string, ok: boolean, detail: any}>}
   */
  renew(token) {
    const run = this.#renewChain.then(() => this.#renewOnce(token));
    this.#renewChain = run.catch(() => {});
    return run;
  }

  #renewOnce(token) {
    if (!this.#socketReady()) {
      return Promise.reject(new PlazaRequestError("not connected", { requestId: "renew", retryable: true }));
    }
    const bytes = encodeRenew(token);
    return new Promise((resolve, reject) => {
      const timer = this.options.setTimeout(() => {
        this.#renew = null;
        reject(new PlazaRequestError("no answer to RENEW in time", { requestId: "renew", retryable: true }));
      }, RENEW_TIMEOUT_MS);
      this.#renew = { resolve, reject, timer, token };
      this.#ws.send(bytes);
    });
  }

  /**
   * Send MODERATE (moderators and admins) and resolve with its RESULT, `ok` or not. Rejects
   * with PlazaRequestError when the server refuses it with an ERROR, on a timeout, or when
   * the connection drops; if `retryable`, call again with the same `requestId`.
   * @param {{requestId?: string, action: "ban"|"mute"|"lift", avatar?: number, subject?: string,
   *   reason?: string, minutes?: number|null, sanction?: number|bigint}} request
   * @returns {Promise<{type: "result", requestId: string, ok: boolean, detail: any}>}
   */
  moderate(request) {
    const requestId = request.requestId ?? newRequestId();
    return this.#request(Opcode.MODERATE, requestId, () => encodeModerate({ ...request, requestId }));
  }

  /**
   * Send a chat line (SAY) and return its request id. Your own line comes back as a 'chat'
   * event carrying that `requestId`; a refusal (muted, too many lines, a zone-wide line
   * from a role that may not announce) as a 'result' event with `ok` false and the reason.
   * Throws, sending nothing, when not joined or when the text is empty, too long (300
   * characters) or holds control characters.
   * @param {string} text
   * @param {{channel?: "near"|"zone"|"direct", to?: number|null, requestId?: string}} [options]
   * @returns {string}
   */
  say(text, { channel = "near", to = null, requestId = newRequestId() } = {}) {
    const bytes = encodeSay({ requestId, channel, text, to });
    if (this.state !== "joined" || !this.#socketReady()) {
      throw new PlazaRequestError("not joined", { requestId, retryable: true });
    }
    this.#ws.send(bytes);
    return requestId;
  }

  /**
   * Send a REACT (a cheer, clap or heart: ReactionKind) in a zone that takes reactions.
   * Returns false, sending nothing, when not joined. The server counts at most 4 a second
   * (burst 8) and drops the rest.
   * @param {number} kind
   * @returns {boolean}
   */
  react(kind) {
    const bytes = encodeReact(kind);
    if (this.state !== "joined" || !this.#socketReady()) return false;
    this.#ws.send(bytes);
    return true;
  }

  /**
   * Stop (or with `blocked` false, resume) seeing the chat of the user behind `avatarId`;
   * resolves with the RESULT once the server saved it (`detail` {avatar, blocked}), `ok` or
   * not (a refusal says why). Rejects like moderate().
   * @param {number} avatarId
   * @param {boolean} [blocked]
   * @param {{requestId?: string}} [options]
   * @returns {Promise<{type: "result", requestId: string, ok: boolean, detail: any}>}
   */
  block(avatarId, blocked = true, { requestId = newRequestId() } = {}) {
    return this.#request(Opcode.BLOCK, requestId, () => encodeBlock({ requestId, avatar: avatarId, blocked }));
  }

  /**
   * Report the user behind `avatarId` to the moderators with a reason (1 to 500
   * characters); resolves with the RESULT once the report is stored (`detail` {report}).
   * Rejects like moderate().
   * @param {number} avatarId
   * @param {string} reason
   * @param {{requestId?: string}} [options]
   * @returns {Promise<{type: "result", requestId: string, ok: boolean, detail: any}>}
   */
  report(avatarId, reason, { requestId = newRequestId() } = {}) {
    return this.#request(Opcode.REPORT, requestId, () => encodeReport({ requestId, avatar: avatarId, reason }));
  }

  /**
   * Send a ZONE message that wants an answer (`type` such as "poll.vote", `data` a map of
   * plain values) to the zone's script; resolves with its RESULT. Rejects like moderate().
   * @param {string} type
   * @param {object} [data]
   * @param {{requestId?: string}} [options]
   * @returns {Promise<{type: "result", requestId: string, ok: boolean, detail: any}>}
   */
  zoneRequest(type, data = {}, { requestId = newRequestId() } = {}) {
    return this.#request(Opcode.ZONE, requestId, () => encodeZone({ requestId, type, data }));
  }

  /**
   * Send a ZONE message that wants no answer. Returns false when not joined.
   * @param {string} type
   * @param {object} [data]
   * @returns {boolean}
   */
  zoneMessage(type, data = {}) {
    const bytes = encodeZone({ requestId: null, type, data });
    if (this.state !== "joined" || !this.#socketReady()) return false;
    this.#ws.send(bytes);
    return true;
  }

  /**
   * Send a request answered by a RESULT with its own id (MODERATE, BLOCK, REPORT, ZONE).
   * A request id already waiting shares that request's promise: resending after a lost
   * answer never carries it out twice.
   */
  #request(opcode, requestId, encode) {
    const pending = this.#requests.get(requestId);
    if (pending !== undefined) return pending.promise;
    let bytes;
    try {
      bytes = encode();
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.state !== "joined" || !this.#socketReady()) {
      return Promise.reject(new PlazaRequestError("not joined", { requestId, retryable: true }));
    }
    const entry = { requestId, opcode, promise: null, resolve: null, reject: null, timer: null };
    entry.promise = new Promise((resolve, reject) => {
      entry.resolve = resolve;
      entry.reject = reject;
    });
    entry.timer = this.options.setTimeout(() => {
      const error = new PlazaRequestError("no RESULT in time", { requestId, retryable: true });
      this.#settleRequest(entry, null, error);
    }, this.options.requestTimeoutMs);
    this.#requests.set(requestId, entry);
    this.#ws.send(bytes);
    this.#unread.push(entry);
    this.#ping().then(
      () => this.#markRead(entry),
      () => this.#markRead(entry),
    );
    return entry.promise;
  }

  #markRead(entry) {
    const i = this.#unread.indexOf(entry);
    if (i >= 0) this.#unread.splice(i, 1);
  }

  #settleRequest(entry, result, error) {
    if (this.#requests.get(entry.requestId) !== entry) return;
    this.#requests.delete(entry.requestId);
    this.#markRead(entry);
    this.options.clearTimeout(entry.timer);
    if (error) entry.reject(error);
    else entry.resolve(result);
  }

  // -- socket --------------------------------------------------------------------------------

  async #attempt() {
    const generation = this.#generation;
    const { tokenSource } = this.options;
    if (this.#needFreshToken && tokenSource) {
      let token;
      try {
        token = await tokenSource();
      } catch {
        if (generation === this.#generation) {
          this.#afterClose(CloseCode.ABNORMAL, "could not get a fresh token", false);
        }
        return;
      }
      if (generation !== this.#generation) return;
      this.#token = token;
      this.#needFreshToken = false;
    }
    let ws;
    try {
      const url = new URL(this.#url, globalThis.location?.href);
      url.searchParams.set("token", this.#token);
      ws = new this.options.WebSocketImpl(url.toString(), SUBPROTOCOL);
    } catch (error) {
      this.#finish(CloseCode.ABNORMAL, String(error?.message ?? error), false);
      return;
    }
    ws.binaryType = "arraybuffer";
    this.#ws = ws;
    this.#opened = false;
    this.#discarding = false;
    ws.onopen = () => {
      if (ws === this.#ws) this.#opened = true;
    };
    ws.onmessage = (event) => {
      if (ws === this.#ws && !this.#discarding) this.#onMessage(event.data);
    };
    // An error is always followed by a close event, which carries what we need.
    ws.onerror = () => {};
    ws.onclose = (event) => {
      if (ws !== this.#ws) return;
      this.#ws = null;
      this.#afterClose(event.code ?? CloseCode.ABNORMAL, event.reason ?? "", event.wasClean ?? false);
    };
  }

  #onMessage(data) {
    // The server sends only binary messages; anything else is not ours to read.
    if (!(data instanceof ArrayBuffer || data instanceof Uint8Array)) return;
    let msg;
    try {
      msg = decodeServer(data);
    } catch (error) {
      this.#resync(`undecodable server message: ${error.message}`);
      return;
    }
    switch (msg.type) {
      case "world":
        if (this.state !== "joined") return;
        try {
          this.mirror.apply(msg);
        } catch (error) {
          if (!(error instanceof MirrorError)) throw error;
          this.#resync(error.message);
          return;
        }
        this.#emit("world", { frame: msg, mirror: this.mirror });
        return;
      case "welcome":
        this.#onWelcome(msg);
        return;
      case "correction":
        this.#emit("correction", msg);
        return;
      case "pong": {
        const waiter = this.#pings.get(msg.clientTime);
        if (waiter === undefined) return;
        this.#pings.delete(msg.clientTime);
        this.options.clearTimeout(waiter.timer);
        waiter.resolve({ sentAt: msg.clientTime, serverTime: msg.serverTime, receivedAt: this.clock.now() });
        return;
      }
      case "error":
        this.#onError(msg);
        return;
      case "tokenExpiring":
        this.#onTokenExpiring(msg);
        return;
      case "result":
        this.#onResult(msg);
        return;
      case "chat":
        if (this.state === "joined") this.#emit("chat", msg);
        return;
      case "zoneEvent":
        if (this.state === "joined") this.#emit("zoneevent", msg);
        return;
      case "enterZone":
        this.#onEnterZone(msg);
        return;
      case "stage":
        if (this.state === "joined") this.#emit("stage", msg);
        return;
      case "alert":
        // An emergency alert goes out whatever the session's state.
        this.#emit("alert", msg.alert);
        return;
    }
  }

  #onWelcome(msg) {
    this.welcome = msg;
    this.mirror.reset(msg);
    this.#moveSeq = 0;
    this.#poseSeq = 0;
    this.#attempts = 0;
    this.state = "joined";
    this.#emit("welcome", msg);
    const waiter = this.#connectWaiter;
    this.#connectWaiter = null;
    waiter?.resolve(msg);
    if (this.options.autoSyncClock) this.#syncClockInBackground();
  }

  #onEnterZone(msg) {
    if (this.state !== "joined") return;
    // The new zone's first WORLD frame follows this message and introduces everyone in
    // view afresh; MOVEs and POSEs still in flight from the old zone carry seq numbers at or
    // below the floor, and the server ignores them.
    this.welcome = msg;
    this.mirror.reset(msg);
    this.#moveSeq = Math.max(this.#moveSeq, msg.seqFloor);
    this.#poseSeq = Math.max(this.#poseSeq, msg.seqFloor);
    this.#emit("enterzone", msg);
  }

  #syncClockInBackground() {
    this.syncClock().catch(() => {});
    this.#setTimer("clock", CLOCK_RESYNC_MS, () => {
      if (this.state === "joined") this.#syncClockInBackground();
    });
  }

  #onError(msg) {
    this.#emit("error", { ...msg, name: errorCodeName(msg.code) });
    const refused = (requestId, retryable) =>
      new PlazaRequestError(msg.reason, { code: msg.code, requestId, retryable });
    if (msg.opcode === Opcode.RENEW && this.#renew !== null) {
      const renew = this.#renew;
      this.#renew = null;
      this.options.clearTimeout(renew.timer);
      renew.reject(refused("renew", false));
    } else if (REQUEST_OPCODES.has(msg.opcode)) {
      const entry = this.#unread.find((e) => e.opcode === msg.opcode);
      if (entry === undefined) return;
      // Refused before it started (the rate, a busy server): sending it again is safe.
      const retryable = msg.code === ErrorCode.RATE_LIMITED || msg.code === ErrorCode.INBOX_FULL;
      this.#settleRequest(entry, null, refused(entry.requestId, retryable));
    } else if (msg.code === ErrorCode.RATE_LIMITED && msg.opcode === null && this.#unread.length > 0) {
      // Either too many requests are waiting, or messages were dropped for the input rate:
      // in both cases this request may not have started, and resending it is always safe.
      const entry = this.#unread[0];
      this.#settleRequest(entry, null, refused(entry.requestId, true));
    }
  }

  #onResult(msg) {
    if (msg.requestId === "renew") {
      const renew = this.#renew;
      if (renew !== null) {
        this.#renew = null;
        this.options.clearTimeout(renew.timer);
        if (msg.ok) this.#token = renew.token;
      }
      if (msg.ok && typeof msg.detail?.expires_at === "number") this.tokenExpiresAt = msg.detail.expires_at;
      this.#emit("result", msg);
      renew?.resolve(msg);
      return;
    }
    this.#emit("result", msg);
    const entry = this.#requests.get(msg.requestId);
    if (entry !== undefined) this.#settleRequest(entry, msg, null);
  }

  #onTokenExpiring(msg) {
    this.tokenExpiresAt = msg.expiresAt;
    const renewing = this.options.tokenSource !== null;
    this.#emit("tokenexpiring", { expiresAt: msg.expiresAt, renewing });
    if (renewing) this.#autoRenew();
  }

  async #autoRenew() {
    if (this.#autoRenewing) return;
    this.#autoRenewing = true;
    const ws = this.#ws;
    try {
      const token = await this.options.tokenSource();
      if (ws !== this.#ws) return; // reconnected meanwhile: the new socket has its own expiry
      await this.renew(token);
    } catch {
      if (ws === this.#ws && this.#ws !== null) {
        this.#setTimer("renew", RENEW_RETRY_MS, () => {
          if (ws === this.#ws) this.#autoRenew();
        });
      }
    } finally {
      this.#autoRenewing = false;
    }
  }

  #resync(reason) {
    if (this.#ws === null || this.#discarding) return;
    this.#discarding = true;
    this.#closeIntent = "resync";
    this.#ws.close(RESYNC_CLOSE_CODE, `resync: ${reason}`.slice(0, 100));
  }

  #afterClose(code, reason, wasClean) {
    const intent = this.#closeIntent;
    this.#closeIntent = null;
    const opened = this.#opened;
    this.#opened = false;
    this.#discarding = false;
    this.#dropPending();
    if (intent === "user" || !this.options.reconnect) {
      this.#finish(code, reason, wasClean);
      return;
    }
    const policy = intent === "resync" ? "retry" : reconnectPolicy(code);
    const { tokenSource } = this.options;
    if (policy === "never" || (policy === "freshToken" && !tokenSource)) {
      this.#finish(code, reason, wasClean);
      return;
    }
    // A socket that never opened was most likely refused at the upgrade, and the browser
    // does not say why; an expired token is one of the reasons, so bring a fresh one.
    if (policy === "freshToken" || (!opened && tokenSource)) this.#needFreshToken = true;
    this.#attempts++;
    if (this.#attempts > this.options.maxReconnectAttempts) {
      this.#finish(code, reason, wasClean);
      return;
    }
    const { reconnectBaseMs, reconnectMaxMs, random } = this.options;
    const ceiling = Math.min(reconnectMaxMs, reconnectBaseMs * 2 ** (this.#attempts - 1));
    // Half fixed, half random: a server restart must not bring every client back at once.
    const delayMs = Math.round(ceiling / 2 + (random() * ceiling) / 2);
    this.state = "reconnecting";
    this.#emit("close", { code, reason, key: closeMessageKey(code), wasClean, willReconnect: true, delayMs });
    this.#setTimer("reconnect", delayMs, () => this.#attempt());
  }

  #finish(code, reason, wasClean) {
    this.#clearTimer("reconnect");
    this.#clearTimer("clock");
    this.#clearTimer("renew");
    this.state = "closed";
    const key = closeMessageKey(code);
    this.#emit("close", { code, reason, key, wasClean, willReconnect: false, delayMs: null });
    const waiter = this.#connectWaiter;
    this.#connectWaiter = null;
    waiter?.reject(new PlazaCloseError(code, reason));
  }

  #dropPending() {
    this.#clearTimer("clock");
    this.#clearTimer("renew");
    const gone = () => new PlazaRequestError("the connection closed", { retryable: true });
    for (const waiter of this.#pings.values()) {
      this.options.clearTimeout(waiter.timer);
      waiter.reject(gone());
    }
    this.#pings.clear();
    if (this.#renew !== null) {
      this.options.clearTimeout(this.#renew.timer);
      this.#renew.reject(gone());
      this.#renew = null;
    }
    for (const entry of [...this.#requests.values()]) {
      const error = new PlazaRequestError(
        "the connection closed before the RESULT; send again with the same requestId",
        { requestId: entry.requestId, retryable: true },
      );
      this.#settleRequest(entry, null, error);
    }
    this.#unread = [];
  }

  #clearTimer(name) {
    if (this.#timers[name] !== null) {
      this.options.clearTimeout(this.#timers[name]);
      this.#timers[name] = null;
    }
  }

  #setTimer(name, ms, callback) {
    this.#clearTimer(name);
    this.#timers[name] = this.options.setTimeout(() => {
      this.#timers[name] = null;
      callback();
    }, ms);
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
