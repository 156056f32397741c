// The Tourism District's city tour bus in the 3D scene: a coloured box with a window band,
// wheels and a sign, placed every frame where common/bus.js says the bus is between two
// `bus` events (so it glides toward the next stop at the screen's rate) and eased over the
// small jumps a fresh report brings.
import * as THREE from "three";
import { busPositionAt } from "../common/bus.js";
import { textTexture } from "./scene.js";

const LENGTH_M = 10;
const WIDTH_M = 2.6;
const HEIGHT_M = 3.0;
const BODY_COLOR = 0xd6402f;
const WINDOW_COLOR = 0x22364d;
/** A jump larger than this is a teleport (a new loop, a late join): snap, do not glide. */
const SNAP_M = 12;
/** How quickly a small difference is eased away (per second). */
const EASE_PER_S = 6;

export class BusView {
  /** @param {THREE.Scene} scene */
  constructor(scene) {
    this.group = new THREE.Group();
    this.group.name = "tour_bus";
    this.group.visible = false;
    const box = (w, h, d, color, y) => {
      const mesh = new THREE.Mesh(new THREE.BoxGeometry(w, h, d), new THREE.MeshLambertMaterial({ color }));
      mesh.position.y = y;
      this.group.add(mesh);
      return mesh;
    };
    box(WIDTH_M, HEIGHT_M - 0.5, LENGTH_M, BODY_COLOR, 0.5 + (HEIGHT_M - 0.5) / 2);
    box(WIDTH_M + 0.04, 0.9, LENGTH_M - 1.2, WINDOW_COLOR, 2.3);
    // The windscreen at the front (+z in the bus's own frame: yaw 0 faces +z).
    const front = box(WIDTH_M - 0.3, 1.1, 0.05, WINDOW_COLOR, 2.1);
    front.position.z = LENGTH_M / 2 + 0.01;
    const wheel = new THREE.CylinderGeometry(0.5, 0.5, 0.3, 16);
    const black = new THREE.MeshLambertMaterial({ color: 0x1a1a1a });
    for (const [x, z] of [[-1, -1], [1, -1], [-1, 1], [1, 1]]) {
      const mesh = new THREE.Mesh(wheel, black);
      mesh.rotation.z = Math.PI / 2;
      mesh.position.set((x * WIDTH_M) / 2, 0.5, (z * LENGTH_M) / 3);
      this.group.add(mesh);
    }
    this.sign = new THREE.Sprite(new THREE.SpriteMaterial({ depthTest: true }));
    this.sign.scale.set(4, 1, 1);
    this.sign.position.y = HEIGHT_M + 1.0;
    this.group.add(this.sign);
    this.signText = null;
    scene.add(this.group);
    this.shown = null; // where the bus was drawn last: {x, y, z, heading}
  }

  /** Write the sign over the bus (its name in the reader's language). */
  setSign(text) {
    if (text === this.signText) return;
    this.signText = text;
    this.sign.material.map?.dispose();
    this.sign.material.map = textTexture([text], { width: 512, height: 128, background: "#8a1f14dd" });
    this.sign.material.needsUpdate = true;
  }

  /**
   * Place the bus for this frame.
   * @param {object|null} bus the last `bus` event with `receivedAt`, or null (no bus here)
   * @param {Map<string, {position: number[]}>} stops
   * @param {number} now server time
   * @param {number} dt seconds since the last frame
   * @param {string} sign the bus's name, in the reader's language
   */
  draw(bus, stops, now, dt, sign) {
    if (!bus) {
      this.group.visible = false;
      this.shown = null;
      return;
    }
    const { position, heading } = busPositionAt(bus, now, stops);
    const [x, y, z] = position;
    let shown = this.shown;
    if (!shown || Math.hypot(shown.x - x, shown.z - z) > SNAP_M) {
      shown = { x, y, z, heading };
    } else {
      const k = Math.min(1, dt * EASE_PER_S);
      shown.x += (x - shown.x) * k;
      shown.y += (y - shown.y) * k;
      shown.z += (z - shown.z) * k;
      // The shorter way round.
      const turn = Math.atan2(Math.sin(heading - shown.heading), Math.cos(heading - shown.heading));
      shown.heading += turn * k;
    }
    this.shown = shown;
    this.group.position.set(shown.x, shown.y, shown.z);
    this.group.rotation.y = shown.heading;
    this.group.visible = true;
    this.setSign(sign);
  }
}
