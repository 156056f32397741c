"""``plaza bench center``: the 120 Center's queues under load, with every ticket accounted for.

A ``plaza serve`` subprocess on free loopback ports with its own data folder and embedded
PostgreSQL (or, with ``--http``, a server already running on this machine, whose data
folder's token issuer is given with ``--data-dir``). N citizens sign in as guests and take
numbers over HTTP, some retrying with the same idempotency key on purpose; S civil servants
call the next ticket, write to the citizen and close it; each citizen rates the closed
ticket. Then every ticket is read back as a supervisor: none may be lost (not closed) or
duplicated (a second ticket for one key, called or closed twice, served by two civil
servants). The run is ``server/bench/center_run.py``, the bots ``center_bots.py``, the
checks ``center_checks.py``.

Prints human-readable lines, then one JSON object as the last line. Exits 1 when anything was
lost or duplicated, a number could not be taken, or the run hit ``--timeout``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pathlib
import tempfile
import urllib.parse
from typing import Any

from server.auth import ACCESS_TOKEN_TTL_S, TokenIssuer
from server.bench.center_checks import describe
from server.bench.center_http import HttpFailure, Mint
from server.bench.center_run import LoadPlan, run_center_load
from server.bench.server_process import running_server
from server.signing_key import KEY_DIR_NAME, KEY_FILE_NAME
from world.roles import Role

__all__ = ["add_arguments", "main"]

# Tokens live 15 minutes; the run and the checks after it must fit in one.
_MAX_TIMEOUT_S = ACCESS_TOKEN_TTL_S - 120


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``plaza bench center``."""
    parser.add_argument("--tickets", type=int, default=1000, help="citizens, one number each")
    parser.add_argument("--staff", type=int, default=20, help="civil servants serving")
    parser.add_argument(
        "--concurrency", type=int, default=50, help="citizens' requests in flight at most"
    )
    parser.add_argument(
        "--retry-every",
        type=int,
        default=10,
        help="every n-th citizen sends its request again with the same key (0: none)",
    )
    parser.add_argument(
        "--double-every",
        type=int,
        default=25,
        help="every n-th citizen sends its request twice at once (0: none)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help=f"seconds before the run stops and fails (at most {_MAX_TIMEOUT_S})",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--http",
        default=None,
        help="a running server on this machine (default: start one with its own database)",
    )
    parser.add_argument(
        "--data-dir",
        type=pathlib.Path,
        default=None,
        help="with --http: that server's data folder, whose issuer key mints staff tokens",
    )


def _mint_with(issuer: TokenIssuer) -> Mint:
    def mint(name: str, role: Role) -> str:
        return issuer.mint(subject=f"local:{name}", name=name, role=role)

    return mint


def _run(http: str, data_dir: pathlib.Path, plan: LoadPlan) -> dict[str, Any]:
    key = data_dir / KEY_DIR_NAME / KEY_FILE_NAME
    if not key.is_file():
        raise SystemExit(f"plaza bench center: no issuer key at {key}")
    issuer = TokenIssuer.load_or_create(data_dir)
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        pass
    try:
        return asyncio.run(run_center_load(http, _mint_with(issuer), plan))
    except (RuntimeError, TimeoutError, HttpFailure) as exc:
        return {"bench": "center", "ok": False, "error": f"{type(exc).__name__}: {exc}"}


def main(args: argparse.Namespace) -> int:
    """Run the center bench; the last line printed is one JSON object; 1 if anything failed."""
    if args.tickets < 1 or args.staff < 1 or args.concurrency < 1:
        raise SystemExit("--tickets, --staff and --concurrency must be at least 1")
    if not 0 < args.timeout <= _MAX_TIMEOUT_S:
        raise SystemExit(f"--timeout must be within 0..{_MAX_TIMEOUT_S} s (tokens live 15 min)")
    plan = LoadPlan(
        tickets=args.tickets,
        staff=args.staff,
        concurrency=args.concurrency,
        retry_every=args.retry_every,
        double_every=args.double_every,
        timeout_s=args.timeout,
        seed=args.seed,
    )
    if args.http is not None:
        if urllib.parse.urlsplit(args.http).hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("plaza bench center only targets a server on this machine")
        if args.data_dir is None:
            raise SystemExit("--http needs --data-dir: the server's data folder (issuer key)")
        figures = _run(args.http, args.data_dir, plan)
    else:
        # The later --data-dir wins over the one running_server passes: the server keeps its
        # issuer key (and its embedded PostgreSQL) where this process can read the key.
        with (
            tempfile.TemporaryDirectory(prefix="plaza-bench-center-") as data_dir,
            running_server("--data-dir", data_dir) as server,
        ):
            figures = _run(server.http, pathlib.Path(data_dir), plan)
    if "error" in figures:
        print(f"120 center bench failed: {figures['error']}")
    else:
        for line in describe(figures):
            print(line)
    print(json.dumps(figures, ensure_ascii=False))
    return 0 if figures.get("ok") else 1
