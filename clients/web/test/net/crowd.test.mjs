// The festival's crowd messages (REACT, STAGE) and the emergency ALERT against bytes made by
// the server's own codec (world/codec_stage.py, world/codec_alert.py).

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Opcode, ProtocolError, ReactionKind, decodeServer, encodeReact } from "../../src/net/codec.js";

const bytes = (text) => new Uint8Array(Buffer.from(text, "hex"));
const hex = (data) => Buffer.from(data).toString("hex");

// encode_stage(42, [performer 300 without a pose, performer 7 with one], [3,1,0], [120,40,9])
const STAGE =
  "944a2a9293cd012cc409000102030405060708c09307c409000102030405060708c41e000102030405060708" +
  "090a0b0c0d0e0f101112131415161718191a1b1c1d929303010093782809";

describe("the crowd's messages", () => {
  it("REACT is the bytes world.codec_stage.encode_react makes", () => {
    assert.equal(hex(encodeReact(ReactionKind.HEART)), "920a02");
    assert.throws(() => encodeReact(3), RangeError);
  });

  it("STAGE gives the performers out of view and the counts", () => {
    const stage = decodeServer(bytes(STAGE));
    assert.equal(stage.type, "stage");
    assert.equal(stage.tick, 42);
    assert.deepEqual(
      stage.performers.map((p) => [p.avatarId, p.body.length, p.pose?.length ?? null]),
      [
        [300, 9, null],
        [7, 9, 30],
      ],
    );
    assert.deepEqual(stage.here, [3, 1, 0]);
    assert.deepEqual(stage.zone, [120, 40, 9]);
    const empty = decodeServer(bytes("944a2b90929300000093050000"));
    assert.deepEqual([empty.performers, empty.zone], [[], [5, 0, 0]]);
  });

  it("a STAGE without its counts is refused", () => {
    assert.throws(() => decodeServer(bytes("934a2b90")), ProtocolError);
  });

  it("ALERT carries one reader's alert", () => {
    const alert = decodeServer(
      bytes(
        "924b86a2696401a57469746c65a6eb8c80ed94bca4626f6479a54c65617665a5696d616765c0a66c6f63616c65" +
          "a26b6fa773656e745f6174cb3ff8000000000000",
      ),
    );
    assert.equal(alert.type, "alert");
    assert.deepEqual(alert.alert, { id: 1, title: "대피", body: "Leave", image: null, locale: "ko", sent_at: 1.5 });
    assert.equal(Opcode.ALERT, 75);
  });
});
