// Everyone in view, drawn with instanced meshes: one draw call each for all bodies, all
// heads and all hands, however many avatars there are (up to MAX_AVATARS), plus name tags
// for the nearest NAME_TAGS only (a tag is a sprite, one draw call each). A VR user's head
// and hands follow their tracked pose; a desktop user's hands hang at their sides. A name
// tag shows the avatar's badge after its name, and is redrawn when the badge changes.
import * as THREE from "three";
import { standingHeight } from "../common/festival_model.js";
import { AvatarState, MirrorInterpolator } from "../net/index.js";
import { textTexture } from "./scene.js";

/** Instances allocated per part: the server's view limit (K = 50) with room to spare. */
export const MAX_AVATARS = 256;
/** Name tags drawn at once, nearest first. */
export const NAME_TAGS = 24;
/** Name textures kept for avatars no longer tagged; past this, those out of view go. */
const TAG_TEXTURES_KEPT = 128;
const BODY_HEIGHT = 1.2;
const HEAD_HEIGHT = 1.6;
const ROLE_COLORS = {
  guest: 0x8aa0b8,
  citizen: 0x3b82c4,
  performer: 0xe0409a,
  interpreter: 0x16a3a3,
  staff: 0x2f9e6e,
  organizer: 0xd9822b,
  moderator: 0x8e5bc9,
  admin: 0xc23b3b,
};

function colorOf(description) {
  const hue = description.appearance?.hue;
  if (typeof hue === "number") return new THREE.Color().setHSL((hue % 360) / 360, 0.55, 0.5);
  return new THREE.Color(ROLE_COLORS[description.role] ?? ROLE_COLORS.guest);
}

/** The avatars of one mirror, interpolated and drawn. */
export class Crowd {
  /**
   * @param {THREE.Scene} scene
   * @param {import("../net/index.js").WorldMirror} mirror
   * @param {(avatar: object) => string} [labelOf] the text of an avatar's name tag
   * @param {() => ({x: number, y: number, z: number, radius: number}|null)} [floor] the
   *   zone's stage floor now (common/festival_model.js stageFloor), so that those standing
   *   on a stage are drawn on it, at the height the stage view draws performers
   */
  constructor(scene, mirror, labelOf = (avatar) => avatar.description.name, floor = () => null) {
    this.mirror = mirror;
    this.labelOf = labelOf;
    this.floor = floor;
    this.interpolator = new MirrorInterpolator(mirror);
    const part = (geometry, color, count = MAX_AVATARS) => {
      const mesh = new THREE.InstancedMesh(geometry, new THREE.MeshLambertMaterial({ color }), count);
      mesh.instanceMatrix.setUsage(THREE.DynamicDrawUsage);
      mesh.count = 0;
      mesh.frustumCulled = false;
      scene.add(mesh);
      return mesh;
    };
    this.bodies = part(new THREE.CylinderGeometry(0.22, 0.3, BODY_HEIGHT, 10), 0xffffff);
    this.heads = part(new THREE.SphereGeometry(0.16, 10, 8), 0xf1d3b3);
    this.hands = part(new THREE.SphereGeometry(0.06, 6, 4), 0xf1d3b3, 2 * MAX_AVATARS);
    this.tags = [];
    for (let i = 0; i < NAME_TAGS; i++) {
      const tag = new THREE.Sprite(new THREE.SpriteMaterial({ depthTest: true }));
      tag.scale.set(1.6, 0.4, 1);
      tag.visible = false;
      tag.userData.avatar = null;
      scene.add(tag);
      this.tags.push(tag);
    }
    this.state = new AvatarState();
    this.matrix = new THREE.Matrix4();
    this.position = new THREE.Vector3();
    this.quaternion = new THREE.Quaternion();
    this.jointRotation = new THREE.Quaternion();
    this.scale = new THREE.Vector3(1, 1, 1);
    this.up = new THREE.Vector3(0, 1, 0);
    this.colors = new Map();
    /** Name textures by avatar (the mirror's SeenAvatar objects). */
    this.tagTextures = new Map();
    /** Where each visible avatar was drawn this frame, by avatar id (tests read it). */
    this.drawn = new Map();
  }

  /** Take the mirror's newest frame (call on every WORLD frame). */
  onFrame() {
    this.interpolator.update();
  }

  /** Forget everyone (after a WELCOME: the view starts afresh). */
  reset() {
    this.interpolator.clear();
    this.colors.clear();
    for (const texture of this.tagTextures.values()) texture.dispose();
    this.tagTextures.clear();
    for (const tag of this.tags) {
      tag.visible = false;
      tag.userData.avatar = null;
    }
  }

  /** Draw everyone at `renderTime` (server clock); `eye` is the camera position. */
  draw(renderTime, eye) {
    let n = 0;
    let hands = 0;
    const nearest = [];
    const stage = this.floor();
    this.drawn.clear();
    for (const avatar of this.mirror) {
      if (n >= MAX_AVATARS) break;
      const s = this.interpolator.sample(avatar, renderTime, this.state);
      if (s === null) continue;
      s.y = standingHeight(stage, s.x, s.y, s.z);
      let color = this.colors.get(avatar.avatarId);
      if (color === undefined) {
        color = colorOf(avatar.description);
        this.colors.set(avatar.avatarId, color);
      }
      this.quaternion.setFromAxisAngle(this.up, s.yaw);
      this.position.set(s.x, s.y + BODY_HEIGHT / 2, s.z);
      this.bodies.setMatrixAt(n, this.matrix.compose(this.position, this.quaternion, this.scale));
      this.bodies.setColorAt(n, color);
      const pose = s.vr ? s.pose : null;
      if (pose) {
        this.#joint(this.heads, n, s, pose.head);
        this.#joint(this.hands, hands++, s, pose.left);
        this.#joint(this.hands, hands++, s, pose.right);
      } else {
        this.position.set(s.x, s.y + HEAD_HEIGHT, s.z);
        this.heads.setMatrixAt(n, this.matrix.compose(this.position, this.quaternion, this.scale));
        for (const side of [-1, 1]) {
          const dx = Math.cos(s.yaw) * 0.32 * side;
          const dz = -Math.sin(s.yaw) * 0.32 * side;
          this.position.set(s.x + dx, s.y + 0.75, s.z + dz);
          this.hands.setMatrixAt(hands++, this.matrix.compose(this.position, this.quaternion, this.scale));
        }
      }
      this.drawn.set(avatar.avatarId, { x: s.x, y: s.y, z: s.z, yaw: s.yaw, vr: s.vr });
      nearest.push({ avatar, d: (s.x - eye.x) ** 2 + (s.z - eye.z) ** 2, x: s.x, y: s.y, z: s.z });
      n++;
    }
    for (const mesh of [this.bodies, this.heads]) {
      mesh.count = n;
      mesh.instanceMatrix.needsUpdate = true;
    }
    if (this.bodies.instanceColor) this.bodies.instanceColor.needsUpdate = true;
    this.hands.count = hands;
    this.hands.instanceMatrix.needsUpdate = true;
    this.#tags(nearest);
    return n;
  }

  /** A tracked joint: its offset from the root, along the world axes (docs/protocol.md). */
  #joint(mesh, index, s, joint) {
    const [dx, dy, dz, qx, qy, qz, qw] = joint;
    this.position.set(s.x + dx, s.y + dy, s.z + dz);
    this.jointRotation.set(qx, qy, qz, qw);
    mesh.setMatrixAt(index, this.matrix.compose(this.position, this.jointRotation, this.scale));
  }

  #tags(nearest) {
    nearest.sort((a, b) => a.d - b.d);
    const wanted = new Map();
    for (const entry of nearest.slice(0, this.tags.length)) wanted.set(entry.avatar, entry);
    // A tag keeps its avatar while that avatar stays among the nearest, so textures are not
    // redrawn every time the order shuffles; free tags take the newcomers.
    const free = [];
    for (const tag of this.tags) {
      const entry = wanted.get(tag.userData.avatar);
      if (entry === undefined) free.push(tag);
      else {
        if (tag.material.map?.userData.label !== this.labelOf(entry.avatar)) {
          tag.material.map = this.#tagTexture(entry.avatar); // the badge changed
          tag.material.needsUpdate = true;
        }
        this.#place(tag, entry);
        wanted.delete(tag.userData.avatar);
      }
    }
    for (const entry of wanted.values()) {
      const tag = free.pop();
      tag.userData.avatar = entry.avatar;
      tag.material.map = this.#tagTexture(entry.avatar);
      tag.material.needsUpdate = true;
      this.#place(tag, entry);
    }
    for (const tag of free) {
      tag.visible = false;
      tag.userData.avatar = null;
    }
  }

  #place(tag, entry) {
    tag.position.set(entry.x, entry.y + 2.05, entry.z);
    tag.visible = true;
  }

  /** A name tag's texture, drawn once per avatar and label and kept while it is in view. */
  #tagTexture(avatar) {
    const label = this.labelOf(avatar);
    let texture = this.tagTextures.get(avatar);
    if (texture !== undefined && texture.userData.label !== label) {
      texture.dispose();
      texture = undefined;
    }
    if (texture === undefined) {
      texture = textTexture([label], {
        width: 256,
        height: 64,
        background: "#000000aa",
      });
      texture.userData.label = label;
      this.tagTextures.set(avatar, texture);
      if (this.tagTextures.size > TAG_TEXTURES_KEPT) this.#pruneTagTextures();
    }
    return texture;
  }

  #pruneTagTextures() {
    const inView = new Set(this.mirror);
    const shown = new Set(this.tags.map((tag) => tag.userData.avatar));
    for (const [avatar, texture] of this.tagTextures) {
      if (!inView.has(avatar) && !shown.has(avatar)) {
        texture.dispose();
        this.tagTextures.delete(avatar);
      }
    }
  }
}
