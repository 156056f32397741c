"""The Metaverse 120 Center as one service: the citizen's and the civil servant's actions,
whether they come over HTTP (``server.center_api``) or from the 3D center (zone intents).

Each action is committed first (``Tickets``, ``Casework``, ``Roster``), then the people it
concerns are told: the citizen gets ``center.ticket`` or ``center.message`` wherever they are
in the city, the serving civil servant gets the consultation's lines, and the board
(``server.center_live``) republishes the queues.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from server.auth import Identity
from server.center_casework import Casework
from server.center_figures import Figures
from server.center_hours import StaffedHours
from server.center_live import CENTER_ZONE, Board, Tell
from server.center_retention import DEFAULT_RETENTION_DAYS
from server.center_roster import Roster
from server.center_rules import (
    CATEGORIES,
    CENTER_STAFF,
    SUPERVISORS,
    TicketConflict,
    TicketError,
)
from server.center_tickets import Tickets
from server.db.database import Database
from server.idempotency import IdempotencyError
from server.metrics import Registry
from server.permissions import PermissionDenied, require_role
from server.zone_store import IntentRefused, IntentRunner
from world.intents import Persist
from world.roles import Role

__all__ = ["DEFAULT_RETENTION_DAYS", "Center", "CenterConfig"]

# At most this many tickets of one civil servant are shown, with history, on the console.
CONSOLE_TICKETS = 5


@dataclass(frozen=True)
class CenterConfig:
    """How the center is run: its queues, staffed hours and retention."""

    categories: tuple[str, ...] = CATEGORIES
    hours: StaffedHours | None = None
    retention_days: float = DEFAULT_RETENTION_DAYS
    desks: int = 6
    # Where a civil servant sits at each desk (desk -> x, y, z, yaw in the center zone).
    seats: Mapping[int, tuple[float, float, float, float]] = field(default_factory=dict)


class Center:
    """The 120 Center's actions; see the module docstring."""

    def __init__(
        self,
        db: Database,
        config: CenterConfig,
        *,
        notify: Callable[..., bool],
        tell: Tell,
        metrics: Registry,
        summon: Callable[[str, str, str], bool] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.tell = tell
        self.summon = summon
        self.seats = dict(config.seats)
        self.clock = clock
        self.hours = config.hours or StaffedHours()
        self.tickets = Tickets(db, config.categories)
        self.casework = Casework(db, config.categories)
        self.roster = Roster(db, config.categories, config.desks)
        self.figures = Figures(db, config.categories)
        self.board = Board(
            db,
            self.tickets,
            self.roster,
            self.figures,
            self.hours,
            notify=notify,
            tell=tell,
            metrics=metrics,
            retention_days=config.retention_days,
            clock=clock,
        )
        # (staff, ticket) pairs whose console view was audited: the console polls, and one
        # audit row per ticket a civil servant is shown says what they saw.
        self._shown: set[tuple[str, int]] = set()
        self._m_tickets = metrics.counter(
            "plaza_center_tickets_total", "120 Center ticket events", ("event",)
        )

    async def start(self) -> None:
        """Rebuild the queues from the database and start publishing them."""
        await self.board.start()

    async def stop(self) -> None:
        """Stop publishing."""
        await self.board.stop()

    # -- everyone ------------------------------------------------------------------------

    async def info(self) -> dict[str, Any]:
        """Categories, needs, hours, desks and queues (with the oldest ticket's age)."""
        info: dict[str, Any] = (await self.board.snapshot())["info"]
        now = self.clock()
        info["queues"] = {
            c: {
                **q,
                "oldest_wait_s": None if q["oldest_at"] is None else round(now - q["oldest_at"], 1),
            }
            for c, q in info["queues"].items()
        }
        return info

    # -- citizens ------------------------------------------------------------------------

    async def take(self, who: Identity, request: Mapping[str, Any]) -> dict[str, Any]:
        """Take a number (or leave a callback request): committed before it returns."""
        callback = request.get("callback", False)
        if callback is not True and not self.hours.is_open(self.clock()):
            raise TicketConflict(self._closed_reason())
        ticket = await self.tickets.take_number(
            who,
            request.get("category"),
            request.get("description"),
            request.get("needs"),
            request.get("key"),
            callback=callback,
            contact=request.get("contact"),
        )
        ticket["wait_s"] = self.board.wait_for(ticket["category"], ticket["position"])
        self._m_tickets.inc(event="taken")
        self.board.changed()
        return ticket

    async def mine(self, who: Identity) -> list[dict[str, Any]]:
        """The citizen's newest tickets, waiting ones with place and wait estimate."""
        tickets = await self.tickets.mine(who)
        for ticket in tickets:
            ticket["wait_s"] = self.board.wait_for(ticket["category"], ticket["position"])
        return tickets

    async def get(self, who: Identity, ticket_id: Any) -> dict[str, Any]:
        """One ticket with its history (privacy checked, staff reads audited)."""
        ticket = await self.tickets.get(who, ticket_id)
        ticket["wait_s"] = self.board.wait_for(ticket["category"], ticket["position"])
        return ticket

    async def cancel(self, who: Identity, ticket_id: Any) -> dict[str, Any]:
        """Leave the queue."""
        ticket = await self.tickets.cancel(who, ticket_id)
        self._m_tickets.inc(event="cancelled")
        self._told(ticket)
        return ticket

    async def rate(self, who: Identity, ticket_id: Any, stars: Any, comment: Any) -> dict[str, Any]:
        """Rate a closed ticket once."""
        ticket = await self.tickets.rate(who, ticket_id, stars, comment)
        self._m_tickets.inc(event="rated")
        return ticket

    async def message(self, who: Identity, ticket_id: Any, text: Any) -> dict[str, Any]:
        """A line of the private consultation; the other side is told at once."""
        event, ticket, first = await self.tickets.message(who, ticket_id, text)
        line = {
            "ticket": ticket["id"],
            "id": event["id"],
            "at": event["at"],
            "from": event["actor"],
            "name": event["detail"].get("name"),
            "text": event["detail"].get("text"),
        }
        for subject in {ticket["citizen"], ticket["assigned_to"]}:
            if subject is not None:
                self.tell(subject, CENTER_ZONE, "center.message", line)
        if first:
            self._told(ticket)
        return event

    # -- civil servants ------------------------------------------------------------------

    async def console(self, who: Identity) -> dict[str, Any]:
        """Everything the console shows: me, queues, the tickets I serve, colleagues, my day."""
        me = await self.roster.me(who)
        serving = []
        for tid in (await self.casework.serving(who))[:CONSOLE_TICKETS]:
            audit = (who.subject, tid) not in self._shown
            serving.append(await self.tickets.get(who, tid, audit=audit))
            self._shown.add((who.subject, tid))
        everyone = await self.roster.everyone()
        info = await self.info()
        return {
            "me": me,
            "categories": info["categories"],
            "queues": info["queues"],
            "serving": serving,
            "colleagues": [s for s in everyone if s["subject"] != who.subject],
            "day": await self.figures.day(who.subject, self.hours.start_of_day(self.clock())),
        }

    async def set_staff(self, who: Identity, status: Any, skills: Any) -> dict[str, Any]:
        """Set my status and/or skills (a desk opens or closes with it)."""
        me = await self.roster.update(who, status, skills)
        await self.board.publish()
        if me["desk"] is not None and status is not None and self.summon is not None:
            # Connected somewhere in the city: their avatar takes its seat at the desk.
            self.summon(who.subject, CENTER_ZONE, f"desk_{me['desk']}_staff")
        return me

    async def call_next(self, who: Identity) -> dict[str, Any] | None:
        """Call the oldest waiting ticket of my skills to my desk; None if none waits."""
        require_role(who, CENTER_STAFF, "calling the next ticket")
        me = await self.roster.me(who)
        if me["status"] not in ("available", "busy"):
            raise TicketConflict(
                f"your status is {me['status'].replace('_', ' ')}; set it to available "
                "to call the next ticket"
            )
        ticket = await self.casework.call_next(who, me["skills"], me["desk"])
        if ticket is None:
            return None
        await self.roster.settle(who, "busy")
        self._m_tickets.inc(event="called")
        await self.board.publish()
        self._told(ticket)
        return ticket

    async def note(self, who: Identity, ticket_id: Any, text: Any) -> dict[str, Any]:
        """An internal note (never shown to the citizen)."""
        return await self.casework.add_note(who, ticket_id, text)

    async def transfer(self, who: Identity, request: Mapping[str, Any]) -> dict[str, Any]:
        """Hand a ticket to another category's queue or to a colleague."""
        ticket = await self.casework.transfer(
            who,
            request.get("id"),  # type: ignore[arg-type]
            category=request.get("category"),
            to_staff=request.get("to_staff"),
            note=request.get("note"),
        )
        self._m_tickets.inc(event="transferred")
        await self._maybe_free(who)
        await self.board.publish()
        self._told(ticket)
        return ticket

    async def close(self, who: Identity, ticket_id: Any, resolution: Any) -> dict[str, Any]:
        """Close a ticket with its resolution."""
        ticket = await self.casework.close(who, ticket_id, resolution)
        self._m_tickets.inc(event="closed")
        await self._maybe_free(who)
        self._told(ticket)
        return ticket

    async def stats(self, who: Identity) -> dict[str, Any]:
        """Today's figures (supervisors)."""
        require_role(who, SUPERVISORS, "reading the center's figures")
        return await self.figures.stats(self.hours.start_of_day(self.clock()))

    async def seat(self, subject: str) -> tuple[str, tuple[float, float, float, float]] | None:
        """Where a civil servant signing in starts: at their desk while it is open."""
        rows = await self.db.fetch(
            "SELECT desk FROM center_staff WHERE subject = $1 AND desk IS NOT NULL "
            "AND status IN ('available', 'busy')",
            subject,
        )
        seat = self.seats.get(int(rows[0]["desk"])) if rows else None
        return None if seat is None else (CENTER_ZONE, seat)

    # -- the 3D center ----------------------------------------------------------------------

    def serve_intents(self, runner: IntentRunner) -> None:
        """Carry out the center zone's requests (``center.take``...) for its avatars."""
        runner.serve("center.take", self._intent(lambda who, d: self.take(who, d)))
        runner.serve("center.mine", self._intent(lambda who, d: self._wrap_mine(who)))
        runner.serve("center.cancel", self._intent(lambda who, d: self.cancel(who, d.get("id"))))
        runner.serve(
            "center.rate",
            self._intent(
                lambda who, d: self.rate(who, d.get("id"), d.get("stars"), d.get("comment"))
            ),
        )
        runner.serve(
            "center.say",
            self._intent(lambda who, d: self.message(who, d.get("id"), d.get("text"))),
        )

    async def _wrap_mine(self, who: Identity) -> dict[str, Any]:
        return {"tickets": await self.mine(who)}

    def _intent(
        self, act: Callable[[Identity, Mapping[str, Any]], Any]
    ) -> Callable[[Persist], Any]:
        async def run(intent: Persist) -> Mapping[str, Any]:
            data = intent.data
            try:
                role = Role(str(data.get("role")))
            except ValueError:
                raise IntentRefused("unknown role") from None
            who = Identity(
                intent.subject or "",
                str(data.get("name", "")),
                role,
                str(data.get("locale", "ko")),
                0.0,
            )
            try:
                result: Mapping[str, Any] = await act(who, data)
            except (TicketError, IdempotencyError) as exc:
                raise IntentRefused(str(exc)) from None
            except PermissionDenied as exc:
                raise IntentRefused(exc.reason) from None
            return result

        return run

    # -- helpers -------------------------------------------------------------------------

    def _told(self, ticket: dict[str, Any]) -> None:
        ticket["wait_s"] = self.board.wait_for(ticket["category"], ticket.get("position"))
        self.tell(ticket["citizen"], CENTER_ZONE, "center.ticket", {"ticket": ticket})
        self.board.changed()

    async def _maybe_free(self, who: Identity) -> None:
        if not await self.casework.serving(who):
            await self.roster.settle(who, "available")

    def _closed_reason(self) -> str:
        now = self.clock()
        opens = self.hours.next_change(now)
        when = ""
        if opens is not None:
            local = dt.datetime.fromtimestamp(opens, self.hours.zone).strftime("%a %H:%M")
            when = f"; it opens {local}"
        return (
            f"the center is closed now (staffed {self.hours.schedule}, {self.hours.timezone})"
            f"{when}; leave a callback request with a phone number or e-mail address"
        )
