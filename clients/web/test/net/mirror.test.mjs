// The mirror and the row decoders against the reference client: fixtures/world_frames.json
// holds WORLD frames produced by the server's world code (world.world.World) for two
// observers, and after each frame what clients/python/plaza_client/mirror.py holds. The JS
// mirror must hold exactly the same after every frame. Regenerate the fixture with
// fixtures/make_world_frames.py.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

import { decodeServer } from "../../src/net/codec.js";
import { MirrorError, WorldMirror } from "../../src/net/mirror.js";
import {
  BODY_ROW_BYTES,
  POSE_ROW_BYTES,
  decodeBodyRow,
  decodePoseRow,
  normalizeQuaternion,
} from "../../src/net/quantize.js";

const fixture = JSON.parse(readFileSync(new URL("./fixtures/world_frames.json", import.meta.url), "utf8"));
const bytes = (text) => new Uint8Array(Buffer.from(text, "hex"));
const hex = (array) => Buffer.from(array).toString("hex");

function expectSameAsReference(mirror, expected, where) {
  const slots = [...mirror].map((a) => a.slot);
  assert.deepEqual(slots, expected.map((s) => s.slot), `${where}: occupied slots`);
  for (const want of expected) {
    const got = mirror.get(want.slot);
    const at = `${where}, slot ${want.slot}`;
    assert.equal(got.avatarId, want.avatarId, `${at}: avatar id`);
    assert.equal(got.description.name, want.name, `${at}: name`);
    assert.equal(hex(got.bodyBytes), want.body, `${at}: body bytes`);
    assert.equal(got.poseBytes === null ? null : hex(got.poseBytes), want.pose, `${at}: pose bytes`);
    // Bit-identical to the reference's dequantisation, not merely close.
    assert.deepEqual([got.body.x, got.body.y, got.body.z], want.position, `${at}: position`);
    assert.equal(got.body.yaw, want.yaw, `${at}: yaw`);
    assert.equal(got.body.anim, want.anim, `${at}: anim`);
    assert.equal(got.body.flags, want.flags, `${at}: flags`);
    assert.equal(got.updatedTick, want.updatedTick, `${at}: updated tick`);
    if (want.joints === null) {
      assert.equal(got.pose, null, `${at}: no pose yet`);
    } else {
      ["head", "left", "right"].forEach((name, j) => {
        const ref = want.joints[j];
        const joint = got.pose[name];
        assert.deepEqual([...joint.slice(0, 3)], ref.slice(0, 3), `${at}: ${name} offset`);
        // The mirror renormalises the quaternion; the reference leaves it at q/127.
        const unit = normalizeQuaternion(ref.slice(3, 7));
        for (let k = 0; k < 4; k++) assert.ok(Math.abs(joint[3 + k] - unit[k]) < 1e-12, `${at}: ${name} rotation`);
      });
    }
  }
  const byId = mirror.byId();
  assert.equal(byId.size, expected.length, `${where}: byId size`);
  for (const want of expected) assert.equal(byId.get(want.avatarId), mirror.get(want.slot), `${where}: byId`);
  assert.equal(mirror.size, expected.length);
}

describe("WorldMirror against the reference client", () => {
  for (const [name, observer] of Object.entries(fixture.observers)) {
    it(`holds what plaza_client's mirror holds, frame after frame (observer ${name})`, () => {
      const welcome = decodeServer(bytes(observer.welcome));
      const mirror = new WorldMirror();
      mirror.reset(welcome);
      assert.deepEqual([...mirror.origin], [-50, -5, -50]);
      let previousTick = 0;
      for (const { tick, frame, slots } of observer.frames) {
        const message = decodeServer(bytes(frame));
        assert.equal(message.tick, tick);
        mirror.apply(message);
        assert.equal(mirror.tick, tick);
        assert.equal(mirror.serverTime, message.serverTime);
        expectSameAsReference(mirror, slots, `${name} tick ${tick}`);
        previousTick = tick;
      }
      assert.equal(previousTick, 20);
    });
  }

  it("covers the cases the fixture is meant to exercise", () => {
    let sameFrameReuse = 0;
    let gaps = 0;
    let poseRows = 0;
    let farTicks = 0;
    let proto = 0;
    for (const observer of Object.values(fixture.observers)) {
      let last = null;
      for (const { tick, frame, slots } of observer.frames) {
        const message = decodeServer(bytes(frame));
        const entered = new Set(message.enters.map((e) => e.slot));
        if (message.leaves.some((slot) => entered.has(slot))) sameFrameReuse++;
        if (last !== null && tick > last + 1) gaps++;
        poseRows += message.poses.length / POSE_ROW_BYTES;
        if (message.body.length / BODY_ROW_BYTES < slots.length) farTicks++;
        for (const e of message.enters) if (Object.hasOwn(e.description.appearance, "__proto__")) proto++;
        last = tick;
      }
    }
    assert.ok(sameFrameReuse >= 2, "a slot left and re-entered in one frame");
    assert.ok(gaps >= 1, "a held observer's tick gap");
    assert.ok(poseRows >= 3, "pose rows");
    assert.ok(farTicks >= 5, "far avatars skipped on odd ticks");
    assert.ok(proto >= 2, "an appearance key named __proto__");
  });

  it("keeps each avatar's objects across frames and makes new ones on enter", () => {
    const observer = fixture.observers.Ara;
    const mirror = new WorldMirror();
    mirror.reset(decodeServer(bytes(observer.welcome)));
    mirror.apply(decodeServer(bytes(observer.frames[0].frame)));
    const bo = mirror.get(0);
    const body = bo.body;
    mirror.apply(decodeServer(bytes(observer.frames[1].frame)));
    assert.equal(mirror.get(0), bo);
    assert.equal(mirror.get(0).body, body);
    const leaver = mirror.get(1);
    mirror.apply(decodeServer(bytes(observer.frames[2].frame))); // slot 1: a leave and an enter
    assert.notEqual(mirror.get(1), leaver);
    assert.equal(leaver.avatarId, 19);
    assert.equal(mirror.get(1).avatarId, 21);
  });

  it("reset forgets everything and takes the new zone origin", () => {
    const observer = fixture.observers.Ara;
    const mirror = new WorldMirror();
    mirror.reset(decodeServer(bytes(observer.welcome)));
    mirror.apply(decodeServer(bytes(observer.frames[0].frame)));
    assert.equal(mirror.size, 3);
    mirror.reset({ origin: [1, 2, 3], quantum: 0.5 });
    assert.equal(mirror.size, 0);
    assert.equal(mirror.byId().size, 0);
    assert.deepEqual([...mirror], []);
    assert.equal(mirror.tick, 0);
    assert.deepEqual([...mirror.origin], [1, 2, 3]);
    assert.equal(mirror.quantum, 0.5);
  });
});

describe("frames that do not fit the mirror", () => {
  const frame = (parts) => ({ tick: 1, serverTime: 0, leaves: [], enters: [], body: new Uint8Array(0), poses: new Uint8Array(0), ...parts });
  const someone = (slot) => ({ slot, avatarId: 7 + slot, description: { name: "x", appearance: {}, role: "guest" } });

  it("throws MirrorError as the reference client raises MirrorError", () => {
    const mirror = new WorldMirror();
    assert.throws(() => mirror.apply(frame({ leaves: [3] })), MirrorError);
    mirror.reset();
    mirror.apply(frame({ enters: [someone(0)], body: new Uint8Array(10) }));
    assert.throws(() => mirror.apply(frame({ enters: [someone(0)] })), /occupied slot 0/);
    mirror.reset();
    assert.throws(() => mirror.apply(frame({ body: Uint8Array.of(5, 0, 0, 0, 0, 0, 0, 0, 0, 0) })), /body row for empty slot 5/);
    assert.throws(() => mirror.apply(frame({ poses: new Uint8Array(31).fill(9) })), /pose row for empty slot 9/);
    assert.throws(() => mirror.apply(frame({ body: new Uint8Array(11) })), /multiple of 10/);
    assert.throws(() => mirror.apply(frame({ poses: new Uint8Array(30) })), /multiple of 31/);
  });
});

describe("row decoders", () => {
  it("read the worked example's rows (docs/protocol.md section 8)", () => {
    const body = bytes("006006a00080060000000190" + "06a0008006400101");
    const origin = [-50, -5, -50];
    const ara = decodeBodyRow(body, 0, origin, 1 / 32);
    assert.deepEqual(ara, { x: 1, y: 0, z: 2, yaw: 0, anim: 0, flags: 0, slot: 0 });
    const bo = decodeBodyRow(body, 10, origin);
    assert.deepEqual(bo, { x: 2.5, y: 0, z: 2, yaw: Math.PI / 2, anim: 1, flags: 1, slot: 1 });
    const pose = decodePoseRow(
      bytes("01" + "0000400600000000007f" + "d4feb004c8000000007f" + "2c01b004c8000000007f"),
      0,
    );
    assert.equal(pose.slot, 1);
    assert.deepEqual([...pose.head], [0, 1.6, 0, 0, 0, 0, 1]);
    assert.deepEqual([...pose.left], [-0.3, 1.2, 0.2, 0, 0, 0, 1]);
    assert.deepEqual([...pose.right], [0.3, 1.2, 0.2, 0, 0, 0, 1]);
  });

  it("read the extremes: u16 65535, yaw step 255, negative i16 and i8", () => {
    const row = Uint8Array.of(253, 0xff, 0xff, 0, 0, 0x01, 0x80, 255, 7, 0x0f);
    const body = decodeBodyRow(row, 0, [0, 0, 0]);
    assert.equal(body.slot, 253);
    assert.equal(body.x, 65535 / 32);
    assert.equal(body.y, 0);
    assert.equal(body.z, 0x8001 / 32);
    assert.equal(body.yaw, 255 * ((2 * Math.PI) / 256));
    assert.ok(body.yaw < 2 * Math.PI);
    const joint = Uint8Array.of(0x01, 0x80, 0xff, 0xff, 0, 0, 0x81, 0x7f, 0, 0);
    const pose = decodePoseRow(Uint8Array.of(4, ...joint, ...joint, ...joint), 0, undefined, false);
    assert.deepEqual([...pose.head], [-32.767, -0.001, 0, -1, 1, 0, 0]);
  });

  it("normalise quaternions, and turn a zero one into the identity", () => {
    const q = normalizeQuaternion([0, 0, 0, 126 / 127]);
    assert.deepEqual(q, [0, 0, 0, 1]);
    assert.deepEqual(normalizeQuaternion([0, 0, 0, 0]), [0, 0, 0, 1]);
    const r = normalizeQuaternion([1, 1, 1, 1]);
    assert.deepEqual(r, [0.5, 0.5, 0.5, 0.5]);
  });
});
