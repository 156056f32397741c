// One citizen's visit, shared by the 3D and 2D pages: sign in (a guest name, or a token
// already held by this tab), learn the world from /api/config, connect with automatic
// renewal and reconnects, load the profile, and keep track of where the user's own avatar
// stands (the server sends others' positions, not ours).
import { PlazaConnection } from "../net/index.js";
import {
  checkAccess,
  fetchConfig,
  fetchProfile,
  refreshToken,
  saveProfile,
  signInGuest,
  storeToken,
  storedToken,
  secondsLeft,
} from "../session.js";

/** A stored token with less than this left is not worth reconnecting with. */
const MIN_TOKEN_LEFT_S = 30;

/** A signed-in, connected visit to the plaza. */
export class Visit extends EventTarget {
  constructor(config, token, connection) {
    super();
    /** /api/config: ws_url, zone, scene. */
    this.config = config;
    /** The live connection (its mirror holds who is in view). */
    this.connection = connection;
    /** The profile, once loaded (null while the database is away). */
    this.profile = null;
    /** Where this user's avatar is: zone coordinates (m) and yaw (rad). */
    this.self = { x: 0, y: 0, z: 0, yaw: 0 };
    this.#token = token;
    connection.addEventListener("welcome", (event) => {
      const [x, y, z] = event.detail.position;
      Object.assign(this.self, { x, y, z, yaw: event.detail.yaw });
      storeToken(connection.token);
    });
    connection.addEventListener("close", (event) => {
      // A drop with no close frame may be the server refusing the reconnect (a ban, an
      // expired token), which a browser cannot read: ask, and stop retrying if so.
      if (event.detail.willReconnect && event.detail.code === 1006) this.#recheck();
    });
    connection.addEventListener("correction", (event) => {
      const { x, y, z } = event.detail;
      Object.assign(this.self, { x, y, z });
    });
  }

  #token;

  /** The token kept for this tab, if it still has time left. */
  static heldToken() {
    const token = storedToken();
    return token && secondsLeft(token) > MIN_TOKEN_LEFT_S ? token : null;
  }

  /**
   * Sign in (as a guest when no token is given) and connect; resolves once the avatar is in
   * the world (WELCOME).
   * @param {{name?: string, locale?: string, token?: string|null}} who
   */
  static async begin({ name, locale, token }) {
    if (!token) token = (await signInGuest(name, locale)).token;
    storeToken(token);
    try {
      await checkAccess(token);
    } catch (error) {
      storeToken(null);
      throw error;
    }
    const config = await fetchConfig();
    const connection = new PlazaConnection({ tokenSource: () => refreshToken(connection.token) });
    const visit = new Visit(config, token, connection);
    try {
      await connection.connect(config.ws_url, token);
    } catch (error) {
      storeToken(null);
      throw error;
    }
    visit.loadProfile();
    return visit;
  }

  /** The token in use. */
  get token() {
    return this.connection.token || this.#token;
  }

  async #recheck() {
    try {
      await checkAccess(this.token);
    } catch (error) {
      if (error.status === 401 || error.status === 403) {
        /** Why the server will not take this user back (an ApiError), once known. */
        this.refusal = error;
        this.dispatchEvent(new CustomEvent("refused", { detail: error }));
        storeToken(null);
        this.connection.close(1000, "refused");
      }
    }
  }

  /** Load the profile (made on first use); fires 'profile'. Never throws. */
  async loadProfile() {
    try {
      this.profile = await fetchProfile(this.token);
      this.dispatchEvent(new CustomEvent("profile", { detail: this.profile }));
    } catch {
      this.profile = null;
    }
    return this.profile;
  }

  /** Save profile changes; fires 'profile' with the stored result. */
  async saveProfile(changes) {
    this.profile = await saveProfile(this.token, changes);
    this.dispatchEvent(new CustomEvent("profile", { detail: this.profile }));
    return this.profile;
  }

  /** Move this user's avatar (the server checks the speed and may correct it). */
  move(x, y, z, yaw, flags = 0) {
    Object.assign(this.self, { x, y, z, yaw });
    this.connection.sendMove({ x, y, z, yaw, flags });
  }

  /** Leave for good: the avatar goes at once and the tab forgets its token. */
  leave() {
    storeToken(null);
    this.connection.close(1000, "left");
  }
}
