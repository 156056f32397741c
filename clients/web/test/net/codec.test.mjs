// The codec against the contract: docs/protocol.md's worked example, and bytes made or
// checked by the server's own Python codec (world/codec.py). Every client-message fixture
// below was fed to world.codec.decode_client, which accepted it and re-encoded it with
// encode_client to the very same bytes; every server-message fixture was made by
// world.codec's encode_* functions.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

import {
  CloseCode,
  ErrorCode,
  Opcode,
  ProtocolError,
  decodeServer,
  encodeModerate,
  encodeMove,
  encodePing,
  encodePose,
  encodeRenew,
} from "../../src/net/codec.js";
import { WorldMirror } from "../../src/net/mirror.js";

const hex = (bytes) => Buffer.from(bytes).toString("hex");
const bytes = (text) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ""), "hex"));

// docs/protocol.md section 8: Cy's WORLD frame for tick 2 (140 bytes).
const DOC_FRAME = `
  97 41 02 cb 41 da 55 4e 9c 03 33 33 90 92 93 00
  10 83 a4 6e 61 6d 65 a3 41 72 61 aa 61 70 70 65
  61 72 61 6e 63 65 80 a4 72 6f 6c 65 a5 67 75 65
  73 74 93 01 11 83 a4 6e 61 6d 65 a2 42 6f aa 61
  70 70 65 61 72 61 6e 63 65 80 a4 72 6f 6c 65 a5
  73 74 61 66 66 c4 14 00 60 06 a0 00 80 06 00 00
  00 01 90 06 a0 00 80 06 40 01 01 c4 1f 01 00 00
  40 06 00 00 00 00 00 7f d4 fe b0 04 c8 00 00 00
  00 7f 2c 01 b0 04 c8 00 00 00 00 7f`;
// docs/protocol.md section 8: Bo's MOVE [1, 1, 2.5, 0.0, 2.0, π/2, 1, 1].
const DOC_MOVE = `98 01 01 cb 40 04 00 00 00 00 00 00 cb 00 00 00 00 00 00 00 00
  cb 40 00 00 00 00 00 00 00 cb 3f f9 21 fb 54 44 2d 18 01 01`;

describe("the worked example of docs/protocol.md", () => {
  it("matches the bytes printed in the document", (t) => {
    let doc;
    try {
      doc = readFileSync(new URL("../../../../docs/protocol.md", import.meta.url), "utf8");
    } catch {
      t.skip("docs/protocol.md not found");
      return;
    }
    const block = doc.slice(doc.indexOf("Cy's WORLD frame for tick 2"));
    const listing = block.slice(block.indexOf("```") + 3, block.indexOf("```", block.indexOf("```") + 3));
    const documented = listing
      .trim()
      .split("\n")
      .map((line) => line.trim().split(/\s+/).slice(1).join(""))
      .join("");
    assert.equal(documented, hex(bytes(DOC_FRAME)));
  });

  it("decodes Cy's WORLD frame for tick 2", () => {
    const frame = decodeServer(bytes(DOC_FRAME));
    assert.equal(frame.type, "world");
    assert.equal(frame.tick, 2);
    assert.equal(frame.serverTime, 1767193200.05);
    assert.deepEqual(frame.leaves, []);
    assert.deepEqual(frame.enters, [
      { slot: 0, avatarId: 16, description: { name: "Ara", appearance: {}, role: "guest" } },
      { slot: 1, avatarId: 17, description: { name: "Bo", appearance: {}, role: "staff" } },
    ]);
    assert.equal(hex(frame.body), "006006a00080060000000190" + "06a000800640" + "0101");
    assert.equal(frame.poses.length, 31);
  });

  it("gives Ara's and Bo's positions, yaw, flags and Bo's pose in metres", () => {
    const mirror = new WorldMirror({ origin: [-50, -5, -50], quantum: 0.03125 });
    mirror.apply(decodeServer(bytes(DOC_FRAME)));
    const ara = mirror.get(0);
    const bo = mirror.get(1);
    assert.equal(ara.avatarId, 16);
    assert.deepEqual({ ...ara.body }, { x: 1, y: 0, z: 2, yaw: 0, anim: 0, flags: 0 });
    assert.equal(ara.pose, null);
    assert.equal(bo.avatarId, 17);
    assert.deepEqual({ ...bo.body }, { x: 2.5, y: 0, z: 2, yaw: Math.PI / 2, anim: 1, flags: 1 });
    assert.deepEqual([...bo.pose.head], [0, 1.6, 0, 0, 0, 0, 1]);
    assert.deepEqual([...bo.pose.left], [-0.3, 1.2, 0.2, 0, 0, 0, 1]);
    assert.deepEqual([...bo.pose.right], [0.3, 1.2, 0.2, 0, 0, 0, 1]);
    assert.deepEqual([...mirror.byId().keys()].sort(), [16, 17]);
  });

  it("encodes Bo's MOVE byte for byte", () => {
    const move = encodeMove({ seq: 1, x: 2.5, y: 0.0, z: 2.0, yaw: 1.5707963267948966, anim: 1, flags: 1 });
    assert.equal(hex(move), hex(bytes(DOC_MOVE)));
  });

  it("encodes the other client messages of the reference table", () => {
    assert.equal(hex(encodePing(1767193200.0)), "9203cb41da554e9c000000");
    assert.equal(hex(encodeRenew("eyJ...")), "9204a665794a2e2e2e");
    assert.equal(
      hex(encodeModerate({ requestId: "mod-7f3a", action: "ban", avatar: 17, reason: "spam", minutes: 60 })),
      "9405a86d6f642d37663361a362616e83a6617661746172" + "11a6726561736f6ea47370616da76d696e757465733c",
    );
    assert.equal(
      hex(encodeModerate({ requestId: "mod-7f3b", action: "lift", sanction: 42 })),
      "9405a86d6f642d37663362a46c69667481a873616e6374696f6e2a",
    );
  });

  it("decodes the server messages of the reference table", () => {
    assert.deepEqual(decodeServer(bytes("93 43 cb 41 da 55 4e 9b f9 99 9a cb 41 da 55 4e 9c 00 00 00")), {
      type: "pong",
      clientTime: 1767193199.9,
      serverTime: 1767193200.0,
    });
    assert.deepEqual(
      decodeServer(
        bytes(
          "96 42 07 cb 40 10 00 00 00 00 00 00 cb 00 00 00 00 00 00 00 00 cb 40 00 00 00 00 00 00 00 ab 73 70 65 65 64 20 6c 69 6d 69 74",
        ),
      ),
      { type: "correction", seq: 7, x: 4, y: 0, z: 2, reason: "speed limit" },
    );
    assert.deepEqual(
      decodeServer(bytes("94 44 03 b2 78 20 6d 75 73 74 20 62 65 20 61 20 6e 75 6d 62 65 72 01")),
      { type: "error", code: ErrorCode.BAD_FIELD, reason: "x must be a number", opcode: Opcode.MOVE },
    );
    assert.deepEqual(decodeServer(bytes("92 45 cb 41 da 55 4f 7d 00 00 00")), {
      type: "tokenExpiring",
      expiresAt: 1767194100.0,
    });
    assert.deepEqual(
      decodeServer(
        bytes("94 46 a5 72 65 6e 65 77 c3 81 aa 65 78 70 69 72 65 73 5f 61 74 cb 41 da 55 4f 7d 00 00 00"),
      ),
      { type: "result", requestId: "renew", ok: true, detail: { expires_at: 1767194100.0 } },
    );
    assert.deepEqual(
      decodeServer(
        bytes("94 46 a8 6d 6f 64 2d 37 66 33 61 c2 b1 6e 6f 20 61 76 61 74 61 72 20 39 39 20 68 65 72 65"),
      ),
      { type: "result", requestId: "mod-7f3a", ok: false, detail: "no avatar 99 here" },
    );
    const empty = decodeServer(bytes("97 41 03 cb 41 da 55 4e 9c 06 66 66 90 90 c4 00 c4 00"));
    assert.equal(empty.tick, 3);
    assert.equal(empty.serverTime, 1767193200.1);
    assert.equal(empty.body.length + empty.poses.length, 0);
  });
});

// Each of these was produced by encodeMove/encodePose/... and accepted by the server's
// decode_client (the MOVEs on its fast path: every coordinate a Python float).
const ACCEPTED = [
  {
    what: "MOVE with integral coordinates (x = 1, y = 0) still sends float64",
    bytes: () => encodeMove({ seq: 1, x: 1, y: 0, z: -3, yaw: 0, anim: 0, flags: 0 }),
    hex: "980101cb3ff0000000000000cb0000000000000000cbc008000000000000cb00000000000000000000",
  },
  {
    what: "MOVE at the limits (seq 2^32-1, uint32; anim 255, uint8; all client flags)",
    bytes: () => encodeMove({ seq: 4294967295, x: -999999.5, y: 1e6, z: 0.03125, yaw: -3, anim: 255, flags: 15 }),
    hex: "9801ceffffffffcbc12e847f00000000cb412e848000000000cb3fa0000000000000cbc008000000000000ccff0f",
  },
  {
    what: "MOVE with seq 300 (uint16) and a yaw of 1500 rad reduced modulo 2π",
    bytes: () => encodeMove({ seq: 300, x: 1, y: 2, z: 3, yaw: 1500, anim: 200, flags: 8 }),
    hex: "9801cd012ccb3ff0000000000000cb4000000000000000cb4008000000000000cb40126857a89e13b0ccc808",
  },
  {
    what: "POSE of the worked example",
    bytes: () =>
      encodePose({
        seq: 1,
        head: [0, 1.6, 0, 0, 0, 0, 1],
        left: [-0.3, 1.2, 0.2, 0, 0, 0, 1],
        right: [0.3, 1.2, 0.2, 0, 0, 0, 1],
      }),
    hex:
      "950201" +
      "97cb0000000000000000cb3ff999999999999acb0000000000000000cb0000000000000000cb0000000000000000cb0000000000000000cb3ff0000000000000" +
      "97cbbfd3333333333333cb3ff3333333333333cb3fc999999999999acb0000000000000000cb0000000000000000cb0000000000000000cb3ff0000000000000" +
      "97cb3fd3333333333333cb3ff3333333333333cb3fc999999999999acb0000000000000000cb0000000000000000cb0000000000000000cb3ff0000000000000",
  },
  {
    what: "PING with an integral time (float64 7.0)",
    bytes: () => encodePing(7),
    hex: "9203cb401c000000000000",
  },
  {
    what: "MODERATE mute by subject with a non-ASCII reason",
    bytes: () => encodeModerate({ requestId: "mod-7f3c", action: "mute", subject: "local:loud", reason: "시끄러움 😀" }),
    hex: "9405a86d6f642d37663363a46d75746582a77375626a656374aa6c6f63616c3a6c6f7564a6726561736f6eb1ec8b9ceb8184eb9facec9b8020f09f9880",
  },
  {
    what: "MODERATE lift of the largest sanction id (a BigInt, uint64)",
    bytes: () => encodeModerate({ requestId: "x", action: "lift", sanction: 2n ** 63n - 1n }),
    hex: "9405a178a46c69667481a873616e6374696f6ecf7fffffffffffffff",
  },
  {
    what: "MODERATE lift of a sanction id past 2^53 given as a Number (still an integer)",
    bytes: () => encodeModerate({ requestId: "x", action: "lift", sanction: 2 ** 60 }),
    hex: "9405a178a46c69667481a873616e6374696f6ecf1000000000000000",
  },
];

describe("client messages the server accepts", () => {
  for (const fixture of ACCEPTED) {
    it(fixture.what, () => assert.equal(hex(fixture.bytes()), fixture.hex));
  }

  it("pulls a VR joint past 2.5 m back inside the reach and normalises quaternions", () => {
    // Accepted by decode_client as head (0, 2.499, 0) and left (2.499, 0, 0), identity/unit rotations.
    const pose = encodePose({
      seq: 70000,
      head: [0, 3, 0, 0, 0, 0, 0.9],
      left: [2.5, 0, 0, 0.5, 0.5, 0.5, 0.5],
      right: [0, 0, 0, 0, 0, 0, 1],
    });
    assert.equal(
      hex(pose).slice(0, 80),
      "9502ce0001117097cb0000000000000000cb4003fdf3b645a1cbcb0000000000000000cb00000000",
    );
  });

  it("refuses fields the server would refuse, before they cost the abuse budget", () => {
    const move = { seq: 1, x: 0, y: 0, z: 0, yaw: 0, anim: 0, flags: 0 };
    assert.throws(() => encodeMove({ ...move, seq: -1 }), RangeError);
    assert.throws(() => encodeMove({ ...move, seq: 2 ** 32 }), RangeError);
    assert.throws(() => encodeMove({ ...move, seq: 1.5 }), RangeError);
    assert.throws(() => encodeMove({ ...move, x: NaN }), RangeError);
    assert.throws(() => encodeMove({ ...move, z: 1e6 + 1 }), RangeError);
    assert.throws(() => encodeMove({ ...move, y: "1" }), TypeError);
    assert.throws(() => encodeMove({ ...move, yaw: Infinity }), RangeError);
    assert.throws(() => encodeMove({ ...move, anim: 256 }), RangeError);
    assert.throws(() => encodeMove({ ...move, flags: 0x10 }), RangeError);
    const joint = [0, 0, 0, 0, 0, 0, 1];
    assert.throws(() => encodePose({ seq: 1, head: [0, 0, 0], left: joint, right: joint }), TypeError);
    assert.throws(() => encodePose({ seq: 1, head: [0, 0, 0, 0, 0, 0, 0.1], left: joint, right: joint }), RangeError);
    assert.throws(() => encodePose({ seq: 1, head: [NaN, 0, 0, 0, 0, 0, 1], left: joint, right: joint }), RangeError);
    assert.throws(() => encodePing(1e16), RangeError);
    assert.throws(() => encodeRenew(""), TypeError);
    assert.throws(() => encodeRenew("tøken"), TypeError);
    assert.throws(() => encodeRenew("a".repeat(3073)), RangeError);
    const ban = { requestId: "r1", action: "ban", avatar: 17, reason: "spam" };
    assert.throws(() => encodeModerate({ ...ban, requestId: "renew" }), RangeError);
    assert.throws(() => encodeModerate({ ...ban, requestId: "has space" }), RangeError);
    assert.throws(() => encodeModerate({ ...ban, requestId: "a".repeat(101) }), RangeError);
    assert.throws(() => encodeModerate({ ...ban, action: "kick" }), RangeError);
    assert.throws(() => encodeModerate({ ...ban, subject: "local:x" }), TypeError);
    assert.throws(() => encodeModerate({ ...ban, avatar: undefined }), TypeError);
    assert.throws(() => encodeModerate({ ...ban, reason: "   " }), RangeError);
    assert.throws(() => encodeModerate({ ...ban, reason: "가".repeat(501) }), RangeError);
    assert.throws(() => encodeModerate({ ...ban, minutes: 0 }), RangeError);
    assert.throws(() => encodeModerate({ ...ban, minutes: 5_256_001 }), RangeError);
    assert.throws(() => encodeModerate({ requestId: "r2", action: "lift" }), RangeError);
    assert.throws(() => encodeModerate({ requestId: "r2", action: "lift", sanction: 2n ** 63n }), RangeError);
    // 500 Korean characters are 1,500 bytes but 500 characters: allowed.
    assert.ok(encodeModerate({ ...ban, reason: "가".repeat(500) }).length < 4096);
  });
});

// Server messages made by world.codec's encoders (encode_correction, encode_pong, ...).
describe("decodeServer of each server message", () => {
  it("WELCOME, as the world sends it", async () => {
    const { observers } = JSON.parse(readFileSync(new URL("./fixtures/world_frames.json", import.meta.url), "utf8"));
    const welcome = decodeServer(bytes(observers.Ara.welcome));
    assert.equal(welcome.type, "welcome");
    assert.equal(welcome.protocol, "plaza.v1");
    assert.equal(welcome.avatarId, 16);
    assert.equal(welcome.resumed, false);
    assert.deepEqual(welcome.zone, {
      name: "fixture",
      title: { en: "Fixture", ko: "시험" },
      origin: [-50, -5, -50],
      size: [100, 25, 100],
    });
    assert.equal(welcome.quantum, 0.03125);
    assert.equal(welcome.tick, 1);
    assert.equal(welcome.tickRate, 20);
    assert.equal(welcome.serverTime, 1767193200.05);
    assert.equal(welcome.maxVisible, 4);
    assert.equal(welcome.viewRadius, 60);
    assert.deepEqual(welcome.limits, {
      max_frame_bytes: 4096,
      max_name_chars: 32,
      max_speed_mps: 6,
      max_pose_reach_m: 2.5,
    });
    assert.equal(welcome.position.length, 3);
    assert.equal(typeof welcome.yaw, "number");
    assert.equal(welcome.info.avatar_id, 16);
  });

  it("CORRECTION with a uint32 seq", () => {
    assert.deepEqual(
      decodeServer(
        bytes(
          "9642ceffffffffcbc049000000000000cb4034000000000000cb4048fc0000000000b36f757473696465207a6f6e6520626f756e6473",
        ),
      ),
      { type: "correction", seq: 4294967295, x: -50, y: 20, z: 49.96875, reason: "outside zone bounds" },
    );
  });

  it("PONG echoing an integral time as a float", () => {
    assert.deepEqual(decodeServer(bytes("9343cb401c000000000000cb41da554e9c100000")), {
      type: "pong",
      clientTime: 7,
      serverTime: 1767193200.25,
    });
  });

  it("ERROR with a nil opcode", () => {
    assert.deepEqual(
      decodeServer(
        bytes(
          "944404d9346d6f7265207468616e20342072657175657374732077616974696e673b207761697420666f7220746865697220726573756c7473c0",
        ),
      ),
      {
        type: "error",
        code: ErrorCode.RATE_LIMITED,
        reason: "more than 4 requests waiting; wait for their results",
        opcode: null,
      },
    );
  });

  it("RESULT with a sanction map and with a lift", () => {
    assert.deepEqual(
      decodeServer(
        bytes(
          "9446a86d6f642d37663361c386a269642aa77375626a656374aa67756573743a39663063a46b696e64a362616ea6726561736f6ea47370616daa637265617465645f6279a96c6f63616c3a6b696daa657870697265735f6174c0",
        ),
      ),
      {
        type: "result",
        requestId: "mod-7f3a",
        ok: true,
        detail: {
          id: 42,
          subject: "guest:9f0c",
          kind: "ban",
          reason: "spam",
          created_by: "local:kim",
          expires_at: null,
        },
      },
    );
    assert.deepEqual(decodeServer(bytes("9446a86d6f642d37663362c381a66c6966746564c2")), {
      type: "result",
      requestId: "mod-7f3b",
      ok: true,
      detail: { lifted: false },
    });
  });

  it("WORLD with bin 16 rows, a uint16 tick and an appearance key named __proto__", () => {
    // world.deltas.encode_world_frame(300, 1767193200.1, [0, 253], [[5, 4294967295,
    //   {"name": "x", "appearance": {"__proto__": {"a": 1}, "constructor": 2}, "role": "admin"}]],
    //   bytes(range(10)) * 26, b"")
    const frame = decodeServer(
      bytes(
        "9741cd012ccb41da554e9c0666669200ccfd919305ceffffffff83a46e616d65a178aa617070656172616e636582" +
          "a95f5f70726f746f5f5f81a16101ab636f6e7374727563746f7202a4726f6c65a561646d696ec50104" +
          "00010203040506070809".repeat(26) +
          "c400",
      ),
    );
    assert.equal(frame.tick, 300);
    assert.deepEqual(frame.leaves, [0, 253]);
    assert.equal(frame.body.length, 260);
    assert.equal(frame.poses.length, 0);
    const [enter] = frame.enters;
    assert.equal(enter.avatarId, 4294967295);
    const appearance = enter.description.appearance;
    assert.equal(Object.getPrototypeOf(appearance), Object.prototype);
    assert.deepEqual(Object.keys(appearance), ["__proto__", "constructor"]);
    assert.deepEqual(Object.getOwnPropertyDescriptor(appearance, "__proto__").value, { a: 1 });
    assert.equal(appearance.constructor, 2);
    assert.equal({}.a, undefined);
  });

  it("refuses what is not a plaza.v1 server message", () => {
    const refuses = (text, code) =>
      assert.throws(
        () => decodeServer(bytes(text)),
        (error) => error instanceof ProtocolError && error.code === code,
      );
    refuses("92 45", ErrorCode.MALFORMED); // truncated
    refuses("92 45 cb 41 da 55 4f 7d 00 00 00 00", ErrorCode.MALFORMED); // trailing byte
    refuses("90", ErrorCode.MALFORMED); // empty array
    refuses("81 a1 61 01", ErrorCode.MALFORMED); // not an array
    refuses("91 01", ErrorCode.UNKNOWN_OPCODE); // a client opcode
    refuses("92 4c 00", ErrorCode.UNKNOWN_OPCODE); // past ALERT (75)
    refuses("93 43 cb 41 da 55 4e 9b f9 99 9a", ErrorCode.MALFORMED); // PONG missing a field
    refuses("97 41 02 cb 41 da 55 4e 9c 03 33 33 90 90 90 c4 00 c4 00", ErrorCode.MALFORMED); // wrong arity
    refuses("97 41 02 cb 41 da 55 4e 9c 03 33 33 90 90 90 c4 00", ErrorCode.MALFORMED); // body not bin
    refuses("92 45 d4 01 00", ErrorCode.MALFORMED); // ext types are not used
    refuses("92 44 a2 c3 28", ErrorCode.MALFORMED); // invalid UTF-8
  });

  it("accepts an ArrayBuffer, as the browser's WebSocket delivers", () => {
    const buffer = bytes("92 45 cb 41 da 55 4f 7d 00 00 00").buffer;
    assert.equal(decodeServer(buffer).expiresAt, 1767194100);
  });

  it("has the server's opcode and close code numbers", () => {
    assert.deepEqual(
      [Opcode.MOVE, Opcode.POSE, Opcode.PING, Opcode.RENEW, Opcode.MODERATE, Opcode.SAY, Opcode.BLOCK, Opcode.REPORT, Opcode.ZONE],
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.deepEqual(
      [Opcode.WELCOME, Opcode.WORLD, Opcode.CORRECTION, Opcode.PONG, Opcode.ERROR, Opcode.TOKEN_EXPIRING, Opcode.RESULT],
      [64, 65, 66, 67, 68, 69, 70],
    );
    assert.deepEqual([Opcode.CHAT, Opcode.ZONE_EVENT, Opcode.ENTER_ZONE], [71, 72, 73]);
    assert.deepEqual(
      [CloseCode.SLOW_CONSUMER, CloseCode.BANNED, CloseCode.TOKEN_EXPIRED, CloseCode.SESSION_REPLACED],
      [4002, 4003, 4005, 4006],
    );
  });
});
