// Snapshot interpolation, the render clock and the mirror glue, with synthetic inputs.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  AvatarState,
  INTERPOLATION_DELAY_S,
  MirrorInterpolator,
  RenderClock,
  STATIONARY_AFTER_TICKS,
  SnapshotBuffer,
  lerpAngle,
  nlerpQuaternion,
} from "../../src/net/interpolation.js";
import { WorldMirror } from "../../src/net/mirror.js";

const close = (a, b, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} is not ${b}`);
const body = (x, yaw = 0, extra = {}) => ({ x, y: 0, z: -x, yaw, anim: 0, flags: 0, ...extra });
const identity = () => [0, 0, 0, 0, 0, 0, 1];

describe("lerpAngle and nlerpQuaternion", () => {
  it("turn the short way round across 0", () => {
    const a = (350 / 360) * 2 * Math.PI;
    const b = (10 / 360) * 2 * Math.PI;
    close(lerpAngle(a, b, 0.5), 0);
    close(lerpAngle(a, b, 0.25), (355 / 360) * 2 * Math.PI);
    close(lerpAngle(b, a, 0.75), (355 / 360) * 2 * Math.PI);
    close(lerpAngle(1, 2, 0.5), 1.5);
    close(lerpAngle(0, Math.PI / 2, 2), Math.PI); // extrapolating
  });

  it("blend quaternions the short way and keep them unit length", () => {
    const out = new Float64Array(4);
    const s = Math.SQRT1_2;
    nlerpQuaternion(out, 0, [0, 0, 0, 1], 0, [0, s, 0, s], 0, 0.5);
    const half = Math.sin(Math.PI / 8);
    close(out[1], half);
    close(out[3], Math.cos(Math.PI / 8));
    // -q is the same rotation as q: blending towards it must not pass through zero.
    nlerpQuaternion(out, 0, [0, 0, 0, 1], 0, [0, -s, 0, -s], 0, 0.5);
    close(out[1], half);
    close(Math.hypot(...out), 1);
  });
});

describe("SnapshotBuffer", () => {
  it("is empty until the first push", () => {
    const buffer = new SnapshotBuffer();
    assert.equal(buffer.sample(10), null);
    assert.equal(buffer.newestTime, -Infinity);
  });

  it("interpolates position and yaw between the snapshots around the moment", () => {
    const buffer = new SnapshotBuffer();
    buffer.push(10.0, body(0, 0.1));
    buffer.push(10.05, body(1, 0.3));
    buffer.push(10.1, body(3, 0.5));
    const out = new AvatarState();
    assert.equal(buffer.sample(10.025, out), out);
    close(out.x, 0.5);
    close(out.z, -0.5);
    close(out.yaw, 0.2);
    buffer.sample(10.075, out);
    close(out.x, 2);
    close(out.yaw, 0.4);
  });

  it("clamps before the oldest snapshot", () => {
    const buffer = new SnapshotBuffer();
    buffer.push(10, body(5));
    buffer.push(10.05, body(6));
    assert.equal(buffer.sample(9).x, 5);
  });

  it("extrapolates at most one interval past the newest, then holds", () => {
    const buffer = new SnapshotBuffer();
    buffer.push(10.0, body(0));
    buffer.push(10.05, body(1));
    close(buffer.sample(10.075).x, 1.5);
    close(buffer.sample(10.1).x, 2);
    close(buffer.sample(11).x, 2);
    const single = new SnapshotBuffer();
    single.push(3, body(7));
    assert.equal(single.sample(4).x, 7);
  });

  it("takes anim and flags from the snapshot in force, not a blend", () => {
    const buffer = new SnapshotBuffer();
    buffer.push(1.0, body(0, 0, { anim: 1, flags: 0 }));
    buffer.push(1.05, body(1, 0, { anim: 2, flags: 1 }));
    const out = buffer.sample(1.049);
    assert.equal(out.anim, 1);
    assert.equal(out.flags, 0);
    assert.equal(buffer.sample(1.05).anim, 2);
    assert.equal(buffer.sample(1.05).vr, true);
  });

  it("interpolates VR joints when both snapshots have a pose", () => {
    const buffer = new SnapshotBuffer();
    const s = Math.SQRT1_2;
    buffer.push(1.0, body(0), { head: [0, 1.5, 0, 0, 0, 0, 1], left: identity(), right: identity() });
    buffer.push(1.1, body(0), { head: [0, 1.7, 0.2, 0, s, 0, s], left: identity(), right: identity() });
    const out = buffer.sample(1.05);
    close(out.pose.head[1], 1.6);
    close(out.pose.head[2], 0.1);
    close(out.pose.head[4], Math.sin(Math.PI / 8));
    assert.deepEqual([...out.pose.left], identity());
  });

  it("has no pose before the first one, and keeps the newest pose when extrapolating", () => {
    const buffer = new SnapshotBuffer();
    buffer.push(1.0, body(0));
    buffer.push(1.1, { ...body(1), pose: { head: [0, 1, 0, 0, 0, 0, 1], left: identity(), right: identity() } });
    assert.equal(buffer.sample(1.05).pose, null);
    assert.equal(buffer.sample(1.15).pose.head[1], 1);
  });

  it("ignores snapshots older than the newest, replaces one at the same time", () => {
    const buffer = new SnapshotBuffer();
    assert.equal(buffer.push(2, body(1)), true);
    assert.equal(buffer.push(1, body(9)), false);
    assert.equal(buffer.push(2, body(2)), true);
    assert.equal(buffer.size, 1);
    assert.equal(buffer.sample(2).x, 2);
  });

  it("drops the oldest snapshots beyond its capacity", () => {
    const buffer = new SnapshotBuffer(4);
    for (let i = 0; i < 10; i++) buffer.push(i, body(i));
    assert.equal(buffer.size, 4);
    assert.equal(buffer.sample(0).x, 6);
    close(buffer.sample(8.5).x, 8.5);
    buffer.clear();
    assert.equal(buffer.sample(8), null);
  });

  it("copies what it is given, so the mirror may overwrite its objects", () => {
    const buffer = new SnapshotBuffer();
    const state = body(1);
    buffer.push(1, state);
    state.x = 99;
    assert.equal(buffer.sample(1).x, 1);
  });
});

describe("RenderClock", () => {
  it(`draws ${INTERPOLATION_DELAY_S * 1000} ms behind the newest frame, advancing with the local clock`, () => {
    const clock = new RenderClock();
    assert.equal(clock.ready, false);
    // Server time runs 1000 s ahead of local time; frames take 30 ms to arrive.
    clock.observe(1100.0, 100.03);
    assert.equal(clock.ready, true);
    close(clock.renderTime(100.03), 1100.0 - INTERPOLATION_DELAY_S);
    close(clock.renderTime(100.05), 1100.02 - INTERPOLATION_DELAY_S);
  });

  it("anchors on the least delayed frame, so jitter does not shake the timeline", () => {
    const clock = new RenderClock({ delay: 0.1 });
    clock.observe(1100.0, 100.03);
    clock.observe(1100.05, 100.11); // 30 ms later than usual
    close(clock.renderTime(100.11), 1100.08 - 0.1, 1e-3);
    clock.observe(1100.1, 100.12); // 10 ms faster than the first: the estimate moves forward
    close(clock.renderTime(100.12), 1100.1 - 0.1, 1e-9);
  });

  it("never goes backwards", () => {
    const clock = new RenderClock();
    clock.observe(1000, 0);
    const first = clock.renderTime(1);
    assert.ok(clock.renderTime(0.5) >= first);
  });
});

describe("MirrorInterpolator", () => {
  const description = { name: "x", appearance: {}, role: "guest" };
  const row = (slot, qx) => [slot, qx & 0xff, qx >> 8, 0, 0, 0, 0, 0, 0, 0];
  const frame = (tick, rows, enters = []) => ({
    tick,
    serverTime: 1000 + tick * 0.05,
    leaves: [],
    enters,
    body: Uint8Array.from(rows.flat()),
    poses: new Uint8Array(0),
  });

  it("samples between rows, also for a far avatar updated every second tick", () => {
    const mirror = new WorldMirror({ origin: [0, 0, 0], quantum: 1 });
    const interpolator = new MirrorInterpolator(mirror);
    mirror.apply(frame(1, [row(0, 10)], [{ slot: 0, avatarId: 5, description }]));
    interpolator.update();
    mirror.apply(frame(2, []));
    interpolator.update();
    mirror.apply(frame(3, [row(0, 12)]));
    interpolator.update();
    const avatar = mirror.get(0);
    close(interpolator.sample(avatar, 1000.1).x, 11);
    close(interpolator.sample(avatar, 1000.125).x, 11.5);
  });

  it(`pins an avatar after ${STATIONARY_AFTER_TICKS} silent ticks, so it stops where it stands`, () => {
    const mirror = new WorldMirror({ origin: [0, 0, 0], quantum: 1 });
    const interpolator = new MirrorInterpolator(mirror);
    mirror.apply(frame(1, [row(0, 10)], [{ slot: 0, avatarId: 5, description }]));
    interpolator.update();
    mirror.apply(frame(2, [row(0, 11)]));
    interpolator.update();
    for (let tick = 3; tick <= 6; tick++) {
      mirror.apply(frame(tick, []));
      interpolator.update();
    }
    const avatar = mirror.get(0);
    // Without the pin it would extrapolate to 12 and hold there.
    close(interpolator.sample(avatar, 1000.3).x, 11);
    close(interpolator.sample(avatar, 1000.2).x, 11);
  });

  it("forgets avatars that left", () => {
    const mirror = new WorldMirror({ origin: [0, 0, 0], quantum: 1 });
    const interpolator = new MirrorInterpolator(mirror);
    mirror.apply(frame(1, [row(0, 10)], [{ slot: 0, avatarId: 5, description }]));
    interpolator.update();
    const gone = mirror.get(0);
    mirror.apply({ ...frame(2, [row(0, 3)], [{ slot: 0, avatarId: 6, description }]), leaves: [0] });
    interpolator.update();
    assert.equal(interpolator.sample(gone, 1000.1), null);
    assert.equal(interpolator.sample(mirror.get(0), 1000.1).x, 3);
  });
});
