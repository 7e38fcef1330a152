"""Single-flight refresh: many concurrent callers on an expired token → one refresh request."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from typing import List

import pytest

import enduco
from support import AsyncRecordingStore, RecordingStore, Sandbox, alogin, expired, login


@pytest.mark.asyncio
async def test_200_concurrent_coroutines_refresh_once(
    aclient: enduco.AsyncEnducoClient, sandbox: Sandbox
) -> None:
    tokens = await alogin(aclient, sandbox)
    store = AsyncRecordingStore(expired(tokens))
    session = aclient.session(store)
    sandbox.expire_access_tokens()
    assert sandbox.refresh_count() == 0

    results = await asyncio.gather(*(session.intensity_zones() for _ in range(200)))

    assert len(results) == 200
    assert all(r.user_id == "athlete-1001" for r in results)
    assert sandbox.refresh_count() == 1
    assert len(store.saves) == 1 and store.tokens == store.saves[0]
    assert store.tokens is not None and store.tokens.refresh_token != tokens.refresh_token
    # Nobody used the old access token against the data API after the refresh was needed.
    zone_calls = [r for r in sandbox.requests() if r["path"] == "/api/v1/zones"]
    assert len(zone_calls) == 200 and all(r["status"] == 200 for r in zone_calls)


def test_20_threads_refresh_once(client: enduco.EnducoClient, sandbox: Sandbox) -> None:
    tokens = login(client, sandbox)
    store = RecordingStore(expired(tokens))
    session = client.session(store)
    sandbox.expire_access_tokens()

    barrier = threading.Barrier(20)
    results: List[enduco.IntensityZones] = []
    errors: List[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        try:
            zones = session.intensity_zones()
            with lock:
                results.append(zones)
        except BaseException as e:  # noqa: BLE001 - reported below
            with lock:
                errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(results) == 20
    assert sandbox.refresh_count() == 1
    assert len(store.saves) == 1


@pytest.mark.asyncio
async def test_sync_and_async_sessions_share_nothing_but_the_store(
    client: enduco.EnducoClient, aclient: enduco.AsyncEnducoClient, sandbox: Sandbox
) -> None:
    """Sync calls from a worker thread while the loop runs async calls: no deadlock."""
    tokens = await alogin(aclient, sandbox)
    store = RecordingStore(tokens)
    sync_session = client.session(store)
    async_session = aclient.session(store)
    sync_call = asyncio.get_running_loop().run_in_executor(None, sync_session.intensity_zones)
    async_results = await asyncio.gather(*(async_session.intensity_zones() for _ in range(10)))
    assert (await sync_call).user_id == "athlete-1001"
    assert len(async_results) == 10


EXIT_CHILD = """
import asyncio, sys
import enduco

async def main() -> None:
    client = enduco.AsyncEnducoClient(
        "sandbox-client", "sandbox-secret", "https://app.example/callback", environment=sys.argv[1]
    )
    session = client.session(enduco.MemoryTokenStore(enduco.TokenSet.from_json(sys.argv[2])))
    for _ in range(3):
        await asyncio.gather(*(session.intensity_zones() for _ in range(20)))

asyncio.run(main())
print("done", flush=True)
# The interpreter exits right after the last coroutine finished.
"""


def test_an_asyncio_program_exits_cleanly_right_after_its_last_call(
    client: enduco.EnducoClient, sandbox: Sandbox
) -> None:
    """The SDK's threads hand each outcome to the loop from inside Python; one of them may still
    be there when the program ends. The interpreter waits for it at exit (it used to crash now
    and then: SIGSEGV or "PyGILState_Release: thread state must be current")."""
    tokens = login(client, sandbox).to_json()
    for run in range(15):
        done = subprocess.run(
            [sys.executable, "-c", EXIT_CHILD, sandbox.url, tokens],
            capture_output=True, text=True, timeout=120,
        )
        assert (done.returncode, done.stdout.strip()) == (0, "done"), f"run {run}: {done.stderr[-2000:]}"
