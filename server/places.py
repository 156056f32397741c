"""Where each user last stood, written behind in batches.

Positions change twenty times a second; the database needs only the latest, now and then.
``PlaceWriter.note`` keeps the newest place per user in memory (replacing an older one),
and a background task writes them all in one statement every ``FLUSH_INTERVAL_S``. When
PostgreSQL is away, the batch stays and is merged with newer places (a newer place wins) and
retried with backoff; nothing noted is dropped. ``stop`` makes a last flush.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from server.db.database import Database, DatabaseUnavailable, is_transient

__all__ = ["FLUSH_INTERVAL_S", "Place", "PlaceWriter", "load_last_place"]

log = logging.getLogger("plaza.places")

# Losing the last two seconds of a walk to a crash is harmless; writing more often is waste.
FLUSH_INTERVAL_S = 2.0
# One flush attempt waits this long through an outage before the batch is put back.
_FLUSH_DEADLINE_S = 5.0
# The final flush at shutdown gets this long.
_STOP_DEADLINE_S = 5.0


@dataclass(frozen=True)
class Place:
    """A position (metres, zone coordinates) and heading (radians) in a zone."""

    zone: str
    x: float
    y: float
    z: float
    yaw: float


async def load_last_place(db: Database, subject: str) -> Place | None:
    """Where ``subject`` last stood (in whichever zone), if saved."""
    rows = await db.fetch("SELECT zone, x, y, z, yaw FROM last_places WHERE subject = $1", subject)
    if not rows:
        return None
    r = rows[0]
    return Place(r["zone"], r["x"], r["y"], r["z"], r["yaw"])


class PlaceWriter:
    """Write-behind of last places."""

    def __init__(
        self,
        db: Database,
        interval_s: float = FLUSH_INTERVAL_S,
        collect: Callable[[], None] | None = None,
    ) -> None:
        """``collect`` is called before each flush to note the places of everyone present."""
        self.db = db
        self.interval_s = interval_s
        self._collect = collect
        self.pending: dict[str, Place] = {}
        self.written = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def note(self, subject: str, place: Place) -> None:
        """Remember the newest place of ``subject`` for the next flush."""
        self.pending[subject] = place

    def start(self) -> None:
        """Flush every ``interval_s`` in the background."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="plaza-places")

    async def stop(self) -> None:
        """Stop the loop and make a last flush (bounded)."""
        self._stopping.set()
        if self._task is not None:
            await self._task
        if self._collect is not None:
            self._collect()
        try:
            await asyncio.wait_for(self.flush(), _STOP_DEADLINE_S)
        except (TimeoutError, DatabaseUnavailable):
            log.warning("%d last places not saved at shutdown", len(self.pending))

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._stopping.wait(), self.interval_s)
                return
            except TimeoutError:
                pass
            try:
                if self._collect is not None:
                    self._collect()
                await self.flush()
            except DatabaseUnavailable:
                pass  # kept; the next round tries again, and readiness says why
            except Exception:
                log.exception("saving last places failed")

    async def flush(self) -> int:
        """Write everything pending now; returns how many places were written."""
        if not self.pending:
            return 0
        batch, self.pending = self.pending, {}
        subjects = list(batch)
        places = list(batch.values())

        async def work(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO last_places (subject, zone, x, y, z, yaw, saved_at) "
                "SELECT *, now() FROM unnest($1::text[], $2::text[], $3::real[], $4::real[], "
                "$5::real[], $6::real[]) "
                "ON CONFLICT (subject) DO UPDATE SET zone = EXCLUDED.zone, x = EXCLUDED.x, "
                "y = EXCLUDED.y, z = EXCLUDED.z, yaw = EXCLUDED.yaw, saved_at = now()",
                subjects,
                [p.zone for p in places],
                [p.x for p in places],
                [p.y for p in places],
                [p.z for p in places],
                [p.yaw for p in places],
            )

        try:
            await self.db.run(work, deadline_s=_FLUSH_DEADLINE_S)
        except BaseException as exc:
            # Put the batch back under anything noted since (newer places win).
            batch.update(self.pending)
            self.pending = batch
            if isinstance(exc, Exception) and is_transient(exc):
                raise DatabaseUnavailable(str(exc)) from exc
            raise
        self.written += len(batch)
        return len(batch)
