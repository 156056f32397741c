"""Reaching users wherever they are in the city, on the server's behalf: a ZONE_EVENT to one
user (a 120 Center ticket called while its citizen waits in the plaza), an emergency alert
to every connection, and moving a user's avatar (a civil servant to their desk, a kick out
of a zone). Sessions and presence are the gateway's; this only looks them up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.alerts import localize
from server.presence import Presence
from server.sessions import Session
from world.city import City
from world.codec_alert import encode_alert
from world.codec_social import encode_zone_event

__all__ = ["Outreach"]


class Outreach:
    """Pushes and moves for one gateway's connections."""

    def __init__(
        self, city: City, presence: Presence[Session], sessions: Mapping[int, Session]
    ) -> None:
        self.city = city
        self.presence = presence
        self.sessions = sessions

    def tell(self, subject: str, zone: str, kind: str, data: Any) -> bool:
        """Send the user a ZONE_EVENT from ``zone`` wherever they are in the city (a ticket
        called at the 120 center reaches a citizen waiting in the plaza); False if they are
        not connected."""
        session = self.presence.live.get(subject)
        if session is None or not session.avatar_id:
            return False
        return session.link.send_now(encode_zone_event(zone, kind, data))

    def alert(self, alert: Mapping[str, Any]) -> int:
        """Send an emergency alert (as stored: texts by locale, ``server.alerts``) on every
        live connection, now, whatever is queued, in each reader's language; returns how
        many it reached."""
        encoded: dict[str, bytes] = {}
        reached = 0
        for avatar_id, session in list(self.sessions.items()):
            instance = self.city.where.get(avatar_id)
            member = None if instance is None else instance.members.get(avatar_id)
            locale = session.identity.locale if member is None else member.locale
            data = encoded.get(locale)
            if data is None:
                data = encoded[locale] = encode_alert(localize(alert, locale))
            if session.link.send_now(data):
                reached += 1
        return reached

    def expel(self, subject: str, zone: str, reason: str) -> bool:
        """Send the user's avatar, if it is in ``zone``, out to the entrance (a kick)."""
        session = self.presence.live.get(subject)
        if session is None or not session.avatar_id:
            return False
        return self.city.expel(session.avatar_id, zone, reason)

    def summon(self, subject: str, zone: str, spot: str) -> bool:
        """Move the user's avatar, if connected, to ``spot`` of ``zone`` (see
        ``City.summon``)."""
        session = self.presence.live.get(subject)
        if session is None or not session.avatar_id:
            return False
        return self.city.summon(session.avatar_id, zone, spot)
