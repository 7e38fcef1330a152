"""The cross-process refresh lock for host stores (issue 10): a Python store with
`try_lock(owner, lease_seconds)` and `unlock(owner)` (plain or `async def`) takes part in it;
the example backend's SQLite store implements it; processes sharing one database refresh a
grant once per expiry."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple

import pytest

import enduco
from support import (
    AsyncRecordingStore,
    RecordingStore,
    RoundChild,
    Sandbox,
    alogin,
    close_all,
    expired,
    login,
    make_async_client,
    make_client,
    run_round,
    wait_until,
)

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS.parent / "examples"))
from backend import Database, SqliteTokenStore  # noqa: E402

LEASE = 7.5


class LockingStore(RecordingStore):
    """RecordingStore with the lock methods; records the order of calls."""

    def __init__(self, tokens: Optional[enduco.TokenSet] = None) -> None:
        super().__init__(tokens)
        self.events: List[Tuple[str, Any]] = []
        self.lock_answer: Any = True
        self.lock_error: Optional[BaseException] = None

    def save(self, tokens: enduco.TokenSet) -> None:
        super().save(tokens)
        self.events.append(("save", None))

    def try_lock(self, owner: str, lease_seconds: float) -> bool:
        self.events.append(("try_lock", (owner, lease_seconds)))
        if self.lock_error is not None:
            raise self.lock_error
        answer: bool = self.lock_answer
        return answer

    def unlock(self, owner: str) -> None:
        self.events.append(("unlock", owner))


class AsyncLockingStore(AsyncRecordingStore):
    def __init__(self, tokens: Optional[enduco.TokenSet] = None) -> None:
        super().__init__(tokens)
        self.events: List[Tuple[str, Any]] = []
        self.lock_error: Optional[BaseException] = None

    async def save(self, tokens: enduco.TokenSet) -> None:
        await super().save(tokens)
        self.events.append(("save", None))

    async def try_lock(self, owner: str, lease_seconds: float) -> bool:
        await asyncio.sleep(0)
        self.events.append(("try_lock", (owner, lease_seconds)))
        if self.lock_error is not None:
            raise self.lock_error
        return True

    async def unlock(self, owner: str) -> None:
        await asyncio.sleep(0)
        self.events.append(("unlock", owner))


def _check_lock_events(events: List[Tuple[str, Any]]) -> None:
    kinds = [kind for kind, _ in events]
    assert kinds == ["try_lock", "save", "unlock"], events
    owner, lease = events[0][1]
    assert isinstance(owner, str) and owner and lease == LEASE
    assert events[2][1] == owner


def test_sync_store_lock_methods_wrap_the_refresh(sandbox: Sandbox) -> None:
    client = make_client(sandbox, lock_lease_seconds=LEASE)
    store = LockingStore(expired(login(client, sandbox)))
    session = client.session(store)
    assert session.intensity_zones().user_id == "athlete-1001"
    _check_lock_events(store.events)
    assert sandbox.refresh_count() == 1


@pytest.mark.asyncio
async def test_async_store_lock_methods_wrap_the_refresh(sandbox: Sandbox) -> None:
    aclient = make_async_client(sandbox, lock_lease_seconds=LEASE)
    store = AsyncLockingStore(expired(await alogin(aclient, sandbox)))
    session = aclient.session(store)
    assert (await session.intensity_zones()).user_id == "athlete-1001"
    _check_lock_events(store.events)
    assert sandbox.refresh_count() == 1


def test_async_store_lock_methods_on_the_sync_client(sandbox: Sandbox) -> None:
    client = make_client(sandbox, lock_lease_seconds=LEASE)
    store = AsyncLockingStore(expired(login(client, sandbox)))
    assert client.session(store).intensity_zones().user_id == "athlete-1001"
    _check_lock_events(store.events)


def test_try_lock_raising_sends_no_token_request(client: enduco.EnducoClient, sandbox: Sandbox) -> None:
    store = LockingStore(expired(login(client, sandbox)))
    store.lock_error = ConnectionError("database down")
    session = client.session(store)

    with pytest.raises(enduco.StoreError) as caught:
        session.intensity_zones()
    assert isinstance(caught.value.__cause__, ConnectionError)
    assert "try_lock" in str(caught.value) and "database down" in str(caught.value)
    assert sandbox.refresh_count() == 0
    assert store.saves == []

    store.lock_error = None
    assert session.intensity_zones().user_id == "athlete-1001"
    assert sandbox.refresh_count() == 1


@pytest.mark.asyncio
async def test_async_try_lock_raising_sends_no_token_request(
    aclient: enduco.AsyncEnducoClient, sandbox: Sandbox
) -> None:
    store = AsyncLockingStore(expired(await alogin(aclient, sandbox)))
    store.lock_error = ConnectionError("database down")
    with pytest.raises(enduco.StoreError) as caught:
        await aclient.session(store).intensity_zones()
    assert isinstance(caught.value.__cause__, ConnectionError)
    assert sandbox.refresh_count() == 0


def test_try_lock_must_answer_a_bool(client: enduco.EnducoClient, sandbox: Sandbox) -> None:
    store = LockingStore(expired(login(client, sandbox)))
    store.lock_answer = None
    with pytest.raises(enduco.StoreError, match="try_lock\\(\\) must return True or False, not NoneType"):
        client.session(store).intensity_zones()
    assert sandbox.refresh_count() == 0


def test_lock_methods_come_in_pairs(client: enduco.EnducoClient) -> None:
    class HalfLock(RecordingStore):
        def try_lock(self, owner: str, lease_seconds: float) -> bool:
            return True

    with pytest.raises(TypeError, match="also needs unlock"):
        client.session(HalfLock())

    class SwitchedOff(LockingStore):
        try_lock = None  # type: ignore[assignment]
        unlock = None  # type: ignore[assignment]

    store = SwitchedOff()
    client.session(store)  # a store without the lock: "one process only"


# -- the example backend's SQLite store ----------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(str(tmp_path / "tokens.sqlite"))


def test_sqlite_lock_lease_and_owner_only_release(db: Database) -> None:
    store = SqliteTokenStore(db, "athlete-1001")
    other = SqliteTokenStore(db, "athlete-2002")
    assert store.try_lock("a", 60)
    assert store.try_lock("a", 60), "the same owner renews"
    assert not store.try_lock("b", 60)
    assert other.try_lock("b", 60), "one lock per user"
    store.unlock("b")  # not the holder: nothing happens
    assert not store.try_lock("b", 60)
    store.unlock("a")
    assert store.try_lock("b", 0.05)
    wait_until(lambda: store.try_lock("a", 60))  # b's lease ran out
    store.unlock("b")  # b's lease ended: a's lock stays
    assert not store.try_lock("c", 60)


def test_sqlite_lock_held_by_a_crashed_process_is_waited_out(
    client: enduco.EnducoClient, sandbox: Sandbox, db: Database
) -> None:
    tokens = login(client, sandbox)
    store = SqliteTokenStore(db, "athlete-1001")
    store.save(expired(tokens))
    assert store.try_lock("crashed-process", 2.0)  # and never unlocked

    session = client.session(store)
    started = time.monotonic()
    assert session.intensity_zones().user_id == "athlete-1001"
    print(f"waited {time.monotonic() - started:.2f} s for a 2 s lease held by a crashed process")
    assert sandbox.refresh_count() == 1
    assert enduco.TokenSet.from_json(store.load() or "").refresh_token != tokens.refresh_token
    assert store.try_lock("next-process", 60), "the session released its lock"


def test_two_processes_on_one_sqlite_store_refresh_once_per_round(
    client: enduco.EnducoClient, sandbox: Sandbox, db: Database
) -> None:
    users = ["user-01", "user-02"]
    for user in users:
        db.import_tokens(user, login(client, sandbox))
    children: List[RoundChild] = []
    try:
        for _ in range(2):
            children.append(
                RoundChild(TESTS / "lock_round_child.py", sandbox.url, str(db.path), "3", *users)
            )
        assert run_round(children) == [{"ok": 6, "errors": {}}] * 2
        assert sandbox.refresh_count() == 0

        for round_ in range(1, 4):
            sandbox.expire_access_tokens()
            results = run_round(children)
            assert results == [{"ok": 6, "errors": {}}] * 2, results
            assert sandbox.refresh_count() == len(users) * round_, "one refresh per user and round"
    finally:
        codes = close_all(children)
    assert codes == [0, 0]


# -- the stress worker (issue 10's multi-process protocol) ---------------------------------


@pytest.fixture
def worker_dir(client: enduco.EnducoClient, sandbox: Sandbox, tmp_path: Path) -> Iterator[Path]:
    for n in (1, 2):
        (tmp_path / f"user-{n:02d}.json").write_text(login(client, sandbox).to_json())
    yield tmp_path


@pytest.mark.parametrize("mode", [[], ["--no-lock"], ["--asyncio"]], ids=["lock", "no-lock", "asyncio"])
def test_stress_worker_protocol(sandbox: Sandbox, worker_dir: Path, mode: List[str]) -> None:
    command = [
        sys.executable, str(TESTS / "stress_worker.py"), "--sandbox", sandbox.url,
        "--dir", str(worker_dir), "--users", "2", "--callers", "3", "--seconds", "3", *mode,
    ]
    workers = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        # Expire every access token once both workers are calling.
        wait_until(lambda: sandbox.count("/api/v1/zones") >= 4, timeout=60)
        sandbox.expire_access_tokens()
        outputs = [w.communicate(timeout=120) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err
        summary = json.loads(out.strip().splitlines()[-1])
        assert set(summary) == {"calls", "ok", "errors"}
        assert summary["calls"] == summary["ok"] + sum(summary["errors"].values()) > 0
        print(mode, summary)
        if "--no-lock" not in mode:
            assert summary["errors"] == {}, summary
    assert (worker_dir / "tokens-python.sqlite").exists()
    if "--no-lock" in mode:
        return
    assert sandbox.refresh_count() <= 2, "more than one refresh per user"
    # --verify: every stored refresh token still works.
    verified = subprocess.run(
        command[:command.index("--seconds")] + ["--seconds", "1", "--verify"],
        capture_output=True, text=True, timeout=120,
    )
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout.splitlines()[-1]) == {"calls": 2, "ok": 2, "errors": {}}
