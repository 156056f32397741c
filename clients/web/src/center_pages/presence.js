// "At my desk in 3D": while the console is open and the civil servant has a desk, keep a
// world connection for them (the same net layer as the 3D and 2D pages, with its reconnects,
// clock pings and token renewal; nothing is drawn), so their avatar sits at the desk in the
// 3D 120 Center (docs/center120.md "For civil servants").
//
// How the avatar gets to its desk: a civil servant whose desk is open signs in at it
// (server/center_service.py seat); setting a status moves an avatar connected anywhere in
// the city to the desk (set_staff). An avatar that still arrives elsewhere (its desk was
// not open at sign-in: on break, say) is seated once per arrival with `onSeat` (the console
// sets its status again).
//
// The connection opens when the desk is given and the toggle is on; it closes (the avatar
// leaves at once) when either goes. The user taking the same avatar in another window
// (SESSION_REPLACED) is left alone: the console does not take it back on its own.
//
// `presenceLine` (pure, tested in test/center_pages.test.js) says in a text key where the
// avatar is.
import { CloseCode } from "../net/codec.js";
import { PlazaConnection, reconnectPolicy } from "../net/connection.js";
import { checkAccess, fetchConfig, refreshToken, secondsLeft } from "../session.js";

/** The 120 Center's zone (server/center_live.py CENTER_ZONE). */
export const CENTER_ZONE = "center_120";
/** After the connection ended for a reason worth retrying (a long server restart), try again. */
export const PRESENCE_RETRY_MS = 30_000;
/** Where the toggle's choice is kept on this device ("off" when turned off; on by default). */
export const PRESENCE_KEY = "plaza.center.presence";

/**
 * What the status line says: a text key of center_pages/texts.js and its values.
 * @param {{enabled: boolean, phase: string, zone: string|null, desk: number|null,
 *   reason?: string}} presence `phase`: "idle" (no connection), "connecting", "joined",
 *   "replaced" (the avatar was taken by another window) or "failed" (with a `reason`)
 * @returns {{key: string, values?: Record<string, string|number>}}
 */
export function presenceLine({ enabled, phase, zone, desk, reason = "" }) {
  if (!enabled) return { key: "presenceAway" };
  if (phase === "replaced") return { key: "presenceReplaced" };
  if (phase === "failed") return reason ? { key: "presenceFailed", values: { reason } } : { key: "presenceAway" };
  if (!desk && phase !== "joined") return { key: "presenceNoDesk" };
  if (phase === "connecting") return { key: "presenceConnecting" };
  if (phase !== "joined") return { key: "presenceAway" };
  if (zone !== CENTER_ZONE) return { key: "presenceAway" };
  return desk ? { key: "presenceAtDesk", values: { n: desk } } : { key: "presenceInCenter" };
}

/** Whether the toggle is on for this device (on unless turned off). */
export function presenceWanted(storage = globalThis.localStorage) {
  try {
    return storage?.getItem(PRESENCE_KEY) !== "off";
  } catch {
    return true;
  }
}

/** Keep the toggle's choice for this device. */
export function storePresenceWanted(on, storage = globalThis.localStorage) {
  try {
    if (on) storage?.removeItem(PRESENCE_KEY);
    else storage?.setItem(PRESENCE_KEY, "off");
  } catch {
    // private browsing without storage: the choice lasts as long as the page
  }
}

/** The civil servant's avatar at their desk, as long as the console is open. */
export class DeskPresence {
  /**
   * @param {object} options
   * @param {() => string|null} options.getToken the console's token (renewed by its API client)
   * @param {(token: string) => void} [options.onToken] a token this connection renewed, for
   *   the console to use too (it is fresher than the console's own while the tab is hidden)
   * @param {() => void} [options.onChange] the phase or the zone changed
   * @param {() => Promise<void>|void} [options.onSeat] the avatar arrived outside the center
   *   while the user has a desk: have the server seat it (once per arrival)
   * @param {object} [options.deps] for tests: fetchConfig, checkAccess, refreshToken,
   *   newConnection(tokenSource), setTimeout, clearTimeout
   */
  constructor({ getToken, onToken = () => {}, onChange = () => {}, onSeat = () => {}, deps = {} }) {
    this.#getToken = getToken;
    this.#onToken = onToken;
    this.#onChange = onChange;
    this.#onSeat = onSeat;
    this.#deps = {
      fetchConfig,
      checkAccess,
      refreshToken,
      newConnection: (tokenSource) => new PlazaConnection({ tokenSource }),
      setTimeout: globalThis.setTimeout.bind(globalThis),
      clearTimeout: globalThis.clearTimeout.bind(globalThis),
      ...deps,
    };
  }

  #getToken;
  #onToken;
  #onChange;
  #onSeat;
  #deps;
  /** @type {PlazaConnection|null} */
  #connection = null;
  #generation = 0;
  #retry = null;
  /** Arrivals (WELCOME, ENTER_ZONE) so far, and the one last seated. */
  #arrivals = 0;
  #seated = -1;

  /** The toggle. */
  enabled = false;
  /** The console's desk (me.desk), or null. */
  desk = null;
  /** "idle", "connecting", "joined", "replaced" or "failed". */
  phase = "idle";
  /** The zone the avatar is in, once joined. */
  zone = null;
  /** Why the connection failed, when it did. */
  reason = "";

  /** The live connection, if any (read-only, for the browser tests). */
  get connection() {
    return this.#connection;
  }

  /** What the status line says (see presenceLine). */
  line() {
    return presenceLine(this);
  }

  /**
   * Tell the presence the toggle and the desk (from each console refresh); it connects or
   * closes to match.
   * @param {{enabled?: boolean, desk?: number|null}} state
   */
  update({ enabled = this.enabled, desk = this.desk }) {
    const wasWanted = this.#wanted();
    const toggled = enabled !== this.enabled;
    this.enabled = enabled;
    this.desk = desk ?? null;
    const wanted = this.#wanted();
    if (toggled && enabled) {
      // Turned on again: a window that took the avatar, or a failure, is tried once more.
      if (this.phase === "replaced" || this.phase === "failed") this.#set("idle");
    }
    if (wanted && !wasWanted) this.#start();
    else if (!wanted && wasWanted) this.#stop();
    else if (wanted && this.#connection === null && this.#retry === null && this.phase === "idle") this.#start();
    this.#maybeSeat();
    this.#onChange();
  }

  /** Close the connection for good (signing out, an expired sign-in). */
  stop() {
    this.enabled = false;
    this.#stop();
    this.#onChange();
  }

  #wanted() {
    return this.enabled && this.desk !== null;
  }

  #set(phase, { zone = this.zone, reason = "" } = {}) {
    this.phase = phase;
    this.zone = phase === "joined" ? zone : null;
    this.reason = reason;
  }

  async #start() {
    if (this.phase === "replaced" || this.phase === "failed") return; // until toggled again
    this.#cancelRetry();
    const generation = ++this.#generation;
    const current = () => generation === this.#generation;
    this.#set("connecting");
    this.#onChange();
    const token = this.#getToken();
    let config;
    try {
      // The browser cannot read why a WebSocket upgrade was refused: ask first.
      await this.#deps.checkAccess(token);
      config = await this.#deps.fetchConfig();
    } catch (error) {
      if (!current()) return;
      if (error?.status === 0 || error?.status >= 500 || error?.status === undefined) this.#retryLater();
      else this.#fail(error?.reason || error?.message || "");
      return;
    }
    if (!current()) return;
    let connection;
    const tokenSource = async () => {
      // The console's token, if its API client renewed it since; else a fresh one.
      const held = this.#getToken();
      const mine = connection.token;
      if (held && held !== mine && secondsLeft(held) > secondsLeft(mine) + 60) return held;
      const fresh = await this.#deps.refreshToken(mine || held);
      this.#onToken(fresh);
      return fresh;
    };
    connection = this.#deps.newConnection(tokenSource);
    this.#connection = connection;
    const arrive = (event) => {
      if (connection !== this.#connection) return;
      this.#arrivals++;
      this.#set("joined", { zone: event.detail?.zone?.name ?? null });
      this.#maybeSeat();
      this.#onChange();
    };
    connection.addEventListener("welcome", arrive);
    connection.addEventListener("enterzone", arrive);
    connection.addEventListener("close", (event) => {
      if (connection !== this.#connection) return;
      const { code, reason, willReconnect } = event.detail;
      if (willReconnect) {
        this.#set("connecting");
      } else {
        this.#connection = null;
        if (code === CloseCode.SESSION_REPLACED) this.#set("replaced");
        else if (reconnectPolicy(code) === "never") this.#fail(reason);
        else this.#retryLater();
      }
      this.#onChange();
    });
    connection.connect(config.ws_url, token).catch(() => {}); // the close event tells
  }

  #stop() {
    this.#generation++;
    this.#cancelRetry();
    const connection = this.#connection;
    this.#connection = null;
    // 1000: the avatar leaves the world at once, and its desk shows empty.
    connection?.close(CloseCode.NORMAL, "the console's presence was turned off");
    if (this.phase !== "replaced") this.#set("idle");
  }

  #fail(reason) {
    this.#set("failed", { reason: String(reason ?? "") });
    this.#onChange();
  }

  #retryLater() {
    this.#set("idle");
    this.#cancelRetry();
    this.#retry = this.#deps.setTimeout(() => {
      this.#retry = null;
      if (this.#wanted() && this.#connection === null) this.#start();
    }, PRESENCE_RETRY_MS);
    this.#onChange();
  }

  #cancelRetry() {
    if (this.#retry !== null) this.#deps.clearTimeout(this.#retry);
    this.#retry = null;
  }

  #maybeSeat() {
    if (this.phase !== "joined" || this.desk === null || this.zone === CENTER_ZONE) return;
    if (this.#seated === this.#arrivals) return;
    this.#seated = this.#arrivals;
    Promise.resolve()
      .then(() => this.#onSeat())
      .catch(() => {});
  }
}
