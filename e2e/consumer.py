"""A sample consumer of profile-service's internal routes, standing in for a comments service that shows avatars.

`python -m e2e.consumer` (configured by `CONSUMER_*` variables, see `ConsumerSettings`):

1. gets a client-credentials token from auth-service (`POST /auth/token`, scope `profiles:read`) and renews it
   `CONSUMER_RENEW_MARGIN_SECONDS` before it expires (and once on a 401, in case auth-service rotated keys);
2. warms an in-memory cache with `POST /internal/profiles/lookup` for the user ids in `CONSUMER_USER_IDS_FILE`
   (one per line, batches of 100);
3. follows `GET /internal/profiles/changes` (long-polling with `wait`), re-reads every changed profile it tracks
   through the lookup (events carry no profile data) and only then stores the page's `next_cursor` in
   `CONSUMER_STATE_DIR/cursor.json`, so a restart resumes where the cache was last consistent;
4. on 410 (its cursor is older than the feed's retention; also on a 400 for a cursor the feed does not know)
   resyncs: skips to the head of the feed, then looks every tracked id up again;
5. serves `GET /health` (200 once warmed, 503 before) and `GET /cache` (every entry with the time it was last
   refreshed, the cursor and counters) on 127.0.0.1:`CONSUMER_PORT` for the e2e test and the benchmark.

Order matters on a fresh start: the head cursor is read *before* the warm-up lookup, so a change committed
between the two is replayed rather than lost (re-reading a profile twice is harmless, missing one is not).
Network errors and 5xx (profile-service restarting) are retried with a short capped backoff, never fatal.
"""

import asyncio
import contextlib
import json
import logging
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import msgspec
import uvicorn
from litestar import Litestar, Response, get
from litestar.datastructures import State

from service_kit.settings import settings_from_env

logger = logging.getLogger("e2e.consumer")

SCOPE = "profiles:read"
LOOKUP_BATCH = 100  # the route's maximum
HEAD_PAGE = 500  # the feed's maximum page, for skipping to its head
BACKOFF_MAX_SECONDS = 1.0  # short: the e2e test gives the consumer a second to see a change
RECENT_EVENTS = 1000


class ConsumerSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`CONSUMER_*` variables."""

    auth_url: str
    profile_url: str
    client_id: str
    client_secret: str
    state_dir: str  # (paths as text: msgspec's lenient conversion does not make a Path from a string)
    user_ids_file: str
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8090
    wait_seconds: Annotated[int, msgspec.Meta(ge=0, le=30)] = 10
    limit: Annotated[int, msgspec.Meta(ge=1, le=500)] = 100
    renew_margin_seconds: Annotated[float, msgspec.Meta(ge=0)] = 60.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "ConsumerSettings":
        """Read `CONSUMER_*` variables (a misspelt one is an error, as in the services)."""
        return settings_from_env(cls, os.environ if environ is None else environ, prefix="CONSUMER_")


# What profile-service answers (declared here, not imported: a service never imports another's code).
class PublicAvatar(msgspec.Struct):
    """The picture as anyone may see it."""

    secure_url: str
    version: int
    variants: dict[str, str] = {}


class LookedUpProfile(msgspec.Struct):
    """One profile's public view (private: everything null but `visibility`)."""

    username: str | None
    display_name: str | None
    avatar: PublicAvatar | None
    visibility: str


class ProfileLookupResult(msgspec.Struct):
    """The lookup's answer."""

    profiles: dict[str, LookedUpProfile]
    missing: list[str]


class ProfileChangeEvent(msgspec.Struct):
    """One change of a profile's public view."""

    cursor: str
    user_id: str
    kind: str
    at: datetime


class ProfileChangePage(msgspec.Struct):
    """A page of the feed."""

    changes: list[ProfileChangeEvent]
    next_cursor: str


class ServiceToken(msgspec.Struct):
    """auth-service's client-credentials answer."""

    access_token: str
    expires_in: int


# What the consumer serves.
class CacheEntry(msgspec.Struct):
    """A tracked user's profile as last read (`profile` None: deleted or unknown), and when and why it was read."""

    profile: LookedUpProfile | None
    refreshed_at: float  # epoch seconds, this machine's clock
    # When the cached picture became this one (kept while re-reads return the same picture), epoch seconds.
    avatar_seen_at: float
    reason: str  # "warm", "resync" or the event kind that caused the re-read
    event_at: datetime | None = None  # the change's commit time, when an event caused the re-read


class SeenEvent(msgspec.Struct):
    """An event the consumer processed (kept for the test: which changes it saw, from which cursor)."""

    cursor: str
    user_id: str
    kind: str
    at: datetime
    seen_at: float


class Counters(msgspec.Struct):
    """What the consumer did since it started."""

    token_requests: int = 0
    unauthorized: int = 0
    lookups: int = 0
    feed_requests: int = 0
    events: int = 0
    resyncs: int = 0
    errors: int = 0


class CacheView(msgspec.Struct):
    """`GET /cache`."""

    warmed: bool
    started_from: str | None  # the cursor read from the state file at start (None: a fresh start)
    cursor: str | None
    counters: Counters
    entries: dict[str, CacheEntry]
    recent_events: list[SeenEvent]


class Health(msgspec.Struct):
    """`GET /health`."""

    status: str


class CursorExpired(Exception):
    """The feed cannot continue from this cursor (410: older than its retention; 400: not one of its cursors)."""


class TokenSource:
    """A client-credentials token, fetched on first use and renewed `margin` seconds before it expires."""

    def __init__(self, http: httpx.AsyncClient, settings: ConsumerSettings, counters: Counters) -> None:
        self._http = http
        self._settings = settings
        self._counters = counters
        self._token: str | None = None
        self._renew_at = 0.0

    async def token(self) -> str:
        """A token with at least the margin left (a new one when the current one is too close to expiry)."""
        if self._token is None or time.monotonic() >= self._renew_at:
            started = time.monotonic()
            response = await self._http.post(
                self._settings.auth_url.rstrip("/") + "/auth/token",
                data={"grant_type": "client_credentials", "scope": SCOPE},
                auth=(self._settings.client_id, self._settings.client_secret),
            )
            response.raise_for_status()
            issued = msgspec.json.decode(response.content, type=ServiceToken)
            self._counters.token_requests += 1
            # Never sooner than "now": a margin larger than the lifetime means "renew on every use".
            self._renew_at = started + max(0.0, issued.expires_in - self._settings.renew_margin_seconds)
            self._token = issued.access_token
        return self._token

    def forget(self) -> None:
        """Drop the token (after a 401): the next call fetches a new one."""
        self._token = None


class ProfileClient:
    """profile-service's internal routes, authenticated with the service token."""

    def __init__(
        self, http: httpx.AsyncClient, settings: ConsumerSettings, tokens: TokenSource, counters: Counters
    ) -> None:
        self._http = http
        self._base = settings.profile_url.rstrip("/")
        self._tokens = tokens
        self._counters = counters

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {await self._tokens.token()}"}
            response = await self._http.request(method, self._base + path, headers=headers, **kwargs)
            if response.status_code != 401 or attempt == 2:
                return response
            # Expired early or signed by a key auth-service has since dropped: one retry with a new token.
            self._counters.unauthorized += 1
            self._tokens.forget()
        raise AssertionError("unreachable")

    async def lookup(self, user_ids: Iterable[str]) -> ProfileLookupResult:
        """Every id's public view, in batches of at most 100 (one request each)."""
        ids = sorted(set(user_ids))
        merged = ProfileLookupResult(profiles={}, missing=[])
        for start in range(0, len(ids), LOOKUP_BATCH):
            response = await self._send(
                "POST", "/internal/profiles/lookup", json={"user_ids": ids[start : start + LOOKUP_BATCH]}
            )
            response.raise_for_status()
            self._counters.lookups += 1
            part = msgspec.json.decode(response.content, type=ProfileLookupResult)
            merged.profiles.update(part.profiles)
            merged.missing.extend(part.missing)
        return merged

    async def changes(self, after: str | None, *, limit: int, wait: int) -> ProfileChangePage:
        """One page of the feed after `after` (None: from the oldest retained change); CursorExpired on 410."""
        params: dict[str, str | int] = {"limit": limit, "wait": wait}
        if after:
            params["after"] = after
        # The long poll holds the request up to `wait` seconds: the read timeout must outlast it.
        response = await self._send(
            "GET", "/internal/profiles/changes", params=params, timeout=httpx.Timeout(10.0, read=wait + 10.0)
        )
        self._counters.feed_requests += 1
        # 410: older than the retention. 400 with a cursor: not one this feed handed out (a state file from another
        # deployment, or edited): either way the only way back is the resync.
        if response.status_code == 410 or (response.status_code == 400 and after):
            raise CursorExpired(f"{after}: {response.status_code}")
        response.raise_for_status()
        return msgspec.json.decode(response.content, type=ProfileChangePage)


class CursorFile:
    """The last cursor whose changes are in the cache, kept across restarts (written atomically)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._path = directory / "cursor.json"

    def load(self) -> str | None:
        """The stored cursor, or None before the first one."""
        if not self._path.exists():
            return None
        cursor = json.loads(self._path.read_text()).get("cursor")
        return cursor if isinstance(cursor, str) and cursor else None

    def store(self, cursor: str) -> None:
        """Replace the stored cursor (a crash leaves the old or the new one, never half of either)."""
        temporary = self._path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"cursor": cursor}))
        os.replace(temporary, self._path)


def _picture(profile: LookedUpProfile | None) -> str | None:
    return None if profile is None or profile.avatar is None else profile.avatar.secure_url


class Consumer:
    """The cache and the loop that keeps it current."""

    def __init__(self, settings: ConsumerSettings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.counters = Counters()
        self.profiles = ProfileClient(http, settings, TokenSource(http, settings, self.counters), self.counters)
        self.cursor_file = CursorFile(Path(settings.state_dir))
        self.tracked = frozenset(
            line.strip() for line in Path(settings.user_ids_file).read_text().splitlines() if line.strip()
        )
        self.entries: dict[str, CacheEntry] = {}
        self.recent: deque[SeenEvent] = deque(maxlen=RECENT_EVENTS)
        self.started_from = self.cursor_file.load()
        self.cursor = self.started_from
        self.warmed = asyncio.Event()

    def view(self) -> CacheView:
        """The whole state, for `GET /cache`."""
        return CacheView(
            warmed=self.warmed.is_set(),
            started_from=self.started_from,
            cursor=self.cursor,
            counters=self.counters,
            entries=dict(self.entries),
            recent_events=list(self.recent),
        )

    async def refresh(self, user_ids: Iterable[str], reason: str, events: dict[str, ProfileChangeEvent]) -> None:
        """Re-read these users through the lookup and replace their entries."""
        wanted = [u for u in user_ids if u in self.tracked]
        if not wanted:
            return
        result = await self.profiles.lookup(wanted)
        now = time.time()
        for user_id in wanted:
            event = events.get(user_id)
            profile = result.profiles.get(user_id)
            before = self.entries.get(user_id)
            same_picture = before is not None and _picture(before.profile) == _picture(profile)
            self.entries[user_id] = CacheEntry(
                profile=profile,
                refreshed_at=now,
                avatar_seen_at=before.avatar_seen_at if before is not None and same_picture else now,
                reason=event.kind if event else reason,
                event_at=event.at if event else None,
            )

    async def head(self) -> str | None:
        """The newest cursor, paging from the oldest retained change without looking anything up."""
        after: str | None = None
        while True:
            page = await self.profiles.changes(after, limit=HEAD_PAGE, wait=0)
            after = page.next_cursor or after
            if len(page.changes) < HEAD_PAGE:
                return after

    async def sync(self, reason: str) -> None:
        """Head first, then every tracked id: the cache is then at least as new as the cursor it starts from."""
        cursor = await self.head()
        await self.refresh(self.tracked, reason, {})
        self.cursor = cursor
        if cursor:
            self.cursor_file.store(cursor)

    async def step(self) -> None:
        """One page of the feed: re-read the profiles it names, then advance and store the cursor."""
        try:
            page = await self.profiles.changes(self.cursor, limit=self.settings.limit, wait=self.settings.wait_seconds)
        except CursorExpired:
            logger.warning("the feed refused cursor %s: resyncing through the lookup", self.cursor)
            self.counters.resyncs += 1
            await self.sync("resync")
            return
        latest: dict[str, ProfileChangeEvent] = {}
        for event in page.changes:
            latest[event.user_id] = event  # the newest event per user names the re-read
        await self.refresh(latest, "event", latest)
        now = time.time()
        for event in page.changes:
            self.recent.append(SeenEvent(event.cursor, event.user_id, event.kind, event.at, seen_at=now))
        self.counters.events += len(page.changes)
        if page.next_cursor and page.next_cursor != self.cursor:
            self.cursor = page.next_cursor
            self.cursor_file.store(page.next_cursor)

    async def run(self) -> None:
        """Warm up, then follow the feed for ever; transient failures are retried after a short backoff."""
        backoff = 0.1
        while True:
            try:
                if not self.warmed.is_set():
                    if self.cursor is None:
                        await self.sync("warm")
                    else:  # resume: the stored cursor is older than this lookup, so nothing is skipped
                        await self.refresh(self.tracked, "warm", {})
                    self.warmed.set()
                    logger.info("warmed %d entries; following from %s", len(self.entries), self.cursor)
                await self.step()
                backoff = 0.1
            except (httpx.TransportError, httpx.HTTPStatusError, msgspec.DecodeError) as exc:
                self.counters.errors += 1
                logger.warning("profile feed unavailable (%s); retrying in %.1f s", exc, backoff)
                await asyncio.sleep(backoff)  # a backoff between retries, not a wait for a condition
                backoff = min(BACKOFF_MAX_SECONDS, backoff * 2)


def provide_consumer(state: State) -> Consumer:
    """The one consumer of this process."""
    consumer: Consumer = state.consumer
    return consumer


@get("/health", sync_to_thread=False)
def health(state: State) -> Response[Health]:
    """200 once the cache is warm (what the test's process launcher waits for), 503 before."""
    warmed = provide_consumer(state).warmed.is_set()
    return Response(Health("ok" if warmed else "warming"), status_code=200 if warmed else 503)


@get("/cache", sync_to_thread=False)
def cache(state: State) -> CacheView:
    """Every entry, the cursor and the counters."""
    return provide_consumer(state).view()


def create_app(settings: ConsumerSettings) -> Litestar:
    """The consumer's app: the follower runs in the lifespan, beside the two routes."""

    @contextlib.asynccontextmanager
    async def follow(app: Litestar) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=10.0) as http:
            consumer = Consumer(settings, http)
            app.state.consumer = consumer
            task = asyncio.create_task(consumer.run())
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return Litestar(route_handlers=[health, cache], lifespan=[follow], openapi_config=None)


def main() -> int:
    """Serve the consumer until SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = ConsumerSettings.from_env()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
