// The festival's crowd effects and synchronized moments in the 3D scene, cheap by design:
// a fixed pool of particles per effect (one draw call each), a few meshes made once, and no
// object per reaction however many thousands cheer.
//
//   the cheer meter  three bars in front of the stage (cheers, claps, hearts), their height
//                    the whole crowd's reactions of the last second on a log scale
//   the crowd        sparks and hearts rising over the audience, more as the crowd reacts,
//                    and around the viewer for the reactions of those near (`here`)
//   a bell stroke    a ring spreading from the Bosingak bell, and one from the viewer's feet
//   fireworks        bursts over the stage (also at a countdown's end)
//   lights           coloured beams sweeping from the stage (a light show, a cue)
//
// With reduced motion (the profile's preference or the system's) nothing flies or sweeps:
// the meter still shows the crowd, a stroke's ring appears and fades where it is, and
// fireworks and lights become a brief still glow of the beams.
import * as THREE from "three";
import { FESTIVAL_ZONE, intensity } from "../common/festival_model.js";

const SPARKS = 128;
const HEARTS = 96;
const BURSTS = 4;
const BURST_PARTICLES = 64;
const RINGS = 4;
const BEAMS = 6;
/** Crowd particles a second at most (the whole zone's; those near you add a few). */
const MAX_SPAWN_PER_S = 40;
const MAX_NEAR_SPAWN_PER_S = 12;
const PARTICLE_LIFE_S = 2.6;
const BURST_LIFE_S = 2.4;
const RING_LIFE_S = 2.4;
const LIGHTS_S = 8;
const GLOW_S = 3;
const KIND_COLORS = [new THREE.Color(0xffd23f), new THREE.Color(0x8fe3ff), new THREE.Color(0xff4f8b)];
/** Where things are when the layout has no spot for them (the festival layout's values). */
const DEFAULTS = { stage: [0, 1.2, -35], bell: [38.5, 0, -10], audience: [0, 0, -2] };

/** A round glow or a heart, drawn once on a canvas, for the particles. */
function particleTexture(shape) {
  const canvas = document.createElement("canvas");
  canvas.width = 64;
  canvas.height = 64;
  const g = canvas.getContext("2d");
  if (shape === "heart") {
    g.fillStyle = "#fff";
    g.beginPath();
    g.moveTo(32, 56);
    g.bezierCurveTo(4, 36, 6, 10, 22, 10);
    g.bezierCurveTo(28, 10, 32, 16, 32, 20);
    g.bezierCurveTo(32, 16, 36, 10, 42, 10);
    g.bezierCurveTo(58, 10, 60, 36, 32, 56);
    g.fill();
  } else {
    const gradient = g.createRadialGradient(32, 32, 0, 32, 32, 32);
    gradient.addColorStop(0, "#ffffffff");
    gradient.addColorStop(0.35, "#ffffffcc");
    gradient.addColorStop(1, "#ffffff00");
    g.fillStyle = gradient;
    g.fillRect(0, 0, 64, 64);
  }
  const texture = new THREE.CanvasTexture(canvas);
  texture.colorSpace = THREE.SRGBColorSpace;
  return texture;
}

// Particles: a colour each, faded by their own alpha (so they keep their colour against
// the bright sky), sized by distance like THREE.PointsMaterial.
const PARTICLE_VERTEX = `
attribute vec3 tint;
attribute float alpha;
uniform float size;
uniform float scale;
varying vec3 vTint;
varying float vAlpha;
void main() {
  vTint = tint;
  vAlpha = alpha;
  vec4 mvPosition = modelViewMatrix * vec4(position, 1.0);
  gl_PointSize = size * scale / max(0.1, -mvPosition.z);
  gl_Position = projectionMatrix * mvPosition;
}`;
const PARTICLE_FRAGMENT = `
uniform sampler2D map;
varying vec3 vTint;
varying float vAlpha;
void main() {
  float a = texture2D(map, gl_PointCoord).a * vAlpha;
  if (a < 0.01) discard;
  gl_FragColor = vec4(vTint, a);
  #include <colorspace_fragment>
}`;

/** A fixed pool of particles drawn as one THREE.Points: position, velocity, colour, life. */
class ParticlePool {
  constructor(count, texture, size, parent) {
    this.count = count;
    this.positions = new Float32Array(3 * count);
    this.tints = new Float32Array(3 * count);
    this.alphas = new Float32Array(count);
    this.velocity = new Float32Array(3 * count);
    this.life = new Float32Array(count); // seconds left; 0 = free
    this.span = new Float32Array(count).fill(1);
    this.gravity = 0;
    this.drag = 0;
    this.next = 0;
    const geometry = new THREE.BufferGeometry();
    const attribute = (array, size) => new THREE.BufferAttribute(array, size).setUsage(THREE.DynamicDrawUsage);
    this.positionAttribute = attribute(this.positions, 3);
    this.tintAttribute = attribute(this.tints, 3);
    this.alphaAttribute = attribute(this.alphas, 1);
    geometry.setAttribute("position", this.positionAttribute);
    geometry.setAttribute("tint", this.tintAttribute);
    geometry.setAttribute("alpha", this.alphaAttribute);
    this.material = new THREE.ShaderMaterial({
      uniforms: { map: { value: texture }, size: { value: size }, scale: { value: 300 } },
      vertexShader: PARTICLE_VERTEX,
      fragmentShader: PARTICLE_FRAGMENT,
      transparent: true,
      depthWrite: false,
    });
    this.points = new THREE.Points(geometry, this.material);
    this.points.frustumCulled = false;
    parent.add(this.points);
  }

  /** Take a particle (the oldest when all are in use). */
  spawn(x, y, z, vx, vy, vz, color, life) {
    const i = this.next;
    this.next = (this.next + 1) % this.count;
    const k = 3 * i;
    this.positions[k] = x;
    this.positions[k + 1] = y;
    this.positions[k + 2] = z;
    this.velocity[k] = vx;
    this.velocity[k + 1] = vy;
    this.velocity[k + 2] = vz;
    this.tints[k] = color.r;
    this.tints[k + 1] = color.g;
    this.tints[k + 2] = color.b;
    this.life[i] = life;
    this.span[i] = life;
    this.tintAttribute.needsUpdate = true;
  }

  /** Move and fade every particle; returns how many are alive. */
  update(dt, scale) {
    this.material.uniforms.scale.value = scale;
    let alive = 0;
    const damp = Math.max(0, 1 - this.drag * dt);
    for (let i = 0; i < this.count; i++) {
      if (this.life[i] <= 0) continue;
      this.life[i] -= dt;
      if (this.life[i] <= 0) {
        this.alphas[i] = 0;
        continue;
      }
      alive++;
      const k = 3 * i;
      this.velocity[k] *= damp;
      this.velocity[k + 1] = this.velocity[k + 1] * damp + this.gravity * dt;
      this.velocity[k + 2] *= damp;
      this.positions[k] += this.velocity[k] * dt;
      this.positions[k + 1] += this.velocity[k + 1] * dt;
      this.positions[k + 2] += this.velocity[k + 2] * dt;
      this.alphas[i] = Math.min(1, this.life[i] / (0.4 * this.span[i]));
    }
    this.positionAttribute.needsUpdate = true;
    this.alphaAttribute.needsUpdate = true;
    return alive;
  }

  clear() {
    this.life.fill(0);
    this.alphas.fill(0);
    this.alphaAttribute.needsUpdate = true;
  }
}

export class FestivalEffects {
  /**
   * @param {THREE.Scene} scene
   * @param {{reducedMotion?: () => boolean, random?: () => number}} [options]
   */
  constructor(scene, { reducedMotion = prefersReducedMotion, random = Math.random } = {}) {
    this.reducedMotion = reducedMotion;
    this.random = random;
    this.group = new THREE.Group();
    this.group.name = "festival_effects";
    this.group.visible = false;
    scene.add(this.group);
    this.places = { stage: DEFAULTS.stage, bell: DEFAULTS.bell, audience: DEFAULTS.audience };

    // The cheer meter: three bars on a plinth in front of the stage, stage left.
    this.meter = new THREE.Group();
    this.meter.name = "cheer_meter";
    const plinth = new THREE.Mesh(
      new THREE.BoxGeometry(3.4, 0.3, 1.2),
      new THREE.MeshLambertMaterial({ color: 0x2b2f3a }),
    );
    plinth.position.y = 0.15;
    this.meter.add(plinth);
    this.bars = KIND_COLORS.map((color, i) => {
      const bar = new THREE.Mesh(
        new THREE.BoxGeometry(0.8, 1, 0.8),
        new THREE.MeshBasicMaterial({ color, transparent: true, opacity: 0.9 }),
      );
      bar.position.set((i - 1) * 1.05, 0.3, 0);
      bar.userData.level = 0;
      this.meter.add(bar);
      return bar;
    });
    this.group.add(this.meter);

    this.sparks = new ParticlePool(SPARKS, particleTexture("glow"), 0.9, this.group);
    this.sparks.drag = 0.3;
    this.hearts = new ParticlePool(HEARTS, particleTexture("heart"), 1.0, this.group);
    this.hearts.drag = 0.3;
    this.bursts = new ParticlePool(BURSTS * BURST_PARTICLES, particleTexture("glow"), 1.6, this.group);
    this.bursts.gravity = -4;
    this.bursts.drag = 0.9;

    this.rings = [];
    for (let i = 0; i < RINGS; i++) {
      const ring = new THREE.Mesh(
        new THREE.TorusGeometry(1, 0.08, 8, 64),
        new THREE.MeshBasicMaterial({ color: 0xffe08a, transparent: true, opacity: 0, depthWrite: false }),
      );
      ring.rotation.x = -Math.PI / 2;
      ring.visible = false;
      ring.userData = { life: 0 };
      this.group.add(ring);
      this.rings.push(ring);
    }
    this.nextRing = 0;

    this.beams = [];
    for (let i = 0; i < BEAMS; i++) {
      const geometry = new THREE.CylinderGeometry(2.2, 0.25, 36, 16, 1, true);
      geometry.translate(0, 18, 0); // from its foot upward
      const beam = new THREE.Mesh(
        geometry,
        new THREE.MeshBasicMaterial({
          color: 0xffffff,
          transparent: true,
          opacity: 0,
          depthWrite: false,
          blending: THREE.AdditiveBlending,
          side: THREE.DoubleSide,
        }),
      );
      beam.visible = false;
      this.group.add(beam);
      this.beams.push(beam);
    }
    /** Seconds the beams still shine, and whether they sweep. */
    this.lights = { left: 0, sweep: false, span: 1 };
    this.time = 0;
    this.spawnDebt = { crowd: 0, near: 0 };
    /** What is shown, for the tests and support staff. */
    this.stats = { meter: [0, 0, 0], particles: 0, rings: 0, bursts: 0, lights: false, fired: 0, reduced: false };
    this.#place();
  }

  /**
   * Follow the zone's scene: shown only in the festival grounds, around its stage and bell.
   * @param {object} scene the zone's scene (visit.scene)
   */
  setScene(scene) {
    const here = scene?.name === FESTIVAL_ZONE;
    this.group.visible = here;
    if (!here) {
      this.clear();
      return;
    }
    const spot = (id) => (scene.spots ?? []).find((s) => s.id === id)?.position;
    // The audience: between the front and the back of it.
    const front = spot("audience_front");
    const back = spot("audience_back");
    const audience = front && back ? front.map((v, i) => (v + back[i]) / 2) : DEFAULTS.audience;
    this.places = { stage: spot("stage") ?? DEFAULTS.stage, bell: spot("bell") ?? DEFAULTS.bell, audience };
    this.#place();
  }

  #place() {
    const [sx, sy, sz] = this.places.stage;
    this.meter.position.set(sx - 17, 0, sz + 8);
    this.beams.forEach((beam, i) => {
      beam.position.set(sx + (i - (BEAMS - 1) / 2) * 5, sy + 0.2, sz - 4);
    });
  }

  /** Stop everything (another zone). */
  clear() {
    this.sparks.clear();
    this.hearts.clear();
    this.bursts.clear();
    for (const ring of this.rings) {
      ring.visible = false;
      ring.userData.life = 0;
    }
    this.lights.left = 0;
    for (const beam of this.beams) beam.visible = false;
  }

  /**
   * A moment's stroke fired (FestivalDesk 'moment'): draw it.
   * @param {{moment: {kind: string}, index: number}} stroke
   * @param {{x: number, y: number, z: number}} eye where the viewer stands
   */
  fire(stroke, eye) {
    if (!this.group.visible) return;
    this.stats.fired++;
    const reduced = this.reducedMotion();
    switch (stroke.moment.kind) {
      case "bell": {
        const [bx, , bz] = this.places.bell;
        this.#ring(bx, 5, bz, reduced);
        this.#ring(eye.x, (eye.y ?? 0) + 0.1, eye.z, reduced);
        break;
      }
      case "fireworks":
        if (reduced) this.#glow();
        else for (let i = 0; i < 2; i++) this.#burst();
        break;
      case "countdown":
        this.#ring(eye.x, (eye.y ?? 0) + 0.1, eye.z, reduced);
        if (reduced) this.#glow();
        else for (let i = 0; i < 3; i++) this.#burst();
        break;
      case "lights":
        this.lights = { left: reduced ? GLOW_S : LIGHTS_S, sweep: !reduced, span: reduced ? GLOW_S : LIGHTS_S };
        break;
      default:
        this.lights = { left: GLOW_S, sweep: false, span: GLOW_S };
    }
  }

  #glow() {
    this.lights = { left: GLOW_S, sweep: false, span: GLOW_S };
  }

  #ring(x, y, z, reduced) {
    const ring = this.rings[this.nextRing];
    this.nextRing = (this.nextRing + 1) % this.rings.length;
    ring.position.set(x, y, z);
    ring.userData = { life: RING_LIFE_S, still: reduced };
    ring.scale.setScalar(reduced ? 6 : 1);
    ring.visible = true;
  }

  #burst() {
    const r = this.random;
    const [sx, sy, sz] = this.places.stage;
    const x = sx + (r() - 0.5) * 24;
    const y = sy + 13 + r() * 6;
    const z = sz - 2 + (r() - 0.5) * 8;
    const color = new THREE.Color().setHSL(r(), 1, 0.55);
    for (let i = 0; i < BURST_PARTICLES; i++) {
      // A point on the sphere, at a speed that varies a little.
      const u = 2 * r() - 1;
      const a = 2 * Math.PI * r();
      const s = Math.sqrt(1 - u * u);
      const speed = 7 + r() * 3;
      const life = BURST_LIFE_S * (0.8 + 0.4 * r());
      this.bursts.spawn(x, y, z, s * Math.cos(a) * speed, u * speed, s * Math.sin(a) * speed, color, life);
    }
  }

  /**
   * Advance the effects by `dt` seconds.
   * @param {number} dt
   * @param {{x: number, y: number, z: number}} eye where the viewer stands
   * @param {{here: number[], zone: number[]}} totals the crowd's reactions of the last second
   */
  update(dt, eye, totals) {
    if (!this.group.visible) return;
    this.time += dt;
    const reduced = this.reducedMotion();
    this.stats.reduced = reduced;
    // The meter: eased toward the crowd's level (at once with reduced motion).
    const ease = reduced ? 1 : Math.min(1, dt * 4);
    this.bars.forEach((bar, i) => {
      const target = intensity(totals.zone[i]);
      bar.userData.level += (target - bar.userData.level) * ease;
      const height = 0.05 + 6 * bar.userData.level;
      bar.scale.y = height;
      bar.position.y = 0.3 + height / 2;
      this.stats.meter[i] = bar.userData.level;
    });
    if (!reduced) this.#spawnCrowd(dt, eye, totals);
    // Point sizes in device pixels, as THREE.PointsMaterial scales them.
    const scale = 0.5 * innerHeight * Math.min(globalThis.devicePixelRatio ?? 1, 2);
    this.stats.particles = this.sparks.update(dt, scale) + this.hearts.update(dt, scale);
    this.stats.bursts = this.bursts.update(dt, scale);
    let rings = 0;
    for (const ring of this.rings) {
      if (!ring.visible) continue;
      ring.userData.life -= dt;
      if (ring.userData.life <= 0) {
        ring.visible = false;
        continue;
      }
      rings++;
      const done = 1 - ring.userData.life / RING_LIFE_S;
      if (!ring.userData.still) ring.scale.setScalar(1 + done * 18);
      ring.material.opacity = 0.85 * (1 - done);
    }
    this.stats.rings = rings;
    this.#updateLights(dt);
  }

  #spawnCrowd(dt, eye, totals) {
    const r = this.random;
    const zoneRate = totals.zone.reduce((a, b) => a + b, 0);
    const nearRate = totals.here.reduce((a, b) => a + b, 0);
    this.spawnDebt.crowd += dt * Math.min(MAX_SPAWN_PER_S, zoneRate > 0 ? 3 + 4 * Math.sqrt(zoneRate) : 0);
    this.spawnDebt.near += dt * Math.min(MAX_NEAR_SPAWN_PER_S, 3 * nearRate);
    const pick = (counts, sum) => {
      let x = r() * sum;
      for (let i = 0; i < 3; i++) {
        x -= counts[i];
        if (x < 0) return i;
      }
      return 2;
    };
    const [ax, , az] = this.places.audience;
    while (this.spawnDebt.crowd >= 1) {
      this.spawnDebt.crowd -= 1;
      const kind = pick(totals.zone, zoneRate);
      const angle = 2 * Math.PI * r();
      const radius = Math.sqrt(r());
      this.#rise(kind, ax + Math.cos(angle) * radius * 26, 2 + r() * 2, az + Math.sin(angle) * radius * 30);
    }
    while (this.spawnDebt.near >= 1) {
      this.spawnDebt.near -= 1;
      const kind = pick(totals.here, nearRate);
      const angle = 2 * Math.PI * r();
      const radius = 1.5 + r() * 3;
      this.#rise(kind, eye.x + Math.cos(angle) * radius, (eye.y ?? 0) + 1 + r(), eye.z + Math.sin(angle) * radius);
    }
  }

  #rise(kind, x, y, z) {
    const r = this.random;
    const pool = kind === 2 ? this.hearts : this.sparks;
    const life = PARTICLE_LIFE_S * (0.7 + 0.6 * r());
    pool.spawn(x, y, z, (r() - 0.5) * 0.6, 1.2 + r() * 1.2, (r() - 0.5) * 0.6, KIND_COLORS[kind], life);
  }

  #updateLights(dt) {
    const lights = this.lights;
    const on = lights.left > 0;
    this.stats.lights = on;
    if (!on) {
      for (const beam of this.beams) beam.visible = false;
      return;
    }
    lights.left -= dt;
    const fade = Math.min(1, lights.left / 1, (lights.span - lights.left) / 0.5);
    this.beams.forEach((beam, i) => {
      beam.visible = true;
      const phase = lights.sweep ? this.time * 0.9 + i : i;
      const tilt = lights.sweep ? Math.sin(phase) * 0.5 : (i - (BEAMS - 1) / 2) * 0.12;
      beam.rotation.set(0.25, 0, tilt);
      const hue = lights.sweep ? (this.time * 0.15 + i / BEAMS) % 1 : i / BEAMS;
      beam.material.color.setHSL(hue, 0.9, 0.55);
      beam.material.opacity = 0.35 * Math.max(0, fade);
    });
  }
}

let systemQuery = null;

/** The page's reduced-motion preference (the profile's, set on <html>) or the system's. */
export function prefersReducedMotion() {
  systemQuery ??= globalThis.matchMedia?.("(prefers-reduced-motion: reduce)") ?? { matches: false };
  return document.documentElement.classList.contains("reduced-motion") || systemQuery.matches;
}
