"""The whole integration with the async client (coroutines on asyncio), against the sandbox."""

from __future__ import annotations

import asyncio
import datetime
import threading
from pathlib import Path
from typing import List, Tuple

import pytest

import enduco
from support import ALL_SCOPES, AsyncRecordingStore, RecordingStore, Sandbox, alogin


@pytest.mark.asyncio
async def test_full_flow_async(aclient: enduco.AsyncEnducoClient, sandbox: Sandbox, tmp_path: Path) -> None:
    request = aclient.authorization_request(ALL_SCOPES)
    callback = sandbox.follow_authorization(request.url)
    tokens = await aclient.complete_authorization(request, callback)
    assert tokens.user_id == "athlete-1001"

    store = AsyncRecordingStore()
    session = await aclient.connect(store, tokens)
    assert isinstance(session, enduco.AsyncSession)
    assert store.tokens == tokens
    assert await session.user_id() == "athlete-1001"
    assert sorted(await session.granted_scopes()) == sorted(ALL_SCOPES)

    zones = await session.intensity_zones()
    assert zones.user_id == "athlete-1001" and zones.zones
    plans = await session.upcoming_plans(days=3)
    assert all(isinstance(p, enduco.PlannedWorkout) for p in plans)
    today = datetime.date.today()
    assert isinstance(await session.training_plans(today, today + datetime.timedelta(days=6)), list)

    fit = sandbox.fit(tmp_path / "run.fit", "--seed", "11", "--size", "200000")
    size = fit.stat().st_size
    seen: List[Tuple[int, int]] = []
    loop_thread: List[int] = []

    def progress(sent: int, total: int) -> None:
        loop_thread.append(threading.get_ident())
        seen.append((sent, total))

    result = await session.upload_workout(fit, progress=progress)
    assert not result.duplicate
    sent = [s for s, _ in seen]
    assert sent == sorted(sent) and seen[-1] == (size, size)
    # Progress runs on the caller's event loop thread, before the await returns.
    assert set(loop_thread) == {threading.get_ident()}
    duplicate = await session.upload_workout(fit.read_bytes())
    assert duplicate.duplicate and duplicate.id == result.id

    raw = await session.request("GET", "/api/v1/plans", query={"from": today.isoformat(), "to": today.isoformat()})
    assert raw.status == 200 and isinstance(raw.json(), list)

    refreshed = await session.refresh()
    assert store.tokens == refreshed and refreshed != tokens
    await session.revoke()
    assert store.tokens is None
    with pytest.raises(enduco.ReauthorizationRequiredError):
        await session.intensity_zones()


@pytest.mark.asyncio
async def test_async_exchange_code(aclient: enduco.AsyncEnducoClient, sandbox: Sandbox) -> None:
    request = aclient.authorization_request(["user_read"])
    callback = sandbox.follow_authorization(request.url)
    code = callback.split("code=", 1)[1].split("&", 1)[0]
    tokens = await aclient.exchange_code(code, code_verifier=request.code_verifier)
    assert tokens.scopes == ["user_read"]


@pytest.mark.asyncio
async def test_async_session_with_plain_store(aclient: enduco.AsyncEnducoClient, sandbox: Sandbox) -> None:
    """Plain (non-async) store methods work with the async client too, on the loop thread."""
    tokens = await alogin(aclient, sandbox)
    threads: List[int] = []

    class Store(RecordingStore):
        def load(self) -> enduco.TokenSet | None:
            threads.append(threading.get_ident())
            return super().load()

    store = Store(tokens)
    session = aclient.session(store)
    assert (await session.intensity_zones()).user_id == "athlete-1001"
    assert threads == [threading.get_ident()]


@pytest.mark.asyncio
async def test_cancelling_a_call(aclient: enduco.AsyncEnducoClient, sandbox: Sandbox) -> None:
    tokens = await alogin(aclient, sandbox)
    session = aclient.session(enduco.MemoryTokenStore(tokens))
    sandbox.fault("/api/v1/zones", "delay", delayMs=5000)
    task = asyncio.ensure_future(session.intensity_zones())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The session is still usable afterwards.
    assert (await session.intensity_zones()).user_id == "athlete-1001"


@pytest.mark.asyncio
async def test_wait_for_timeout_cancels(aclient: enduco.AsyncEnducoClient, sandbox: Sandbox) -> None:
    tokens = await alogin(aclient, sandbox)
    session = aclient.session(enduco.MemoryTokenStore(tokens))
    sandbox.fault("/api/v1/zones", "delay", delayMs=5000)
    started = asyncio.get_running_loop().time()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(session.intensity_zones(), timeout=0.3)
    assert asyncio.get_running_loop().time() - started < 3


def test_async_methods_called_outside_a_loop_start_when_awaited(
    aclient: enduco.AsyncEnducoClient, sandbox: Sandbox
) -> None:
    """`asyncio.run(aclient.method(...))`: the call is made outside any loop, so it returns a
    coroutine that does the work on the loop that awaits it."""
    request = aclient.authorization_request(["user_read", "plans_read"])
    callback = sandbox.follow_authorization(request.url)
    tokens = asyncio.run(aclient.complete_authorization(request, callback))
    store = AsyncRecordingStore()
    session = asyncio.run(aclient.connect(store, tokens))
    assert store.tokens == tokens
    assert asyncio.run(session.intensity_zones()).user_id == "athlete-1001"
    assert isinstance(asyncio.run(session.upcoming_plans(days=2)), list)
    raw = asyncio.run(session.request("GET", "/api/v1/zones", query={"x": "1"}))
    assert raw.status == 200
    pending = session.refresh()
    assert asyncio.iscoroutine(pending)
    assert asyncio.run(pending) == store.tokens
    # Each asyncio.run has its own loop; the store followed every one of them.
    assert len(store.saves) == 2


@pytest.mark.asyncio
async def test_methods_return_lazy_coroutines(aclient: enduco.AsyncEnducoClient, sandbox: Sandbox) -> None:
    tokens = await alogin(aclient, sandbox)
    session = aclient.session(enduco.MemoryTokenStore(tokens))
    pending = session.intensity_zones()
    assert asyncio.iscoroutine(pending)
    await asyncio.sleep(0.2)
    assert sandbox.count("/api/v1/zones") == 0, "a coroutine must not start before it is awaited"
    pending.close()
    task = asyncio.create_task(session.intensity_zones())
    assert (await task).user_id == "athlete-1001"
    assert sandbox.count("/api/v1/zones") == 1
    once = session.user_id()
    assert await once == "athlete-1001"
    with pytest.raises(RuntimeError):
        await once
