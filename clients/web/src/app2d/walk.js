// Walking the user's avatar to a place, for pages without a 3D view: a MOVE every tick
// along the straight line, at a walking pace well inside the server's speed limit.

/** Metres per second: a brisk walk; the server allows more, so no step is corrected. */
export const WALK_SPEED_MPS = 4.5;
/** One step per server tick (20 Hz). */
export const STEP_MS = 50;

/** Moves a Visit's avatar toward a target, one step per tick, until within `radius`. */
export class WalkTo {
  constructor(visit) {
    this.visit = visit;
    this.timer = null;
  }

  /** Walk to `target` ({x, y, z}); `onArrive` is called once there. */
  start(target, radius, onArrive) {
    this.stop();
    const step = (WALK_SPEED_MPS * STEP_MS) / 1000;
    this.timer = setInterval(() => {
      const self = this.visit.self;
      const dx = target.x - self.x;
      const dz = target.z - self.z;
      const left = Math.hypot(dx, dz);
      if (left <= Math.max(radius * 0.8, 0.5)) {
        this.stop();
        onArrive?.();
        return;
      }
      const k = Math.min(step, left) / left;
      const yaw = Math.atan2(dx, dz); // 0 faces +z (south), as the layout's yaw
      this.visit.move(self.x + dx * k, self.y, self.z + dz * k, yaw);
    }, STEP_MS);
  }

  /** Stop walking. */
  stop() {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
