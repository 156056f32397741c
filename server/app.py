"""The Plaza server process: HTTP API, WebSocket gateway and the world tick, wired together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time

from server.admission import StoredAdmission
from server.alerts import Alerts
from server.alerts_api import AlertsApi
from server.auth import AuthError, TokenIssuer
from server.bell import Bell
from server.center_api import CenterApi
from server.center_hours import StaffedHours
from server.center_live import CENTER_ZONE
from server.center_service import Center, CenterConfig
from server.civic_api import CivicApi
from server.cluster_bus import ClusterBus, ClusterUnavailable
from server.cluster_fanout import Fanout
from server.config import ServerConfig
from server.crowd_api import CrowdApi
from server.db.database import Database, DatabaseUnavailable
from server.db.embedded import EmbeddedPostgresError
from server.db.migrate import MigrationError
from server.db.session import DatabaseSession
from server.events import Schedule
from server.events_api import EventsApi
from server.events_live import EventBoard
from server.gateway import WS_PATH, Gateway
from server.gc_policy import tune_gc
from server.http import HttpError, HttpServer, Request, Response, Router
from server.identity_api import IdentityApi
from server.metrics import CONTENT_TYPE, Registry
from server.moderation import Moderation, SanctionList
from server.moments import Moments
from server.notices import NoticeBoard
from server.oidc import OidcError, OidcVerifier
from server.places import PlaceWriter
from server.polls import Polls
from server.profiles import ProfileStore
from server.proposals import Proposals
from server.reports_api import ReportsApi
from server.static_files import StaticFiles
from server.verifiers import IssuerRouter
from server.world_loop import WorldLoop
from server.zone_registry import ZoneLoadError, discover_zones, load_zone_specs
from server.zone_store import IntentRunner, load_zone_records
from world.city import City, CityConfig
from world.protocol import SUBPROTOCOL, CloseCode
from world.world import WorldConfig

__all__ = ["PlazaServer", "run_server"]

log = logging.getLogger("plaza")

# The provider's keys are fetched again at least this often, so a key it dropped (say,
# after a leak) stops being accepted even if no token ever names a new one.
OIDC_KEYS_MAX_AGE_S = 600.0


class PlazaServer:
    """One Plaza process. ``start`` binds everything; ``stop`` closes it in order."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.metrics = Registry()
        # Zones and layouts are checked before anything binds: a broken zone never serves.
        try:
            self.zone_specs = load_zone_specs(discover_zones(), config.zones_dir, config.entrance)
        except ZoneLoadError as exc:
            raise SystemExit(f"plaza: {exc}") from None
        self.entrance = next(s for s in self.zone_specs if s.name == config.entrance)
        self.issuer = TokenIssuer.load_or_create(config.data_dir)
        self.oidc = (
            None
            if config.oidc_issuer is None
            else OidcVerifier(
                config.oidc_issuer,
                config.oidc_audience,
                algorithms=config.oidc_algorithms,
                role_claim=config.oidc_role_claim,
                name_claim=config.oidc_name_claim,
                locale_claim=config.oidc_locale_claim,
            )
        )
        # With a provider and guests off, the built-in issuer's tokens are not accepted.
        builtin = self.issuer if config.guests or self.oidc is None else None
        refused = frozenset() if builtin is not None else frozenset({self.issuer.issuer})
        self.verifier = IssuerRouter(builtin, self.oidc, refused_issuers=refused)
        self.city = City(
            self.zone_specs,
            CityConfig(
                capacity=config.capacity,
                entrance=config.entrance,
                world=WorldConfig(tick_rate=config.tick_rate, max_visible=config.max_visible),
                instance_capacity=config.instance_capacity,
                node=config.node_name,
                node_index=config.node_index or 0,
                nodes=config.nodes,
            ),
        )
        # A node of a city served by several processes (docs/operations.md, "Nodes").
        self.node = config.node_index is not None
        self.bus = (
            ClusterBus(config.nats_url, config.node_name, self.city)
            if config.nats_url is not None
            else None
        )
        self.sanctions = SanctionList()
        self.gateway = Gateway(self.city, self.verifier, self.metrics, sanctions=self.sanctions)
        outreach = self.gateway.outreach
        # What one node does that every node must do (a node alone: only the local action).
        self.fanout = Fanout(
            config.node_name,
            self.bus,
            notify=self.city.notify,
            tell=outreach.tell,
            summon=outreach.summon,
            expel=outreach.expel,
            alert=outreach.alert,
            slow_mode=self.city.chat.set_slow_mode,
            sanctions=self.sanctions,
            enforce=self.gateway.enforce,
            signed_in_elsewhere=self.gateway.signed_in_elsewhere,
        )
        if self.bus is not None:
            self.gateway.on_sign_in = self.fanout.signed_in
        self.loop = WorldLoop(
            self.city,
            self.gateway,
            self.metrics,
            config.tick_rate,
            after_tick=None if self.bus is None else self.bus.publish_tick,
        )
        self.router = self._routes()
        self.http = HttpServer(self.router, config.host, config.http_port, reuse_port=self.node)
        self.database = DatabaseSession(config.data_dir, config.database_url)
        self.db: Database | None = None
        self.places: PlaceWriter | None = None
        self.intents: IntentRunner | None = None
        self.center: Center | None = None
        self.events: EventBoard | None = None
        self._key_refresher: asyncio.Task[None] | None = None
        self.ready = False
        self.started_at = time.time()

    async def start(self) -> None:
        """Open the database (embedded by default) and migrate it, then bind the HTTP and
        WebSocket ports and start ticking."""
        if self.oidc is not None:
            await self.oidc.start()
            self._key_refresher = asyncio.get_running_loop().create_task(
                self._refresh_oidc_keys(self.oidc), name="plaza-oidc-keys"
            )
        self.db = db = await self.database.open()
        if self.bus is not None:
            # Before the services publish their state, so the other nodes hear it too.
            await self.bus.connect()
            await self.fanout.attach()
        await self.sanctions.load(db)
        profiles = ProfileStore(db)
        moderation = Moderation(db, self.sanctions, self.fanout.sanction)
        self.places = PlaceWriter(db, collect=self.gateway.note_places)
        self.city.open(await load_zone_records(db), time.time())
        self.intents = IntentRunner(db, self.gateway.send_to, self.fanout.notify)
        self.gateway.submit_intents = self.intents.submit
        self.gateway.admission = StoredAdmission(db, profiles)
        self.gateway.moderation = moderation
        self.gateway.places = self.places
        identity_api = IdentityApi(
            self.verifier,
            self.verifier.builtin,
            db,
            profiles,
            moderation,
            refusal=self.gateway.refusal,
        )
        identity_api.add_routes(self.router)
        ReportsApi(identity_api.identity, db).add_routes(self.router)
        AlertsApi(identity_api.identity, Alerts(db, self.fanout.alert)).add_routes(self.router)
        await self._open_civic(db, identity_api)
        await self._open_center(db, identity_api)
        await self._open_events(db, identity_api)
        await self.gateway.start(self.config.host, self.config.ws_port, reuse_port=self.node)
        await self.http.start()
        self.loop.start()
        self.places.start()
        self.intents.start()
        self.ready = True
        log.info(
            "plaza serving http://%s:%d and %s",
            self.config.host,
            self.http.port,
            self.ws_url,
        )

    @property
    def ws_url(self) -> str:
        """The WebSocket URL clients are told to use."""
        if self.config.public_ws_url:
            return self.config.public_ws_url
        return f"ws://{self.config.host}:{self.gateway.port}{WS_PATH}"

    async def stop(
        self, code: CloseCode = CloseCode.GOING_AWAY, reason: str = "server shutting down"
    ) -> None:
        """Readiness goes false, clients are closed with ``code``, the tick stops."""
        self.ready = False
        if self._key_refresher is not None:
            self._key_refresher.cancel()
        await self.gateway.close(code, reason)
        await self.loop.stop()
        intents, errors = self.city.close(time.time())
        for error in errors:
            log.error("%s", error)
        if self.intents is not None:
            self.intents.submit(intents)
            await self.intents.stop()
        if self.center is not None:
            await self.center.stop()
        if self.events is not None:
            await self.events.stop()
        if self.places is not None:
            await self.places.stop()
        if self.bus is not None:
            await self.bus.close()
        await self.http.close()
        await self.database.close()

    async def _open_civic(self, db: Database, identity_api: IdentityApi) -> None:
        """The notice board, proposals and polls: their HTTP routes, the intents the plaza
        and City Hall zones raise, and their current state published to those zones."""
        assert self.intents is not None
        notices = NoticeBoard(db, self.fanout.notify)
        proposals = Proposals(db, self.fanout.notify)
        polls = Polls(db, self.fanout.notify)
        self.intents.register("notice.post", notices.handle_post, notices.publish)
        self.intents.register("proposal.submit", proposals.handle_submit, proposals.publish)
        self.intents.register("poll.vote", polls.handle_vote, polls.publish)
        CivicApi(identity_api.identity, notices, proposals, polls).add_routes(self.router)
        await notices.publish()
        await proposals.publish()
        await polls.publish()

    async def _open_center(self, db: Database, identity_api: IdentityApi) -> None:
        """The 120 Center: its HTTP API, the center zone's requests, and its queues rebuilt
        from the database and published."""
        assert self.intents is not None
        config = self.config
        seats = self._desk_seats()
        self.center = Center(
            db,
            CenterConfig(
                categories=config.center_categories,
                hours=StaffedHours(config.center_hours, config.center_timezone),
                retention_days=config.center_retention_days,
                desks=len(seats),
                seats=seats,
            ),
            # Every node rebuilds the queues from the database and publishes them itself.
            notify=self.city.notify,
            tell=self.fanout.tell,
            metrics=self.metrics,
            summon=self.fanout.summon,
        )
        self.center.serve_intents(self.intents)
        if isinstance(self.gateway.admission, StoredAdmission):
            self.gateway.admission.seat = self.center.seat
        CenterApi(identity_api.identity, self.center).add_routes(self.router)
        await self.center.start()

    async def _open_events(self, db: Database, identity_api: IdentityApi) -> None:
        """The festival schedule: its HTTP API, and the schedule published to the zone."""
        schedule = Schedule(db, self._crowd)
        moments = Moments(db)
        assert self.intents is not None
        self.intents.serve("bell.ring", Bell(schedule, self.fanout.notify).ring)
        # Every node's board reads the schedule itself; a start is announced by one node.
        self.events = EventBoard(
            schedule, moments, self.city.notify, self.fanout.tell, announce=self.fanout.notify
        )
        EventsApi(identity_api.identity, schedule, moments, self.events).add_routes(self.router)
        CrowdApi(
            identity_api.identity,
            db,
            notify=self.fanout.notify,
            crowd=self._crowd,
            slow_mode=self.fanout.slow_mode,
            kick=self.fanout.expel,
            zones=lambda: set(self.city.zones),
        ).add_routes(self.router)
        await self.events.start()

    def _crowd(self, zone: str) -> int:
        """How many avatars are in ``zone`` now, over all its instances on every node."""
        runtime = self.city.zones.get(zone)
        return 0 if runtime is None else runtime.population()

    def _desk_seats(self) -> dict[int, tuple[float, float, float, float]]:
        """The center zone's desks, ``desk_1``, ``desk_2``..., each with where its civil
        servant sits (the spot ``desk_<n>_staff``, else the desk itself); none without
        the zone."""
        layout = self.city.layout(CENTER_ZONE)
        seats: dict[int, tuple[float, float, float, float]] = {}
        while layout is not None and layout.spot(f"desk_{len(seats) + 1}") is not None:
            desk = len(seats) + 1
            spot = layout.spot(f"desk_{desk}_staff") or layout.spot(f"desk_{desk}")
            assert spot is not None  # desk_<n> itself exists
            seats[desk] = (*spot.position, spot.yaw)
        return seats

    async def _refresh_oidc_keys(self, oidc: OidcVerifier) -> None:
        while True:
            await asyncio.sleep(OIDC_KEYS_MAX_AGE_S)
            try:
                await oidc.refresh_keys()
            except Exception:
                log.exception("refreshing the identity provider's keys failed")

    # -- HTTP -----------------------------------------------------------------------------

    def _routes(self) -> Router:
        router = Router()
        router.add("GET", "/healthz", self._healthz)
        router.add("GET", "/readyz", self._readyz)
        router.add("GET", "/metrics", self._metrics)
        router.add("GET", "/api/config", self._api_config)
        router.add("GET", "/api/zones", self._api_zones)
        router.add("GET", "/api/zones/scene", self._api_zone_scene)
        router.add("POST", "/api/auth/guest", self._guest)
        router.add("GET", "/.well-known/jwks.json", self._jwks)
        # Everything else that is a GET is the web client: /, /2d and their files.
        router.set_fallback(StaticFiles(self.config.web_root))
        return router

    async def _healthz(self, request: Request) -> Response:
        return Response.text("ok\n")

    async def _readyz(self, request: Request) -> Response:
        if not self.ready:
            return Response.text("not ready\n", status=503)
        if self.db is not None and not self.db.available:
            # The world keeps running; the outage is reported so operators (and load
            # balancers) know that writes are waiting.
            return Response.text("not ready: database unavailable\n", status=503)
        return Response.text("ready\n")

    async def _metrics(self, request: Request) -> Response:
        return Response.text(self.metrics.render(), content_type=CONTENT_TYPE)

    async def _api_config(self, request: Request) -> Response:
        return Response.json(
            {
                "ws_url": self.ws_url,
                "subprotocol": SUBPROTOCOL,
                "tick_rate": self.config.tick_rate,
                "zone": self.entrance.layout.to_wire(),
                "scene": self.entrance.layout.scene(),
            }
        )

    async def _api_zones(self, request: Request) -> Response:
        return Response.json({"entrance": self.config.entrance, "zones": self.city.directory()})

    async def _api_zone_scene(self, request: Request) -> Response:
        name = request.query.get("name", "")
        layout = self.city.layout(name)
        if layout is None:
            known = ", ".join(sorted(self.city.zones))
            raise HttpError(404, "not_found", f"no zone {name!r}; zones: {known}")
        return Response.json({"zone": layout.to_wire(), "scene": layout.scene()})

    async def _guest(self, request: Request) -> Response:
        if self.verifier.builtin is None or not self.config.guests:
            raise HttpError(
                403, "forbidden", "guest sign-in is turned off here; sign in as a citizen"
            )
        body = request.json()
        if not isinstance(body, dict):
            raise HttpError(400, "bad_request", "expected a JSON object with name and locale")
        name = body.get("name")
        locale = body.get("locale", "ko")
        if not isinstance(name, str) or not isinstance(locale, str):
            raise HttpError(400, "bad_request", "name and locale must be strings")
        try:
            token, identity = self.issuer.mint_guest(name, locale)
        except (ValueError, AuthError) as exc:
            raise HttpError(400, "bad_request", str(exc)) from None
        return Response.json(
            {
                "token": token,
                "subject": identity.subject,
                "name": identity.name,
                "role": str(identity.role),
                "locale": identity.locale,
                "expires_at": identity.expires_at,
                "ws_url": self.ws_url,
            }
        )

    async def _jwks(self, request: Request) -> Response:
        return Response.json(self.issuer.jwks())


def _install_uvloop() -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux and macOS
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


async def _serve(config: ServerConfig) -> None:
    try:
        server = PlazaServer(config)
    except ValueError as exc:
        raise SystemExit(f"plaza: {exc}") from None
    try:
        await server.start()
    except (
        DatabaseUnavailable,
        EmbeddedPostgresError,
        MigrationError,
        OidcError,
        ClusterUnavailable,
    ) as exc:
        await server.database.close()
        raise SystemExit(f"plaza: {exc}") from None
    tune_gc()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    received: list[signal.Signals] = []

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, on_signal, sig)
    print(
        f"plaza: ready on http://{config.host}:{server.http.port} and {server.ws_url}", flush=True
    )
    await stop.wait()
    log.info("received %s, shutting down", received[0].name if received else "stop")
    await server.stop(CloseCode.GOING_AWAY, "server shutting down")


def run_server(config: ServerConfig) -> None:
    """Run until SIGTERM or SIGINT, then shut down cleanly."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    _install_uvloop()
    asyncio.run(_serve(config))
