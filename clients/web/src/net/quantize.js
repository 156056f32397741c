// The fixed-width rows inside WORLD frames (docs/protocol.md sections 7.3 and 7.4), turned
// back into metres and radians. The server's side is world/quantize.py.
//
// Body row, 10 bytes little-endian: slot u8, x u16, y u16, z u16, yaw u8, anim u8, flags u8.
// Pose row, 31 bytes: slot u8, then head, left hand, right hand, each dx dy dz i16 (mm) and
// qx qy qz qw i8 (times 127).
//
// The functions write into objects the caller keeps, because the mirror decodes up to 50
// rows 20 times a second and garbage in a render loop shows up as stutter. The arithmetic
// is the reference client's, operation for operation, so positions come out bit-identical.

/** Position quantum in metres: 1/32 m (also sent in WELCOME as `quantum`). */
export const POSITION_QUANTUM_M = 1 / 32;
/** Bytes of an avatar's body state (a body row without its slot byte). */
export const BODY_STATE_BYTES = 9;
/** Bytes of a body row. */
export const BODY_ROW_BYTES = 1 + BODY_STATE_BYTES;
/** Joints in a pose: head, left hand, right hand. */
export const POSE_JOINTS = 3;
/** Bytes of one quantised joint. */
export const JOINT_BYTES = 10;
/** Bytes of an avatar's pose state (a pose row without its slot byte). */
export const POSE_STATE_BYTES = POSE_JOINTS * JOINT_BYTES;
/** Bytes of a pose row. */
export const POSE_ROW_BYTES = 1 + POSE_STATE_BYTES;
/** Yaw steps per turn. */
export const YAW_STEPS = 256;

// world/quantize.py multiplies by (2π / 256), computed once; so do we, for identical results.
const RADIANS_PER_YAW_STEP = (2 * Math.PI) / YAW_STEPS;
const MM_PER_M = 1000;
const QUAT_SCALE = 127;

/**
 * A decoded body: position in metres (zone coordinates), yaw in radians (0 ≤ yaw < 2π),
 * anim and flags as sent.
 * @typedef {{x: number, y: number, z: number, yaw: number, anim: number, flags: number}} Body
 */

/**
 * A decoded pose: three joints, each a Float64Array [dx, dy, dz, qx, qy, qz, qw].
 * @typedef {{head: Float64Array, left: Float64Array, right: Float64Array}} Pose
 */

/** A Body with zeroes, to be filled by decodeBodyState. @returns {Body} */
export function createBody() {
  return { x: 0, y: 0, z: 0, yaw: 0, anim: 0, flags: 0 };
}

/** A Pose with every joint at the root, unrotated. @returns {Pose} */
export function createPose() {
  const joint = () => Float64Array.of(0, 0, 0, 0, 0, 0, 1);
  return { head: joint(), left: joint(), right: joint() };
}

/**
 * Decode 9 body-state bytes starting at `offset` into `out`.
 * @param {Uint8Array} bytes
 * @param {number} offset index of the state's first byte (a row's slot byte + 1)
 * @param {ArrayLike<number>} origin zone origin from WELCOME (`zone.origin`)
 * @param {number} quantum position quantum from WELCOME
 * @param {Body} [out]
 * @returns {Body}
 */
export function decodeBodyState(bytes, offset, origin, quantum = POSITION_QUANTUM_M, out = createBody()) {
  out.x = (bytes[offset] | (bytes[offset + 1] << 8)) * quantum + origin[0];
  out.y = (bytes[offset + 2] | (bytes[offset + 3] << 8)) * quantum + origin[1];
  out.z = (bytes[offset + 4] | (bytes[offset + 5] << 8)) * quantum + origin[2];
  out.yaw = bytes[offset + 6] * RADIANS_PER_YAW_STEP;
  out.anim = bytes[offset + 7];
  out.flags = bytes[offset + 8];
  return out;
}

/**
 * Decode the body row starting at `offset`; returns `out` with its `slot` set too.
 * @param {Uint8Array} bytes
 * @param {number} offset
 * @param {ArrayLike<number>} origin
 * @param {number} [quantum]
 * @param {Body & {slot?: number}} [out]
 */
export function decodeBodyRow(bytes, offset, origin, quantum = POSITION_QUANTUM_M, out = createBody()) {
  decodeBodyState(bytes, offset + 1, origin, quantum, out);
  out.slot = bytes[offset];
  return out;
}

function decodeJoint(bytes, at, joint, normalize) {
  joint[0] = (((bytes[at] | (bytes[at + 1] << 8)) << 16) >> 16) / MM_PER_M;
  joint[1] = (((bytes[at + 2] | (bytes[at + 3] << 8)) << 16) >> 16) / MM_PER_M;
  joint[2] = (((bytes[at + 4] | (bytes[at + 5] << 8)) << 16) >> 16) / MM_PER_M;
  joint[3] = ((bytes[at + 6] << 24) >> 24) / QUAT_SCALE;
  joint[4] = ((bytes[at + 7] << 24) >> 24) / QUAT_SCALE;
  joint[5] = ((bytes[at + 8] << 24) >> 24) / QUAT_SCALE;
  joint[6] = ((bytes[at + 9] << 24) >> 24) / QUAT_SCALE;
  if (normalize) normalizeQuaternion(joint, 3);
}

/**
 * Decode 30 pose-state bytes starting at `offset` into `out`. With `normalize` (the
 * default) each quaternion is brought back to unit length, as the protocol advises: 8-bit
 * components are up to 1/254 off. Without it the values are the reference client's
 * (world/quantize.py dequantize_pose).
 * @param {Uint8Array} bytes
 * @param {number} offset
 * @param {Pose} [out]
 * @param {boolean} [normalize]
 * @returns {Pose}
 */
export function decodePoseState(bytes, offset, out = createPose(), normalize = true) {
  decodeJoint(bytes, offset, out.head, normalize);
  decodeJoint(bytes, offset + JOINT_BYTES, out.left, normalize);
  decodeJoint(bytes, offset + 2 * JOINT_BYTES, out.right, normalize);
  return out;
}

/**
 * Decode the pose row starting at `offset`; returns `out` with its `slot` set too.
 * @param {Uint8Array} bytes
 * @param {number} offset
 * @param {Pose & {slot?: number}} [out]
 * @param {boolean} [normalize]
 */
export function decodePoseRow(bytes, offset, out = createPose(), normalize = true) {
  decodePoseState(bytes, offset + 1, out, normalize);
  out.slot = bytes[offset];
  return out;
}

/**
 * Scale the quaternion at `q[offset .. offset + 3]` (x, y, z, w) to unit length in place;
 * a zero quaternion becomes the identity.
 * @param {Float64Array|number[]} q
 * @param {number} [offset]
 */
export function normalizeQuaternion(q, offset = 0) {
  const x = q[offset];
  const y = q[offset + 1];
  const z = q[offset + 2];
  const w = q[offset + 3];
  const length = Math.sqrt(x * x + y * y + z * z + w * w);
  if (length === 0) {
    q[offset] = 0;
    q[offset + 1] = 0;
    q[offset + 2] = 0;
    q[offset + 3] = 1;
    return q;
  }
  q[offset] = x / length;
  q[offset + 1] = y / length;
  q[offset + 2] = z / length;
  q[offset + 3] = w / length;
  return q;
}
