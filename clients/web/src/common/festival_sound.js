// The festival's sounds with WebAudio, muted until the reader turns them on (a browser lets a
// page play sound only after a gesture, and nobody should be startled): a temple bell's
// stroke (the Bosingak bell: a deep hum and its inharmonic partials, dying away over
// seconds) and a short chime for the other moments. Nothing is loaded: the tones are made.

/** A large bell's partials: frequency ratio, loudness, seconds to die away. */
const BELL_PARTIALS = [
  [0.5, 0.5, 9],
  [1, 0.6, 6],
  [1.19, 0.3, 4],
  [1.5, 0.2, 3],
  [2, 0.25, 2.5],
  [2.52, 0.1, 1.6],
  [3.01, 0.08, 1.1],
];
const BELL_HZ = 98;
const CHIME_HZ = 880;

export class FestivalSound {
  constructor() {
    /** Whether sounds play (off until the reader turns them on). */
    this.enabled = false;
    /** @type {AudioContext|null} */
    this.context = null;
  }

  /** Turn the sound on or off (call from the toggle's click: the gesture unlocks audio). */
  setEnabled(on) {
    this.enabled = Boolean(on);
    if (!this.enabled) return;
    if (this.context === null) {
      const Context = globalThis.AudioContext ?? globalThis.webkitAudioContext;
      if (typeof Context !== "function") return;
      try {
        this.context = new Context();
      } catch {
        this.context = null;
        return;
      }
    }
    this.context.resume?.().catch?.(() => {});
  }

  /** One stroke of the bell. */
  bell() {
    this.#tones(BELL_HZ, BELL_PARTIALS, 0.35);
  }

  /** A short bright chime (fireworks, lights, a cue, a countdown's end). */
  chime() {
    this.#tones(CHIME_HZ, [[1, 0.4, 0.8], [2, 0.15, 0.5], [3, 0.08, 0.3]], 0.2);
  }

  #tones(base, partials, volume) {
    const context = this.context;
    if (!this.enabled || context === null) return;
    const now = context.currentTime;
    const master = context.createGain();
    master.gain.value = volume;
    master.connect(context.destination);
    for (const [ratio, loudness, decay] of partials) {
      const oscillator = context.createOscillator();
      oscillator.frequency.value = base * ratio;
      const gain = context.createGain();
      gain.gain.setValueAtTime(0.0001, now);
      gain.gain.exponentialRampToValueAtTime(loudness, now + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + decay);
      oscillator.connect(gain).connect(master);
      oscillator.start(now);
      oscillator.stop(now + decay + 0.05);
    }
  }
}
