"""HTTP API for moderators: the reports citizens made, with their chat context.

A report (REPORT over the WebSocket) is stored with the reported user's recent lines; here
moderators list the open ones and close each as ``resolved`` (acted on, for example with a
mute or a ban through the moderation API) or ``dismissed``. Closing is audited.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from server.audit import record_action
from server.auth import Identity
from server.db.database import Database, DatabaseUnavailable
from server.http import HttpError, Request, Response, Router
from server.permissions import MODERATORS, PermissionDenied, require_role

__all__ = ["REPORT_PAGE_ROWS", "REPORT_STATUSES", "ReportsApi"]

REPORT_STATUSES = ("open", "resolved", "dismissed")
# One page of reports, newest first; older ones with ?before=<id>.
REPORT_PAGE_ROWS = 100


def _report(row: asyncpg.Record) -> dict[str, Any]:
    resolved = row["resolved_at"]
    return {
        "id": int(row["id"]),
        "reporter": row["reporter"],
        "reported": row["reported"],
        "reported_name": row["reported_name"],
        "reason": row["reason"],
        "zone": row["zone"],
        "instance": row["instance"],
        "context": json.loads(row["context"]),
        "status": row["status"],
        "resolved_by": row["resolved_by"],
        "resolved_at": None if resolved is None else resolved.timestamp(),
        "created_at": row["created_at"].timestamp(),
    }


class ReportsApi:
    """``GET /api/moderation/reports`` and ``POST /api/moderation/reports/resolve``."""

    def __init__(self, identity: Callable[[Request], Awaitable[Identity]], db: Database) -> None:
        self.identity = identity
        self.db = db

    def add_routes(self, router: Router) -> None:
        """Register the routes."""
        router.add("GET", "/api/moderation/reports", self.list_reports)
        router.add("POST", "/api/moderation/reports/resolve", self.resolve)

    async def _moderator(self, request: Request, action: str) -> Identity:
        who = await self.identity(request)
        try:
            require_role(who, MODERATORS, action)
        except PermissionDenied as exc:
            raise HttpError(403, "forbidden", exc.reason) from None
        return who

    async def list_reports(self, request: Request) -> Response:
        """Reports of one status (``?status=``, default open), newest first."""
        await self._moderator(request, "reading reports")
        status = request.query.get("status", "open")
        if status not in REPORT_STATUSES:
            raise HttpError(
                400, "bad_request", f"status must be one of {', '.join(REPORT_STATUSES)}"
            )
        before = request.query.get("before")
        if before is not None and not before.isdigit():
            raise HttpError(400, "bad_request", "before must be a report id")
        try:
            rows = await self.db.fetch(
                "SELECT * FROM reports WHERE status = $1 AND ($2::bigint IS NULL OR id < $2) "
                "ORDER BY id DESC LIMIT $3",
                status,
                None if before is None else int(before),
                REPORT_PAGE_ROWS,
            )
        except DatabaseUnavailable as exc:
            raise HttpError(503, "database_unavailable", str(exc)) from None
        return Response.json({"reports": [_report(r) for r in rows]})

    async def resolve(self, request: Request) -> Response:
        """{"id", "status": "resolved" | "dismissed", "note"?}: close an open report."""
        who = await self._moderator(request, "closing a report")
        body = request.json()
        if not isinstance(body, dict):
            raise HttpError(400, "bad_request", "expected a JSON object")
        report_id, status, note = body.get("id"), body.get("status"), body.get("note", "")
        if isinstance(report_id, bool) or not isinstance(report_id, int) or report_id < 1:
            raise HttpError(400, "bad_request", 'expected {"id": <report id>, "status": ...}')
        if status not in ("resolved", "dismissed"):
            raise HttpError(400, "bad_request", "status must be resolved or dismissed")
        if not isinstance(note, str) or len(note) > 500:
            raise HttpError(400, "bad_request", "note must be a string of at most 500 characters")

        async def work(conn: asyncpg.Connection) -> dict[str, Any] | None:
            row = await conn.fetchrow(
                "UPDATE reports SET status = $2, resolved_by = $3, resolved_at = now() "
                "WHERE id = $1 AND status = 'open' RETURNING *",
                report_id,
                status,
                who.subject,
            )
            if row is None:
                return None
            await record_action(
                conn, who, f"report_{status}", row["reported"], {"report": report_id, "note": note}
            )
            return _report(row)

        try:
            report = await self.db.run(work, deadline_s=10.0)
        except DatabaseUnavailable as exc:
            raise HttpError(503, "database_unavailable", f"{exc}; nothing was changed") from None
        if report is None:
            raise HttpError(409, "conflict", f"report {report_id} is not open (or does not exist)")
        return Response.json(report)
