"""What zones and the chat keep in PostgreSQL, and the runner that carries out world intents.

The world leaves a tick with ``Persist`` intents (``world.intents``). ``IntentRunner`` runs
them one at a time, in the order the ticks made them (so two saves of one key land in
order), each through the handler registered for its kind:

* ``record`` / ``user_record``: a zone's key/value records (``ctx.save``/``ctx.save_for``);
* ``block``: a user's chat block list;
* ``report``: a report for the moderators, with its chat context;
* anything a service registers (``register``) for its zone.

When a client is waiting (``reply``), it gets its RESULT only once the change is committed,
or ``ok = false`` with the reason if it could not be; it can then retry. Intents nobody
waits for (records) are retried with backoff while the database is away.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from server.db.database import Database, DatabaseUnavailable
from world.city_requests import BLOCK, REPORT
from world.codec import encode_result
from world.intents import RECORD, USER_RECORD, Persist
from world.zone_api import ServerEvent

__all__ = [
    "INTENT_DEADLINE_S",
    "MAX_PENDING_INTENTS",
    "IntentRefused",
    "IntentRunner",
    "MemberData",
    "load_member_data",
    "load_zone_records",
]

log = logging.getLogger("plaza.zones")

# A client waiting for a RESULT is told after this long that the change failed.
INTENT_DEADLINE_S = 10.0
# A save nobody waits for is tried again this long after the database failed it.
RETRY_DELAY_S = 5.0
# Intents waiting for the database; past this, new ones fail at once (and are logged).
MAX_PENDING_INTENTS = 50_000

Handler = Callable[[asyncpg.Connection, Persist], Awaitable[Mapping[str, Any]]]
Service = Callable[[Persist], Awaitable[Mapping[str, Any]]]
Send = Callable[[int, bytes], object]
Notify = Callable[[str, ServerEvent], bool]


@dataclass
class MemberData:
    """What the world needs about a user at sign-in, beyond the profile."""

    blocked: set[str] = field(default_factory=set)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)


async def load_zone_records(db: Database) -> dict[str, dict[str, Any]]:
    """Every zone's saved records (zone -> key -> value)."""
    rows = await db.fetch("SELECT zone, key, value FROM zone_records", deadline_s=None)
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        out.setdefault(row["zone"], {})[row["key"]] = json.loads(row["value"])
    return out


async def load_member_data(db: Database, subject: str, deadline_s: float) -> MemberData:
    """A user's chat blocks and per-zone records."""

    async def work(conn: asyncpg.Connection) -> MemberData:
        data = MemberData()
        for row in await conn.fetch("SELECT blocked FROM chat_blocks WHERE subject = $1", subject):
            data.blocked.add(row["blocked"])
        records = await conn.fetch(
            "SELECT zone, key, value FROM zone_user_records WHERE subject = $1", subject
        )
        for row in records:
            data.records.setdefault(row["zone"], {})[row["key"]] = json.loads(row["value"])
        return data

    return await db.run(work, deadline_s=deadline_s, transaction=False)


async def _save_record(conn: asyncpg.Connection, intent: Persist) -> Mapping[str, Any]:
    key, value = intent.data["key"], intent.data["value"]
    if value is None:
        await conn.execute(
            "DELETE FROM zone_records WHERE zone = $1 AND key = $2", intent.zone, key
        )
    else:
        await conn.execute(
            "INSERT INTO zone_records (zone, key, value) VALUES ($1, $2, $3::jsonb) "
            "ON CONFLICT (zone, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
            intent.zone,
            key,
            json.dumps(value, ensure_ascii=False),
        )
    return {"key": key}


async def _save_user_record(conn: asyncpg.Connection, intent: Persist) -> Mapping[str, Any]:
    key, value = intent.data["key"], intent.data["value"]
    if value is None:
        await conn.execute(
            "DELETE FROM zone_user_records WHERE zone = $1 AND subject = $2 AND key = $3",
            intent.zone,
            intent.subject,
            key,
        )
    else:
        await conn.execute(
            "INSERT INTO zone_user_records (zone, subject, key, value) "
            "VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (subject, zone, key) "
            "DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
            intent.zone,
            intent.subject,
            key,
            json.dumps(value, ensure_ascii=False),
        )
    return {"key": key}


async def _save_block(conn: asyncpg.Connection, intent: Persist) -> Mapping[str, Any]:
    blocked = intent.data["blocked"]
    if intent.data["on"]:
        await conn.execute(
            "INSERT INTO chat_blocks (subject, blocked) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            intent.subject,
            blocked,
        )
    else:
        await conn.execute(
            "DELETE FROM chat_blocks WHERE subject = $1 AND blocked = $2", intent.subject, blocked
        )
    return {"avatar": intent.data["avatar"], "blocked": bool(intent.data["on"])}


async def _save_report(conn: asyncpg.Connection, intent: Persist) -> Mapping[str, Any]:
    data = intent.data
    report_id = await conn.fetchval(
        "INSERT INTO reports (reporter, reported, reported_name, reason, zone, instance, "
        "context) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING id",
        intent.subject,
        data["reported"],
        data["reported_name"],
        data["reason"],
        intent.zone,
        data["instance"],
        json.dumps(data["context"], ensure_ascii=False),
    )
    return {"report": int(report_id)}


def _record_key(intent: Persist) -> tuple[str, str, str, str] | None:
    """Which record a save writes (records only: other kinds are not overwritten)."""
    if intent.kind not in (RECORD, USER_RECORD):
        return None
    return (intent.kind, intent.zone, intent.subject or "", str(intent.data.get("key")))


class IntentRefused(Exception):
    """A handler's "no" (already voted, not allowed): the requester gets ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IntentRunner:
    """Carries out persist intents in order; see the module docstring."""

    def __init__(self, db: Database, send: Send, notify: Notify) -> None:
        self.db = db
        self.send = send
        self.notify = notify
        self.handlers: dict[str, Handler] = {
            RECORD: _save_record,
            USER_RECORD: _save_user_record,
            BLOCK: _save_block,
            REPORT: _save_report,
        }
        # Kinds whose outcome only the requester hears about (no zone event).
        self._quiet = {RECORD, USER_RECORD, BLOCK, REPORT}
        self._after: dict[str, Callable[[], Awaitable[None]]] = {}
        self._services: dict[str, Service] = {}
        # The newest queued save of each record: an older one (say, one waiting out a
        # database outage) is skipped rather than written over it.
        self._latest: dict[tuple[str, str, str, str], tuple[Persist]] = {}
        self._queue: asyncio.Queue[Persist] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def register(
        self, kind: str, handler: Handler, after: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        """Carry out intents of ``kind`` with ``handler`` (in a transaction); its result is
        the RESULT detail and the data of the zone's ``ServerEvent``. ``after`` runs once
        the change is committed (a service publishing its new state)."""
        self.handlers[kind] = handler
        if after is not None:
            self._after[kind] = after

    def serve(self, kind: str, service: Service) -> None:
        """Carry out intents of ``kind`` with ``service``, which does its own database work
        (a service with transactions of its own, such as the 120 center). Only the requester
        hears the outcome: no zone event is raised, since it may be private."""
        self._services[kind] = service
        self._quiet.add(kind)

    def start(self) -> None:
        """Start the worker."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="plaza-intents")

    async def stop(self, deadline_s: float = 5.0) -> None:
        """Finish what is queued (bounded), then stop."""
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), deadline_s)
        except TimeoutError:
            log.error("%d zone intents not carried out at shutdown", self._queue.qsize())
        self._task.cancel()

    @property
    def pending(self) -> int:
        """Intents waiting."""
        return self._queue.qsize()

    def submit(self, intents: list[Persist]) -> None:
        """Queue a tick's intents (called from the tick; never waits)."""
        for intent in intents:
            if self._queue.qsize() >= MAX_PENDING_INTENTS:
                log.error("intent %s of zone %s dropped: queue full", intent.kind, intent.zone)
                if intent.reply is not None:
                    self.send(
                        intent.reply.avatar_id,
                        encode_result(intent.reply.request_id, False, "server busy; try again"),
                    )
                continue
            key = _record_key(intent)
            if key is not None:
                self._latest[key] = (intent,)
            self._queue.put_nowait(intent)

    def _requeue(self, intent: Persist) -> None:
        if self._queue.qsize() < MAX_PENDING_INTENTS:
            self._queue.put_nowait(intent)
        else:
            log.error("intent %s of zone %s dropped: queue full", intent.kind, intent.zone)

    async def _run(self) -> None:
        while True:
            intent = await self._queue.get()
            try:
                await self._carry_out(intent)
            except Exception:
                log.exception("intent %s of zone %s failed", intent.kind, intent.zone)
            finally:
                self._queue.task_done()

    async def _carry_out(self, intent: Persist) -> None:
        service = self._services.get(intent.kind)
        if service is not None:
            await self._serve(intent, service)
            return
        handler = self.handlers.get(intent.kind)
        reply = intent.reply
        if handler is None:
            reason = f"nothing here carries out {intent.kind!r}"
            log.error("zone %s asked for %s: no handler registered", intent.zone, intent.kind)
            self._answer(intent, False, reason, {})
            return

        async def work(conn: asyncpg.Connection) -> Mapping[str, Any]:
            return await handler(conn, intent)

        key = _record_key(intent)
        if key is not None and self._latest.get(key, (None,))[0] is not intent:
            return  # a newer save of the same record is queued; it wins
        try:
            detail = await self.db.run(work, deadline_s=INTENT_DEADLINE_S)
        except DatabaseUnavailable as exc:
            if reply is None:
                # Nobody waits: try again later, behind the requests that do.
                log.warning("intent %s of zone %s waits: %s", intent.kind, intent.zone, exc)
                asyncio.get_running_loop().call_later(RETRY_DELAY_S, self._requeue, intent)
                return
            log.warning("intent %s of zone %s not saved: %s", intent.kind, intent.zone, exc)
            self._answer(intent, False, "could not be saved now; try again shortly", {})
            return
        except IntentRefused as exc:
            self._answer(intent, False, exc.reason, {})
            return
        if key is not None and self._latest.get(key, (None,))[0] is intent:
            del self._latest[key]
        if reply is not None:
            self.send(reply.avatar_id, encode_result(reply.request_id, True, dict(detail)))
        if intent.kind not in self._quiet:
            self.notify(intent.zone, self._event(intent, True, "", detail))
        after = self._after.get(intent.kind)
        if after is not None:
            await after()

    async def _serve(self, intent: Persist, service: Service) -> None:
        try:
            detail = await service(intent)
        except DatabaseUnavailable as exc:
            log.warning("intent %s of zone %s not carried out: %s", intent.kind, intent.zone, exc)
            self._answer(
                intent, False, "the database is unavailable; nothing was changed; try again", {}
            )
            return
        except IntentRefused as exc:
            self._answer(intent, False, exc.reason, {})
            return
        if intent.reply is not None:
            self.send(
                intent.reply.avatar_id, encode_result(intent.reply.request_id, True, dict(detail))
            )

    def _answer(self, intent: Persist, ok: bool, reason: str, detail: Mapping[str, Any]) -> None:
        if intent.reply is not None:
            self.send(intent.reply.avatar_id, encode_result(intent.reply.request_id, ok, reason))
        if intent.kind not in self._quiet:
            self.notify(intent.zone, self._event(intent, ok, reason, detail))

    @staticmethod
    def _event(intent: Persist, ok: bool, reason: str, detail: Mapping[str, Any]) -> ServerEvent:
        reply = intent.reply
        return ServerEvent(
            intent.kind,
            dict(detail),
            ok,
            reason,
            reply.request_id if reply is not None else None,
            reply.avatar_id if reply is not None else 0,
        )
