"""The ``plaza`` command: serve, migrate, token, bots, bench."""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
from collections.abc import Sequence

from server.config import add_database_argument, add_serve_arguments, config_from_args

__all__ = ["main"]


def _serve(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if config.nodes > 1 and config.node_index is None:
        from server.node_supervisor import run_nodes

        run_nodes(config, args.argv)
        return 0
    from server.app import run_server

    run_server(config)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    import asyncio

    from server.db.session import migrate_only

    try:
        applied = asyncio.run(migrate_only(args.data_dir, args.database_url))
    except Exception as exc:
        print(f"plaza migrate: {exc}", file=sys.stderr)
        return 1
    if applied:
        for name in applied:
            print(f"applied {name}")
    else:
        print("the schema is up to date")
    return 0


def _token(args: argparse.Namespace) -> int:
    from server.auth import ACCESS_TOKEN_TTL_S, TokenIssuer
    from world.roles import parse_role

    try:
        role = parse_role(args.role)
        issuer = TokenIssuer.load_or_create(args.data_dir)
        subject = args.subject or f"local:{args.name}"
        token = issuer.mint(
            subject=subject,
            name=args.name,
            role=role,
            locale=args.locale,
            ttl_s=min(args.ttl, ACCESS_TOKEN_TTL_S),
        )
    except ValueError as exc:
        print(f"plaza token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def _bots(args: argparse.Namespace) -> int:
    from plaza_client.bots import main as bots_main

    return int(bots_main(args))


def _bench_tick(args: argparse.Namespace) -> int:
    from server.bench import tick

    tick.report(tick.run(args))
    return 0


def _bench_city(args: argparse.Namespace) -> int:
    from server.bench import city

    city.report(city.run(args))
    return 0


def _bench_interest(args: argparse.Namespace) -> int:
    from server.bench import interest

    interest.report(interest.run(args))
    return 0


def _bench_load(args: argparse.Namespace) -> int:
    from server.bench import load

    return load.main(args)


def _bench_web(args: argparse.Namespace) -> int:
    from server.bench import web

    return web.main(args)


def _bench_festival(args: argparse.Namespace) -> int:
    from server.bench import festival

    festival.report(festival.run(args))
    return 0


def _bench_center(args: argparse.Namespace) -> int:
    from server.bench import center

    return center.main(args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``plaza``."""
    # No abbreviations: a retired option (say, --zone) must fail, not match a longer one.
    parser = argparse.ArgumentParser(
        prog="plaza", description="Plaza civic metaverse server", allow_abbrev=False
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the server", allow_abbrev=False)
    add_serve_arguments(serve)
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="apply the database migrations and exit")
    migrate.add_argument(
        "--data-dir",
        type=pathlib.Path,
        default=pathlib.Path(os.environ.get("PLAZA_DATA_DIR", "data")),
        help="data folder of the embedded PostgreSQL (PLAZA_DATA_DIR)",
    )
    add_database_argument(migrate)
    migrate.set_defaults(run=_migrate)

    from world.roles import Role

    token = commands.add_parser("token", help="mint a token for local use")
    token.add_argument("--name", required=True)
    token.add_argument("--role", default="citizen", help="|".join(role.value for role in Role))
    token.add_argument("--locale", default="ko")
    token.add_argument("--subject", default=None, help="user id (default local:<name>)")
    token.add_argument("--ttl", type=int, default=900, help="seconds, at most 900")
    token.add_argument(
        "--data-dir",
        type=pathlib.Path,
        default=pathlib.Path(os.environ.get("PLAZA_DATA_DIR", "data")),
        help="data folder holding the issuer's signing key (PLAZA_DATA_DIR)",
    )
    token.set_defaults(run=_token)

    from plaza_client.bots import add_arguments as add_bot_arguments

    bots = commands.add_parser("bots", help="random-walking bots against a running server")
    add_bot_arguments(bots)
    bots.set_defaults(run=_bots)

    bench = commands.add_parser("bench", help="benchmarks").add_subparsers(
        dest="bench", required=True
    )
    from server.bench import center, city, festival, interest, load, tick, web

    tick_parser = bench.add_parser("tick", help="the world step alone, no sockets")
    tick.add_arguments(tick_parser)
    tick_parser.set_defaults(run=_bench_tick)
    city_parser = bench.add_parser(
        "city", help="every zone and instance stepping together, no sockets"
    )
    city.add_arguments(city_parser)
    city_parser.set_defaults(run=_bench_city)
    interest_parser = bench.add_parser(
        "interest", help="k-d tree against a uniform spatial hash for the interest query"
    )
    interest.add_arguments(interest_parser)
    interest_parser.set_defaults(run=_bench_interest)
    load_parser = bench.add_parser("load", help="server and bots over real sockets")
    load.add_arguments(load_parser)
    load_parser.set_defaults(run=_bench_load)
    web_parser = bench.add_parser(
        "web", help="the 3D web client's frame time with N avatars in view (chromium)"
    )
    web.add_arguments(web_parser)
    web_parser.set_defaults(run=_bench_web)
    center_parser = bench.add_parser(
        "center", help="the 120 Center's queues: citizens take numbers, staff serve them"
    )
    center.add_arguments(center_parser)
    center_parser.set_defaults(run=_bench_center)
    festival_parser = bench.add_parser(
        "festival", help="the festival zone: a cheering crowd over instances, two performers"
    )
    festival.add_arguments(festival_parser)
    festival_parser.set_defaults(run=_bench_festival)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``plaza`` console script."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(arguments)
    # The command line as given, for ``serve --nodes`` to pass on to its nodes.
    args.argv = arguments
    return int(args.run(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
