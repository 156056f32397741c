// The server's clock as seen from the browser, estimated from PING/PONG (docs/protocol.md
// section 11). Used to schedule moments that must land together on every client (a
// countdown, a bell) and to place WORLD frames on the local timeline.
//
// Each sample gives offset = server_time − (sent + received) / 2, which is off by at most
// half the round trip. Queueing only ever adds delay, so the sample with the lowest round
// trip is the most trustworthy; like the Python client (PlazaClient.sync_clock) we keep it.
// Unlike it, we keep it only among the recent samples: clocks drift by parts per million
// and routes change, so a lucky sample from an hour ago should not win forever.

/** PINGs per sync, as the reference client sends. */
export const CLOCK_SAMPLES = 5;
/** Samples remembered for choosing the best one: the last three syncs. */
export const CLOCK_WINDOW = 3 * CLOCK_SAMPLES;

/**
 * Local wall-clock time in Unix seconds that never jumps: the page's time origin plus a
 * monotonic counter, so an NTP step on the device does not shift our estimate mid-session.
 * @returns {number}
 */
export function localNow() {
  return (performance.timeOrigin + performance.now()) / 1000;
}

/** Clock offset estimation from PING/PONG samples. */
export class ClockSync {
  #samples = [];
  #next = 0;
  #best = null;

  /**
   * @param {{now?: () => number, window?: number}} [options] `now`: the local clock in
   *   seconds (the one PINGs carry); `window`: samples remembered.
   */
  constructor({ now = localNow, window = CLOCK_WINDOW } = {}) {
    /** The local clock, seconds. */
    this.now = now;
    this.window = window;
  }

  /**
   * Add one round trip. Returns the sample, or null when it is unusable (negative or
   * non-finite round trip).
   * @param {number} sentAt local time the PING was sent (its client_time)
   * @param {number} serverTime the PONG's server_time
   * @param {number} receivedAt local time the PONG arrived
   * @returns {{offset: number, rtt: number}|null}
   */
  addSample(sentAt, serverTime, receivedAt) {
    const rtt = receivedAt - sentAt;
    const offset = serverTime - (sentAt + receivedAt) / 2;
    if (!(rtt >= 0) || !Number.isFinite(rtt) || !Number.isFinite(offset)) return null;
    const sample = { offset, rtt };
    if (this.#samples.length < this.window) this.#samples.push(sample);
    else this.#samples[this.#next] = sample;
    this.#next = (this.#next + 1) % this.window;
    this.#best = null;
    for (const s of this.#samples) if (this.#best === null || s.rtt < this.#best.rtt) this.#best = s;
    return sample;
  }

  /** True once a sample was taken. */
  get synced() {
    return this.#best !== null;
  }

  /** Server time minus local time, seconds (0 before the first sample). */
  get offset() {
    return this.#best === null ? 0 : this.#best.offset;
  }

  /** Round trip of the sample in use, seconds (Infinity before the first). */
  get rtt() {
    return this.#best === null ? Infinity : this.#best.rtt;
  }

  /**
   * The server's clock now (Unix seconds).
   * @param {number} [local] a local time to convert instead of now
   */
  serverNow(local = this.now()) {
    return local + this.offset;
  }

  /** Forget every sample. */
  reset() {
    this.#samples = [];
    this.#next = 0;
    this.#best = null;
  }
}
