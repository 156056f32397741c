// VR through WebXR (immersive-vr): the headset and both controllers are tracked and sent as
// POSE (offsets from the avatar's root along the world axes); the right controller's trigger
// teleports to where it points on the ground, its thumbstick snap-turns. The teleport glides
// at just under the server's speed limit, so it is never corrected (or refused) as a cheat.
import * as THREE from "three";

/** Farthest teleport, metres; beyond it the pointer ray is ignored. */
export const TELEPORT_MAX_M = 12;
/** Glide speed of a teleport: under the server's 6 m/s. */
export const TELEPORT_MPS = 5.5;
/** One snap turn, radians (30 degrees). */
export const SNAP_TURN_RAD = Math.PI / 6;
const VR_FLAG = 0x01;
const STICK_THRESHOLD = 0.7;

/** The page's WebXR session, when there is one. */
export class XrSession {
  constructor(plaza) {
    this.plaza = plaza;
    this.renderer = plaza.renderer;
    this.renderer.xr.enabled = true;
    this.renderer.xr.setReferenceSpaceType("local-floor");
    this.active = false;
    this.teleportTarget = null;
    this.snapReady = true;
    this.controllers = [0, 1].map((i) => {
      const controller = this.renderer.xr.getController(i);
      controller.userData.handedness = null;
      controller.addEventListener("connected", (event) => {
        controller.userData.handedness = event.data.handedness;
        controller.userData.inputSource = event.data;
      });
      controller.addEventListener("disconnected", () => {
        controller.userData.handedness = null;
        controller.userData.inputSource = null;
      });
      controller.addEventListener("selectend", () => this.#teleportFrom(controller));
      plaza.rig.add(controller);
      return controller;
    });
    this.world = new THREE.Vector3();
    this.rigWorld = new THREE.Vector3();
    this.rotation = new THREE.Quaternion();
    this.ray = new THREE.Raycaster();
    this.offer();
  }

  /** VR flag for MOVE while in VR. */
  get flags() {
    return this.active ? VR_FLAG : 0;
  }

  async offer() {
    const button = document.getElementById("enter-vr");
    if (!navigator.xr || !(await navigator.xr.isSessionSupported("immersive-vr").catch(() => false))) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", () => this.enter());
  }

  /** Start an immersive session (a user gesture). */
  async enter() {
    const session = await navigator.xr.requestSession("immersive-vr", {
      optionalFeatures: ["local-floor"],
    });
    await this.renderer.xr.setSession(session);
    this.active = true;
    this.plaza.dirty = true;
    session.addEventListener("end", () => {
      this.active = false;
      this.plaza.dirty = true;
    });
  }

  /** Once per frame in VR: glide toward a teleport target, snap-turn on the stick. */
  update(frame, dt) {
    if (!this.active) return;
    const self = this.plaza.visit.self;
    if (this.teleportTarget) {
      const dx = this.teleportTarget.x - self.x;
      const dz = this.teleportTarget.z - self.z;
      const left = Math.hypot(dx, dz);
      const step = TELEPORT_MPS * dt;
      if (left <= step) {
        self.x = this.teleportTarget.x;
        self.z = this.teleportTarget.z;
        this.teleportTarget = null;
      } else {
        self.x += (dx / left) * step;
        self.z += (dz / left) * step;
      }
      this.plaza.dirty = true;
    }
    for (const controller of this.controllers) {
      const axes = controller.userData.inputSource?.gamepad?.axes;
      if (controller.userData.handedness !== "right" || !axes) continue;
      const x = axes[2] ?? 0;
      if (this.snapReady && Math.abs(x) > STICK_THRESHOLD) {
        this.plaza.controls.yaw -= Math.sign(x) * SNAP_TURN_RAD;
        this.snapReady = false;
      } else if (Math.abs(x) < 0.2) {
        this.snapReady = true;
      }
    }
  }

  /** Send head and hands (call right after the MOVE). */
  sendPose() {
    if (!this.active) return;
    const rig = this.plaza.rig;
    rig.getWorldPosition(this.rigWorld);
    const joint = (object) => {
      object.getWorldPosition(this.world);
      object.getWorldQuaternion(this.rotation);
      const r = this.rotation;
      return [
        this.world.x - this.rigWorld.x,
        this.world.y - this.rigWorld.y,
        this.world.z - this.rigWorld.z,
        r.x,
        r.y,
        r.z,
        r.w,
      ];
    };
    const hand = (side) => this.controllers.find((c) => c.userData.handedness === side);
    // The user camera: three.js copies the headset pose into it as each XR frame renders.
    const head = joint(this.plaza.camera);
    const left = hand("left") ? joint(hand("left")) : head;
    const right = hand("right") ? joint(hand("right")) : head;
    this.plaza.visit.connection.sendPose({ head, left, right });
  }

  #teleportFrom(controller) {
    if (controller.userData.handedness !== "right") return;
    controller.getWorldPosition(this.world);
    controller.getWorldQuaternion(this.rotation);
    const direction = new THREE.Vector3(0, 0, -1).applyQuaternion(this.rotation);
    if (direction.y >= -0.05) return; // pointing at the sky
    const t = -this.world.y / direction.y;
    const hit = this.world.clone().addScaledVector(direction, t);
    const self = this.plaza.visit.self;
    if (Math.hypot(hit.x - self.x, hit.z - self.z) > TELEPORT_MAX_M) return;
    this.teleportTarget = { x: hit.x, z: hit.z };
  }
}
