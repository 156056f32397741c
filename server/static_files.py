"""The web client's files, served by Plaza's own HTTP server (no CDN, works on a closed network).

The client is built by ``make`` (npm packages bundled with esbuild into
``clients/web/dist``). Paths map onto that folder only: anything that would leave it
(``..``, absolute paths, NUL) is a 404, and so are hidden files. HTML is never cached, so a
new version is picked up on the next load; bundles may be cached briefly.
"""

from __future__ import annotations

import mimetypes
import pathlib
from urllib.parse import unquote

from server.http import Request, Response

__all__ = ["PAGES", "StaticFiles"]
# Clean URLs for the pages a citizen is given as a link.
PAGES = {
    "/": "index.html",
    "/2d": "2d.html",
    # The 120 Center (docs/center120.md): the citizen's ticket page, the civil servant's
    # console and the supervisors' dashboard. Their pages link styles and scripts by absolute
    # path (/center.css), as /center/console's relative URLs would resolve under /center/.
    "/center": "center.html",
    "/center/console": "console.html",
    "/center/dashboard": "dashboard.html",
    # The festival organizer's console (docs/events.md).
    "/events/console": "events_console.html",
}
# Largest file served: the bundles are a few hundred KiB; this stops a stray big file.
MAX_FILE_BYTES = 16 * 1024 * 1024
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".webmanifest": "application/manifest+json",
}


class StaticFiles:
    """A request handler serving one folder."""

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root.resolve()

    async def __call__(self, request: Request) -> Response:
        """The file at the request's path, or a 404 (503 when the client is not built)."""
        if request.path in PAGES and not (self.root / "index.html").is_file():
            return Response.text(
                "the web client is not built: run `make` (it installs and bundles it)\n",
                status=503,
            )
        path = self._resolve(request.path)
        if path is None:
            return Response.error(404, "not_found", f"no file at {request.path}")
        data = path.read_bytes()
        content_type = _TYPES.get(path.suffix) or (
            mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        )
        response = Response(200, data, content_type)
        cache = "no-cache" if path.suffix == ".html" else "public, max-age=300"
        response.headers["Cache-Control"] = cache
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    def _resolve(self, url_path: str) -> pathlib.Path | None:
        relative = PAGES.get(url_path)
        if relative is None:
            relative = unquote(url_path).lstrip("/")
        parts = pathlib.PurePosixPath(relative).parts
        if not parts or any(p in ("", ".", "..") or p.startswith(".") or "\0" in p for p in parts):
            return None
        path = (self.root / pathlib.Path(*parts)).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        return path
