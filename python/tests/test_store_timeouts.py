"""A host store that never answers, or whose event loop is closed under it, fails the call with
StoreError (after `store_timeout_seconds`, or as soon as the loop is seen closed) instead of
holding the session's refresh gate forever; the same session works once the store does."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Optional

import pytest

import enduco
from support import (
    RecordingStore,
    Sandbox,
    alogin,
    await_until,
    expired,
    login,
    make_async_client,
    make_client,
    wait_until,
)

STORE_TIMEOUT = 0.5


class HangingStore(RecordingStore):
    """load() blocks (on a threading.Event) while `hang` is set."""

    def __init__(self, tokens: enduco.TokenSet) -> None:
        super().__init__(tokens)
        self.hang = True
        self.entered = threading.Event()
        self.released = threading.Event()

    def load(self) -> Optional[enduco.TokenSet]:
        if self.hang:
            self.entered.set()
            self.released.wait(timeout=120)
        return super().load()


class AsyncHangingStore:
    """async load() awaits a future nobody sets while `hang` is set; notes its cancellation."""

    def __init__(self, tokens: enduco.TokenSet) -> None:
        self.tokens: Optional[enduco.TokenSet] = tokens
        self.hang = True
        self.entered = threading.Event()
        self.cancelled = threading.Event()
        self.saves = 0

    async def load(self) -> Optional[enduco.TokenSet]:
        if self.hang:
            self.entered.set()
            try:
                await asyncio.get_running_loop().create_future()
            except asyncio.CancelledError:
                self.cancelled.set()
                raise
        return self.tokens

    async def save(self, tokens: enduco.TokenSet) -> None:
        self.tokens = tokens
        self.saves += 1

    async def clear(self) -> None:
        self.tokens = None


def _check_timeout(error: enduco.StoreError) -> None:
    assert error.code == "store"
    assert "load" in str(error) and "did not finish within 0.5 s" in str(error), str(error)


def test_sync_store_that_never_returns_times_out(sandbox: Sandbox) -> None:
    client = make_client(sandbox, store_timeout_seconds=STORE_TIMEOUT)
    store = HangingStore(login(client, sandbox))
    session = client.session(store)

    with pytest.raises(enduco.StoreError) as caught:
        session.intensity_zones()
    _check_timeout(caught.value)
    assert store.entered.is_set()

    store.hang = False
    store.released.set()  # the stuck worker thread finishes; nobody waits for it any more
    assert session.intensity_zones().user_id == "athlete-1001"
    assert sandbox.refresh_count() == 0


def test_async_store_that_never_returns_times_out_on_the_sync_client(sandbox: Sandbox) -> None:
    client = make_client(sandbox, store_timeout_seconds=STORE_TIMEOUT)
    store = AsyncHangingStore(login(client, sandbox))
    session = client.session(store)

    with pytest.raises(enduco.StoreError) as caught:
        session.intensity_zones()
    _check_timeout(caught.value)
    # The coroutine left behind on the SDK's worker thread is cancelled, not abandoned.
    assert store.cancelled.wait(timeout=30)

    store.hang = False
    assert session.intensity_zones().user_id == "athlete-1001"


@pytest.mark.asyncio
async def test_async_store_that_never_returns_times_out(sandbox: Sandbox) -> None:
    aclient = make_async_client(sandbox, store_timeout_seconds=STORE_TIMEOUT)
    store = AsyncHangingStore(await alogin(aclient, sandbox))
    session = aclient.session(store)

    with pytest.raises(enduco.StoreError) as caught:
        await session.intensity_zones()
    _check_timeout(caught.value)
    await await_until(store.cancelled.is_set, timeout=30)

    store.hang = False
    assert (await session.intensity_zones()).user_id == "athlete-1001"
    assert sandbox.refresh_count() == 0


@pytest.mark.asyncio
async def test_store_timeout_during_refresh_keeps_the_grant(sandbox: Sandbox) -> None:
    """The re-read under the refresh gate times out: no token request is sent, and the next
    call refreshes normally."""
    aclient = make_async_client(sandbox, store_timeout_seconds=STORE_TIMEOUT)
    tokens = await alogin(aclient, sandbox)

    class SecondLoadHangs(AsyncHangingStore):
        loads = 0

        async def load(self) -> Optional[enduco.TokenSet]:
            self.loads += 1
            self.hang = self.loads == 2  # the re-read just before the refresh
            return await super().load()

    store = SecondLoadHangs(expired(tokens))
    session = aclient.session(store)
    with pytest.raises(enduco.StoreError) as caught:
        await session.intensity_zones()
    _check_timeout(caught.value)
    assert sandbox.refresh_count() == 0

    assert (await session.intensity_zones()).user_id == "athlete-1001"
    assert sandbox.refresh_count() == 1 and store.saves == 1


class LoopBoundStore:
    """An async store whose methods hang when they run on `doomed` (an event loop that the
    test closes under them); elsewhere they answer at once. The first load waits for `go`."""

    def __init__(self, tokens: enduco.TokenSet) -> None:
        self.tokens: Optional[enduco.TokenSet] = tokens
        self.doomed: Optional[asyncio.AbstractEventLoop] = None
        self.go: Optional[asyncio.Event] = None
        self.first_load = threading.Event()
        self.stuck = threading.Event()
        self.saves = 0

    async def _maybe_hang(self) -> None:
        if asyncio.get_running_loop() is self.doomed:
            self.stuck.set()
            await asyncio.get_running_loop().create_future()

    async def load(self) -> Optional[enduco.TokenSet]:
        if self.go is not None:
            go, self.go = self.go, None
            self.first_load.set()
            await go.wait()
        await self._maybe_hang()
        return self.tokens

    async def save(self, tokens: enduco.TokenSet) -> None:
        await self._maybe_hang()
        self.tokens = tokens
        self.saves += 1

    async def clear(self) -> None:
        self.tokens = None


def _start_loop() -> "tuple[asyncio.AbstractEventLoop, threading.Thread]":
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    return loop, thread


@pytest.mark.asyncio
async def test_async_store_whose_loop_is_closed_under_it(sandbox: Sandbox) -> None:
    """Caller A (this loop) refreshes; caller B on another loop joins meanwhile, so the store's
    next method runs on B's loop — which is then stopped and closed while the method is
    pending. A gets StoreError as soon as the SDK sees the loop closed (the store timeout
    here is the default 10 s, but nothing waits for it), no token request is sent, and the
    session works afterwards."""
    aclient = make_async_client(sandbox)
    tokens = await alogin(aclient, sandbox)
    store = LoopBoundStore(expired(tokens))
    go = store.go = asyncio.Event()
    session = aclient.session(store)
    here = asyncio.get_running_loop()

    call_a = asyncio.ensure_future(session.intensity_zones())
    await here.run_in_executor(None, store.first_load.wait, 30)  # A holds the gate, loading

    other, thread = _start_loop()
    # Its tasks are abandoned when it closes; asyncio reports each as "destroyed but pending".
    other.set_exception_handler(lambda loop, context: None)
    store.doomed = other
    b_started = threading.Event()

    async def call_b() -> Any:
        b_started.set()
        return await session.intensity_zones()

    asyncio.run_coroutine_threadsafe(call_b(), other)
    await here.run_in_executor(None, b_started.wait, 30)
    # One round trip through B's loop: B's first step (which registers its loop) is done.
    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(asyncio.sleep(0), other))

    # A's first load returns the expired tokens; the re-read before the refresh runs on B's
    # loop (the newest call's) and hangs there.
    go.set()
    await here.run_in_executor(None, store.stuck.wait, 30)

    other.call_soon_threadsafe(other.stop)
    await here.run_in_executor(None, thread.join, 30)
    other.close()

    with pytest.raises(enduco.StoreError) as caught:
        await call_a
    assert "closed" in str(caught.value), str(caught.value)
    assert sandbox.refresh_count() == 0

    store.doomed = None
    assert (await session.intensity_zones()).user_id == "athlete-1001"
    assert sandbox.refresh_count() == 1 and store.saves == 1


@pytest.mark.asyncio
async def test_calls_after_the_previous_loop_closed_use_their_own_loop(sandbox: Sandbox) -> None:
    """asyncio.run per request (a loop per call): each call's store methods run on its own
    loop, never on a closed one."""
    aclient = make_async_client(sandbox)
    tokens = await alogin(aclient, sandbox)
    store = LoopBoundStore(tokens)
    session = aclient.session(store)

    def one_request() -> str:
        return asyncio.run(session.user_id())

    here = asyncio.get_running_loop()
    for _ in range(3):
        assert await here.run_in_executor(None, one_request) == "athlete-1001"
    assert (await session.intensity_zones()).user_id == "athlete-1001"


def test_sync_client_runs_async_store_methods_in_a_loop_of_their_own(
    client: enduco.EnducoClient, sandbox: Sandbox
) -> None:
    tokens = login(client, sandbox)
    loops: "list[Any]" = []

    class Store(LoopBoundStore):
        async def load(self) -> Optional[enduco.TokenSet]:
            loops.append(asyncio.get_running_loop())
            return await super().load()

    session = client.session(Store(expired(tokens)))
    assert session.intensity_zones().user_id == "athlete-1001"  # load, refresh, save
    assert len(loops) >= 2
    # Each ran in a loop of its own (like asyncio.run), closed when the method was done.
    wait_until(lambda: all(loop.is_closed() for loop in loops))
