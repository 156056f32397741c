"""The zone authoring API: what a city's developers write a zone against.

A zone is a subclass of ``Zone`` registered under the entry point group ``plaza.zones``; the
entry point's name is the zone's name and selects its layout (``assets/zones/<name>.json``,
or ``layout_resource`` next to the zone's module). Plaza creates one ``Zone`` object per
instance and calls its hooks from the world step, so a hook:

* never awaits and never does I/O (no files, sockets or database): whatever must outlive the
  tick goes out through the context (``persist``, ``save``, ``kick``) and the server carries
  it out after the step;
* sees the instance's avatars through read-only ``AvatarView`` objects;
* sends by ``ctx.send`` / ``ctx.broadcast`` / ``ctx.reply``; these are delivered after the
  step, in the order they were made.

Hooks, in the order an instance meets them: ``on_create`` once; then ``on_join_attempt``
(return None to allow, or a reason to refuse), ``on_join``, ``on_message``, ``on_event``,
``on_tick`` and ``on_leave`` as avatars come and go; ``on_dispose`` once when an empty
instance closes. See docs/zones.md for the guide and a complete example.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

__all__ = [
    "AvatarView",
    "Placement",
    "ServerEvent",
    "Timer",
    "Zone",
    "ZoneContext",
    "ZoneMessage",
]

Vec3 = tuple[float, float, float]


class AvatarView(Protocol):
    """One avatar of the instance, read-only. Position and yaw are read when asked."""

    @property
    def id(self) -> int:
        """The avatar's public id (what clients see in frames; stable across zones)."""

    @property
    def subject(self) -> str:
        """The user behind the avatar (the token's ``sub``): the key for per-user records."""

    @property
    def name(self) -> str:
        """Display name."""

    @property
    def role(self) -> str:
        """guest, citizen, guide, performer, interpreter, staff, organizer, moderator or admin
        (``world.roles``)."""

    @property
    def locale(self) -> str:
        """The user's language (ko, en, ja, zh, ...), for texts chosen by the zone."""

    @property
    def party(self) -> str | None:
        """The party the user entered with, if any (friends share an instance)."""

    @property
    def position(self) -> Vec3:
        """Where the avatar stands now (metres, zone coordinates)."""

    @property
    def yaw(self) -> float:
        """Facing, radians."""

    def records(self) -> Mapping[str, Any]:
        """This user's records saved by this zone (``ctx.save_for``), read-only."""


@dataclass(frozen=True)
class ZoneMessage:
    """A ZONE message from a client: ``type`` names it, ``data`` is a map of plain values.

    ``request_id`` is set when the client wants a RESULT: answer it with ``ctx.reply`` or
    ``ctx.refuse``, or hand it to ``ctx.persist(..., message=message)``, and the server
    answers once the change is committed (do not reply again in ``on_event``).
    """

    avatar_id: int
    type: str
    data: Mapping[str, Any]
    request_id: str | None = None


@dataclass(frozen=True)
class ServerEvent:
    """Something the server tells every instance of a zone: the outcome of a ``persist``
    (``topic`` is its kind, ``ok`` says whether it was carried out) or a change made through
    the HTTP API (a notice posted, a proposal answered)."""

    topic: str
    data: Mapping[str, Any]
    ok: bool = True
    reason: str = ""
    request_id: str | None = None
    avatar_id: int = 0


@dataclass(frozen=True)
class Placement:
    """Where an avatar enters: a named spot of the layout, or a position."""

    spot: str | None = None
    position: Vec3 | None = None
    yaw: float | None = None


class Timer(Protocol):
    """A pending ``after`` or ``every`` callback."""

    def cancel(self) -> None:
        """Stop it; a cancelled timer never fires again."""


class ZoneContext(Protocol):
    """What a zone instance can see and do. Effects are queued and carried out after the step."""

    @property
    def zone(self) -> str:
        """The zone's name."""

    @property
    def instance(self) -> int:
        """The instance number, from 1."""

    @property
    def now(self) -> float:
        """Server time of the current tick (Unix seconds)."""

    @property
    def layout(self) -> Any:
        """The zone's validated layout (``world.zone_layout.ZoneLayout``)."""

    @property
    def records(self) -> Mapping[str, Any]:
        """The zone's saved records (``ctx.save``), shared by all its instances, read-only."""

    def avatars(self) -> Iterator[AvatarView]:
        """Every avatar in this instance."""

    def avatar(self, avatar_id: int) -> AvatarView | None:
        """One avatar of this instance, or None if it is not here."""

    def count(self) -> int:
        """How many avatars are in this instance."""

    def population(self) -> int:
        """How many avatars are in the whole zone: every instance of it, on every node of
        the cluster (a festival's capacity counts the crowd, not one instance)."""

    def near(self, position: Vec3, radius: float) -> list[AvatarView]:
        """The avatars within ``radius`` metres (on the ground plane) of ``position``."""

    def send(self, avatar_id: int, type: str, data: Mapping[str, Any]) -> None:
        """A ZONE_EVENT to one avatar of this instance."""

    def send_group(self, avatar_ids: Iterable[int], type: str, data: Mapping[str, Any]) -> None:
        """The same ZONE_EVENT to several avatars of this instance (encoded once): for
        texts chosen per language, send each language group its own."""

    def broadcast(
        self, type: str, data: Mapping[str, Any], *, exclude: tuple[int, ...] = ()
    ) -> None:
        """A ZONE_EVENT to every avatar of this instance (encoded once)."""

    def reply(self, message: ZoneMessage | ServerEvent, detail: Mapping[str, Any]) -> None:
        """RESULT ok for a request that carried a ``request_id``."""

    def refuse(self, message: ZoneMessage | ServerEvent, reason: str) -> None:
        """RESULT not ok, with a reason the user can read."""

    def after(self, seconds: float, callback: Callable[[], None]) -> Timer:
        """Call ``callback`` once, ``seconds`` from now (checked every tick)."""

    def every(self, seconds: float, callback: Callable[[], None]) -> Timer:
        """Call ``callback`` every ``seconds``, first ``seconds`` from now."""

    def persist(
        self, kind: str, data: Mapping[str, Any], *, message: ZoneMessage | None = None
    ) -> None:
        """Ask the server to carry out ``kind`` (a registered handler) with ``data``. The
        outcome comes back to every instance as ``on_event`` with ``topic == kind``; with
        ``message`` its requester gets a RESULT once it is committed (or failed)."""

    def save(self, key: str, value: Any) -> None:
        """Store a zone record (JSON value; None deletes it), kept across restarts."""

    def save_for(self, avatar_id: int, key: str, value: Any) -> None:
        """Store a record for the user of ``avatar_id`` (JSON value), kept across visits."""

    def kick(self, avatar_id: int, reason: str) -> None:
        """Send the avatar back to the entrance zone with ``reason`` (told to its user)."""

    def teleport(self, avatar_id: int, position: Vec3, yaw: float | None = None) -> None:
        """Move an avatar of this instance at once (its client is corrected)."""

    def transfer(self, avatar_id: int, zone: str, spot: str | None = None) -> None:
        """Move an avatar to another zone (an instance chosen as for a portal)."""

    def set_badge(self, avatar_id: int, badge: str | None) -> None:
        """Show (or clear) a short badge on the avatar's name tag, for everyone."""


class Zone:
    """Base class of every zone; subclass it and override the hooks you need.

    Class attributes tune instances: ``capacity`` avatars at most per instance; a new
    instance opens for newcomers once one holds ``open_at`` x ``capacity``; ``placement``
    is ``"fill"`` (newcomers fill the lowest instance first) or ``"even"`` (the emptiest
    instance first, for crowds such as festivals); ``layout_resource`` names a layout
    file next to the zone's module when it does not live in Plaza's assets;
    ``stage_spot`` names the layout spot whose area is a stage shown in every instance
    (performers and interpreters on it, docs/protocol.md STAGE); ``reactions`` says whether
    the zone takes REACT (cheers, claps, hearts). Plaza creates an instance's zone object
    with no arguments; keep its state in attributes set in ``on_create``.
    """

    capacity: ClassVar[int] = 200
    open_at: ClassVar[float] = 0.8
    placement: ClassVar[str] = "fill"
    layout_resource: ClassVar[str | None] = None
    stage_spot: ClassVar[str | None] = None
    reactions: ClassVar[bool] = False

    def on_create(self, ctx: ZoneContext) -> None:
        """The instance opened (before anyone joins). Set up state and timers here."""

    def on_join_attempt(self, ctx: ZoneContext, avatar: AvatarView) -> str | None:
        """May ``avatar`` enter? None allows; a string refuses, and is told to the user."""
        return None

    def on_join(self, ctx: ZoneContext, avatar: AvatarView) -> None:
        """``avatar`` is now in the instance (it has been told where it is)."""

    def on_leave(self, ctx: ZoneContext, avatar: AvatarView) -> None:
        """``avatar`` is leaving (disconnected for good, or moving to another zone)."""

    def on_message(self, ctx: ZoneContext, message: ZoneMessage) -> None:
        """A ZONE message from an avatar of this instance."""
        if message.request_id is not None:
            ctx.refuse(message, f"this zone does not understand {message.type!r}")

    def on_event(self, ctx: ZoneContext, event: ServerEvent) -> None:
        """The server's news for this zone: a persisted outcome or an HTTP-side change."""

    def on_tick(self, ctx: ZoneContext) -> None:
        """Every world tick (``ctx.now``), after inputs and before interest and frames."""

    def on_dispose(self, ctx: ZoneContext) -> None:
        """The instance closes (an extra instance that has been empty for a while, or every
        instance when the server stops). Saves made here are still carried out."""
