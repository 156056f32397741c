// The festival stage's performers from STAGE (docs/protocol.md 6.11): those with the
// `performer` or `interpreter` role standing on the stage who are not in this client's WORLD
// view (in the zone's other instances, or too far in this one). Each STAGE replaces the last
// one's list; a performer the WORLD view shows is drawn by the Crowd, never here too.
//
// Bodies are the 9 bytes of a WORLD body row, dequantised with the zone's origin and quantum
// from WELCOME or ENTER_ZONE exactly as the mirror does; a VR performer's head and hands come
// with a 30-byte pose. Every performer is interpolated like the crowd: each STAGE gets the
// server time of its tick, and the view is drawn at the page's render time (about 100 ms
// behind), so 20 updates a second look smooth. Names and roles come from ZONE_EVENT
// `stage.performers`.
//
// A performer is drawn standing on the stage's floor (the layout's spot `stage`: its height
// and radius) even when its avatar walks at ground level, since the stage is a raised box.
import * as THREE from "three";
import { FESTIVAL_ZONE, standingHeight, stageFloor } from "../common/festival_model.js";
import {
  AvatarState,
  SnapshotBuffer,
  createBody,
  createPose,
  decodeBodyState,
  decodePoseState,
} from "../net/index.js";
import { textTexture } from "./scene.js";

/** STAGE shows at most 8 performers (MAX_STAGE_PERFORMERS). */
export const MAX_STAGE_PERFORMERS = 8;
const BODY_HEIGHT = 1.2;
const HEAD_HEIGHT = 1.6;
const ROLE_COLORS = { performer: 0xe0409a, interpreter: 0x16a3a3 };
/** Ticks a second when WELCOME does not say. */
const DEFAULT_TICK_RATE = 20;

export class StageView {
  /**
   * @param {THREE.Scene} scene
   * @param {import("../common/visit.js").Visit} visit
   */
  constructor(scene, visit) {
    this.visit = visit;
    this.connection = visit.connection;
    const part = (geometry, color, count) => {
      const mesh = new THREE.InstancedMesh(geometry, new THREE.MeshLambertMaterial({ color }), count);
      mesh.instanceMatrix.setUsage(THREE.DynamicDrawUsage);
      mesh.count = 0;
      mesh.frustumCulled = false;
      mesh.name = "stage_performers";
      scene.add(mesh);
      return mesh;
    };
    this.bodies = part(new THREE.CylinderGeometry(0.22, 0.3, BODY_HEIGHT, 10), 0xffffff, MAX_STAGE_PERFORMERS);
    this.heads = part(new THREE.SphereGeometry(0.16, 10, 8), 0xf1d3b3, MAX_STAGE_PERFORMERS);
    this.hands = part(new THREE.SphereGeometry(0.06, 6, 4), 0xf1d3b3, 2 * MAX_STAGE_PERFORMERS);
    this.tags = [];
    for (let i = 0; i < MAX_STAGE_PERFORMERS; i++) {
      const tag = new THREE.Sprite(new THREE.SpriteMaterial({ depthTest: true }));
      tag.scale.set(1.8, 0.45, 1);
      tag.visible = false;
      tag.userData.label = null;
      scene.add(tag);
      this.tags.push(tag);
    }
    /** The last STAGE's performers, in its order: avatar ids. */
    this.ids = [];
    /** Snapshots by avatar id. @type {Map<number, SnapshotBuffer>} */
    this.buffers = new Map();
    /** Names and roles by avatar id (`stage.performers`). */
    this.names = new Map();
    /** Where each performer was drawn this frame, by avatar id (tests read it). */
    this.drawn = new Map();
    /** STAGE messages taken (tests read it). */
    this.stages = 0;
    this.state = new AvatarState();
    this.body = createBody();
    this.pose = createPose();
    this.matrix = new THREE.Matrix4();
    this.position = new THREE.Vector3();
    this.quaternion = new THREE.Quaternion();
    this.jointRotation = new THREE.Quaternion();
    this.scale = new THREE.Vector3(1, 1, 1);
    this.up = new THREE.Vector3(0, 1, 0);
    this.color = new THREE.Color();
    this.textures = new Map();

    this.connection.addEventListener("stage", (event) => this.onStage(event.detail));
    this.connection.addEventListener("welcome", () => this.reset());
    this.connection.addEventListener("enterzone", () => this.reset());
    visit.feed.on(FESTIVAL_ZONE, {
      "stage.performers": (data) => {
        this.names.clear();
        for (const p of Array.isArray(data?.performers) ? data.performers : []) {
          if (Number.isInteger(p?.id)) this.names.set(p.id, { name: String(p.name ?? ""), role: p.role });
        }
      },
    });
  }

  /** Forget every performer (a new view: WELCOME or ENTER_ZONE). */
  reset() {
    this.ids = [];
    this.buffers.clear();
    this.drawn.clear();
  }

  /** The server time of a STAGE's tick: the same tick's WORLD frame follows it. */
  #timeOf(tick) {
    const mirror = this.connection.mirror;
    const welcome = this.connection.welcome;
    const rate = welcome?.tickRate > 0 ? welcome.tickRate : DEFAULT_TICK_RATE;
    if (mirror.tick > 0) return mirror.serverTime + (tick - mirror.tick) / rate;
    if (welcome && Number.isFinite(welcome.serverTime)) return welcome.serverTime + (tick - welcome.tick) / rate;
    return NaN;
  }

  /** Take one decoded STAGE: its list replaces the last one's. */
  onStage(message) {
    this.stages++;
    const time = this.#timeOf(message.tick);
    const { origin, quantum } = this.connection.mirror;
    const ids = [];
    for (const performer of message.performers.slice(0, MAX_STAGE_PERFORMERS)) {
      if (!(performer.body instanceof Uint8Array) || performer.body.length < 9) continue;
      const body = decodeBodyState(performer.body, 0, origin, quantum, this.body);
      const tracked = performer.pose instanceof Uint8Array && performer.pose.length >= 30;
      const pose = tracked ? decodePoseState(performer.pose, 0, this.pose) : null;
      let buffer = this.buffers.get(performer.avatarId);
      if (buffer === undefined) {
        buffer = new SnapshotBuffer();
        this.buffers.set(performer.avatarId, buffer);
      }
      if (Number.isFinite(time)) buffer.push(time, body, pose);
      else {
        buffer.clear();
        buffer.push(0, body, pose);
      }
      ids.push(performer.avatarId);
    }
    for (const id of this.buffers.keys()) if (!ids.includes(id)) this.buffers.delete(id);
    this.ids = ids;
  }

  /**
   * Draw the performers at `renderTime` (server clock), those in the WORLD view left to the
   * Crowd. Returns how many were drawn.
   */
  draw(renderTime) {
    this.drawn.clear();
    const inView = this.connection.mirror.byId();
    const stage = stageFloor(this.visit.scene);
    let n = 0;
    let hands = 0;
    for (const id of this.ids) {
      if (inView.has(id)) continue; // the crowd draws it
      const buffer = this.buffers.get(id);
      const s = buffer?.sample(renderTime, this.state);
      if (!s) continue;
      const y = standingHeight(stage, s.x, s.y, s.z);
      const who = this.names.get(id);
      this.color.setHex(ROLE_COLORS[who?.role] ?? ROLE_COLORS.performer);
      this.quaternion.setFromAxisAngle(this.up, s.yaw);
      this.position.set(s.x, y + BODY_HEIGHT / 2, s.z);
      this.bodies.setMatrixAt(n, this.matrix.compose(this.position, this.quaternion, this.scale));
      this.bodies.setColorAt(n, this.color);
      const pose = s.vr ? s.pose : null;
      if (pose) {
        this.#joint(this.heads, n, s.x, y, s.z, pose.head);
        this.#joint(this.hands, hands++, s.x, y, s.z, pose.left);
        this.#joint(this.hands, hands++, s.x, y, s.z, pose.right);
      } else {
        this.position.set(s.x, y + HEAD_HEIGHT, s.z);
        this.heads.setMatrixAt(n, this.matrix.compose(this.position, this.quaternion, this.scale));
        for (const side of [-1, 1]) {
          this.position.set(s.x + Math.cos(s.yaw) * 0.32 * side, y + 0.75, s.z - Math.sin(s.yaw) * 0.32 * side);
          this.hands.setMatrixAt(hands++, this.matrix.compose(this.position, this.quaternion, this.scale));
        }
      }
      this.#tag(this.tags[n], who?.name ?? "", s.x, y, s.z);
      this.drawn.set(id, { x: s.x, y, z: s.z, yaw: s.yaw, vr: s.vr, anim: s.anim, name: who?.name ?? null });
      n++;
    }
    for (let i = n; i < this.tags.length; i++) this.tags[i].visible = false;
    for (const mesh of [this.bodies, this.heads]) {
      mesh.count = n;
      mesh.instanceMatrix.needsUpdate = true;
    }
    if (this.bodies.instanceColor) this.bodies.instanceColor.needsUpdate = true;
    this.hands.count = hands;
    this.hands.instanceMatrix.needsUpdate = true;
    return n;
  }

  #joint(mesh, index, x, y, z, joint) {
    const [dx, dy, dz, qx, qy, qz, qw] = joint;
    this.position.set(x + dx, y + dy, z + dz);
    this.jointRotation.set(qx, qy, qz, qw);
    mesh.setMatrixAt(index, this.matrix.compose(this.position, this.jointRotation, this.scale));
  }

  #tag(tag, label, x, y, z) {
    if (!label) {
      tag.visible = false;
      return;
    }
    if (tag.userData.label !== label) {
      let texture = this.textures.get(label);
      if (texture === undefined) {
        texture = textTexture([`♪ ${label}`], { width: 256, height: 64, background: "#7a1456cc" });
        this.textures.set(label, texture);
        // Names of performers long gone are not kept forever.
        if (this.textures.size > 4 * MAX_STAGE_PERFORMERS) {
          const [oldest, old] = this.textures.entries().next().value;
          if (oldest !== label && !this.tags.some((t) => t.userData.label === oldest)) {
            old.dispose();
            this.textures.delete(oldest);
          }
        }
      }
      tag.material.map = texture;
      tag.material.needsUpdate = true;
      tag.userData.label = label;
    }
    tag.position.set(x, y + 2.1, z);
    tag.visible = true;
  }
}
