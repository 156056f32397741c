"""Server settings: command-line options, falling back to environment variables, then defaults."""

from __future__ import annotations

import argparse
import os
import pathlib
import socket
from dataclasses import dataclass

from server.center_hours import ALWAYS, DEFAULT_TIMEZONE, HoursError, StaffedHours
from server.center_retention import DEFAULT_RETENTION_DAYS
from server.center_rules import CATEGORIES
from world.avatars import MAX_CAPACITY
from world.interest import MAX_VISIBLE

__all__ = [
    "MAX_NODES",
    "ServerConfig",
    "add_database_argument",
    "add_serve_arguments",
    "config_from_args",
]

# Node processes one supervisor starts: one per core of a large machine.
MAX_NODES = 64

_DEFAULT_WEB_ROOT = pathlib.Path(__file__).resolve().parent.parent / "clients" / "web" / "dist"
_DEFAULT_ZONES_DIR = pathlib.Path(__file__).resolve().parent.parent / "assets" / "zones"


@dataclass(frozen=True)
class ServerConfig:
    """Everything ``plaza serve`` needs to start."""

    host: str = "127.0.0.1"
    http_port: int = 8080
    ws_port: int = 8081
    tick_rate: float = 20.0
    capacity: int = 20_000
    # Avatars each observer sees at most (the K nearest).
    max_visible: int = 50
    data_dir: pathlib.Path = pathlib.Path("data")
    # Where the layouts of the built-in zones (and of zones without their own) live.
    zones_dir: pathlib.Path = _DEFAULT_ZONES_DIR
    # The zone every citizen enters first.
    entrance: str = "seoul_plaza"
    # Avatars per zone instance for every zone (None: each zone's own capacity).
    instance_capacity: int | None = None
    public_ws_url: str | None = None
    # None: the embedded PostgreSQL in data_dir/postgres.
    database_url: str | None = None
    # The city's OpenID Connect provider (None: the built-in issuer only).
    oidc_issuer: str | None = None
    oidc_audience: str = "plaza"
    oidc_algorithms: tuple[str, ...] = ("RS256",)
    oidc_role_claim: str = "plaza_role"
    oidc_name_claim: str = "name"
    oidc_locale_claim: str = "locale"
    # Guest sign-in through the built-in issuer (also with an OIDC provider).
    guests: bool = True
    # The built web client (clients/web/dist), served at / and /2d.
    web_root: pathlib.Path = _DEFAULT_WEB_ROOT
    # The 120 Center: its queues, staffed hours (in its time zone) and how long ended
    # tickets keep their texts.
    center_categories: tuple[str, ...] = CATEGORIES
    center_hours: str = ALWAYS
    center_timezone: str = DEFAULT_TIMEZONE
    center_retention_days: float = DEFAULT_RETENTION_DAYS
    # Nodes (docs/operations.md, "Nodes"): with ``nodes`` above 1 and no ``node_index``,
    # ``plaza serve`` starts that many node processes; a node has its index among them,
    # a name unique in the cluster, and the NATS its nodes share.
    nodes: int = 1
    node_index: int | None = None
    node_name: str = ""
    nats_url: str | None = None


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``plaza serve``; each defaults to a PLAZA_* environment variable.

    Defaults stay strings: argparse converts them with ``type``, so a malformed variable is
    reported like a malformed option instead of crashing.
    """
    parser.add_argument(
        "--host", default=_env("PLAZA_HOST", "127.0.0.1"), help="bind address (PLAZA_HOST)"
    )
    parser.add_argument(
        "--http-port",
        type=int,
        default=_env("PLAZA_HTTP_PORT", "8080"),
        help="HTTP port (PLAZA_HTTP_PORT)",
    )
    parser.add_argument(
        "--ws-port",
        type=int,
        default=_env("PLAZA_WS_PORT", "8081"),
        help="WebSocket port (PLAZA_WS_PORT)",
    )
    parser.add_argument(
        "--tick-rate",
        type=float,
        default=_env("PLAZA_TICK_RATE", "20"),
        help="world ticks per second (PLAZA_TICK_RATE)",
    )
    parser.add_argument(
        "--capacity",
        type=int,
        default=_env("PLAZA_CAPACITY", "20000"),
        help="max avatars (PLAZA_CAPACITY)",
    )
    parser.add_argument(
        "--max-visible",
        type=int,
        default=_env("PLAZA_MAX_VISIBLE", "50"),
        help="avatars each client sees at most, nearest first (PLAZA_MAX_VISIBLE)",
    )
    parser.add_argument(
        "--data-dir",
        type=pathlib.Path,
        default=pathlib.Path(_env("PLAZA_DATA_DIR", "data")),
        help="data folder (PLAZA_DATA_DIR)",
    )
    parser.add_argument(
        "--zones-dir",
        type=pathlib.Path,
        default=pathlib.Path(_env("PLAZA_ZONES_DIR", str(_DEFAULT_ZONES_DIR))),
        help="folder of zone layouts, <zone>.json (PLAZA_ZONES_DIR)",
    )
    parser.add_argument(
        "--entrance",
        default=_env("PLAZA_ENTRANCE", "seoul_plaza"),
        help="the zone everyone enters first (PLAZA_ENTRANCE)",
    )
    parser.add_argument(
        "--instance-capacity",
        type=int,
        default=os.environ.get("PLAZA_INSTANCE_CAPACITY") or None,
        help="avatars per zone instance, for every zone; unset: each zone's own "
        "(PLAZA_INSTANCE_CAPACITY)",
    )
    parser.add_argument(
        "--public-ws-url",
        default=os.environ.get("PLAZA_PUBLIC_WS_URL"),
        help="WebSocket URL told to clients (PLAZA_PUBLIC_WS_URL)",
    )
    add_database_argument(parser)
    add_center_arguments(parser)
    add_node_arguments(parser)
    oidc = parser.add_argument_group("sign-in with the city's OpenID Connect provider")
    oidc.add_argument(
        "--oidc-issuer",
        default=os.environ.get("PLAZA_OIDC_ISSUER") or None,
        help="issuer URL; unset: the built-in issuer only (PLAZA_OIDC_ISSUER)",
    )
    oidc.add_argument(
        "--oidc-audience",
        default=os.environ.get("PLAZA_OIDC_AUDIENCE") or None,
        help="required aud, the client id registered for Plaza (PLAZA_OIDC_AUDIENCE)",
    )
    oidc.add_argument(
        "--oidc-algorithms",
        default=_env("PLAZA_OIDC_ALGORITHMS", "RS256"),
        help="comma-separated signature algorithms (PLAZA_OIDC_ALGORITHMS)",
    )
    oidc.add_argument(
        "--oidc-role-claim",
        default=_env("PLAZA_OIDC_ROLE_CLAIM", "plaza_role"),
        help="claim (dotted path) holding the role (PLAZA_OIDC_ROLE_CLAIM)",
    )
    oidc.add_argument(
        "--oidc-name-claim",
        default=_env("PLAZA_OIDC_NAME_CLAIM", "name"),
        help="display-name claim (PLAZA_OIDC_NAME_CLAIM)",
    )
    oidc.add_argument(
        "--oidc-locale-claim",
        default=_env("PLAZA_OIDC_LOCALE_CLAIM", "locale"),
        help="locale claim (PLAZA_OIDC_LOCALE_CLAIM)",
    )
    parser.add_argument(
        "--guests",
        choices=("on", "off"),
        default=_env("PLAZA_GUESTS", "on"),
        help="guest sign-in through the built-in issuer (PLAZA_GUESTS)",
    )


def add_center_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the 120 Center (docs/center120.md)."""
    center = parser.add_argument_group("120 Center")
    center.add_argument(
        "--center-categories",
        default=_env("PLAZA_CENTER_CATEGORIES", ",".join(CATEGORIES)),
        help="comma-separated ticket categories (PLAZA_CENTER_CATEGORIES)",
    )
    center.add_argument(
        "--center-hours",
        default=_env("PLAZA_CENTER_HOURS", ALWAYS),
        help="staffed hours, e.g. 'mon-fri 09:00-18:00, sat 09:00-13:00' (PLAZA_CENTER_HOURS)",
    )
    center.add_argument(
        "--center-timezone",
        default=_env("PLAZA_CENTER_TIMEZONE", DEFAULT_TIMEZONE),
        help="time zone of the staffed hours and of the day's figures (PLAZA_CENTER_TIMEZONE)",
    )
    center.add_argument(
        "--center-retention-days",
        type=float,
        default=_env("PLAZA_CENTER_RETENTION_DAYS", str(int(DEFAULT_RETENTION_DAYS))),
        help="days ended tickets keep their texts (PLAZA_CENTER_RETENTION_DAYS)",
    )


def add_node_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of a city served by several node processes (docs/operations.md, "Nodes")."""
    nodes = parser.add_argument_group("nodes: one process per core, sharing zones over NATS")
    nodes.add_argument(
        "--nodes",
        type=int,
        default=_env("PLAZA_NODES", "1"),
        help="node processes of the city (PLAZA_NODES); above 1 without --node-index, "
        "plaza serve starts them all on the same ports",
    )
    nodes.add_argument(
        "--node-index",
        type=int,
        default=os.environ.get("PLAZA_NODE_INDEX") or None,
        help="this process is node INDEX of --nodes (PLAZA_NODE_INDEX)",
    )
    nodes.add_argument(
        "--node-name",
        default=_env("PLAZA_NODE_NAME", ""),
        help="the node's name, unique in the city (PLAZA_NODE_NAME; default: host-index)",
    )
    nodes.add_argument(
        "--nats-url",
        default=os.environ.get("PLAZA_NATS_URL") or None,
        help="the nodes' NATS (PLAZA_NATS_URL); unset with --nodes above 1: one is started "
        "on loopback",
    )


def add_database_argument(parser: argparse.ArgumentParser) -> None:
    """``--database-url``, defaulting to DATABASE_URL; unset means the embedded PostgreSQL."""
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or None,
        help="PostgreSQL URL (DATABASE_URL); unset: an embedded PostgreSQL in the data folder",
    )


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """Build a validated config from parsed options."""
    # Choices are not checked for defaults taken from the environment.
    if args.guests not in ("on", "off"):
        raise SystemExit(f"--guests (PLAZA_GUESTS) must be on or off, got {args.guests!r}")
    if args.oidc_issuer and not args.oidc_audience:
        raise SystemExit("--oidc-audience (PLAZA_OIDC_AUDIENCE) is required with an OIDC issuer")
    if not 1.0 <= args.tick_rate <= 120.0:
        raise SystemExit(f"--tick-rate must be within 1..120, got {args.tick_rate}")
    if not 1 <= args.max_visible <= MAX_VISIBLE:
        raise SystemExit(f"--max-visible must be within 1..{MAX_VISIBLE}, got {args.max_visible}")
    if not 1 <= args.capacity <= MAX_CAPACITY:
        raise SystemExit(f"--capacity must be within 1..{MAX_CAPACITY}, got {args.capacity}")
    if args.instance_capacity is not None and not 1 <= args.instance_capacity <= MAX_CAPACITY:
        raise SystemExit(
            f"--instance-capacity must be within 1..{MAX_CAPACITY}, got {args.instance_capacity}"
        )
    categories = tuple(c.strip() for c in args.center_categories.split(",") if c.strip())
    if not categories or len(set(categories)) != len(categories):
        raise SystemExit("--center-categories must list distinct categories, e.g. tax,welfare")
    try:
        StaffedHours(args.center_hours, args.center_timezone)
    except HoursError as exc:
        raise SystemExit(f"--center-hours/--center-timezone: {exc}") from None
    if not 0 < args.center_retention_days <= 36500:
        raise SystemExit(
            f"--center-retention-days must be within 0..36500, got {args.center_retention_days}"
        )
    if not 1 <= args.nodes <= MAX_NODES:
        raise SystemExit(f"--nodes must be within 1..{MAX_NODES}, got {args.nodes}")
    if args.node_index is not None:
        if not 0 <= args.node_index < args.nodes:
            raise SystemExit(
                f"--node-index must be within 0..{args.nodes - 1} (--nodes {args.nodes}), "
                f"got {args.node_index}"
            )
        if not args.nats_url:
            raise SystemExit("--node-index needs --nats-url (PLAZA_NATS_URL): the nodes' NATS")
    for name in ("http_port", "ws_port"):
        port = getattr(args, name)
        if not 0 <= port <= 65535:
            raise SystemExit(f"--{name.replace('_', '-')} must be a port number, got {port}")
    return ServerConfig(
        host=args.host,
        http_port=args.http_port,
        ws_port=args.ws_port,
        tick_rate=args.tick_rate,
        capacity=args.capacity,
        max_visible=args.max_visible,
        data_dir=args.data_dir,
        zones_dir=args.zones_dir,
        entrance=args.entrance,
        instance_capacity=args.instance_capacity,
        public_ws_url=args.public_ws_url,
        database_url=args.database_url,
        oidc_issuer=args.oidc_issuer,
        oidc_audience=args.oidc_audience or "plaza",
        oidc_algorithms=tuple(a.strip() for a in args.oidc_algorithms.split(",") if a.strip()),
        oidc_role_claim=args.oidc_role_claim,
        oidc_name_claim=args.oidc_name_claim,
        oidc_locale_claim=args.oidc_locale_claim,
        guests=args.guests == "on",
        center_categories=categories,
        center_hours=args.center_hours,
        center_timezone=args.center_timezone,
        center_retention_days=args.center_retention_days,
        nodes=args.nodes,
        node_index=args.node_index,
        node_name=args.node_name
        or ("" if args.node_index is None else f"{socket.gethostname()}-{args.node_index}"),
        nats_url=args.nats_url,
    )
