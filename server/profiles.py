"""Profiles: what each user chose for themselves (name, look, language, accessibility).

A profile is made at the first sign-in from the token's name and locale; after that the
user's own choices win over the token's. Accessibility preferences travel with the user to
every device: captions, reduced motion, high contrast and the 2D mode.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import asyncpg

from server.audit import record_action
from server.auth import LOCALES, Identity, _clean_name
from server.db.database import Database
from world.roles import Role

__all__ = ["MAX_APPEARANCE_BYTES", "PREFERENCES", "Profile", "ProfileError", "ProfileStore"]

# An avatar's look is a few colours and choices, sent with every enter: keep it small.
MAX_APPEARANCE_BYTES = 1024
MAX_APPEARANCE_KEYS = 16
PREFERENCES = ("captions", "reduced_motion", "high_contrast", "mode_2d")
# Roles whose every sign-in is audited: they can act on other people.
PRIVILEGED_ROLES = frozenset({Role.STAFF, Role.ORGANIZER, Role.MODERATOR, Role.ADMIN})
_APPEARANCE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_COLUMNS = "subject, display_name, locale, appearance, " + ", ".join(PREFERENCES)


class ProfileError(ValueError):
    """A profile change is malformed; the message names the field and the rule."""


@dataclass(frozen=True)
class Profile:
    """One user's profile."""

    subject: str
    display_name: str
    locale: str
    appearance: dict[str, Any] = field(default_factory=dict)
    captions: bool = False
    reduced_motion: bool = False
    high_contrast: bool = False
    mode_2d: bool = False

    @staticmethod
    def from_identity(identity: Identity) -> Profile:
        """The profile a user has before one is stored (or while the database is away)."""
        return Profile(identity.subject, identity.name, identity.locale)

    def to_wire(self) -> dict[str, Any]:
        """As JSON for the API."""
        return asdict(self)


def _profile(row: asyncpg.Record) -> Profile:
    return Profile(
        subject=row["subject"],
        display_name=row["display_name"],
        locale=row["locale"],
        appearance=json.loads(row["appearance"]),
        **{name: row[name] for name in PREFERENCES},
    )


def check_appearance(value: object) -> dict[str, Any]:
    """A flat map of short keys to strings, numbers or booleans, at most 1 KiB as JSON."""
    if not isinstance(value, dict):
        raise ProfileError("appearance must be an object")
    if len(value) > MAX_APPEARANCE_KEYS:
        raise ProfileError(f"appearance may hold at most {MAX_APPEARANCE_KEYS} entries")
    for key, item in value.items():
        # Plain identifiers only: keys such as "__proto__" trip up JavaScript clients.
        if not isinstance(key, str) or not _APPEARANCE_KEY.match(key):
            raise ProfileError(
                "appearance keys must be 1 to 32 lowercase letters, digits or underscores, "
                "starting with a letter"
            )
        # NaN and infinities are not JSON; PostgreSQL's jsonb refuses them.
        if isinstance(item, float) and not math.isfinite(item):
            raise ProfileError(f"appearance.{key} must be a finite number")
        if not isinstance(item, str | int | float | bool):
            raise ProfileError(f"appearance.{key} must be a string, number or boolean")
    if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_APPEARANCE_BYTES:
        raise ProfileError(f"appearance must be at most {MAX_APPEARANCE_BYTES} bytes as JSON")
    return dict(value)


def check_changes(changes: object) -> dict[str, Any]:
    """Validate a partial profile update; returns the columns to set."""
    if not isinstance(changes, dict) or not changes:
        raise ProfileError("expected an object with the fields to change")
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "display_name":
            try:
                out[name] = _clean_name(value)
            except ValueError as exc:
                raise ProfileError(f"display_name: {exc}") from None
        elif name == "locale":
            if value not in LOCALES:
                raise ProfileError(f"locale must be one of {', '.join(LOCALES)}")
            out[name] = value
        elif name == "appearance":
            out[name] = json.dumps(check_appearance(value), ensure_ascii=False)
        elif name in PREFERENCES:
            if not isinstance(value, bool):
                raise ProfileError(f"{name} must be true or false")
            out[name] = value
        else:
            raise ProfileError(f"unknown profile field {name!r}")
    return out


class ProfileStore:
    """Reads and writes profiles."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def sign_in(
        self, identity: Identity, *, deadline_s: float = 3.0, audit: bool = False
    ) -> Profile:
        """The user's profile, made from the token on the first sign-in. With ``audit``, a
        sign-in with a privileged role is recorded in the audit trail (a role use)."""

        async def work(conn: asyncpg.Connection) -> Profile:
            if audit and identity.role in PRIVILEGED_ROLES:
                await record_action(conn, identity, "sign_in", identity.subject)
            row = await conn.fetchrow(
                "INSERT INTO profiles (subject, display_name, locale, last_role) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (subject) DO UPDATE "
                f"SET last_role = EXCLUDED.last_role RETURNING {_COLUMNS}",
                identity.subject,
                identity.name,
                identity.locale,
                str(identity.role),
            )
            return _profile(row)

        return await self.db.run(work, deadline_s=deadline_s)

    async def get(self, subject: str) -> Profile | None:
        """The stored profile, or None."""
        rows = await self.db.fetch(f"SELECT {_COLUMNS} FROM profiles WHERE subject = $1", subject)
        return _profile(rows[0]) if rows else None

    async def update(self, identity: Identity, changes: object) -> Profile:
        """Apply a validated partial update (creating the profile if needed)."""
        columns = check_changes(changes)
        await self.sign_in(identity, deadline_s=10.0)
        names = list(columns)
        casts = {"appearance": "::jsonb"}
        assignments = ", ".join(
            f"{name} = ${i}{casts.get(name, '')}" for i, name in enumerate(names, start=2)
        )

        async def work(conn: asyncpg.Connection) -> Profile:
            row = await conn.fetchrow(
                f"UPDATE profiles SET {assignments}, updated_at = now() WHERE subject = $1 "
                f"RETURNING {_COLUMNS}",
                identity.subject,
                *columns.values(),
            )
            return _profile(row)

        return await self.db.run(work, deadline_s=10.0)
