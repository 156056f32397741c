"""Roles a participant can hold in the plaza.

This module is deliberately pure (stdlib only) so that the simulation, the
server and offline tools can all share one definition of who may do what.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Role", "parse_role"]


class Role(StrEnum):
    """A participant's role, ordered here from least to most privileged.

    The order matters where a provider's token lists several roles (the highest wins), so
    the festival's stage roles sit with the guide: a part to play in one place, not a
    power over other people's accounts as staff and above have.

    Being a ``StrEnum`` lets a role travel through JSON, msgpack and JWT claims
    as its plain string value without a custom encoder.
    """

    GUEST = "guest"
    CITIZEN = "citizen"
    GUIDE = "guide"  # leads guided tours in the tourism district
    PERFORMER = "performer"  # on a festival stage, seen in every instance of the zone
    INTERPRETER = "interpreter"  # sign language or captions beside the performers
    STAFF = "staff"
    ORGANIZER = "organizer"
    MODERATOR = "moderator"
    ADMIN = "admin"


def parse_role(value: str) -> Role:
    """Return the :class:`Role` whose value is exactly ``value``.

    Matching is case-sensitive on purpose: role strings arrive in signed tokens
    and config files, and accepting variants like ``"Admin"`` would give two
    spellings to the same privilege.

    Raises:
        ValueError: ``value`` is not a known role; the message lists the allowed ones.
    """
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(role.value for role in Role)
        raise ValueError(f"unknown role {value!r}; expected one of: {allowed}") from None
