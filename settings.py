"""Runtime configuration, read from the environment (or a `.env` file)."""

from __future__ import annotations

from ipaddress import ip_network
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


# gridScorecard's score (resolvers.domain.scorecard): its indicators and their weights
SCORE_INDICATORS = ("discovery", "on_time", "verification", "satisfaction", "visits")
DEFAULT_SCORE_WEIGHTS = "discovery=20,on_time=30,verification=15,satisfaction=20,visits=15"


def parse_weights(text: str) -> dict[str, float]:
    """`discovery=20,on_time=30,…` (settings.score_weights): every indicator named at most
    once, weights not negative, not all zero; one left out weighs nothing."""
    weights: dict[str, float] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, _, value = item.partition("=")
        name = name.strip()
        if name not in SCORE_INDICATORS or name in weights:
            raise ValueError(f"score weights: {name!r} is not one of {', '.join(SCORE_INDICATORS)} (or is named twice)")
        try:
            weights[name] = float(value)
        except ValueError:
            raise ValueError(f"score weights: {name} needs a number, not {value!r}") from None
        if weights[name] < 0:
            raise ValueError(f"score weights: {name} may not be negative")
    if not any(weights.values()):
        raise ValueError("score weights: at least one must be above zero")
    return {name: weights.get(name, 0.0) for name in SCORE_INDICATORS}


# staffingGaps (resolvers.domain.staffing): the roles of 1+1+N a county requires, per tier
STAFF_TIERS = ("county", "town", "community", "grid", "micro_grid")
STAFF_ROLES = ("leader", "worker", "police", "party_member", "volunteer", "liaison")
DEFAULT_STAFFING_REQUIRED = "grid=leader+worker"


def parse_staffing(text: str) -> dict[str, tuple[str, ...]]:
    """`grid=leader+worker,micro_grid=worker` (settings.staffing_required): each tier named at
    most once, each with roles of 1+1+N (models.enums.Tier, StaffRole values); a tier not named
    requires nobody."""
    required: dict[str, tuple[str, ...]] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        tier, _, roles = item.partition("=")
        tier = tier.strip()
        if tier not in STAFF_TIERS or tier in required:
            raise ValueError(f"staffing required: {tier!r} is not one of {', '.join(STAFF_TIERS)} (or is named twice)")
        names = tuple(dict.fromkeys(r.strip() for r in roles.split("+") if r.strip()))
        unknown = [r for r in names if r not in STAFF_ROLES]
        if unknown or not names:
            raise ValueError(f"staffing required: {tier} needs roles of {', '.join(STAFF_ROLES)}, not {roles!r}")
        required[tier] = names
    return required


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite://gridhub.sqlite3",
        description="sqlite://PATH (embedded default) or postgres://user@host:port/db",
    )
    cache_url: str = Field("memory://", description="memory:// or redis://host:port/db")
    demo_mode: bool = Field(False, description="allow demo users and demo secrets")
    jwt_secret: str | None = Field(None, description="HS256 secret for sign-in tokens")
    token_minutes: int = Field(60, ge=1, description="how long a sign-in token lasts")
    default_page_size: int = Field(20, ge=1)
    max_page_size: int = Field(500, ge=1, description="largest `first` a connection accepts")
    compiled_reads: bool = Field(True, description="answer plain reads with one SQL statement per root field")
    export_batch_size: int = Field(1000, ge=1, le=10000, description="rows per batch of /export")
    export_settle_seconds: float = Field(
        2.0, ge=0, description="a pull's window ends this long before it starts: later commits of "
                               "earlier changes are not skipped")
    # Limits on what one request may ask (issue 7). Each refusal names its limit.
    max_query_depth: int = Field(15, ge=1, description="fields nested in one operation (introspection included)")
    max_query_aliases: int = Field(50, ge=0, description="aliased fields in one operation, fragments expanded")
    max_query_tokens: int = Field(5000, ge=1, description="lexical tokens in one document")
    max_query_cost: int = Field(50_000, ge=1, description=(
        "values one operation may ask for: over every path to a leaf field, the product of the "
        "page sizes (`first`) along it, summed"))
    max_body_bytes: int = Field(1 << 20, ge=1, description="largest HTTP request body (413 past it)")
    rate_limit_requests: int = Field(600, ge=1, description="requests a signed-in caller may send per window")
    rate_limit_anonymous_requests: int = Field(60, ge=1, description="requests per window from one anonymous client IP")
    rate_limit_window_seconds: int = Field(60, ge=1, description="the rate limits' sliding window")
    login_failures_per_user: int = Field(5, ge=1, description="failed sign-ins of one username per window, "
                                                                 "then `login` answers RATE_LIMITED")
    login_failures_per_ip: int = Field(50, ge=1, description="failed sign-ins from one client IP per window")
    login_failure_window_seconds: int = Field(900, ge=1)
    registered_elsewhere_per_user: int = Field(
        10, ge=1, description="writes per window whose identity number or credit code is registered outside "
                              "the writer's scope; past it such writes answer RATE_LIMITED (no register oracle)")
    registered_elsewhere_window_seconds: int = Field(3600, ge=1)
    trusted_proxies: str = Field("", description=(
        "comma-separated addresses or networks (CIDR) of the proxies in front of the hub: "
        "X-Forwarded-For is believed from these peers only (none by default), for the per-address "
        "rate limit and login throttle and the logs"))
    max_document_bytes: int = Field(100_000, ge=1, description=(
        "largest GraphQL document (the query text) in bytes, refused as DOCUMENT_TOO_LARGE before parsing; "
        "a whole body may still be max_body_bytes for large variables"))
    cache_bytes: int = Field(16 << 20, ge=0, description=(
        "bytes each in-process cache (parsed documents, validation, costs, compiled plans, scopes, answers "
        "without Redis) may hold"))
    anonymous_cache_bytes: int = Field(1 << 20, ge=0, description=(
        "of those, the bytes documents sent by anonymous callers may hold"))
    log_format: Literal["json", "text"] | None = Field(None, description=(
        "log lines as JSON objects (with the request id and user) or as readable text; by default "
        "text on a terminal, JSON otherwise (a service's journal, a log shipper)"))
    trusted_documents_file: str = Field("", description=(
        "a persisted-documents manifest to register at start: Apollo's persisted query manifest or GraphQL "
        "Codegen's `{hash: text}` (sha256); its documents are parsed, validated and planned once"))
    trusted_documents_only: bool = Field(False, description=(
        "production: answer registered (trusted) documents only, anything else is DOCUMENT_NOT_REGISTERED; "
        "demo mode answers any document whatever this says"))
    websocket_compression: bool = Field(False, description=(
        "compress WebSocket messages (permessage-deflate) for clients that offer it: off by default, "
        "since subscription messages are small and compressing is work for every socket and message "
        "that grouping subscribers cannot share, and about 40 KB of memory per socket"))
    introspection: bool = Field(True, description=(
        "answer introspection (__schema, __type) to anyone; off, only to signed-in callers"))
    # Browsers on other origins (web/clients.py): none is allowed unless listed.
    cors_allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list, description=(
        "origins whose browser pages may call the hub, comma-separated "
        "(`https://app.example.org,https://screen.example.org`; `*` for any); none by default"))
    cors_allow_credentials: bool = Field(False, description="let those pages send cookies and TLS "
                                                            "client certificates (the Authorization header needs no "
                                                            "credentials: it is always allowed to a listed origin)")
    gzip_minimum_bytes: int = Field(1000, ge=1, description="responses from this size on are gzip-compressed "
                                                            "for clients that send `Accept-Encoding: gzip`")
    light_yellow_after: float = Field(0.75, gt=0, lt=1, description=(
        "the share of a step's window (accept, handle, verify, an extension, a review) after which an "
        "event's light turns from GREEN to YELLOW: 0.75 is YELLOW for the last quarter, of 2 hours as "
        "of 10 days; it applies to due times set from then on"))
    # Hand-overs (issue 21): the worker that sweeps for events turning due soon and sends webhooks
    handover_interval_seconds: float = Field(5.0, gt=0, description=(
        "how often each server process looks for events turning due soon and webhook deliveries due "
        "(a hand-over queued in the process is sent at once)"))
    webhook_retry_seconds: float = Field(30.0, gt=0, description=(
        "the wait after a webhook delivery's first failed attempt; it doubles after each (at most an hour)"))
    webhook_max_attempts: int = Field(8, ge=1, description="attempts of one delivery before it is given up "
                                                          "(an admin may replay it)")
    webhook_timeout_seconds: float = Field(10.0, gt=0, description="how long one POST may take")
    notice_retention_days: int = Field(180, ge=0, description=(
        "notices older than this are deleted, with their read marks, every hour and by `gridhub prune` "
        "(0 keeps them for ever)"))
    webhook_delivery_retention_days: int = Field(30, ge=0, description=(
        "webhook deliveries older than this, once delivered or given up, are deleted every hour and by "
        "`gridhub prune` (0 keeps them for ever; a delivery still being tried is kept)"))
    score_weights: str = Field(
        DEFAULT_SCORE_WEIGHTS, description=(
            "the weights of gridScorecard's score, indicator=weight, comma-separated (discovery, on_time, "
            "verification, satisfaction, visits); a county sets its own"))
    # The console's map (docs/maps.md): boundaries only, offline, unless a county serves its own tiles
    map_tile_url: str = Field("", description=(
        "an XYZ tile template of the county's own tile server, `https://tiles.example.gov.cn/{z}/{x}/{y}.png` "
        "(Web Mercator, 256-pixel tiles, WGS 84: not GCJ-02), drawn under the console map's boundaries; "
        "empty (the default): no tiles, and the map asks no other server"))
    map_tile_attribution: str = Field("", description="the tiles' credit line, shown under the map")
    map_tile_max_zoom: int = Field(18, ge=0, le=22, description="the deepest zoom level the tile server has")
    staffing_required: str = Field(
        DEFAULT_STAFFING_REQUIRED, description=(
            "the roles of 1+1+N each region of a tier must have, for staffingGaps: tier=role+role, comma-separated "
            "(tiers county, town, community, grid, micro_grid; roles leader, worker, police, party_member, "
            "volunteer, liaison), such as grid=leader+worker+police,micro_grid=worker; a county sets its own"))
    host: str = "127.0.0.1"
    port: int = 8000

    @field_validator("score_weights")
    @classmethod
    def known_weights(cls, value: str) -> str:
        parse_weights(value)  # a typo in a county's weights stops the start, not the first scorecard
        return value

    @field_validator("map_tile_url")
    @classmethod
    def tile_template(cls, value: str) -> str:
        value = value.strip()
        if value and (not value.startswith(("https://", "http://", "/"))
                      or any(part not in value for part in ("{z}", "{x}", "{y}"))):
            raise ValueError("map_tile_url: an http(s) URL (or a path on the hub) with {z}, {x} and {y}, "
                             f"not {value!r}")
        return value

    @field_validator("staffing_required")
    @classmethod
    def known_staffing(cls, value: str) -> str:
        parse_staffing(value)  # as the weights: a typo stops the start
        return value

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def comma_separated(cls, value):
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                ip_network(part.strip(), strict=False)  # a ValueError names the bad one
        return value

    def proxy_networks(self) -> tuple:
        return tuple(ip_network(p.strip(), strict=False) for p in self.trusted_proxies.split(",") if p.strip())


DATABASE_SCHEMES = ("sqlite", "postgres", "postgresql", "asyncpg")


def database_problem(database_url: str) -> str | None:
    """What is wrong with DATABASE_URL, said before anything waits on it: a scheme the hub
    has no driver for, or a SQLite file that cannot be opened (a missing directory, no
    permission); None when it looks usable. An unreachable PostgreSQL is told by its driver."""
    import sqlite3

    from tortoise.backends.base.config_generator import expand_db_url

    scheme, separator, _ = database_url.partition("://")
    if not separator or scheme not in DATABASE_SCHEMES:
        return (f"DATABASE_URL: unsupported database {scheme or database_url!r}; Gridhub runs on "
                "sqlite://PATH or postgres://user:password@host:5432/database")
    if scheme != "sqlite":
        return None
    try:
        path = expand_db_url(database_url)["credentials"]["file_path"]
    except Exception as error:  # tortoise's own message for a malformed URL
        return f"DATABASE_URL: {error}"
    if path == ":memory:":
        return None
    try:
        connection = sqlite3.connect(path)
        try:
            connection.execute("PRAGMA schema_version")
        finally:
            connection.close()
    except sqlite3.Error as error:
        return f"DATABASE_URL: cannot open the SQLite database {path}: {error}"
    return None


# Tortoise's asyncpg pool holds 5 connections unless told otherwise: at 8 or 32 concurrent
# requests the pool, not PostgreSQL, would be the queue. `?maxsize=` in the URL wins.
PG_POOL_SIZE = 20


# How long a write waits for another process's write lock on a shared SQLite file before
# answering SERVICE_UNAVAILABLE (models.sqlite_engine). `?busy_timeout=` in the URL wins.
SQLITE_BUSY_TIMEOUT_MS = 5000


def tortoise_config(database_url: str) -> dict:
    """The Tortoise config for one database; migrations live in models/migrations."""
    from tortoise.backends.base.config_generator import expand_db_url

    connection: str | dict = database_url
    if database_url.startswith(("postgres://", "postgresql://")):
        connection = expand_db_url(database_url)
        connection["engine"] = "gridhub.models.postgres_engine"
        connection["credentials"].setdefault("maxsize", PG_POOL_SIZE)
    elif database_url.startswith("sqlite://"):
        connection = expand_db_url(database_url)
        connection["engine"] = "gridhub.models.sqlite_engine"
        connection["credentials"].setdefault("busy_timeout", SQLITE_BUSY_TIMEOUT_MS)
        # SQLite's LIKE ignores ASCII case, PostgreSQL's does not: prefixes of region paths,
        # tags and categories compare exactly on both (and SQLite still uses the index)
        connection["credentials"].setdefault("case_sensitive_like", "ON")
    return {
        "connections": {"default": connection},
        "apps": {
            "gridhub": {
                "models": ["gridhub.models"],
                "default_connection": "default",
                "migrations": "gridhub.models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# For the `tortoise` CLI (makemigrations): `tortoise -c settings.TORTOISE_ORM makemigrations`.
TORTOISE_ORM = tortoise_config(Settings().database_url)
