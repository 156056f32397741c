"""Admission: what a new avatar looks like and where it starts, read before it joins.

The gateway asks ``Admission.prepare`` for a connection that is not resuming an avatar.
``StoredAdmission`` reads the user's profile (made on the first sign-in) and last saved
place. PostgreSQL being away must not keep citizens out of the plaza: then the avatar is
made from the token alone and starts at a spawn point.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from server.auth import Identity
from server.db.database import Database, DatabaseUnavailable
from server.places import load_place
from server.profiles import Profile, ProfileStore
from world.avatars import AvatarDescription

__all__ = ["PREPARE_DEADLINE_S", "Admission", "JoinPlan", "StoredAdmission", "token_plan"]

log = logging.getLogger("plaza.admission")

# A sign-in waits at most this long for the database before entering without the profile.
PREPARE_DEADLINE_S = 2.0


@dataclass(frozen=True)
class JoinPlan:
    """How an avatar enters: its description and, if known, the place to start at."""

    description: AvatarDescription
    place: tuple[float, float, float, float] | None = None


class Admission(Protocol):
    """Prepares joins; implemented over the database by ``StoredAdmission``."""

    async def prepare(self, identity: Identity) -> JoinPlan:
        """The plan for ``identity``'s avatar (never raises for a database outage)."""


def describe(identity: Identity, profile: Profile) -> AvatarDescription:
    """The description observers get: the user's chosen name and look, the token's role."""
    return AvatarDescription(profile.display_name, profile.appearance, str(identity.role))


def token_plan(identity: Identity) -> JoinPlan:
    """The plan from the token alone: its name, no look, a spawn point."""
    return JoinPlan(describe(identity, Profile.from_identity(identity)))


class StoredAdmission:
    """Profiles and last places from PostgreSQL."""

    def __init__(self, db: Database, profiles: ProfileStore, zone: str) -> None:
        self.db = db
        self.profiles = profiles
        self.zone = zone

    async def prepare(self, identity: Identity) -> JoinPlan:
        """Profile (made on first sign-in) and last place; the token alone if the database
        does not answer within ``PREPARE_DEADLINE_S``."""
        try:
            profile = await self.profiles.sign_in(
                identity, deadline_s=PREPARE_DEADLINE_S, audit=True
            )
            place = await load_place(self.db, identity.subject, self.zone)
        except DatabaseUnavailable as exc:
            log.warning("entering %s without a profile: %s", identity.subject, exc)
            return token_plan(identity)
        start = None if place is None else (place.x, place.y, place.z, place.yaw)
        return JoinPlan(describe(identity, profile), start)
