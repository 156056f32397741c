// The browser's copy of the avatars it can see, kept by applying WORLD frames in order.
//
// This follows the reference client (clients/python/plaza_client/mirror.py) and
// docs/protocol.md section 7.2: leaves, then enters, then body rows, then pose rows. A client
// that applies every frame this way holds exactly the server's quantised state of every
// avatar in its view; a frame that does not fit (a row for an empty slot) means the client
// lost track, and only a fresh view (a reconnect) repairs that.
//
// Frames arrive 20 times a second with up to 50 rows, so rows are decoded into objects each
// avatar owns and reuses. A new SeenAvatar is made only when an avatar enters, so a renderer
// holding on to a departed avatar's object never sees it turn into someone else.

import {
  BODY_ROW_BYTES,
  BODY_STATE_BYTES,
  POSE_ROW_BYTES,
  POSE_STATE_BYTES,
  POSITION_QUANTUM_M,
  createBody,
  createPose,
  decodeBodyState,
  decodePoseState,
} from "./quantize.js";

/** Slots are one byte; the server uses at most 0 … 253. */
const SLOT_COUNT = 256;

/** A frame contradicts the mirror: the view must be rebuilt (reconnect to get a fresh one). */
export class MirrorError extends Error {
  constructor(message) {
    super(message);
    this.name = "MirrorError";
  }
}

/** One visible avatar as this client knows it. */
export class SeenAvatar {
  /**
   * @param {number} slot
   * @param {number} avatarId
   * @param {{name: string, appearance: object, role: string}} description
   */
  constructor(slot, avatarId, description) {
    /** This observer's slot for the avatar. */
    this.slot = slot;
    /** The avatar's public id (u32). */
    this.avatarId = avatarId;
    /** `name`, `appearance` and `role`, as sent in the enter. */
    this.description = description;
    /** Decoded body, updated in place. Valid once `bodyTick` > 0 (always after a frame). */
    this.body = createBody();
    /** Decoded VR pose, updated in place; null until the first pose row. */
    this.pose = null;
    /** The 9 quantised body bytes as last received. */
    this.bodyBytes = new Uint8Array(BODY_STATE_BYTES);
    /** The 30 quantised pose bytes as last received; null until the first pose row. */
    this.poseBytes = null;
    /** Tick of the last body or pose row (as the reference client's `updated_tick`). */
    this.updatedTick = 0;
    /** Tick of the last body row. */
    this.bodyTick = 0;
    /** Tick of the last pose row. */
    this.poseTick = 0;
  }
}

/** The slot table of one observer. */
export class WorldMirror {
  #size = 0;
  /** @type {Map<number, SeenAvatar>} */
  #byId = new Map();

  /**
   * @param {{origin?: ArrayLike<number>, quantum?: number}} [zone] WELCOME's zone origin and
   *   quantum; `reset` sets them again on every WELCOME.
   */
  constructor({ origin = [0, 0, 0], quantum = POSITION_QUANTUM_M } = {}) {
    /** @type {(SeenAvatar|undefined)[]} */
    this.slots = new Array(SLOT_COUNT).fill(undefined);
    this.origin = Float64Array.from(origin);
    this.quantum = quantum;
    /** Tick of the last applied frame (0 before the first). */
    this.tick = 0;
    /** Server time of the last applied frame. */
    this.serverTime = 0;
  }

  /**
   * Forget every avatar and take the zone parameters of a new WELCOME (a resumed connection
   * starts with a fresh view too).
   * @param {{origin?: ArrayLike<number>, quantum?: number, zone?: {origin: ArrayLike<number>}}} [welcome]
   *   a decoded WELCOME, or `{origin, quantum}`
   */
  reset(welcome = {}) {
    const origin = welcome.zone?.origin ?? welcome.origin;
    if (origin) this.origin = Float64Array.from(origin);
    if (typeof welcome.quantum === "number") this.quantum = welcome.quantum;
    this.slots.fill(undefined);
    this.#byId.clear();
    this.#size = 0;
    this.tick = 0;
    this.serverTime = 0;
  }

  /** Number of visible avatars. */
  get size() {
    return this.#size;
  }

  /**
   * The avatar in a slot, if any.
   * @param {number} slot
   * @returns {SeenAvatar|undefined}
   */
  get(slot) {
    return this.slots[slot];
  }

  /**
   * The visible avatars keyed by avatar id. The map is the mirror's own, kept up to date as
   * frames are applied: read it, do not change it.
   * @returns {Map<number, SeenAvatar>}
   */
  byId() {
    return this.#byId;
  }

  /** The visible avatars in slot order. */
  *[Symbol.iterator]() {
    for (const avatar of this.slots) if (avatar !== undefined) yield avatar;
  }

  /**
   * Apply one decoded WORLD frame (`decodeServer` output). Throws MirrorError when the frame
   * does not fit; the mirror is then out of step with the server and must be reset.
   * @param {{tick: number, serverTime: number, leaves: number[],
   *   enters: {slot: number, avatarId: number, description: object}[],
   *   body: Uint8Array, poses: Uint8Array}} frame
   */
  apply(frame) {
    const { body, poses, tick } = frame;
    if (body.length % BODY_ROW_BYTES) {
      throw new MirrorError(`body bin length ${body.length} is not a multiple of ${BODY_ROW_BYTES}`);
    }
    if (poses.length % POSE_ROW_BYTES) {
      throw new MirrorError(`pose bin length ${poses.length} is not a multiple of ${POSE_ROW_BYTES}`);
    }
    const slots = this.slots;
    for (const slot of frame.leaves) {
      const avatar = slots[slot];
      if (avatar === undefined) throw new MirrorError(`leave for empty slot ${slot}`);
      slots[slot] = undefined;
      this.#byId.delete(avatar.avatarId);
      this.#size--;
    }
    for (const { slot, avatarId, description } of frame.enters) {
      if (!(slot >= 0 && slot < SLOT_COUNT)) throw new MirrorError(`enter into slot ${slot} out of range`);
      if (slots[slot] !== undefined) throw new MirrorError(`enter into occupied slot ${slot}`);
      const avatar = new SeenAvatar(slot, avatarId, description);
      slots[slot] = avatar;
      this.#byId.set(avatarId, avatar);
      this.#size++;
    }
    const origin = this.origin;
    const quantum = this.quantum;
    for (let at = 0; at < body.length; at += BODY_ROW_BYTES) {
      const avatar = slots[body[at]];
      if (avatar === undefined) throw new MirrorError(`body row for empty slot ${body[at]}`);
      avatar.bodyBytes.set(body.subarray(at + 1, at + BODY_ROW_BYTES));
      decodeBodyState(body, at + 1, origin, quantum, avatar.body);
      avatar.bodyTick = tick;
      avatar.updatedTick = tick;
    }
    for (let at = 0; at < poses.length; at += POSE_ROW_BYTES) {
      const avatar = slots[poses[at]];
      if (avatar === undefined) throw new MirrorError(`pose row for empty slot ${poses[at]}`);
      if (avatar.pose === null) {
        avatar.pose = createPose();
        avatar.poseBytes = new Uint8Array(POSE_STATE_BYTES);
      }
      avatar.poseBytes.set(poses.subarray(at + 1, at + POSE_ROW_BYTES));
      decodePoseState(poses, at + 1, avatar.pose);
      avatar.poseTick = tick;
      avatar.updatedTick = tick;
    }
    this.tick = tick;
    this.serverTime = frame.serverTime;
  }
}
