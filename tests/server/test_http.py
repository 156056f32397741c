"""Tests for server.http over real sockets (raw asyncio streams and urllib)."""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

import server.http as http_mod
from server.http import HttpError, HttpServer, Request, Response, Router

IO_TIMEOUT_S = 5.0


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def _echo(request: Request) -> Response:
    return Response.json(
        {
            "method": request.method,
            "path": request.path,
            "query": request.query,
            "body": request.json() if request.body else None,
            "peer": request.peer,
        }
    )


async def _hello(request: Request) -> Response:
    return Response.json({"hello": "wörld"})


async def _teapot(request: Request) -> Response:
    raise HttpError(418, "teapot", "short and stout")


async def _boom(request: Request) -> Response:
    raise RuntimeError("kaboom")


async def _cached(request: Request) -> Response:
    return Response(200, b"{}", "application/json", {"Cache-Control": "max-age=60"})


async def _injected(request: Request) -> Response:
    return Response(200, b"x", headers={"X-Evil": "a\r\nSet-Cookie: pwned=1"})


async def _slow(request: Request) -> Response:
    await asyncio.sleep(0.3)
    return Response.text("done")


@pytest.fixture
async def server() -> AsyncIterator[HttpServer]:
    router = Router()
    router.add("GET", "/hello", _hello)
    router.add("GET", "/echo", _echo)
    router.add("POST", "/echo", _echo)
    router.add("GET", "/teapot", _teapot)
    router.add("GET", "/boom", _boom)
    router.add("GET", "/slow", _slow)
    router.add("GET", "/cached", _cached)
    router.add("GET", "/injected", _injected)
    srv = HttpServer(router, port=0)
    await srv.start()
    yield srv
    await srv.close()


async def _connect(srv: HttpServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", srv.port)


async def _read_response(reader: asyncio.StreamReader, *, head: bool = False) -> RawResponse:
    async with asyncio.timeout(IO_TIMEOUT_S):
        status_line = await reader.readuntil(b"\r\n")
        headers: dict[str, str] = {}
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = 0 if head else int(headers.get("content-length", "0"))
        body = await reader.readexactly(length)
    return RawResponse(int(status_line.split()[1]), headers, body)


async def _exchange(srv: HttpServer, raw: bytes) -> tuple[RawResponse, bytes]:
    """Send raw bytes on a fresh connection; return the response and what follows it."""
    reader, writer = await _connect(srv)
    try:
        writer.write(raw)
        await writer.drain()
        response = await _read_response(reader)
        async with asyncio.timeout(IO_TIMEOUT_S):
            rest = await reader.read()
        return response, rest
    finally:
        writer.close()


async def _is_closed(reader: asyncio.StreamReader) -> bool:
    async with asyncio.timeout(IO_TIMEOUT_S):
        return await reader.read() == b""


def _urlopen(url: str, data: bytes | None = None, method: str = "GET") -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=IO_TIMEOUT_S) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


async def test_get_json_route_via_urllib(server: HttpServer) -> None:
    status, headers, body = await asyncio.to_thread(
        _urlopen, f"http://127.0.0.1:{server.port}/hello"
    )
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Length"] == str(len(body))
    assert body == '{"hello":"wörld"}'.encode()


async def test_post_json_body_is_echoed_via_urllib(server: HttpServer) -> None:
    payload = {"name": "Ada", "tags": ["a", "b"]}
    status, _, body = await asyncio.to_thread(
        _urlopen,
        f"http://127.0.0.1:{server.port}/echo?x=1&x=2&y=%20z",
        json.dumps(payload).encode(),
        "POST",
    )
    assert status == 200
    echoed = json.loads(body)
    assert echoed["method"] == "POST"
    assert echoed["body"] == payload
    assert echoed["query"] == {"x": "1", "y": " z"}
    assert echoed["peer"].startswith("127.0.0.1:")


async def test_path_is_percent_decoded(server: HttpServer) -> None:
    response, _ = await _exchange(
        server, b"GET /%65cho?q=a%2Fb HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    assert response.status == 200
    assert response.json()["path"] == "/echo"
    assert response.json()["query"] == {"q": "a/b"}


async def test_unknown_path_is_404_json(server: HttpServer) -> None:
    status, headers, body = await asyncio.to_thread(
        _urlopen, f"http://127.0.0.1:{server.port}/nope"
    )
    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"] == "not_found"


async def test_wrong_method_is_405_with_allow(server: HttpServer) -> None:
    response, _ = await _exchange(
        server, b"DELETE /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    assert response.status == 405
    assert response.headers["allow"] == "GET, HEAD, POST"
    assert response.json()["error"] == "method_not_allowed"


async def test_bad_json_body_is_400(server: HttpServer) -> None:
    response, _ = await _exchange(
        server,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{nope",
    )
    assert response.status == 400
    assert response.json()["error"] == "bad_json"


async def test_deeply_nested_json_is_400_not_500(server: HttpServer) -> None:
    body = b"[" * 60000
    response, _ = await _exchange(
        server,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
        % len(body)
        + body,
    )
    assert response.status == 400
    assert response.json()["error"] == "bad_json"


async def test_handler_cache_control_is_kept(server: HttpServer) -> None:
    response, _ = await _exchange(
        server, b"GET /cached HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    assert response.headers["cache-control"] == "max-age=60"


async def test_header_injection_from_handler_becomes_500(
    server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    response, _ = await _exchange(
        server, b"GET /injected HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    assert response.status == 500
    assert "set-cookie" not in response.headers
    assert "invalid response" in caplog.text


async def test_stray_crlf_before_request_is_ignored(server: HttpServer) -> None:
    response, _ = await _exchange(
        server, b"\r\nGET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    assert response.status == 200


async def test_keep_alive_serves_two_requests_on_one_connection(server: HttpServer) -> None:
    reader, writer = await _connect(server)
    try:
        writer.write(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        first = await _read_response(reader)
        body = b'{"n":2}'
        writer.write(
            b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        second = await _read_response(reader)
    finally:
        writer.close()
    assert first.status == 200
    assert "connection" not in first.headers
    assert second.status == 200
    assert second.json()["body"] == {"n": 2}


async def test_connection_close_is_honoured(server: HttpServer) -> None:
    response, rest = await _exchange(
        server, b"GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    assert response.status == 200
    assert response.headers["connection"] == "close"
    assert rest == b""


async def test_http10_closes_by_default(server: HttpServer) -> None:
    response, rest = await _exchange(server, b"GET /hello HTTP/1.0\r\n\r\n")
    assert response.status == 200
    assert response.headers["connection"] == "close"
    assert rest == b""


async def test_oversized_body_is_413_without_reading_it(server: HttpServer) -> None:
    reader, writer = await _connect(server)
    try:
        # Only the head is sent: the server must answer from Content-Length alone.
        writer.write(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n")
        response = await _read_response(reader)
        assert await _is_closed(reader)
    finally:
        writer.close()
    assert response.status == 413
    assert response.json()["error"] == "body_too_large"
    assert response.headers["connection"] == "close"


async def test_too_many_headers_is_431(server: HttpServer) -> None:
    fields = b"".join(b"X-H%d: v\r\n" % i for i in range(http_mod.MAX_HEADER_COUNT + 1))
    response, rest = await _exchange(
        server, b"GET /hello HTTP/1.1\r\nHost: t\r\n" + fields + b"\r\n"
    )
    assert response.status == 431
    assert response.json()["error"] == "headers_too_large"
    assert rest == b""


async def test_too_long_request_line_is_414(server: HttpServer) -> None:
    target = b"/" + b"a" * http_mod.MAX_REQUEST_LINE_BYTES
    response, _ = await _exchange(server, b"GET " + target + b" HTTP/1.1\r\nHost: t\r\n\r\n")
    assert response.status == 414
    assert response.json()["error"] == "uri_too_long"


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /hello HTTP/1.1 extra\r\nHost: t\r\n\r\n",
        b"GET hello HTTP/1.1\r\nHost: t\r\n\r\n",
        b"GET /hello HTTP/1.1\r\nBad Header: x\r\n\r\n",
        b"GET /hello HTTP/1.1\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\n{}{}{",
    ],
    ids=["request-line", "extra-token", "relative-target", "header-name", "no-host", "bad-length"],
)
async def test_malformed_request_is_400_and_closes(server: HttpServer, raw: bytes) -> None:
    response, rest = await _exchange(server, raw)
    assert response.status == 400
    assert response.json()["error"] == "bad_request"
    assert response.headers["connection"] == "close"
    assert rest == b""


async def test_transfer_encoding_is_501(server: HttpServer) -> None:
    response, _ = await _exchange(
        server,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    )
    assert response.status == 501
    assert response.json()["error"] == "unsupported_transfer_encoding"


async def test_header_timeout_is_408(server: HttpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_mod, "HEADER_TIMEOUT_S", 0.2)
    response, rest = await _exchange(server, b"GET /hello HTTP/1.1\r\nHost: t\r\n")
    assert response.status == 408
    assert response.json()["error"] == "timeout"
    assert rest == b""


async def test_expect_100_continue(server: HttpServer) -> None:
    reader, writer = await _connect(server)
    try:
        writer.write(
            b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"
        )
        async with asyncio.timeout(IO_TIMEOUT_S):
            interim = await reader.readuntil(b"\r\n\r\n")
        writer.write(b"{}")
        response = await _read_response(reader)
    finally:
        writer.close()
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert response.status == 200


async def test_handler_http_error_uses_its_status(server: HttpServer) -> None:
    status, _, body = await asyncio.to_thread(_urlopen, f"http://127.0.0.1:{server.port}/teapot")
    assert status == 418
    assert json.loads(body) == {"error": "teapot", "reason": "short and stout"}


async def test_handler_exception_is_500_and_server_keeps_serving(
    server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    reader, writer = await _connect(server)
    try:
        with caplog.at_level(logging.ERROR, logger="plaza.http"):
            writer.write(b"GET /boom HTTP/1.1\r\nHost: t\r\n\r\n")
            failed = await _read_response(reader)
        # Same connection: the stream is intact after a handler failure.
        writer.write(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        ok = await _read_response(reader)
    finally:
        writer.close()
    assert failed.status == 500
    assert failed.json() == {"error": "internal", "reason": "internal server error"}
    assert ok.status == 200
    assert any(r.name == "plaza.http" and r.exc_info for r in caplog.records)
    assert "kaboom" in caplog.text


async def test_head_returns_headers_without_body(server: HttpServer) -> None:
    reader, writer = await _connect(server)
    try:
        writer.write(b"HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        head = await _read_response(reader, head=True)
        # If a body had been sent, it would be misread as this response's status line.
        writer.write(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        get = await _read_response(reader)
    finally:
        writer.close()
    assert head.status == 200
    assert head.headers["content-length"] == str(len(get.body))
    assert head.headers["content-type"] == "application/json"
    assert get.status == 200


async def test_close_ends_open_keep_alive_connections(server: HttpServer) -> None:
    port = server.port
    reader, writer = await _connect(server)
    try:
        writer.write(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        assert (await _read_response(reader)).status == 200
        async with asyncio.timeout(IO_TIMEOUT_S):
            await server.close()
        assert await _is_closed(reader)
    finally:
        writer.close()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_close_lets_in_flight_request_finish(server: HttpServer) -> None:
    reader, writer = await _connect(server)
    try:
        writer.write(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        await asyncio.sleep(0.05)
        closing = asyncio.create_task(server.close())
        response = await _read_response(reader)
        assert await _is_closed(reader)
        await closing
    finally:
        writer.close()
    assert response.status == 200
    assert response.body == b"done"
    assert response.headers["connection"] == "close"
