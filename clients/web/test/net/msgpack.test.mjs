// The msgpack reader and writer against Python's msgpack (the server's): the same values
// encode to the same bytes (smallest encodings), and every type decodes.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { MsgpackError, SERVER_LIMITS, decodeMsgpack, encodeMsgpack } from "../../src/net/msgpack.js";

const hex = (bytes) => Buffer.from(bytes).toString("hex");
const bytes = (text) => new Uint8Array(Buffer.from(text, "hex"));

// msgpack.packb(VALUE, use_bin_type=True).hex() in Python, for the VALUE built below.
const PYTHON_HEX =
  "dc0023007fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000cf0020000000000000" +
  "cfffffffffffffffffffe0d0dfd080d1ff7fd18000d2ffff7fffd280000000d3ffffffff7fffffffd38000000000000000" +
  "cb3ff8000000000000cb8000000000000000cb7e37e43c8800759ca0" +
  "bf" + "61".repeat(31) + "d920" + "61".repeat(32) + "da0100" + "61".repeat(256) +
  "a9c3a9ed959cf09f9880" + "c400" + "c50100" + "78".repeat(256) + "93c0c3c281a16b01" +
  "dc0010000102030405060708090a0b0c0d0e0f" +
  "de0010a13000a13101a13202a13303a13404a13505a13606a13707a13808a13909a231300aa231310ba231320ca231330da231340ea231350f";

const VALUE = [
  0, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2n ** 53n, 2n ** 64n - 1n,
  -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -(2n ** 63n),
  1.5, -0, 1e300,
  "", "a".repeat(31), "a".repeat(32), "a".repeat(256), "é한😀",
  new Uint8Array(0), new Uint8Array(256).fill(0x78),
  [null, true, false], { k: 1 },
  Array.from({ length: 16 }, (_, i) => i),
  Object.fromEntries(Array.from({ length: 16 }, (_, i) => [String(i), i])),
];

describe("msgpack", () => {
  it("writes what Python's msgpack writes", () => {
    assert.equal(hex(encodeMsgpack(VALUE)), PYTHON_HEX);
  });

  it("reads what Python's msgpack writes", () => {
    const decoded = decodeMsgpack(bytes(PYTHON_HEX));
    // Integers beyond 2^53 come back exact, as BigInt; the rest as Numbers.
    const expected = VALUE.map((v) => (typeof v === "bigint" && v >= -(2n ** 31n) && v < 2n ** 32n ? Number(v) : v));
    assert.deepEqual(decoded, expected);
    assert.ok(Object.is(decoded[22], -0));
  });

  it("reads float32, and the 32-bit length forms", () => {
    assert.equal(decodeMsgpack(bytes("ca3fc00000")), 1.5);
    assert.equal(decodeMsgpack(bytes("db00000003616263")), "abc");
    assert.deepEqual(decodeMsgpack(bytes("c600000002abcd")), Uint8Array.of(0xab, 0xcd));
    assert.deepEqual(decodeMsgpack(bytes("dd0000000101")), [1]);
    assert.deepEqual(decodeMsgpack(bytes("df00000001a16101")), { a: 1 });
  });

  it("hands out bin as a view, without copying", () => {
    const data = bytes("92c4020102c0");
    const [bin] = decodeMsgpack(data);
    assert.equal(bin.buffer, data.buffer);
  });

  it("keeps a __proto__ key as data, leaving the prototype alone", () => {
    const map = decodeMsgpack(bytes("82a95f5f70726f746f5f5f81a178c3a178c2"));
    assert.equal(Object.getPrototypeOf(map), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(map, "__proto__").value, { x: true });
    assert.equal(map.x, false);
  });

  it("refuses what it cannot read", () => {
    const refuses = (text) => assert.throws(() => decodeMsgpack(bytes(text)), MsgpackError);
    refuses(""); // nothing
    refuses("c1"); // never used
    refuses("d40100"); // fixext
    refuses("cb3ff8"); // truncated float
    refuses("a3616263ff"); // trailing byte
    refuses("a2c328"); // invalid UTF-8
    refuses("81c001"); // nil key
    refuses("91".repeat(21) + "90"); // nested too deep
    assert.throws(() => decodeMsgpack(bytes("c6001000010000"), SERVER_LIMITS), /too long/);
  });

  it("refuses to write what msgpack cannot hold", () => {
    assert.throws(() => encodeMsgpack(() => 1), TypeError);
    assert.throws(() => encodeMsgpack(Symbol("x")), TypeError);
  });
});
