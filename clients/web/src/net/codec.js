// The plaza.v1 message codec for the browser: client messages to bytes, server bytes to
// plain objects. docs/protocol.md is the contract; world/codec.py is the server's side.
//
// Encoders check each field against the same rules the server's decode_client applies and
// throw before sending: every refused message costs the connection 5 units of its abuse
// budget (docs/protocol.md section 13), so at 20 MOVEs a second a bad field would get the
// connection closed with 1008 in half a second. Where a value is only slightly out of range
// in a way a tracker produces (a VR hand a little past reach, a quaternion of length 0.99),
// the encoder brings it into range instead, since the server would quantise it anyway.

import { MsgpackError, MsgpackWriter, decodeMsgpack } from "./msgpack.js";

/** Message opcodes (world/protocol.py Opcode). Client to server below 64. */
export const Opcode = Object.freeze({
  MOVE: 1,
  POSE: 2,
  PING: 3,
  RENEW: 4,
  MODERATE: 5,
  SAY: 6,
  BLOCK: 7,
  REPORT: 8,
  ZONE: 9,
  REACT: 10,
  WELCOME: 64,
  WORLD: 65,
  CORRECTION: 66,
  PONG: 67,
  ERROR: 68,
  TOKEN_EXPIRING: 69,
  RESULT: 70,
  CHAT: 71,
  ZONE_EVENT: 72,
  ENTER_ZONE: 73,
  STAGE: 74,
  ALERT: 75,
});

/** REACT kinds (world/protocol.py ReactionKind): a crowd's cheer, clap or heart. */
export const ReactionKind = Object.freeze({ CHEER: 0, CLAP: 1, HEART: 2 });

/** WebSocket close codes the server uses (world/protocol.py CloseCode, docs section 15). */
export const CloseCode = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  ABNORMAL: 1006, // reported by the browser when the socket ended without a close frame
  INVALID_DATA: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  SLOW_CONSUMER: 4002,
  BANNED: 4003,
  TOKEN_EXPIRED: 4005,
  SESSION_REPLACED: 4006,
});

/** Codes carried by an ERROR message (world/protocol.py ErrorCode); the connection stays open. */
export const ErrorCode = Object.freeze({
  MALFORMED: 1,
  UNKNOWN_OPCODE: 2,
  BAD_FIELD: 3,
  RATE_LIMITED: 4,
  NOT_ALLOWED: 5,
  INBOX_FULL: 6,
});

/** Bits of an avatar's flags byte (world/protocol.py AvatarFlag). */
export const AvatarFlag = Object.freeze({ VR: 0x01, SEATED: 0x02, SPEAKING: 0x04, AWAY: 0x08 });

/** The WebSocket subprotocol to offer. */
export const SUBPROTOCOL = "plaza.v1";
/** Bits a client may set on its own avatar; the rest belong to the server. */
export const FLAG_MASK_CLIENT = 0x0f;
/** Largest client message the server reads; anything bigger closes the socket with 1009. */
export const MAX_CLIENT_FRAME_BYTES = 4096;
/** Longest RENEW token, in bytes (ASCII). */
export const MAX_TOKEN_FIELD_BYTES = 3072;
/** Longest request id (MODERATE, SAY, BLOCK, REPORT, ZONE), in characters. */
export const MAX_REQUEST_ID_CHARS = 100;
/** Longest sanction reason, in characters. */
export const MAX_REASON_CHARS = 500;
/** Longest sanction subject (a user id), in characters. */
export const MAX_SUBJECT_CHARS = 200;
/** Longest sanction: ten years (server/moderation.py MAX_SANCTION_MINUTES). */
export const MAX_SANCTION_MINUTES = 5_256_000;
/** Farthest a VR joint may be from the avatar's root, in metres. */
export const MAX_POSE_REACH_M = 2.5;
/** The request id a RENEW's RESULT carries; MODERATE may not use it. */
export const RENEW_REQUEST_ID = "renew";
/** MODERATE actions. */
export const MODERATE_ACTIONS = Object.freeze(["ban", "mute", "lift"]);
/** Longest chat line, in characters (after trimming). */
export const MAX_CHAT_CHARS = 300;
/** Longest ZONE message type, in characters. */
export const MAX_ZONE_TYPE_CHARS = 40;
/**
 * Where a SAY goes: avatars within hearing distance, the whole zone instance (staff,
 * organizers, moderators, admins and guides only), or one avatar.
 */
export const CHAT_CHANNELS = Object.freeze(["near", "zone", "direct"]);

const U32_MAX = 0xffffffff;
const COORD_BOUND = 1e6;
const YAW_BOUND = 1e3;
const CLIENT_TIME_BOUND = 1e15;
const SANCTION_ID_MAX = 2n ** 63n - 1n;
// A clamped joint lands 1 mm inside the reach, so float rounding of its length can never
// put it past the server's bound (which compares the float64 length with 2.5 exactly).
const POSE_REACH_CLAMP_M = MAX_POSE_REACH_M - 0.001;
// Quaternion lengths the server accepts (world/codec.py _joint); outside this a value is
// not a rotation at all, and normalising it would hide a bug.
const MIN_QUAT_LENGTH = 0.5;
const MAX_QUAT_LENGTH = 1.5;
const TWO_PI = 2 * Math.PI;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]+$/;
// Control characters other than newline and tab (world/codec_social.py _CONTROL): a line
// holding them could rewrite a chat panel, so the server refuses it.
const CONTROL_PATTERN = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]/;
const ZONE_TYPE_PATTERN = new RegExp(`^[a-z][a-z0-9_.-]{0,${MAX_ZONE_TYPE_CHARS - 1}}$`);
// fixarray(8), opcode, seq (at most uint32: 5 bytes), four float64s, anim and flags (2 each).
const MOVE_MAX_BYTES = 1 + 1 + 5 + 4 * 9 + 2 + 2;
const POSE_MAX_BYTES = 1 + 1 + 5 + 3 * (1 + 7 * 9);

/**
 * A server message that does not fit the contract, or a refused field (`code` is an
 * ErrorCode).
 */
export class ProtocolError extends Error {
  constructor(code, message, opcode = null) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
    this.opcode = opcode;
  }
}

function checkUint(value, name, max) {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer 0..${max}`);
  }
  return value;
}

function checkReal(value, name, bound) {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number`);
  if (!Number.isFinite(value) || Math.abs(value) > bound) {
    throw new RangeError(`${name} must be finite and within ±${bound}`);
  }
  return value;
}

function codePoints(text) {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function checkText(value, name, maxChars) {
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(`${name} must be a non-empty string`);
  }
  if (codePoints(value) > maxChars) throw new RangeError(`${name} longer than ${maxChars} characters`);
  return value;
}

/** Write an unsigned integer in msgpack's smallest encoding (as the server's encoder does). */
function writeUint(bytes, view, at, value) {
  if (value < 0x80) {
    bytes[at] = value;
    return at + 1;
  }
  if (value < 0x100) {
    bytes[at] = 0xcc;
    bytes[at + 1] = value;
    return at + 2;
  }
  if (value < 0x10000) {
    bytes[at] = 0xcd;
    view.setUint16(at + 1, value);
    return at + 3;
  }
  bytes[at] = 0xce;
  view.setUint32(at + 1, value);
  return at + 5;
}

function writeFloat64(bytes, view, at, value) {
  bytes[at] = 0xcb;
  view.setFloat64(at + 1, value);
  return at + 9;
}

/**
 * MOVE `[1, seq, x, y, z, yaw, anim, flags]`: where your avatar is now (metres, zone
 * coordinates; yaw in radians). Coordinates and yaw always go out as float64, also when
 * integral (x = 1), so the server takes its fast path for the message sent 20 times a second.
 * A yaw past ±1000 rad (one that kept accumulating turns) is reduced modulo 2π.
 * @param {{seq: number, x: number, y: number, z: number, yaw?: number, anim?: number, flags?: number}} move
 * @returns {Uint8Array}
 */
export function encodeMove({ seq, x, y, z, yaw = 0, anim = 0, flags = 0 }) {
  checkUint(seq, "seq", U32_MAX);
  checkReal(x, "x", COORD_BOUND);
  checkReal(y, "y", COORD_BOUND);
  checkReal(z, "z", COORD_BOUND);
  if (typeof yaw !== "number" || !Number.isFinite(yaw)) throw new RangeError("yaw must be finite");
  if (Math.abs(yaw) > YAW_BOUND) yaw %= TWO_PI;
  checkUint(anim, "anim", 255);
  checkUint(flags, "flags", 255);
  if (flags & ~FLAG_MASK_CLIENT) throw new RangeError("flags may only use bits 0x0f");
  const bytes = new Uint8Array(MOVE_MAX_BYTES);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x98;
  bytes[1] = Opcode.MOVE;
  let at = writeUint(bytes, view, 2, seq);
  at = writeFloat64(bytes, view, at, x);
  at = writeFloat64(bytes, view, at, y);
  at = writeFloat64(bytes, view, at, z);
  at = writeFloat64(bytes, view, at, yaw);
  at = writeUint(bytes, view, at, anim);
  at = writeUint(bytes, view, at, flags);
  return bytes.subarray(0, at);
}

function writeJoint(bytes, view, at, joint, name) {
  if (!joint || joint.length !== 7) throw new TypeError(`${name} must be [dx, dy, dz, qx, qy, qz, qw]`);
  let dx = joint[0];
  let dy = joint[1];
  let dz = joint[2];
  for (const d of [dx, dy, dz]) {
    if (typeof d !== "number" || !Number.isFinite(d)) throw new RangeError(`${name} offset must be finite`);
  }
  const reach = Math.sqrt(dx * dx + dy * dy + dz * dz);
  if (reach > POSE_REACH_CLAMP_M) {
    const scale = POSE_REACH_CLAMP_M / reach;
    dx *= scale;
    dy *= scale;
    dz *= scale;
  }
  let qx = joint[3];
  let qy = joint[4];
  let qz = joint[5];
  let qw = joint[6];
  for (const q of [qx, qy, qz, qw]) {
    if (typeof q !== "number" || !Number.isFinite(q)) throw new RangeError(`${name} rotation must be finite`);
  }
  const length = Math.sqrt(qx * qx + qy * qy + qz * qz + qw * qw);
  if (!(length >= MIN_QUAT_LENGTH && length <= MAX_QUAT_LENGTH)) {
    throw new RangeError(`${name} rotation must be a unit quaternion (length ${length})`);
  }
  qx /= length;
  qy /= length;
  qz /= length;
  qw /= length;
  bytes[at++] = 0x97;
  at = writeFloat64(bytes, view, at, dx);
  at = writeFloat64(bytes, view, at, dy);
  at = writeFloat64(bytes, view, at, dz);
  at = writeFloat64(bytes, view, at, qx);
  at = writeFloat64(bytes, view, at, qy);
  at = writeFloat64(bytes, view, at, qz);
  return writeFloat64(bytes, view, at, qw);
}

/**
 * POSE `[2, seq, head, left, right]`: VR head and hands, each `[dx, dy, dz, qx, qy, qz, qw]`
 * (offset in metres from the avatar's root along world axes, then a rotation quaternion).
 * Offsets past the 2.5 m reach are pulled in to it and quaternions are normalised.
 * @param {{seq: number, head: ArrayLike<number>, left: ArrayLike<number>, right: ArrayLike<number>}} pose
 * @returns {Uint8Array}
 */
export function encodePose({ seq, head, left, right }) {
  checkUint(seq, "seq", U32_MAX);
  const bytes = new Uint8Array(POSE_MAX_BYTES);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x95;
  bytes[1] = Opcode.POSE;
  let at = writeUint(bytes, view, 2, seq);
  at = writeJoint(bytes, view, at, head, "head");
  at = writeJoint(bytes, view, at, left, "left");
  at = writeJoint(bytes, view, at, right, "right");
  return bytes.subarray(0, at);
}

/**
 * PING `[3, client_time]`. The time goes out as float64 because PONG echoes it as one and
 * replies are matched by comparing the two floats.
 * @param {number} clientTime
 * @returns {Uint8Array}
 */
export function encodePing(clientTime) {
  checkReal(clientTime, "clientTime", CLIENT_TIME_BOUND);
  const bytes = new Uint8Array(11);
  bytes[0] = 0x92;
  bytes[1] = Opcode.PING;
  writeFloat64(bytes, new DataView(bytes.buffer), 2, clientTime);
  return bytes;
}

/**
 * RENEW `[4, token]`: carry on with a fresh access token for the same user.
 * @param {string} token
 * @returns {Uint8Array}
 */
export function encodeRenew(token) {
  if (typeof token !== "string" || token.length === 0 || !/^[\x00-\x7f]*$/.test(token)) {
    throw new TypeError("token must be a non-empty ASCII string");
  }
  if (token.length > MAX_TOKEN_FIELD_BYTES) {
    throw new RangeError(`token longer than ${MAX_TOKEN_FIELD_BYTES} bytes`);
  }
  const writer = new MsgpackWriter(token.length + 8);
  writer.arrayHeader(2);
  writer.int(Opcode.RENEW);
  writer.str(token);
  return writer.finish();
}

/**
 * MODERATE `[5, request_id, action, args]`: ban or mute a user (by `avatar` id or by
 * `subject`), or lift a sanction (by `sanction` id). `requestId` is the idempotency key:
 * make one per intended action and resend with the same one after a lost reply.
 * @param {{requestId: string, action: "ban"|"mute"|"lift", avatar?: number, subject?: string,
 *   reason?: string, minutes?: number|null, sanction?: number|bigint}} request
 * @returns {Uint8Array}
 */
export function encodeModerate({ requestId, action, avatar, subject, reason, minutes, sanction }) {
  checkRequestId(requestId);
  if (!MODERATE_ACTIONS.includes(action)) {
    throw new RangeError(`action must be one of ${MODERATE_ACTIONS.join(", ")}`);
  }
  // Key order follows the server's own encoder, so the bytes match docs/protocol.md.
  const args = {};
  if (action === "lift") {
    const id = typeof sanction === "bigint" ? sanction : Number.isInteger(sanction) ? BigInt(sanction) : null;
    if (id === null || id < 0n || id > SANCTION_ID_MAX) {
      throw new RangeError(`sanction must be an integer 0..${SANCTION_ID_MAX}`);
    }
    // As BigInt, so an id past 2^53 still goes out as an integer, never as a float.
    args.sanction = id;
  } else {
    const hasAvatar = avatar !== undefined && avatar !== null;
    const hasSubject = subject !== undefined && subject !== null;
    if (hasAvatar === hasSubject) throw new TypeError("give exactly one of avatar and subject");
    if (hasAvatar) args.avatar = checkUint(avatar, "avatar", U32_MAX);
    else args.subject = checkText(subject, "subject", MAX_SUBJECT_CHARS);
    checkText(reason, "reason", MAX_REASON_CHARS);
    if (reason.trim() === "") throw new RangeError("a reason is required");
    args.reason = reason;
    if (minutes !== undefined && minutes !== null) {
      args.minutes = checkUint(minutes, "minutes", MAX_SANCTION_MINUTES);
      if (minutes < 1) throw new RangeError(`minutes must be within 1..${MAX_SANCTION_MINUTES}, or omitted`);
    }
  }
  const writer = new MsgpackWriter(128);
  writer.value([Opcode.MODERATE, requestId, action, args]);
  return writer.finish();
}

function checkRequestId(requestId) {
  checkText(requestId, "requestId", MAX_REQUEST_ID_CHARS);
  if (!REQUEST_ID_PATTERN.test(requestId)) {
    throw new RangeError("requestId may hold only letters, digits and . _ : -");
  }
  if (requestId === RENEW_REQUEST_ID) {
    throw new RangeError(`requestId "${RENEW_REQUEST_ID}" is reserved for RENEW`);
  }
  return requestId;
}

function checkAvatar(value, name) {
  if (!Number.isInteger(value) || value < 1 || value > U32_MAX) {
    throw new RangeError(`${name} must be an avatar id 1..${U32_MAX}`);
  }
  return value;
}

/**
 * Text a person reads (a chat line, a report's reason): trimmed as the server trims it,
 * then 1 … `maxChars` characters without control characters (newline and tab are fine).
 */
function readableText(value, name, maxChars) {
  if (typeof value !== "string") throw new TypeError(`${name} must be a string`);
  const text = value.trim();
  if (text === "") throw new RangeError(`${name} is empty`);
  if (codePoints(text) > maxChars) throw new RangeError(`${name} longer than ${maxChars} characters`);
  if (CONTROL_PATTERN.test(text)) throw new RangeError(`${name} contains control characters`);
  return text;
}

function finishSmall(writer) {
  const bytes = writer.finish();
  if (bytes.length > MAX_CLIENT_FRAME_BYTES) {
    throw new RangeError(`message of ${bytes.length} bytes; the server reads at most ${MAX_CLIENT_FRAME_BYTES}`);
  }
  return bytes;
}

/**
 * SAY `[6, request_id, channel, text, to]`: a chat line to those near (`"near"`), to the
 * whole zone instance (`"zone"`: staff, organizers, moderators, admins and guides), or to
 * one avatar (`"direct"`, with `to`). The text goes out trimmed. The speaker gets the line
 * back as CHAT carrying `requestId`; a refusal (muted, too fast, not allowed) comes as a
 * RESULT with `ok` false and the reason.
 * @param {{requestId: string, channel?: "near"|"zone"|"direct", text: string, to?: number|null}} say
 * @returns {Uint8Array}
 */
export function encodeSay({ requestId, channel = "near", text, to = null }) {
  checkRequestId(requestId);
  if (!CHAT_CHANNELS.includes(channel)) throw new RangeError(`channel must be one of ${CHAT_CHANNELS.join(", ")}`);
  const line = readableText(text, "text", MAX_CHAT_CHARS);
  if (channel === "direct") checkAvatar(to, "to");
  else if (to !== null && to !== undefined) throw new RangeError(`to must be null for channel "${channel}"`);
  const writer = new MsgpackWriter(64 + 4 * line.length);
  writer.value([Opcode.SAY, requestId, channel, line, channel === "direct" ? to : null]);
  return finishSmall(writer);
}

/**
 * REACT `[10, kind]`: a cheer, clap or heart (ReactionKind), counted per tick by the zone
 * and shown to everyone as counts in STAGE; a few a second at most.
 * @param {number} kind
 */
export function encodeReact(kind) {
  if (!Object.values(ReactionKind).includes(kind)) throw new RangeError("kind must be 0 (cheer), 1 (clap) or 2 (heart)");
  const writer = new MsgpackWriter(8);
  writer.value([Opcode.REACT, kind]);
  return finishSmall(writer);
}

/**
 * BLOCK `[7, request_id, avatar_id, blocked]`: stop (`blocked` true) or resume seeing the
 * chat of the user behind an avatar. The RESULT comes once the change is saved.
 * @param {{requestId: string, avatar: number, blocked?: boolean}} block
 * @returns {Uint8Array}
 */
export function encodeBlock({ requestId, avatar, blocked = true }) {
  checkRequestId(requestId);
  checkAvatar(avatar, "avatar");
  if (typeof blocked !== "boolean") throw new TypeError("blocked must be true or false");
  const writer = new MsgpackWriter(128);
  writer.value([Opcode.BLOCK, requestId, avatar, blocked]);
  return finishSmall(writer);
}

/**
 * REPORT `[8, request_id, avatar_id, reason]`: tell the moderators about the user behind an
 * avatar; the reason (1 … 500 characters) goes out trimmed. The RESULT comes once the
 * report is stored.
 * @param {{requestId: string, avatar: number, reason: string}} report
 * @returns {Uint8Array}
 */
export function encodeReport({ requestId, avatar, reason }) {
  checkRequestId(requestId);
  checkAvatar(avatar, "avatar");
  const text = readableText(reason, "reason", MAX_REASON_CHARS);
  const writer = new MsgpackWriter(128 + 4 * text.length);
  writer.value([Opcode.REPORT, requestId, avatar, text]);
  return finishSmall(writer);
}

/**
 * ZONE `[9, request_id or nil, type, data]`: a message for the zone's own script, such as
 * `"poll.vote"`. With a `requestId` the script answers with a RESULT; without one (null) it
 * does not. `data` is a map of plain values (whole numbers, floats, strings, booleans,
 * null, arrays and maps).
 * @param {{requestId?: string|null, type: string, data?: object}} message
 * @returns {Uint8Array}
 */
export function encodeZone({ requestId = null, type, data = {} }) {
  if (requestId !== null && requestId !== undefined) checkRequestId(requestId);
  if (typeof type !== "string" || !ZONE_TYPE_PATTERN.test(type)) {
    throw new RangeError(
      `type must be 1 to ${MAX_ZONE_TYPE_CHARS} characters: a-z first, then a-z, 0-9, _ . or -`,
    );
  }
  const plain = data !== null && typeof data === "object" && !Array.isArray(data) && !(data instanceof Uint8Array);
  if (!plain) throw new TypeError("data must be a plain object");
  const writer = new MsgpackWriter(256);
  writer.value([Opcode.ZONE, requestId ?? null, type, data]);
  return finishSmall(writer);
}

function malformed(opcode, message) {
  return new ProtocolError(ErrorCode.MALFORMED, `bad server message ${opcode}: ${message}`, opcode);
}

function isInt(value) {
  return Number.isInteger(value);
}

function isNumber(value) {
  return typeof value === "number";
}

function isMap(value) {
  const object = value !== null && typeof value === "object";
  return object && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function arity(msg, n) {
  if (msg.length !== n) throw malformed(msg[0], `expected ${n} elements, got ${msg.length}`);
}

function decodeWelcome(msg, type = "welcome") {
  const op = msg[0];
  arity(msg, 2);
  const info = msg[1];
  if (!isMap(info)) throw malformed(op, "info must be a map");
  const zone = info.zone;
  if (!isMap(zone) || !Array.isArray(zone.origin) || zone.origin.length !== 3 || !isNumber(info.quantum)) {
    throw malformed(op, "zone.origin and quantum are required");
  }
  if (!isInt(info.avatar_id)) throw malformed(op, "avatar_id must be an integer");
  return {
    type,
    protocol: info.protocol,
    avatarId: info.avatar_id,
    resumed: info.resumed === true,
    position: info.position,
    yaw: info.yaw,
    serverTime: info.server_time,
    tick: info.tick,
    tickRate: info.tick_rate,
    zone,
    quantum: info.quantum,
    maxVisible: info.max_visible,
    viewRadius: info.view_radius,
    limits: info.limits,
    instance: isMap(info.instance) ? info.instance : null,
    info,
  };
}

function decodeEnterZone(msg) {
  const entered = decodeWelcome(msg, "enterZone");
  const { info } = entered;
  const floor = info.seq_floor ?? 0;
  if (!isInt(floor) || floor < 0) throw malformed(msg[0], "seq_floor must be a non-negative integer");
  entered.via = typeof info.via === "string" ? info.via : null;
  entered.seqFloor = floor;
  entered.notice = typeof info.notice === "string" && info.notice !== "" ? info.notice : null;
  return entered;
}

function decodeChat(msg) {
  arity(msg, 2);
  const info = msg[1];
  if (!isMap(info)) throw malformed(msg[0], "info must be a map");
  const { id, channel, from, name, text, time } = info;
  if (!isInt(id) || !isInt(from) || typeof channel !== "string") {
    throw malformed(msg[0], "id, channel and from are required");
  }
  if (typeof name !== "string" || typeof text !== "string" || !isNumber(time)) {
    throw malformed(msg[0], "name, text and time are required");
  }
  return {
    type: "chat",
    id,
    channel,
    from,
    name,
    text,
    time,
    to: isInt(info.to) ? info.to : null,
    requestId: typeof info.request_id === "string" ? info.request_id : null,
    info,
  };
}

function decodeWorld(msg) {
  arity(msg, 7);
  const [, tick, serverTime, leaves, enters, body, poses] = msg;
  if (!isInt(tick) || !isNumber(serverTime)) throw malformed(65, "tick and server_time must be numbers");
  if (!Array.isArray(leaves) || !Array.isArray(enters)) {
    throw malformed(65, "leaves and enters must be arrays");
  }
  if (!(body instanceof Uint8Array) || !(poses instanceof Uint8Array)) {
    throw malformed(65, "body and poses must be bin");
  }
  for (const slot of leaves) if (!isInt(slot)) throw malformed(65, "a leave must be a slot number");
  const entered = new Array(enters.length);
  for (let i = 0; i < enters.length; i++) {
    const enter = enters[i];
    if (!Array.isArray(enter) || enter.length !== 3 || !isInt(enter[0]) || !isInt(enter[1])) {
      throw malformed(65, "an enter must be [slot, avatar_id, description]");
    }
    const description = enter[2];
    if (!isMap(description)) throw malformed(65, "an enter's description must be a map");
    entered[i] = { slot: enter[0], avatarId: enter[1], description };
  }
  return { type: "world", tick, serverTime, leaves, enters: entered, body, poses };
}

/**
 * STAGE `[74, tick, performers, [here, zone]]`: performers not in this client's WORLD view,
 * each `{avatarId, body (9 bytes, a body row without its slot), pose (30 bytes or null)}`,
 * and the tick's reaction counts `[cheer, clap, heart]` here and in the whole zone.
 */
function decodeStage(msg) {
  arity(msg, 4);
  const [, tick, performers, reactions] = msg;
  if (!isInt(tick) || !Array.isArray(performers)) throw malformed(74, "tick and performers");
  const counts = (value) => Array.isArray(value) && value.length === 3 && value.every(isInt);
  if (!Array.isArray(reactions) || reactions.length !== 2 || !counts(reactions[0]) || !counts(reactions[1])) {
    throw malformed(74, "reactions must be [[cheer, clap, heart], [cheer, clap, heart]]");
  }
  const shown = performers.map((entry) => {
    if (!Array.isArray(entry) || entry.length !== 3 || !isInt(entry[0]) || !(entry[1] instanceof Uint8Array)) {
      throw malformed(74, "a performer is [avatar_id, body, pose]");
    }
    const pose = entry[2] instanceof Uint8Array ? entry[2] : null;
    return { avatarId: entry[0], body: entry[1], pose };
  });
  return { type: "stage", tick, performers: shown, here: reactions[0], zone: reactions[1] };
}

/**
 * Decode one server message into a plain object with a `type`: `welcome`, `world`,
 * `correction`, `pong`, `error`, `tokenExpiring`, `result`, `chat`, `zoneEvent` (its own
 * type name is in `event`), `enterZone` (a WELCOME's fields plus `via`, `seqFloor` and
 * `notice`), `stage` or `alert`.
 * WORLD's `body` and `poses` are views into `data`; copy them to keep them past the call.
 * Throws `ProtocolError` for bytes that are not a plaza.v1 server message.
 * @param {ArrayBuffer|Uint8Array} data
 */
export function decodeServer(data) {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  let msg;
  try {
    msg = decodeMsgpack(bytes);
  } catch (error) {
    if (error instanceof MsgpackError) {
      throw new ProtocolError(ErrorCode.MALFORMED, `not a valid msgpack message: ${error.message}`);
    }
    throw error;
  }
  if (!Array.isArray(msg) || msg.length === 0 || !isInt(msg[0])) {
    throw new ProtocolError(ErrorCode.MALFORMED, "a message is a non-empty array with an integer opcode");
  }
  const op = msg[0];
  switch (op) {
    case Opcode.WORLD:
      return decodeWorld(msg);
    case Opcode.WELCOME:
      return decodeWelcome(msg);
    case Opcode.CORRECTION: {
      arity(msg, 6);
      const [, seq, x, y, z, reason] = msg;
      if (!isInt(seq) || !isNumber(x) || !isNumber(y) || !isNumber(z)) throw malformed(op, "seq, x, y, z");
      return { type: "correction", seq, x, y, z, reason };
    }
    case Opcode.PONG:
      arity(msg, 3);
      if (!isNumber(msg[1]) || !isNumber(msg[2])) throw malformed(op, "times must be numbers");
      return { type: "pong", clientTime: msg[1], serverTime: msg[2] };
    case Opcode.ERROR:
      arity(msg, 4);
      if (!isInt(msg[1])) throw malformed(op, "code must be an integer");
      return { type: "error", code: msg[1], reason: String(msg[2]), opcode: isInt(msg[3]) ? msg[3] : null };
    case Opcode.TOKEN_EXPIRING:
      arity(msg, 2);
      if (!isNumber(msg[1])) throw malformed(op, "expires_at must be a number");
      return { type: "tokenExpiring", expiresAt: msg[1] };
    case Opcode.RESULT:
      arity(msg, 4);
      if (typeof msg[1] !== "string") throw malformed(op, "request_id must be a string");
      return { type: "result", requestId: msg[1], ok: msg[2] === true, detail: msg[3] };
    case Opcode.CHAT:
      return decodeChat(msg);
    case Opcode.ZONE_EVENT:
      arity(msg, 4);
      if (typeof msg[1] !== "string" || typeof msg[2] !== "string") {
        throw malformed(op, "zone and type must be strings");
      }
      return { type: "zoneEvent", zone: msg[1], event: msg[2], data: msg[3] };
    case Opcode.ENTER_ZONE:
      return decodeEnterZone(msg);
    case Opcode.STAGE:
      return decodeStage(msg);
    case Opcode.ALERT:
      arity(msg, 2);
      if (!isMap(msg[1])) throw malformed(op, "the alert must be a map");
      return { type: "alert", alert: msg[1] };
    default:
      throw new ProtocolError(ErrorCode.UNKNOWN_OPCODE, `unknown server opcode ${op}`, op);
  }
}

/** The name of an ErrorCode number, e.g. "BAD_FIELD", or "UNKNOWN". */
export function errorCodeName(code) {
  for (const [name, value] of Object.entries(ErrorCode)) if (value === code) return name;
  return "UNKNOWN";
}
