// A small msgpack reader and writer for the plaza.v1 wire protocol (docs/protocol.md, section 3).
//
// Why not a general msgpack library for this part: @msgpack/msgpack refuses any map key
// "__proto__" and throws for the whole message. Appearance keys are chosen by users
// (PUT /api/profile accepts any 1 … 32 character key), so one user with such a key would make
// every WORLD frame that introduces them undecodable for every browser nearby. This reader
// stores such a key as an ordinary own property instead. It also hands out bin fields as
// views into the received buffer, so the 20-per-second WORLD frames copy no row bytes.
//
// The writer covers what client messages need (nil, booleans, integers, float64, str,
// bin, arrays, plain-object maps) and always picks the smallest encoding, as Python's msgpack
// does, so our bytes equal the server's reference encoder's (world/codec.py encode_client).

/** A message that is not valid msgpack, or breaks one of the reader's limits. */
export class MsgpackError extends Error {
  constructor(message) {
    super(message);
    this.name = "MsgpackError";
  }
}

/**
 * Limits for server messages, as generous as the Python client's (world/codec.py
 * _SERVER_MAX_BIN, _SERVER_MAX_ARRAY): a WORLD frame holds at most 254 slots of rows.
 */
export const SERVER_LIMITS = Object.freeze({
  maxBinBytes: 1 << 20,
  maxStrBytes: 1 << 20,
  maxArrayLength: 4096,
  maxMapLength: 4096,
  // The deepest server value is a WORLD enter's appearance: frame > enters > enter >
  // description > appearance. Anything much deeper is not ours, and recursion must stop.
  maxDepth: 16,
});

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

/**
 * Decode exactly one msgpack value from `bytes` (trailing bytes are an error).
 * Maps become plain objects, bin becomes a Uint8Array view into `bytes`, integers beyond
 * 2^53 become BigInt (exact) and the rest Numbers.
 * @param {Uint8Array} bytes
 * @param {typeof SERVER_LIMITS} [limits]
 * @returns {unknown}
 */
export function decodeMsgpack(bytes, limits = SERVER_LIMITS) {
  const reader = new Reader(bytes, limits);
  const value = reader.value(0);
  if (reader.pos !== bytes.length) {
    throw new MsgpackError(`${bytes.length - reader.pos} trailing bytes after the message`);
  }
  return value;
}

class Reader {
  constructor(bytes, limits) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
    this.limits = limits;
  }

  need(n) {
    if (this.pos + n > this.bytes.length) throw new MsgpackError("truncated message");
  }

  value(depth) {
    if (depth > this.limits.maxDepth) throw new MsgpackError("nested too deeply");
    this.need(1);
    const b = this.bytes[this.pos++];
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b >= 0xa0 && b <= 0xbf) return this.str(b & 0x1f);
    if (b >= 0x90 && b <= 0x9f) return this.array(b & 0x0f, depth);
    if (b >= 0x80 && b <= 0x8f) return this.map(b & 0x0f, depth);
    const v = this.view;
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.bin(this.uint(1));
      case 0xc5:
        return this.bin(this.uint(2));
      case 0xc6:
        return this.bin(this.uint(4));
      case 0xca:
        this.need(4);
        this.pos += 4;
        return v.getFloat32(this.pos - 4);
      case 0xcb:
        this.need(8);
        this.pos += 8;
        return v.getFloat64(this.pos - 8);
      case 0xcc:
        return this.uint(1);
      case 0xcd:
        return this.uint(2);
      case 0xce:
        return this.uint(4);
      case 0xcf:
        this.need(8);
        this.pos += 8;
        return narrow(v.getBigUint64(this.pos - 8));
      case 0xd0:
        this.need(1);
        return v.getInt8(this.pos++);
      case 0xd1:
        this.need(2);
        this.pos += 2;
        return v.getInt16(this.pos - 2);
      case 0xd2:
        this.need(4);
        this.pos += 4;
        return v.getInt32(this.pos - 4);
      case 0xd3:
        this.need(8);
        this.pos += 8;
        return narrow(v.getBigInt64(this.pos - 8));
      case 0xd9:
        return this.str(this.uint(1));
      case 0xda:
        return this.str(this.uint(2));
      case 0xdb:
        return this.str(this.uint(4));
      case 0xdc:
        return this.array(this.uint(2), depth);
      case 0xdd:
        return this.array(this.uint(4), depth);
      case 0xde:
        return this.map(this.uint(2), depth);
      case 0xdf:
        return this.map(this.uint(4), depth);
      default:
        // 0xc1 is never used; 0xc7-0xc9 and 0xd4-0xd8 are ext types, which plaza.v1 has none of.
        throw new MsgpackError(`unsupported msgpack type 0x${b.toString(16)}`);
    }
  }

  uint(n) {
    this.need(n);
    const v = this.view;
    const at = this.pos;
    this.pos += n;
    if (n === 1) return this.bytes[at];
    if (n === 2) return v.getUint16(at);
    return v.getUint32(at);
  }

  str(n) {
    if (n > this.limits.maxStrBytes) throw new MsgpackError(`str of ${n} bytes is too long`);
    this.need(n);
    const start = this.pos;
    this.pos += n;
    try {
      return utf8Decoder.decode(this.bytes.subarray(start, start + n));
    } catch {
      throw new MsgpackError("str is not valid UTF-8");
    }
  }

  bin(n) {
    if (n > this.limits.maxBinBytes) throw new MsgpackError(`bin of ${n} bytes is too long`);
    this.need(n);
    this.pos += n;
    return this.bytes.subarray(this.pos - n, this.pos);
  }

  array(n, depth) {
    if (n > this.limits.maxArrayLength) throw new MsgpackError(`array of ${n} is too long`);
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.value(depth + 1);
    return out;
  }

  map(n, depth) {
    if (n > this.limits.maxMapLength) throw new MsgpackError(`map of ${n} is too long`);
    const out = {};
    for (let i = 0; i < n; i++) {
      const key = this.value(depth + 1);
      if (typeof key !== "string" && typeof key !== "number") {
        throw new MsgpackError("map keys must be strings or numbers");
      }
      const item = this.value(depth + 1);
      if (key === "__proto__") {
        // Plain assignment would try to replace the prototype; keep it as data instead.
        Object.defineProperty(out, key, {
          value: item,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        out[key] = item;
      }
    }
    return out;
  }
}

function narrow(big) {
  const n = Number(big);
  return Number.isSafeInteger(n) ? n : big;
}

/**
 * Appends msgpack values to a growing buffer. Integral Numbers are written as integers and
 * the rest as float64; use `float64` where the contract wants a float whatever the value.
 */
export class MsgpackWriter {
  constructor(capacity = 64) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
    this.length = 0;
  }

  reserve(n) {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.bytes.subarray(0, this.length));
    this.bytes = bigger;
    this.view = new DataView(bigger.buffer);
  }

  /** The bytes written so far, as a new array the caller owns. */
  finish() {
    return this.bytes.slice(0, this.length);
  }

  byte(b) {
    this.reserve(1);
    this.bytes[this.length++] = b;
  }

  arrayHeader(n) {
    if (n < 16) this.byte(0x90 | n);
    else if (n < 0x10000) {
      this.byte(0xdc);
      this.reserve(2);
      this.view.setUint16(this.length, n);
      this.length += 2;
    } else {
      this.byte(0xdd);
      this.reserve(4);
      this.view.setUint32(this.length, n);
      this.length += 4;
    }
  }

  mapHeader(n) {
    if (n < 16) this.byte(0x80 | n);
    else if (n < 0x10000) {
      this.byte(0xde);
      this.reserve(2);
      this.view.setUint16(this.length, n);
      this.length += 2;
    } else {
      this.byte(0xdf);
      this.reserve(4);
      this.view.setUint32(this.length, n);
      this.length += 4;
    }
  }

  /** An integer (Number within the safe range, or BigInt) in its smallest encoding. */
  int(value) {
    if (typeof value === "bigint") {
      if (value >= -(2n ** 31n) && value < 2n ** 32n) {
        this.int(Number(value));
        return;
      }
      this.reserve(9);
      if (value >= 0n) {
        this.bytes[this.length] = 0xcf;
        this.view.setBigUint64(this.length + 1, value);
      } else {
        this.bytes[this.length] = 0xd3;
        this.view.setBigInt64(this.length + 1, value);
      }
      this.length += 9;
      return;
    }
    this.reserve(9);
    const v = this.view; // after reserve(), which may have replaced the buffer
    const at = this.length;
    if (value >= 0) {
      if (value < 0x80) {
        this.bytes[at] = value;
        this.length += 1;
      } else if (value < 0x100) {
        this.bytes[at] = 0xcc;
        this.bytes[at + 1] = value;
        this.length += 2;
      } else if (value < 0x10000) {
        this.bytes[at] = 0xcd;
        v.setUint16(at + 1, value);
        this.length += 3;
      } else if (value < 0x100000000) {
        this.bytes[at] = 0xce;
        v.setUint32(at + 1, value);
        this.length += 5;
      } else {
        this.bytes[at] = 0xcf;
        v.setBigUint64(at + 1, BigInt(value));
        this.length += 9;
      }
    } else if (value >= -32) {
      this.bytes[at] = value & 0xff;
      this.length += 1;
    } else if (value >= -0x80) {
      this.bytes[at] = 0xd0;
      v.setInt8(at + 1, value);
      this.length += 2;
    } else if (value >= -0x8000) {
      this.bytes[at] = 0xd1;
      v.setInt16(at + 1, value);
      this.length += 3;
    } else if (value >= -0x80000000) {
      this.bytes[at] = 0xd2;
      v.setInt32(at + 1, value);
      this.length += 5;
    } else {
      this.bytes[at] = 0xd3;
      v.setBigInt64(at + 1, BigInt(value));
      this.length += 9;
    }
  }

  /** A float64 (0xcb), even for integral values such as 1. */
  float64(value) {
    this.reserve(9);
    this.bytes[this.length] = 0xcb;
    this.view.setFloat64(this.length + 1, value);
    this.length += 9;
  }

  str(value) {
    const encoded = utf8Encoder.encode(value);
    const n = encoded.length;
    if (n < 32) this.byte(0xa0 | n);
    else if (n < 0x100) {
      this.byte(0xd9);
      this.byte(n);
    } else if (n < 0x10000) {
      this.byte(0xda);
      this.reserve(2);
      this.view.setUint16(this.length, n);
      this.length += 2;
    } else {
      this.byte(0xdb);
      this.reserve(4);
      this.view.setUint32(this.length, n);
      this.length += 4;
    }
    this.reserve(n);
    this.bytes.set(encoded, this.length);
    this.length += n;
  }

  bin(value) {
    const n = value.length;
    if (n < 0x100) {
      this.byte(0xc4);
      this.byte(n);
    } else if (n < 0x10000) {
      this.byte(0xc5);
      this.reserve(2);
      this.view.setUint16(this.length, n);
      this.length += 2;
    } else {
      this.byte(0xc6);
      this.reserve(4);
      this.view.setUint32(this.length, n);
      this.length += 4;
    }
    this.reserve(n);
    this.bytes.set(value, this.length);
    this.length += n;
  }

  /**
   * Any supported value: null/undefined, boolean, number, bigint, string, Uint8Array (bin),
   * array, plain object (map).
   */
  value(value) {
    if (value === null || value === undefined) this.byte(0xc0);
    else if (value === true) this.byte(0xc3);
    else if (value === false) this.byte(0xc2);
    else if (typeof value === "number") {
      // Integers past 2^53 cannot be told from floats here: pass those as BigInt.
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) this.int(value);
      else this.float64(value);
    } else if (typeof value === "bigint") this.int(value);
    else if (typeof value === "string") this.str(value);
    else if (value instanceof Uint8Array) this.bin(value);
    else if (Array.isArray(value)) {
      this.arrayHeader(value.length);
      for (const item of value) this.value(item);
    } else if (typeof value === "object") {
      const keys = Object.keys(value);
      this.mapHeader(keys.length);
      for (const key of keys) {
        this.str(key);
        this.value(value[key]);
      }
    } else {
      throw new TypeError(`cannot encode a ${typeof value} as msgpack`);
    }
  }
}

/**
 * Encode one value with `MsgpackWriter.value` and return the bytes.
 * @param {unknown} value
 * @returns {Uint8Array}
 */
export function encodeMsgpack(value) {
  const writer = new MsgpackWriter();
  writer.value(value);
  return writer.finish();
}
