"""The issuer's signing key on disk: created once, safely, and reused across restarts.

The key is an ES256 (P-256) private key stored as PKCS#8 PEM at
``<data_dir>/issuer/signing-key.pem`` with mode 0600 in a 0700 folder. Creation is atomic
and race-safe (write a private temp file, hard-link it into place), so concurrent first
starts agree on one key and a reader never sees half a key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import pathlib
import stat
import tempfile
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = [
    "KEY_DIR_NAME",
    "KEY_FILE_NAME",
    "create_key_file",
    "jwk_thumbprint",
    "load_or_create_signing_key",
]

logger = logging.getLogger(__name__)

KEY_DIR_NAME = "issuer"
KEY_FILE_NAME = "signing-key.pem"


def load_or_create_signing_key(data_dir: pathlib.Path) -> ec.EllipticCurvePrivateKey:
    """Load the signing key under ``data_dir``, generating it on first use.

    Raises:
        ValueError: the key file exists but is not an unencrypted P-256 key.
        OSError: the key directory or file cannot be created or read.
    """
    key_dir = pathlib.Path(data_dir) / KEY_DIR_NAME
    key_path = key_dir / KEY_FILE_NAME
    _ensure_key_dir(key_dir)
    try:
        pem = key_path.read_bytes()
    except FileNotFoundError:
        pem = create_key_file(key_path)
    else:
        _warn_if_exposed(key_path)
    return _load_private_key(pem, key_path)


def _b64url(data: bytes) -> str:
    """Base64url without padding, as JOSE uses everywhere."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# RFC 7638 section 3.2: only the required public members take part in the hash.
_THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "OKP": ("crv", "kty", "x"),
}


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) of a public JWK."""
    members = _THUMBPRINT_MEMBERS[jwk["kty"]]
    # Sorted keys and no whitespace give the canonical form the RFC hashes.
    canonical = json.dumps(
        {member: jwk[member] for member in members},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return _b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def _ensure_key_dir(key_dir: pathlib.Path) -> None:
    """Create ``key_dir`` readable only by its owner, leaving an existing one untouched."""
    try:
        key_dir.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        return
    # mkdir's mode is filtered through the umask; set it exactly.
    os.chmod(key_dir, 0o700)


def _fsync_dir(directory: pathlib.Path) -> None:
    """Flush a directory entry to disk so a freshly linked key survives a crash."""
    if os.name != "posix":
        return  # Windows cannot open directories for fsync.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_key_file(key_path: pathlib.Path) -> bytes:
    """Generate a P-256 key, publish it at ``key_path`` (mode 0600) and return its PEM.

    If another process publishes a key first, that key wins and its PEM is
    returned, so concurrent first starts still agree on one signing key.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    # Write to a private temp file and hard-link it into place: readers never
    # see a half-written key, and unlike rename a link never replaces a key
    # that a concurrent process has just published.
    fd, tmp_name = tempfile.mkstemp(prefix=".signing-key.", suffix=".tmp", dir=key_path.parent)
    tmp_path = pathlib.Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            # mkstemp already asks for 0600, but the umask could have narrowed it.
            os.chmod(tmp_path, 0o600)
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp_path, key_path)
        except FileExistsError:
            return key_path.read_bytes()
        _fsync_dir(key_path.parent)
    finally:
        tmp_path.unlink(missing_ok=True)
    logger.info("created new token signing key at %s", key_path)
    return pem


def _warn_if_exposed(key_path: pathlib.Path) -> None:
    """Log a warning when the signing key is readable or writable by other users."""
    if os.name != "posix":
        return  # POSIX mode bits do not describe Windows ACLs.
    mode = stat.S_IMODE(key_path.stat().st_mode)
    # Warn rather than refuse: mounted secrets often arrive as 0644, and refusing
    # to start would be worse than a loud hint to tighten them.
    if mode & 0o077:
        logger.warning(
            "token signing key %s has mode %04o; anyone who can read it can mint tokens, "
            "restrict it with: chmod 600 %s",
            key_path,
            mode,
            key_path,
        )


def _load_private_key(pem: bytes, key_path: pathlib.Path) -> ec.EllipticCurvePrivateKey:
    """Parse ``pem`` as an unencrypted P-256 private key, naming ``key_path`` on failure."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError(
            f"{key_path} is not a readable unencrypted PEM private key ({exc}); "
            "move it aside to have a new key generated"
        ) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"{key_path} does not hold a P-256 (ES256) private key")
    return key
