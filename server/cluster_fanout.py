"""Server actions that must reach every node of the city, not only the one that took them.

On a city served by several nodes, an HTTP request or an intent is handled by one node, but
what it changes may concern users on all of them: an emergency alert goes to every
connection, a push (``tell``) to a user wherever they are connected, a kick or a summons to
their avatar wherever it stands, a ban or a mute to their live session, an announcement,
a bell stroke or a zone's news (``notify``) to every instance of the zone, slow mode to
the zone's chat, and a sign-in to the node holding the user's older connection (which
closes it, as one server does). ``Fanout`` wraps each such action: it runs here at once,
as on a single server, and is published on ``ACTIONS_SUBJECT`` for the other nodes, which
run their own. On a node alone it is just the local action.

What each node works out for itself from the database is not fanned out (the festival's
schedule, gates and moments, the 120 Center's queues): every node's own board publishes
it to its own city.

Delivery is at most once: an action published while the link to NATS is down does not
reach the other nodes (it is logged). Ticks (``server.cluster_bus``) are state and heal by
themselves; these are events, so an outage of the link is an outage of these actions
across nodes, and the operations guide says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import msgpack

from server.cluster_bus import ClusterBus
from server.moderation import Sanction, SanctionList
from world.zone_api import ServerEvent

__all__ = ["ACTIONS_SUBJECT", "MAX_ACTION_BYTES", "Fanout"]

log = logging.getLogger("plaza.cluster")

ACTIONS_SUBJECT = "plaza.node.actions"
# An alert with four languages of text is a few kilobytes; a zone event at most a few tens.
MAX_ACTION_BYTES = 256 * 1024

Notify = Callable[..., bool]


class Fanout:
    """The actions of one node that the other nodes must carry out too."""

    def __init__(
        self,
        node: str,
        bus: ClusterBus | None,
        *,
        notify: Notify,
        tell: Callable[[str, str, str, Any], bool],
        summon: Callable[[str, str, str], bool],
        expel: Callable[[str, str, str], bool],
        alert: Callable[[Mapping[str, Any]], int],
        slow_mode: Callable[[str, float], Any],
        sanctions: SanctionList,
        enforce: Callable[[Sanction], None],
        signed_in_elsewhere: Callable[[str], None],
    ) -> None:
        self.node = node
        self.bus = bus
        self._notify = notify
        self._tell = tell
        self._summon = summon
        self._expel = expel
        self._alert = alert
        self._slow_mode = slow_mode
        self._sanctions = sanctions
        self._enforce = enforce
        self._signed_in_elsewhere = signed_in_elsewhere
        self.received = 0
        self.malformed = 0
        self._handlers: dict[str, Callable[..., Any]] = {
            "notify": self._on_notify,
            "tell": self._tell,
            "summon": self._summon,
            "expel": self._expel,
            "alert": self._alert,
            "slow_mode": self._slow_mode,
            "sanction": self._on_sanction,
            "signed_in": self._signed_in_elsewhere,
        }

    async def attach(self) -> None:
        """Take the other nodes' actions (after the bus is connected)."""
        if self.bus is not None:
            await self.bus.subscribe(ACTIONS_SUBJECT, self._on_message)

    # -- the actions, here and everywhere ---------------------------------------------------

    def notify(self, zone: str, event: ServerEvent, *, sticky: bool = False) -> bool:
        """``City.notify`` on every node."""
        queued = self._notify(zone, event, sticky=sticky)
        self._publish(
            "notify",
            zone,
            event.topic,
            dict(event.data),
            event.ok,
            event.reason,
            event.request_id,
            event.avatar_id,
            sticky,
        )
        return queued

    def tell(self, subject: str, zone: str, kind: str, data: Any) -> bool:
        """A push to the user on whichever node holds their connection; True if it is
        this one (the others may still reach them)."""
        here = self._tell(subject, zone, kind, data)
        if not here:
            self._publish("tell", subject, zone, kind, data)
        return here

    def summon(self, subject: str, zone: str, spot: str) -> bool:
        """Move the user's avatar on whichever node holds it."""
        here = self._summon(subject, zone, spot)
        if not here:
            self._publish("summon", subject, zone, spot)
        return here

    def expel(self, subject: str, zone: str, reason: str) -> bool:
        """Send the user's avatar out of ``zone`` on whichever node holds it."""
        here = self._expel(subject, zone, reason)
        if not here:
            self._publish("expel", subject, zone, reason)
        return here

    def alert(self, alert: Mapping[str, Any]) -> int:
        """An emergency alert on every connection of every node; returns how many
        connections of this node it reached."""
        reached = self._alert(alert)
        self._publish("alert", dict(alert))
        return reached

    def slow_mode(self, zone: str, seconds: float) -> Any:
        """Chat slow mode in ``zone`` on every node."""
        result = self._slow_mode(zone, seconds)
        self._publish("slow_mode", zone, seconds)
        return result

    def sanction(self, sanction: Sanction) -> None:
        """A ban or mute issued or lifted here: every node's list and live sessions follow
        (``Moderation``'s callback; the list here is already up to date)."""
        self._enforce(sanction)
        held = self._sanctions.find(sanction.subject, sanction.kind)
        in_force = held is not None and held.id == sanction.id
        self._publish("sanction", sanction.to_wire(), in_force)

    def signed_in(self, subject: str) -> None:
        """A connection signed ``subject`` in here: the other nodes close theirs (one
        connection per user, as on one server)."""
        self._publish("signed_in", subject)

    # -- the other nodes' ------------------------------------------------------------------

    def _publish(self, kind: str, *args: Any) -> None:
        if self.bus is None:
            return
        data = msgpack.packb([self.node, kind, list(args)], use_bin_type=True)
        if not self.bus.publish(ACTIONS_SUBJECT, data):
            log.warning("the other nodes did not get %s: no link to NATS", kind)

    def _on_message(self, data: bytes) -> None:
        try:
            if len(data) > MAX_ACTION_BYTES:
                raise ValueError(f"over {MAX_ACTION_BYTES} bytes")
            node, kind, args = msgpack.unpackb(data, raw=False)
            handler = self._handlers[kind]
            if node == self.node:
                return
            handler(*args)
            self.received += 1
        except Exception as exc:
            self.malformed += 1
            log.warning("dropped an action from another node: %s %s", type(exc).__name__, exc)

    def _on_notify(
        self,
        zone: str,
        topic: str,
        data: dict[str, Any],
        ok: bool,
        reason: str,
        request_id: str | None,
        avatar_id: int,
        sticky: bool,
    ) -> None:
        event = ServerEvent(topic, data, ok, reason, request_id, avatar_id)
        self._notify(zone, event, sticky=sticky)

    def _on_sanction(self, wire: dict[str, Any], in_force: bool) -> None:
        sanction = Sanction(**wire)
        if in_force:
            self._sanctions.add(sanction)
        else:
            self._sanctions.remove(sanction.id)
        self._enforce(sanction)
