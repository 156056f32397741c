// Smooth motion for other avatars between the 20-per-second WORLD frames.
//
// Each avatar gets a small buffer of timed snapshots, and is drawn as it was a little in the
// past (INTERPOLATION_DELAY_S behind the newest frame), between the two snapshots around
// that moment. The delay is two ticks: far avatars (rank 16 and beyond) get a row only every
// second tick (docs/protocol.md section 7.5), so a shorter delay would leave them
// extrapolating every other frame. When the data runs out we extrapolate for at most one
// interval and then hold, since guessing further puts avatars where they never were.
//
// Everything here writes into objects the caller keeps: this runs per avatar per rendered
// frame (up to 50 avatars at 90 Hz in a headset), where garbage shows up as stutter.

import { AvatarFlag } from "./codec.js";
import { localNow } from "./clock.js";
import { normalizeQuaternion } from "./quantize.js";

/** How far behind the newest server time avatars are drawn, seconds (two ticks at 20 Hz). */
export const INTERPOLATION_DELAY_S = 0.1;
/** Snapshots kept per avatar: 0.4 s at 20 Hz, room for the delay plus network jitter. */
export const SNAPSHOT_CAPACITY = 8;
/** Extrapolate at most this many snapshot intervals past the newest snapshot. */
export const MAX_EXTRAPOLATION_INTERVALS = 1;
/**
 * An avatar with no row for this many ticks is standing still: the server sends rows only
 * on change, and far avatars every second tick, so three ticks of silence mean "unchanged".
 */
export const STATIONARY_AFTER_TICKS = 3;
/**
 * How fast RenderClock lets the estimated network delay grow again, seconds per second:
 * slow enough to ignore jitter, fast enough to follow a route that got slower.
 */
export const RENDER_CLOCK_DECAY = 0.002;

const TWO_PI = 2 * Math.PI;
const JOINTS = ["head", "left", "right"];

/**
 * The angle from `a` towards `b` along the shorter way round, a fraction `t` of the way,
 * wrapped into [0, 2π).
 * @param {number} a radians
 * @param {number} b radians
 * @param {number} t 0 at `a`, 1 at `b` (larger extrapolates)
 */
export function lerpAngle(a, b, t) {
  let d = (b - a) % TWO_PI;
  if (d > Math.PI) d -= TWO_PI;
  else if (d < -Math.PI) d += TWO_PI;
  const out = (a + d * t) % TWO_PI;
  return out < 0 ? out + TWO_PI : out;
}

/**
 * Normalised linear interpolation of the quaternions at `a[ai..ai+3]` and `b[bi..bi+3]`
 * into `out[oi..oi+3]`, taking the shorter way round (q and −q are the same rotation). For
 * the small steps between two ticks it is indistinguishable from slerp, and cheaper.
 */
export function nlerpQuaternion(out, oi, a, ai, b, bi, t) {
  const dot = a[ai] * b[bi] + a[ai + 1] * b[bi + 1] + a[ai + 2] * b[bi + 2] + a[ai + 3] * b[bi + 3];
  const sign = dot < 0 ? -1 : 1;
  for (let k = 0; k < 4; k++) out[oi + k] = a[ai + k] + (sign * b[bi + k] - a[ai + k]) * t;
  return normalizeQuaternion(out, oi);
}

function newJoint() {
  return Float64Array.of(0, 0, 0, 0, 0, 0, 1);
}

/**
 * An avatar's drawable state: position (m), yaw (rad), anim, flags and, when known, its VR
 * pose (joints `[dx, dy, dz, qx, qy, qz, qw]`). `pose` is null when there is none; show the
 * hands only while `flags` has VR set, since a pose outlives the headset being taken off.
 */
export class AvatarState {
  constructor() {
    this.x = 0;
    this.y = 0;
    this.z = 0;
    this.yaw = 0;
    this.anim = 0;
    this.flags = 0;
    /** @type {{head: Float64Array, left: Float64Array, right: Float64Array}|null} */
    this.pose = null;
    this.poseStorage = { head: newJoint(), left: newJoint(), right: newJoint() };
  }

  /** True when the avatar's head and hands are tracked. */
  get vr() {
    return (this.flags & AvatarFlag.VR) !== 0;
  }
}

class Snapshot extends AvatarState {
  constructor() {
    super();
    this.time = 0;
  }
}

function copyPose(target, pose) {
  if (!pose) {
    target.pose = null;
    return;
  }
  const storage = target.poseStorage;
  for (const name of JOINTS) storage[name].set(pose[name]);
  target.pose = storage;
}

/** A per-avatar buffer of timed snapshots that can be sampled at any moment. */
export class SnapshotBuffer {
  #ring;
  #start = 0;
  #count = 0;

  /** @param {number} [capacity] snapshots kept; the oldest is dropped when full */
  constructor(capacity = SNAPSHOT_CAPACITY) {
    this.#ring = Array.from({ length: Math.max(2, capacity) }, () => new Snapshot());
  }

  #at(i) {
    return this.#ring[(this.#start + i) % this.#ring.length];
  }

  /** Snapshots held. */
  get size() {
    return this.#count;
  }

  /** Server time of the newest snapshot (−Infinity when empty). */
  get newestTime() {
    return this.#count === 0 ? -Infinity : this.#at(this.#count - 1).time;
  }

  /** Forget every snapshot. */
  clear() {
    this.#start = 0;
    this.#count = 0;
  }

  /**
   * Add the state at `serverTime`. Times must increase; an older snapshot is ignored (returns
   * false) and one at the same time replaces the newest.
   * @param {number} serverTime
   * @param {{x: number, y: number, z: number, yaw: number, anim: number, flags: number,
   *   pose?: object|null}} state a mirror avatar's `body`, or an AvatarState
   * @param {{head: ArrayLike<number>, left: ArrayLike<number>, right: ArrayLike<number>}|null} [pose]
   *   defaults to `state.pose`
   */
  push(serverTime, state, pose = state.pose ?? null) {
    const ring = this.#ring;
    let slot;
    if (this.#count > 0 && serverTime <= this.newestTime) {
      if (serverTime < this.newestTime) return false;
      slot = this.#at(this.#count - 1);
    } else if (this.#count < ring.length) {
      slot = this.#at(this.#count);
      this.#count++;
    } else {
      slot = ring[this.#start];
      this.#start = (this.#start + 1) % ring.length;
    }
    slot.time = serverTime;
    slot.x = state.x;
    slot.y = state.y;
    slot.z = state.z;
    slot.yaw = state.yaw;
    slot.anim = state.anim;
    slot.flags = state.flags;
    copyPose(slot, pose);
    return true;
  }

  /**
   * The state at `renderTime` (server seconds), written into `out`. Between two snapshots
   * position and yaw are interpolated (yaw the short way round) and the pose's joints too;
   * anim and flags are the earlier snapshot's, as they took effect then. Before the first
   * snapshot it is the first; past the newest it extrapolates at most one interval, then
   * holds. Returns null when the buffer is empty.
   * @param {number} renderTime
   * @param {AvatarState} [out]
   * @returns {AvatarState|null}
   */
  sample(renderTime, out = new AvatarState()) {
    const count = this.#count;
    if (count === 0) return null;
    const newest = this.#at(count - 1);
    // NaN (a clock not started yet) compares false with everything: hold the newest.
    if (Number.isNaN(renderTime)) return copyState(out, newest);
    if (renderTime >= newest.time) {
      if (count === 1) return copyState(out, newest);
      const previous = this.#at(count - 2);
      const interval = newest.time - previous.time;
      const ahead = Math.min(renderTime - newest.time, interval * MAX_EXTRAPOLATION_INTERVALS);
      blend(out, previous, newest, 1 + ahead / interval);
      out.anim = newest.anim;
      out.flags = newest.flags;
      copyPose(out, newest.pose);
      return out;
    }
    const oldest = this.#at(0);
    if (renderTime <= oldest.time) return copyState(out, oldest);
    let i = count - 2;
    while (i > 0 && this.#at(i).time > renderTime) i--;
    const a = this.#at(i);
    const b = this.#at(i + 1);
    const t = (renderTime - a.time) / (b.time - a.time);
    blend(out, a, b, t);
    out.anim = a.anim;
    out.flags = a.flags;
    if (a.pose && b.pose) {
      const storage = out.poseStorage;
      for (const name of JOINTS) {
        const ja = a.pose[name];
        const jb = b.pose[name];
        const jo = storage[name];
        for (let k = 0; k < 3; k++) jo[k] = ja[k] + (jb[k] - ja[k]) * t;
        nlerpQuaternion(jo, 3, ja, 3, jb, 3, t);
      }
      out.pose = storage;
    } else {
      copyPose(out, a.pose);
    }
    return out;
  }
}

function blend(out, a, b, t) {
  out.x = a.x + (b.x - a.x) * t;
  out.y = a.y + (b.y - a.y) * t;
  out.z = a.z + (b.z - a.z) * t;
  out.yaw = lerpAngle(a.yaw, b.yaw, t);
}

function copyState(out, s) {
  out.x = s.x;
  out.y = s.y;
  out.z = s.z;
  out.yaw = s.yaw;
  out.anim = s.anim;
  out.flags = s.flags;
  copyPose(out, s.pose);
  return out;
}

/**
 * The moment to draw, in server time: INTERPOLATION_DELAY_S behind the newest WORLD frame,
 * advancing smoothly with the local clock between frames.
 *
 * It is anchored on frame arrivals rather than on ClockSync.serverNow(): serverNow() is the
 * server's clock *now*, but a frame reaches us a network delay after its server_time, and
 * drawing relative to serverNow() would eat that delay out of the interpolation margin. We
 * keep the earliest arrival relative to server time (the frame that queued least) and let
 * it relax slowly, so jitter does not shake the timeline.
 */
export class RenderClock {
  #lead = -Infinity;
  #lastLocal = 0;
  #lastRender = -Infinity;

  /**
   * @param {{delay?: number, now?: () => number}} [options] `now`: the local clock, seconds
   */
  constructor({ delay = INTERPOLATION_DELAY_S, now = localNow } = {}) {
    this.delay = delay;
    this.now = now;
  }

  /**
   * Note a WORLD frame's server time as it arrives.
   * @param {number} serverTime
   * @param {number} [local] arrival time on the local clock
   */
  observe(serverTime, local = this.now()) {
    const lead = serverTime - local;
    const relaxed = this.#lead - RENDER_CLOCK_DECAY * Math.max(0, local - this.#lastLocal);
    this.#lead = Math.max(lead, relaxed);
    this.#lastLocal = local;
  }

  /** True once a frame was observed. */
  get ready() {
    return this.#lead !== -Infinity;
  }

  /**
   * The server time to sample avatars at; never goes backwards.
   * @param {number} [local]
   */
  renderTime(local = this.now()) {
    const time = Math.max(local + this.#lead - this.delay, this.#lastRender);
    this.#lastRender = time;
    return time;
  }

  /** Start over (a new connection to another server). */
  reset() {
    this.#lead = -Infinity;
    this.#lastLocal = 0;
    this.#lastRender = -Infinity;
  }
}

/**
 * Keeps one SnapshotBuffer per avatar of a WorldMirror. Call `update()` after each applied
 * WORLD frame (PlazaConnection's 'world' event) and `sample()` when drawing.
 */
export class MirrorInterpolator {
  /** @type {Map<import("./mirror.js").SeenAvatar, SnapshotBuffer>} */
  #buffers = new Map();

  /**
   * @param {import("./mirror.js").WorldMirror} mirror
   * @param {{capacity?: number}} [options]
   */
  constructor(mirror, { capacity = SNAPSHOT_CAPACITY } = {}) {
    this.mirror = mirror;
    this.capacity = capacity;
  }

  /** Take the mirror's latest frame: a snapshot for each avatar that changed or stands still. */
  update() {
    const { mirror } = this;
    const buffers = this.#buffers;
    for (const [avatar] of buffers) {
      if (mirror.get(avatar.slot) !== avatar) buffers.delete(avatar);
    }
    for (const avatar of mirror) {
      let buffer = buffers.get(avatar);
      if (buffer === undefined) {
        buffer = new SnapshotBuffer(this.capacity);
        buffers.set(avatar, buffer);
      }
      // A missing row means "unchanged" or "not due yet" (far avatars, every second tick);
      // only after a few silent ticks is it safe to pin the avatar where it stands.
      if (avatar.updatedTick === mirror.tick || mirror.tick - avatar.updatedTick >= STATIONARY_AFTER_TICKS) {
        buffer.push(mirror.serverTime, avatar.body, avatar.pose);
      }
    }
  }

  /**
   * Where to draw `avatar` at `renderTime`, written into `out`; null if it is not tracked.
   * @param {import("./mirror.js").SeenAvatar} avatar
   * @param {number} renderTime
   * @param {AvatarState} [out]
   */
  sample(avatar, renderTime, out = new AvatarState()) {
    const buffer = this.#buffers.get(avatar);
    return buffer === undefined ? null : buffer.sample(renderTime, out);
  }

  /** Forget every avatar (call after the mirror was reset). */
  clear() {
    this.#buffers.clear();
  }
}
