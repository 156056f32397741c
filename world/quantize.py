"""Fixed-width quantised rows: how an avatar's state is packed for the wire.

Two row kinds, both little-endian and byte-aligned so a numpy gather builds a frame:

* body row, ``BODY_ROW_BYTES`` = 10: ``slot u8, x u16, y u16, z u16, yaw u8, anim u8, flags u8``.
  Positions are in ``POSITION_QUANTUM_M`` steps from the zone origin; yaw in 1/256 turns.
* pose row, ``POSE_ROW_BYTES`` = 31: ``slot u8`` then head, left hand, right hand, each
  ``dx, dy, dz i16`` (millimetres from the avatar's root, world axes) and ``qx, qy, qz, qw i8``
  (unit quaternion times 127).

The slot byte is the observer's own index for that avatar (see ``world.interest``); the
server stores the other bytes once per avatar (``BODY_STATE_BYTES``/``POSE_STATE_BYTES``)
and prepends the slot per observer.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from world.protocol import POSITION_QUANTUM_M

__all__ = [
    "BODY_ROW_BYTES",
    "BODY_STATE_BYTES",
    "POSE_JOINTS",
    "POSE_ROW_BYTES",
    "POSE_STATE_BYTES",
    "dequantize_body",
    "dequantize_pose",
    "quantize_body",
    "quantize_pose",
]

BODY_STATE_BYTES = 9
BODY_ROW_BYTES = 1 + BODY_STATE_BYTES
POSE_JOINTS = 3  # head, left hand, right hand
_JOINT_BYTES = 3 * 2 + 4
POSE_STATE_BYTES = POSE_JOINTS * _JOINT_BYTES
POSE_ROW_BYTES = 1 + POSE_STATE_BYTES

_YAW_STEPS = 256
_TWO_PI = 2.0 * np.pi

Float32Array = npt.NDArray[np.float32]
UInt8Array = npt.NDArray[np.uint8]


def quantize_body(
    position: Float32Array,
    yaw: Float32Array,
    anim: UInt8Array,
    flags: UInt8Array,
    origin: npt.NDArray[np.float64],
) -> UInt8Array:
    """Pack ``m`` avatars' body state into an ``(m, BODY_STATE_BYTES)`` uint8 array."""
    m = position.shape[0]
    out = np.empty((m, BODY_STATE_BYTES), dtype=np.uint8)
    steps = np.rint((position.astype(np.float64) - origin) / POSITION_QUANTUM_M)
    q = np.clip(steps, 0, 65535).astype("<u2")
    out[:, 0:6] = q.view(np.uint8).reshape(m, 6)
    turns = np.rint(yaw.astype(np.float64) * (_YAW_STEPS / _TWO_PI)).astype(np.int64)
    out[:, 6] = np.mod(turns, _YAW_STEPS).astype(np.uint8)
    out[:, 7] = anim
    out[:, 8] = flags
    return out


def dequantize_body(
    state: UInt8Array, origin: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], UInt8Array, UInt8Array]:
    """Inverse of ``quantize_body``: position, yaw, anim and flags of ``(m, 9)`` rows."""
    m = state.shape[0]
    q = np.ascontiguousarray(state[:, 0:6]).view("<u2").reshape(m, 3)
    position = q.astype(np.float64) * POSITION_QUANTUM_M + origin
    yaw = state[:, 6].astype(np.float64) * (_TWO_PI / _YAW_STEPS)
    return position, yaw, state[:, 7].copy(), state[:, 8].copy()


def quantize_pose(pose: Float32Array) -> UInt8Array:
    """Pack ``(m, POSE_JOINTS, 7)`` poses (offset xyz metres, quaternion xyzw) into uint8 rows."""
    m = pose.shape[0]
    out = np.empty((m, POSE_JOINTS, _JOINT_BYTES), dtype=np.uint8)
    mm = np.clip(np.rint(pose[:, :, 0:3].astype(np.float64) * 1000.0), -32767, 32767)
    out[:, :, 0:6] = mm.astype("<i2").view(np.uint8).reshape(m, POSE_JOINTS, 6)
    quat = np.clip(np.rint(pose[:, :, 3:7].astype(np.float64) * 127.0), -127, 127)
    out[:, :, 6:10] = quat.astype(np.int8).view(np.uint8)
    return out.reshape(m, POSE_STATE_BYTES)


def dequantize_pose(state: UInt8Array) -> npt.NDArray[np.float64]:
    """Inverse of ``quantize_pose``: ``(m, POSE_JOINTS, 7)`` offsets in metres and quaternions."""
    m = state.shape[0]
    joints = np.ascontiguousarray(state).reshape(m, POSE_JOINTS, _JOINT_BYTES)
    out = np.empty((m, POSE_JOINTS, 7), dtype=np.float64)
    mm = np.ascontiguousarray(joints[:, :, 0:6]).view("<i2")
    out[:, :, 0:3] = mm.astype(np.float64) / 1000.0
    out[:, :, 3:7] = joints[:, :, 6:10].view(np.int8).astype(np.float64) / 127.0
    return out
