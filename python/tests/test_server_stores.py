"""Issue 11 through the binding: `PostgresTokenStores` and `RedisTokenStores` against real
servers (`tests/db-servers`, started once for this module and always stopped) and the real
sandbox: the store contract through sync and async sessions, two OS processes sharing a
PostgreSQL and a Redis user, a server stopped in the middle of a session, and the stress
worker's server-store protocol.

Nothing here sleeps to wait for an event or asserts on a duration; the sandbox's request log
is the witness of what was sent."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Union

import pytest

import enduco
from support import (
    DbServers,
    RoundChild,
    Sandbox,
    close_all,
    expired,
    in_threads,
    login_as,
    make_async_client,
    make_client,
    run_round,
)

TESTS = Path(__file__).resolve().parent
KINDS = ["postgres", "redis"]
SECRET = "hunter2-not-for-logs"

Stores = Union[enduco.PostgresTokenStores, enduco.RedisTokenStores]


def open_stores(kind: str, url: str) -> Stores:
    return enduco.PostgresTokenStores(url) if kind == "postgres" else enduco.RedisTokenStores(url)


@pytest.fixture
def servers(db_servers: DbServers) -> DbServers:
    return db_servers


# -- construction, redaction -----------------------------------------------------------------


def test_invalid_urls_are_invalid_input_and_nothing_shows_the_url() -> None:
    for make, url in [
        (enduco.PostgresTokenStores, "not a url"),
        (enduco.PostgresTokenStores, f"postgres://enduco:{SECRET}@127.0.0.1:notaport/db"),
        (enduco.RedisTokenStores, "not a url"),
        (enduco.RedisTokenStores, f"http://:{SECRET}@127.0.0.1:6379/"),
    ]:
        with pytest.raises(enduco.InvalidInputError) as caught:
            make(url)
        assert caught.value.code == "invalid_input"
        assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)

    # Construction connects to nothing, so these URLs need no server.
    postgres = enduco.PostgresTokenStores(f"postgres://enduco:{SECRET}@db.internal:5432/app")
    redis = enduco.RedisTokenStores(f"redis://app:{SECRET}@cache.internal:6380/2", prefix="trainer:")
    assert redis.prefix == "trainer:"
    assert enduco.RedisTokenStores(f"redis://:{SECRET}@cache.internal/").prefix == "enduco:"
    user = postgres.for_user("athlete-7")
    assert isinstance(user, enduco.PostgresTokenStore) and user.key == "athlete-7"
    assert isinstance(redis.for_user("athlete-7"), enduco.RedisTokenStore)
    with pytest.raises(TypeError):
        postgres.for_user(7)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        enduco.PostgresTokenStore()
    for value in [postgres, redis, user, redis.for_user("athlete-7")]:
        for shown in (repr(value), str(value)):
            assert SECRET not in shown and "internal" not in shown, shown
    assert repr(postgres) == "PostgresTokenStores(url=<redacted>)"
    assert repr(redis) == "RedisTokenStores(prefix='trainer:', url=<redacted>)"
    assert repr(user) == "PostgresTokenStore(key='athlete-7')"


# -- the store contract, through a session --------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_contract_through_a_sync_session(
    kind: str, servers: DbServers, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="enduco")
    stores = open_stores(kind, servers.url(kind))
    stores.migrate()
    stores.migrate()  # idempotent
    key = f"contract-{kind}"
    store = stores.for_user(key)
    neighbour = stores.for_user(f"{key}-neighbour")
    assert store.load() is None

    client = make_client(sandbox)
    tokens = login_as(client, sandbox, key)
    session = client.connect(store, tokens)
    assert store.load() == tokens, "connect saved the tokens as they are"
    assert neighbour.load() is None, "users are apart"
    assert session.intensity_zones().user_id == key

    # A refresh rotates the tokens into the server; another pool (another process) sees them.
    sandbox.clear_requests()
    sandbox.expire_access_tokens()
    outcomes = in_threads(10, session.intensity_zones)
    assert all(isinstance(o, enduco.IntensityZones) for o in outcomes), outcomes
    assert sandbox.refreshes_by_user() == {key: [200]}, "one refresh for ten callers"
    elsewhere = open_stores(kind, servers.url(kind)).for_user(key)
    rotated = elsewhere.load()
    assert rotated is not None and rotated.refresh_token != tokens.refresh_token
    assert rotated == session.tokens()
    assert client.session(elsewhere).user_id() == key

    neighbour.save(tokens)
    assert neighbour.load() == tokens
    neighbour.clear()
    assert neighbour.load() is None
    assert asyncio.run(neighbour.load_async()) is None
    asyncio.run(neighbour.save_async(tokens))
    assert asyncio.run(neighbour.load_async()) == tokens
    asyncio.run(neighbour.clear_async())
    assert neighbour.load() is None
    with pytest.raises(TypeError):
        neighbour.save(tokens.to_json())  # type: ignore[arg-type]

    # Revoke clears the row; a session on the cleared store needs a new authorization.
    session.revoke()
    assert store.load() is None
    with pytest.raises(enduco.ReauthorizationRequiredError):
        client.session(stores.for_user(key)).intensity_zones()

    # The SDK's DEBUG log of all this shows neither the server's URL nor a token.
    assert caplog.records, "the SDK logged"
    address = servers.url(kind).split("//", 1)[1].rstrip("/")
    assert address not in caplog.text
    for value in (tokens.access_token, tokens.refresh_token, rotated.access_token, rotated.refresh_token):
        assert str(value) not in caplog.text


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.asyncio
async def test_contract_through_an_async_session(kind: str, servers: DbServers, sandbox: Sandbox) -> None:
    stores = open_stores(kind, servers.url(kind))
    await stores.migrate_async()
    await stores.migrate_async()
    key = f"async-{kind}"
    tokens = login_as(make_client(sandbox), sandbox, key)
    aclient = make_async_client(sandbox)
    session = await aclient.connect(stores.for_user(key), expired(tokens))
    sandbox.clear_requests()
    results = await asyncio.gather(*(session.intensity_zones() for _ in range(10)))
    assert {z.user_id for z in results} == {key}
    assert sandbox.refreshes_by_user() == {key: [200]}, "one refresh for ten tasks"
    stored = stores.for_user(key).load()
    assert stored is not None and stored == await session.tokens()
    assert stored.refresh_token != tokens.refresh_token
    # A second session on a fresh store object of the same key uses what is stored.
    assert await aclient.session(stores.for_user(key)).user_id() == key


def test_redis_prefixes_keep_apps_apart(servers: DbServers, sandbox: Sandbox) -> None:
    tokens = login_as(make_client(sandbox), sandbox, "prefixed")
    a = enduco.RedisTokenStores(servers.redis_url, prefix="app-a:").for_user("prefixed")
    b = enduco.RedisTokenStores(servers.redis_url, prefix="app-b:").for_user("prefixed")
    a.save(tokens)
    assert b.load() is None
    assert a.load() == tokens
    enduco.RedisTokenStores(servers.redis_url).migrate()  # a no-op that returns


# -- two OS processes ----------------------------------------------------------------------


def test_two_processes_refresh_a_postgres_and_a_redis_user_once_per_expiry(
    servers: DbServers, sandbox: Sandbox
) -> None:
    client = make_client(sandbox)
    users = {"postgres": "shared-pg", "redis": "shared-redis"}
    initial = {}
    specs = []
    for kind in KINDS:
        stores = open_stores(kind, servers.url(kind))
        stores.migrate()
        initial[kind] = login_as(client, sandbox, users[kind])
        stores.for_user(users[kind]).save(initial[kind])
        specs.append({"kind": kind, "url": servers.url(kind), "user": users[kind]})

    callers = 4
    children: List[RoundChild] = []
    try:
        for _ in range(2):
            children.append(
                RoundChild(TESTS / "server_store_child.py", sandbox.url, str(callers), json.dumps(specs))
            )
        for round_ in range(1, 6):
            sandbox.expire_access_tokens()
            sandbox.clear_requests()
            results = run_round(children)
            assert results == [{"ok": callers * len(specs), "errors": {}}] * 2, (
                f"round {round_}: no call failed (no reauthorization_required): {results}"
            )
            assert sandbox.refreshes_by_user() == {users["postgres"]: [200], users["redis"]: [200]}, (
                f"round {round_}: one token request per user for both processes"
            )
    finally:
        codes = close_all(children)
    assert codes == [0, 0]

    # What each server holds is the live grant.
    for kind in KINDS:
        stored = open_stores(kind, servers.url(kind)).for_user(users[kind]).load()
        assert stored is not None and stored.refresh_token != initial[kind].refresh_token
        client.session(enduco.MemoryTokenStore(stored)).refresh()


# -- a server stopped in the middle of a session --------------------------------------------


@pytest.fixture
def stoppable(servers: DbServers) -> Iterator[List[str]]:
    """Kinds the test stopped; started again at the end whatever happened."""
    stopped: List[str] = []
    yield stopped
    for kind in stopped:
        servers.start(kind)


@pytest.mark.parametrize("kind", KINDS)
def test_server_stopped_mid_session_fails_with_store_and_sends_no_token_request(
    kind: str, servers: DbServers, sandbox: Sandbox, stoppable: List[str]
) -> None:
    client = make_client(sandbox, store_timeout_seconds=5)
    stores = open_stores(kind, servers.url(kind))
    stores.migrate()
    user = f"outage-{kind}"
    tokens = login_as(client, sandbox, user)
    store = stores.for_user(user)
    session = client.connect(store, tokens)
    assert session.intensity_zones().user_id == user

    servers.stop(kind)
    stoppable.append(kind)
    sandbox.clear_requests()
    sandbox.expire_access_tokens()
    with pytest.raises(enduco.StoreError) as caught:
        session.intensity_zones()
    assert caught.value.code == "store"
    print(f"{kind} down: {caught.value}")
    assert sandbox.refresh_requests() == [], "no token request without the lock"

    servers.start(kind)
    stoppable.remove(kind)
    assert session.intensity_zones().user_id == user, "the same session works again, no new login"
    assert sandbox.refreshes_by_user() == {user: [200]}
    stored = store.load()
    assert stored is not None and stored.refresh_token != tokens.refresh_token
    assert stored == session.tokens()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.asyncio
async def test_server_stopped_mid_async_session_fails_with_store(
    kind: str, servers: DbServers, sandbox: Sandbox, stoppable: List[str]
) -> None:
    aclient = make_async_client(sandbox, store_timeout_seconds=5)
    stores = open_stores(kind, servers.url(kind))
    await stores.migrate_async()
    user = f"async-outage-{kind}"
    tokens = login_as(make_client(sandbox), sandbox, user)
    session = await aclient.connect(stores.for_user(user), tokens)
    assert (await session.intensity_zones()).user_id == user

    servers.stop(kind)
    stoppable.append(kind)
    sandbox.clear_requests()
    sandbox.expire_access_tokens()
    with pytest.raises(enduco.StoreError):
        await session.intensity_zones()
    assert sandbox.refresh_requests() == []

    servers.start(kind)
    stoppable.remove(kind)
    assert (await session.intensity_zones()).user_id == user
    assert sandbox.refreshes_by_user() == {user: [200]}


# -- the stress worker with server stores ---------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_stress_worker_with_a_server_store(
    kind: str, servers: DbServers, sandbox: Sandbox, tmp_path: Path
) -> None:
    client = make_client(sandbox)
    stores = open_stores(kind, servers.url(kind))
    stores.migrate()
    users = ["user-01", "user-02"]
    initial = {}
    for user in users:
        # The driver's preparation: first tokens in DIR/<user>.json and in the server store.
        initial[user] = login_as(client, sandbox, user)
        (tmp_path / f"{user}.json").write_text(expired(initial[user]).to_json())
        stores.for_user(user).save(expired(initial[user]))
    sandbox.clear_requests()
    common = [
        sys.executable, str(TESTS / "stress_worker.py"), "--sandbox", sandbox.url,
        "--dir", str(tmp_path), "--users", "2", "--callers", "3",
        "--store", kind, "--store-url", servers.url(kind),
    ]
    workers = [
        subprocess.Popen(common + ["--seconds", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=120) for w in workers]
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err
        summary = json.loads(out.strip().splitlines()[-1])
        assert summary["calls"] >= 3 and summary["ok"] == summary["calls"], summary
        assert summary["errors"] == {}
    assert sandbox.refreshes_by_user() == {"user-01": [200], "user-02": [200]}, (
        "one token request per user across both processes"
    )
    for user in users:
        stored = stores.for_user(user).load()
        assert stored is not None and stored.refresh_token != initial[user].refresh_token

    sandbox.clear_requests()
    verified = subprocess.run(common + ["--seconds", "1", "--verify"], capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout.splitlines()[-1]) == {"calls": 2, "ok": 2, "errors": {}}
    assert sandbox.refreshes_by_user() == {"user-01": [200], "user-02": [200]}

    # --no-lock: a host store delegating to the server store (its cost is the driver's to
    # report); every call still ends in an outcome.
    unlocked = subprocess.run(common + ["--seconds", "1", "--no-lock"], capture_output=True, text=True, timeout=120)
    assert unlocked.returncode == 0, unlocked.stderr
    summary = json.loads(unlocked.stdout.splitlines()[-1])
    assert summary["calls"] == summary["ok"] + sum(summary["errors"].values()) > 0
    print("--no-lock:", summary)

    # A server kind without a URL, or a URL without one, is the worker's own failure.
    base = common[: common.index("--store")]
    for bad in (base + ["--store", kind, "--seconds", "1"], base + ["--store-url", servers.url(kind), "--seconds", "1"]):
        broken = subprocess.run(bad, capture_output=True, text=True, timeout=60)
        assert broken.returncode != 0 and "usage:" in broken.stderr
