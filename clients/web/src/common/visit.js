// One citizen's visit, shared by the 3D and 2D pages: sign in (a guest name, or a token
// already held by this tab), learn the world from /api/config, connect with automatic
// renewal and reconnects, load the profile, and keep track of where the user's own avatar
// stands (the server sends others' positions, not ours) and which zone it is in.
//
// The visit starts with /api/config's scene (the entrance). When the avatar is in another
// zone (a portal, a transfer, a kick back to the entrance, or a WELCOME in the zone where the
// user last was) the visit loads that zone's scene and fires 'zone', so each page redraws.
//
// Events: 'zone' {zone, scene, instance, via, notice, entered}, 'profile', 'refused'.
// `feed` keeps the zone's news (ZONE_EVENT) from the moment of joining, for the pages' panels.
import { PlazaConnection } from "../net/index.js";
import {
  checkAccess,
  fetchConfig,
  fetchProfile,
  fetchZoneScene,
  refreshToken,
  saveProfile,
  signInGuest,
  storeToken,
  storedToken,
  secondsLeft,
} from "../session.js";
import { ZoneFeed } from "./zone_feed.js";

/** A stored token with less than this left is not worth reconnecting with. */
const MIN_TOKEN_LEFT_S = 30;
/** Tries to load a zone's scene before drawing bare ground instead, and the wait between. */
const SCENE_ATTEMPTS = 3;
const SCENE_RETRY_MS = 1000;
/** Roles that may send a line to everyone in the zone (world/chat.py ANNOUNCE_ROLES). */
export const ANNOUNCE_ROLES = Object.freeze(["staff", "organizer", "moderator", "admin", "guide"]);

/**
 * A scene with only the zone's name, title and bounds: what is drawn when its layout cannot
 * be loaded (the world itself still works; only the scenery is missing).
 */
export function bareScene(zone) {
  const [x, y, z] = zone.origin;
  const [w, h, d] = zone.size;
  return {
    name: zone.name,
    title: zone.title ?? {},
    bounds: { min: [x, y, z], max: [x + w, y + h, z + d] },
    spawns: [],
    ground: [],
    buildings: [],
    portals: [],
    signs: [],
    points_of_interest: [],
    spots: [],
    walkable: [],
  };
}

/** A signed-in, connected visit to the plaza. */
export class Visit extends EventTarget {
  /**
   * @param {object} config /api/config
   * @param {string} token
   * @param {PlazaConnection} connection
   * @param {{role?: string}|null} [access] what /api/auth/check said about the token
   */
  constructor(config, token, connection, access = null) {
    super();
    /** /api/config: ws_url, zone, scene (of the entrance). */
    this.config = config;
    /** The user's role ("guest", "citizen", "staff", ...). */
    this.role = access?.role ?? "guest";
    /** The zone the avatar is in, as WELCOME and ENTER_ZONE describe it: name, title, origin, size. */
    this.zone = config.zone;
    /** The scene of that zone, once loaded (until then, the one before). */
    this.scene = config.scene;
    /** The instance of the zone: {zone, number}, once joined. */
    this.instance = null;
    /** Settles once the scene of the zone the avatar is in has been loaded. */
    this.sceneReady = Promise.resolve();
    /** The live connection (its mirror holds who is in view). */
    this.connection = connection;
    /** The zone's news since the avatar arrived, and name-tag badges (listening from the start). */
    this.feed = new ZoneFeed(connection);
    /** The profile, once loaded (null while the database is away). */
    this.profile = null;
    /** Where this user's avatar is: zone coordinates (m) and yaw (rad). */
    this.self = { x: 0, y: 0, z: 0, yaw: 0 };
    this.#token = token;
    this.#scenes.set(config.scene.name, config.scene);
    connection.addEventListener("welcome", (event) => {
      const [x, y, z] = event.detail.position;
      Object.assign(this.self, { x, y, z, yaw: event.detail.yaw });
      storeToken(connection.token);
      this.#arrive(event.detail, false);
    });
    connection.addEventListener("enterzone", (event) => {
      // The server placed the avatar in the new zone (its entrance spot, say): start there.
      const [x, y, z] = event.detail.position;
      Object.assign(this.self, { x, y, z, yaw: event.detail.yaw });
      this.#arrive(event.detail, true);
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
  /** Scenes loaded so far, by zone name. */
  #scenes = new Map();
  #loads = 0;

  /** Whether this user may send a line to the whole zone. */
  get canAnnounce() {
    return ANNOUNCE_ROLES.includes(this.role);
  }

  #arrive(message, entered) {
    this.zone = message.zone;
    this.instance = message.instance ?? null;
    const load = ++this.#loads; // a scene still loading for an earlier move is not wanted now
    // A reconnect in the zone already drawn keeps its scenery; a new zone, or a new
    // instance, is announced to the page.
    if (!entered && message.zone.name === this.scene.name) return;
    const zone = message.zone;
    this.sceneReady = this.#sceneOf(zone).then((scene) => {
      if (load !== this.#loads) return; // the avatar moved on meanwhile
      this.scene = scene;
      const detail = {
        zone,
        scene,
        instance: this.instance,
        via: message.via ?? null,
        notice: message.notice ?? null,
        entered,
      };
      this.dispatchEvent(new CustomEvent("zone", { detail }));
    });
  }

  async #sceneOf(zone) {
    const known = this.#scenes.get(zone.name);
    if (known) return known;
    for (let attempt = 1; attempt <= SCENE_ATTEMPTS; attempt++) {
      try {
        const { scene } = await fetchZoneScene(zone.name);
        this.#scenes.set(zone.name, scene);
        return scene;
      } catch {
        if (attempt < SCENE_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, SCENE_RETRY_MS));
      }
    }
    return bareScene(zone);
  }

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
    let access;
    try {
      access = await checkAccess(token);
    } catch (error) {
      storeToken(null);
      throw error;
    }
    const config = await fetchConfig();
    const connection = new PlazaConnection({ tokenSource: () => refreshToken(connection.token) });
    const visit = new Visit(config, token, connection, access);
    try {
      await connection.connect(config.ws_url, token);
    } catch (error) {
      storeToken(null);
      throw error;
    }
    // Someone who left from another zone comes back there: its scene first.
    await visit.sceneReady;
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
