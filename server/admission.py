"""Admission: what a new avatar looks like and where it starts, read before it joins.

The gateway asks ``Admission.prepare`` for a connection that is not resuming an avatar.
``StoredAdmission`` reads the user's profile (made on the first sign-in), last saved place
(in whichever zone it was), chat blocks and zone records. PostgreSQL being away must not
keep citizens out of the plaza: then the avatar is made from the token alone and starts at
a spawn point of the entrance.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from server.auth import Identity
from server.db.database import Database, DatabaseUnavailable
from server.places import load_last_place
from server.profiles import Profile, ProfileStore
from server.zone_store import MemberData, load_member_data
from world.avatars import AvatarDescription
from world.instance import BADGE_RECORD

__all__ = ["PREPARE_DEADLINE_S", "Admission", "JoinPlan", "StoredAdmission", "token_plan"]

log = logging.getLogger("plaza.admission")

# A sign-in waits at most this long for the database before entering without the profile.
PREPARE_DEADLINE_S = 2.0


@dataclass(frozen=True)
class JoinPlan:
    """How an avatar enters: its description, the user's language and saved data, and, if
    known, the place (and its zone) to start at."""

    description: AvatarDescription
    place: tuple[float, float, float, float] | None = None
    zone: str | None = None
    locale: str = "ko"
    data: MemberData | None = None


class Admission(Protocol):
    """Prepares joins; implemented over the database by ``StoredAdmission``."""

    async def prepare(self, identity: Identity) -> JoinPlan:
        """The plan for ``identity``'s avatar (never raises for a database outage)."""


def describe(identity: Identity, profile: Profile) -> AvatarDescription:
    """The description observers get: the user's chosen name and look, the token's role."""
    return AvatarDescription(profile.display_name, profile.appearance, str(identity.role))


def token_plan(identity: Identity) -> JoinPlan:
    """The plan from the token alone: its name, no look, a spawn point."""
    return JoinPlan(describe(identity, Profile.from_identity(identity)), locale=identity.locale)


Seat = tuple[str, tuple[float, float, float, float]]


class StoredAdmission:
    """Profiles and last places from PostgreSQL."""

    def __init__(
        self,
        db: Database,
        profiles: ProfileStore,
        seat: Callable[[str], Awaitable[Seat | None]] | None = None,
    ) -> None:
        """``seat`` names a place that overrides the last one (a civil servant whose desk at
        the 120 Center is open starts at it): (zone, (x, y, z, yaw)) or None."""
        self.db = db
        self.profiles = profiles
        self.seat = seat

    async def prepare(self, identity: Identity) -> JoinPlan:
        """Profile (made on first sign-in) and last place; the token alone if the database
        does not answer within ``PREPARE_DEADLINE_S``."""
        try:
            profile = await self.profiles.sign_in(
                identity, deadline_s=PREPARE_DEADLINE_S, audit=True
            )
            place = await load_last_place(self.db, identity.subject)
            data = await load_member_data(self.db, identity.subject, PREPARE_DEADLINE_S)
            seat = None if self.seat is None else await self.seat(identity.subject)
        except DatabaseUnavailable as exc:
            log.warning("entering %s without a profile: %s", identity.subject, exc)
            return token_plan(identity)
        description = describe(identity, profile)
        badge = next((r[BADGE_RECORD] for r in data.records.values() if r.get(BADGE_RECORD)), None)
        if isinstance(badge, str):
            description = dataclasses.replace(description, badge=badge)
        if seat is not None:
            return JoinPlan(description, seat[1], seat[0], profile.locale, data)
        if place is None:
            return JoinPlan(description, locale=profile.locale, data=data)
        return JoinPlan(
            description,
            (place.x, place.y, place.z, place.yaw),
            place.zone,
            profile.locale,
            data,
        )
