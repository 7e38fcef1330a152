"""Typed usage of the whole public API; `mypy --strict` must accept it (python/run-tests).

It is also importable and runnable, but the tests exercise the same calls against the sandbox;
this file exists for the type checker.
"""

from __future__ import annotations

import asyncio
import datetime
import pathlib
from typing import Dict, List, Optional, Union

import enduco
import enduco.relay


class DictStore:
    """A host store with plain methods."""

    def __init__(self) -> None:
        self.rows: Dict[str, str] = {}

    def load(self) -> Optional[str]:
        return self.rows.get("me")

    def save(self, tokens: enduco.TokenSet) -> None:
        self.rows["me"] = tokens.to_json()

    def clear(self) -> None:
        self.rows.pop("me", None)


class AsyncDictStore:
    """A host store with `async def` methods."""

    def __init__(self) -> None:
        self.tokens: Optional[enduco.TokenSet] = None

    async def load(self) -> Optional[enduco.TokenSet]:
        return self.tokens

    async def save(self, tokens: enduco.TokenSet) -> None:
        self.tokens = tokens

    async def clear(self) -> None:
        self.tokens = None


class LockingDictStore(DictStore):
    """A store shared by processes: with the refresh lock (`enduco.TokenStoreLock`)."""

    def __init__(self) -> None:
        super().__init__()
        self.holder: Optional[str] = None

    def try_lock(self, owner: str, lease_seconds: float) -> bool:
        if self.holder in (None, owner):
            self.holder = owner
        return self.holder == owner

    def unlock(self, owner: str) -> None:
        if self.holder == owner:
            self.holder = None


class AsyncLockingDictStore(AsyncDictStore):
    """`enduco.AsyncTokenStoreLock`: the lock with `async def` methods."""

    async def try_lock(self, owner: str, lease_seconds: float) -> bool:
        return True

    async def unlock(self, owner: str) -> None:
        pass


def describe(workout: enduco.PlannedWorkout, zones: Optional[enduco.IntensityZones]) -> List[str]:
    lines = [f"{workout.date.isoformat()} {workout.sport} {workout.title}"]
    start: Optional[datetime.datetime] = workout.start_time
    if start is not None:
        lines.append(start.astimezone(datetime.timezone.utc).isoformat())
    for step in workout.steps:
        kind: str = step.kind
        target: Optional[enduco.StepTarget] = step.target
        repeat: Optional[enduco.Repeat] = step.repeat
        lines.append(f"{kind} {target.metric if target else '-'} {repeat.count if repeat else 1}")
    for segment in workout.timeline(zones):
        resolved: Optional[enduco.ResolvedTarget] = segment.resolved
        offset: Optional[int] = segment.start_offset_seconds
        lines.append(f"{segment.index} {offset} {resolved.unit if resolved else ''}")
    return lines


def sync_flow(environment: str, callback_url: str, fit: Union[str, pathlib.Path, bytes]) -> None:
    client = enduco.EnducoClient(
        client_id="sandbox-client",
        client_secret="sandbox-secret",
        redirect_uri="https://app.example/callback",
        environment=environment,
        time_zone="Europe/Berlin",
        use_pkce=True,
        connect_timeout_seconds=5,
        request_timeout_seconds=10.0,
        max_retries=2,
        refresh_margin_seconds=0,
        store_timeout_seconds=2.5,
        lock_lease_seconds=30,
        endpoints={"zones": "/api/v1/zones"},
    )
    request: enduco.AuthorizationRequest = client.authorization_request(
        ["user_read", "plans_read", "workouts_write"]
    )
    url: str = request.url
    state: str = request.state
    verifier: Optional[str] = request.code_verifier
    print(url, state, verifier is not None)
    try:
        tokens: enduco.TokenSet = client.complete_authorization(request, callback_url)
    except enduco.AuthorizationDeniedError as denied:
        print(denied.error, denied.description)
        return
    except enduco.StateMismatchError:
        return
    expires: datetime.datetime = tokens.expires_at
    print(tokens.user_id, tokens.scopes, expires, tokens.expires_at_unix)
    copy = enduco.TokenSet.from_json(tokens.to_json())
    assert copy == tokens

    store = DictStore()
    session: enduco.Session = client.connect(store, tokens)
    file_session: enduco.Session = client.session(enduco.FileTokenStore(pathlib.Path("t.json")))
    memory_session = client.session(enduco.MemoryTokenStore(tokens))
    print(file_session, memory_session)

    zones = session.intensity_zones()
    for table in zones.zones:
        threshold: Optional[float] = table.threshold
        bounds = [(z.index, z.name, z.lower, z.upper) for z in table.zones]
        print(table.sport, table.metric, table.unit, threshold, bounds)
    plans: List[enduco.PlannedWorkout] = session.upcoming_plans(days=7)
    plans += session.training_plans(datetime.date(2030, 1, 1), "2030-01-03")
    for plan in plans:
        print(describe(plan, zones), plan.is_rest_day, plan.local_start())
        segments, truncated = plan.timeline_checked(zones)
        complete: List[enduco.TimelineSegment] = segments if not truncated else []
        print(complete)

    sent: List[int] = []
    result: enduco.UploadResult = session.upload_workout(
        fit, progress=lambda done, total: sent.append(done), file_name="ride.fit"
    )
    print(result.id, result.status, result.duplicate)

    raw: enduco.RawResponse = session.request("GET", "/api/v1/zones", query={"a": 1}, json=None)
    print(raw.status, raw.content_type, raw.body, raw.text, raw.json())
    print(session.user_id(), session.granted_scopes(), session.tokens(), session.refresh())

    try:
        session.upcoming_plans(days=10)
    except enduco.InsufficientScopeError as e:
        missing: List[str] = e.missing
        print(missing)
    except enduco.RateLimitedError as e:
        retry_after: Optional[float] = e.retry_after
        print(retry_after)
    except (enduco.ServerError, enduco.ApiError) as e:
        status: Optional[int] = e.status
        print(status)
    except enduco.EnducoTimeoutError as e:
        print(e.code)
    except enduco.StoreError as e:
        cause: Optional[BaseException] = e.__cause__
        print(cause)
    except enduco.InternalError as e:
        print("an SDK bug:", e)
    except enduco.EnducoError as e:
        code: str = e.code
        print(code, str(e))

    event: enduco.WebhookEvent = enduco.parse_webhook(b"{}")
    cleared: Optional[str] = client.clear_deregistered_user(event, store)
    cleared = client.clear_deregistered_user(b"{}", lambda user_id: store if user_id == "me" else None)
    print(cleared)
    day: Optional[datetime.date] = event.date_from
    print(day, event.date_to, event.occurred_at, event.raw, client.parse_webhook("{}"))
    session.revoke()


def server_stores(postgres_url: str, redis_url: str, tokens: enduco.TokenSet) -> None:
    client = enduco.EnducoClient(
        "sandbox-client", "sandbox-secret", "https://app.example/callback", max_response_bytes=1 << 20
    )
    postgres = enduco.PostgresTokenStores(postgres_url)
    postgres.migrate()
    redis = enduco.RedisTokenStores(redis_url, prefix="app:")
    redis.migrate()
    print(redis.prefix, repr(postgres))
    user: enduco.PostgresTokenStore = postgres.for_user("athlete-1")
    other: enduco.RedisTokenStore = redis.for_user("athlete-2")
    session: enduco.Session = client.connect(user, tokens)
    print(session, client.session(other), user.key, user.load(), other.load())
    user.save(tokens)
    other.clear()


async def async_server_stores(postgres_url: str, tokens: enduco.TokenSet) -> None:
    client = enduco.AsyncEnducoClient("sandbox-client", "sandbox-secret", "https://app.example/callback")
    stores = enduco.PostgresTokenStores(postgres_url)
    await stores.migrate_async()
    store = stores.for_user("athlete-1")
    session: enduco.AsyncSession = await client.connect(store, tokens)
    loaded: Optional[enduco.TokenSet] = await store.load_async()
    await store.save_async(tokens)
    await store.clear_async()
    cleared: Optional[str] = await client.clear_deregistered_user(b"{}", stores.for_user)
    print(session, loaded, cleared)


async def async_flow(environment: str, callback_url: str) -> None:
    client = enduco.AsyncEnducoClient(
        "sandbox-client",
        "sandbox-secret",
        "https://app.example/callback",
        environment=environment,
        refresh_margin_seconds=1.0,
        store_timeout_seconds=5,
        lock_lease_seconds=20.0,
    )
    request = client.authorization_request(["user_read"])
    tokens: enduco.TokenSet = await client.complete_authorization(request, callback_url)
    tokens = await client.exchange_code("code", code_verifier=request.code_verifier)
    session: enduco.AsyncSession = await client.connect(AsyncDictStore(), tokens)
    other: enduco.AsyncSession = client.session(LockingDictStore())
    shared: enduco.AsyncSession = client.session(AsyncLockingDictStore())
    print(await shared.user_id())
    zones, plans = await asyncio.gather(session.intensity_zones(), other.upcoming_plans(3))
    print(zones.user_id, len(plans))
    result = await session.upload_workout(b"...", progress=print)
    print(result.duplicate, await session.user_id(), await session.granted_scopes())
    raw = await session.request("POST", "/api/v1/things", query=[("x", "1")], json={"a": [1, 2]})
    print(raw.json())
    refreshed: enduco.TokenSet = await session.refresh()
    print(refreshed, await session.tokens())
    await session.revoke()


def relay_mode(environment: str, relay_url: str) -> None:
    """The app without the secret; the backend's relay with it (docs/relay.md)."""
    app = enduco.EnducoClient(
        "client-id", redirect_uri="com.example.app:/enduco", token_relay_url=relay_url,
        environment=environment,
    )
    positional: enduco.AsyncEnducoClient = enduco.AsyncEnducoClient(
        "client-id", None, "https://app.example/callback", token_relay_url=relay_url
    )
    request: enduco.AuthorizationRequest = app.authorization_request(["user_read"])
    del positional, request

    relay = enduco.TokenRelay("client-id", "secret", environment=environment)
    seen: List[str] = []
    status, headers, body = relay.handle(
        "/enduco/relay/token", "application/x-www-form-urlencoded", b"grant_type=refresh_token&refresh_token=r",
        on_tokens=seen.append,
    )
    response: enduco.RelayResponse = relay.respond("/enduco/relay/revoke", None, b"token=t")
    limit: int = enduco.MAX_RELAY_REQUEST_BYTES
    asgi: enduco.relay.AsgiApp = relay.asgi_app(on_tokens=seen.append)
    wsgi: enduco.relay.WsgiApp = relay.wsgi_app()
    server = enduco.relay.make_server(relay, "127.0.0.1", 0)
    url: str = enduco.relay.server_url(server)
    server.server_close()
    del status, headers, body, response, limit, asgi, wsgi, url


def stores() -> List[Union[enduco.TokenStore, enduco.AsyncTokenStore]]:
    return [DictStore(), AsyncDictStore(), LockingDictStore(), AsyncLockingDictStore()]


def locks() -> List[Union[enduco.TokenStoreLock, enduco.AsyncTokenStoreLock]]:
    return [LockingDictStore(), AsyncLockingDictStore()]
