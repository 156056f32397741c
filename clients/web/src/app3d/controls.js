// Walking and looking on a desktop (W A S D or the arrow keys, drag to look) and on a phone
// (a touch joystick at the bottom left, drag elsewhere to look). The result is a wish to
// move, turned into positions by the page at the walking speed.

/** Metres per second while a key is held: a walk; Shift runs (the server allows 6 m/s). */
export const WALK_MPS = 1.8;
export const RUN_MPS = 4.5;
/** Radians of turn per pixel dragged. */
const LOOK_PER_PX = 0.005;
const JOYSTICK_RADIUS_PX = 45;

/** Keyboard, mouse and touch input for the 3D page. */
export class Controls {
  constructor(canvas, joystick) {
    this.keys = new Set();
    /** Heading (rad, 0 faces +z) and pitch (rad) of the view. */
    this.yaw = Math.PI;
    this.pitch = 0;
    this.stick = { x: 0, y: 0 };
    this.enabled = true;
    addEventListener("keydown", (e) => {
      const field = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement;
      if (field || e.target instanceof HTMLTextAreaElement) return;
      this.keys.add(e.code);
    });
    addEventListener("keyup", (e) => this.keys.delete(e.code));
    addEventListener("blur", () => this.keys.clear());
    let drag = null;
    canvas.addEventListener("pointerdown", (e) => {
      drag = { id: e.pointerId, x: e.clientX, y: e.clientY };
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drag || drag.id !== e.pointerId) return;
      this.yaw -= (e.clientX - drag.x) * LOOK_PER_PX;
      this.pitch = Math.max(-1.2, Math.min(1.2, this.pitch - (e.clientY - drag.y) * LOOK_PER_PX));
      drag.x = e.clientX;
      drag.y = e.clientY;
    });
    const end = (e) => {
      if (drag && drag.id === e.pointerId) drag = null;
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    this.#bindJoystick(joystick);
  }

  #bindJoystick(joystick) {
    if (!joystick) return;
    if ("ontouchstart" in globalThis || navigator.maxTouchPoints > 0) {
      document.body.classList.add("touch");
    }
    const knob = joystick.querySelector(".knob");
    let active = null;
    const move = (e) => {
      const rect = joystick.getBoundingClientRect();
      let dx = e.clientX - (rect.left + rect.width / 2);
      let dy = e.clientY - (rect.top + rect.height / 2);
      const length = Math.hypot(dx, dy);
      if (length > JOYSTICK_RADIUS_PX) {
        dx *= JOYSTICK_RADIUS_PX / length;
        dy *= JOYSTICK_RADIUS_PX / length;
      }
      this.stick.x = dx / JOYSTICK_RADIUS_PX;
      this.stick.y = dy / JOYSTICK_RADIUS_PX;
      knob.style.transform = `translate(${dx}px, ${dy}px)`;
    };
    joystick.addEventListener("pointerdown", (e) => {
      active = e.pointerId;
      joystick.setPointerCapture(e.pointerId);
      move(e);
    });
    joystick.addEventListener("pointermove", (e) => active === e.pointerId && move(e));
    const release = () => {
      active = null;
      this.stick.x = 0;
      this.stick.y = 0;
      knob.style.transform = "";
    };
    joystick.addEventListener("pointerup", release);
    joystick.addEventListener("pointercancel", release);
  }

  /**
   * How far to move this frame, in zone coordinates: {dx, dz} for `dt` seconds.
   * Forward is where the view looks (yaw), on the ground plane.
   */
  step(dt) {
    if (!this.enabled) return { dx: 0, dz: 0 };
    const k = this.keys;
    let forward = (k.has("KeyW") || k.has("ArrowUp") ? 1 : 0) - (k.has("KeyS") || k.has("ArrowDown") ? 1 : 0);
    let right = (k.has("KeyD") ? 1 : 0) - (k.has("KeyA") ? 1 : 0);
    if (k.has("ArrowLeft")) this.yaw += 1.8 * dt;
    if (k.has("ArrowRight")) this.yaw -= 1.8 * dt;
    forward -= this.stick.y;
    right += this.stick.x;
    const length = Math.hypot(forward, right);
    if (length < 0.05) return { dx: 0, dz: 0 };
    if (length > 1) {
      forward /= length;
      right /= length;
    }
    const speed = (k.has("ShiftLeft") || k.has("ShiftRight") ? RUN_MPS : WALK_MPS) * dt;
    const sin = Math.sin(this.yaw);
    const cos = Math.cos(this.yaw);
    // Facing (sin, cos) in (x, z); right of it is (-cos, sin) with x east and z south.
    return {
      dx: (forward * sin - right * cos) * speed,
      dz: (forward * cos + right * sin) * speed,
    };
  }
}
