"""A worker of the multi-process refresh stress run (issue 10; the driver is the Rust example
`core/examples/stress.rs`, which starts several of these at once):

    python tests/stress_worker.py --sandbox URL --dir DIR --users U --callers C --seconds S
                                  [--store file|postgres|redis --store-url URL]
                                  [--no-lock] [--verify] [--hold-lock] [--asyncio]

Users are `user-01` … `user-UU`. With `--store file` (the default) their tokens live in the
example backend's SQLite store (`examples/backend.py`) in DIR/tokens-python.sqlite, one
database shared by every Python worker process; DIR/<user>.json (the `TokenSet.to_json()` form)
is imported into a user's row only when the row is missing. With `--store postgres|redis` they
live in the SDK's server store at `--store-url` (the driver imported them): one
`PostgresTokenStores`/`RedisTokenStores` per process, `for_user("user-01")`… per user.
One session per user in this process, shared by C caller threads
(or asyncio tasks with `--asyncio`); caller i starts at user i and loops over the users calling
`intensity_zones()` until S seconds have passed. `--no-lock` wraps each store in a host store
that only has load/save/clear and delegates (no refresh lock: to measure what the lock
removes). `--verify` instead refreshes every user once
(the driver's check that every stored refresh token still works); `--hold-lock` instead takes
user-01's lock with a 3 s lease, prints `locked` and waits to be killed (`--store file` only).

The last line on stdout is `{"calls": N, "ok": N, "errors": {"<code>": N, ...}}`. The exit
status is 0 even when calls failed (the driver judges); non-zero only if the worker broke.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import threading
import time
from pathlib import Path
from typing import Counter, Dict, List, Optional, Sequence, Union

import enduco

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from backend import Database, SqliteTokenStore  # noqa: E402

CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"
REDIRECT_URI = "https://app.example/callback"


ServerStore = Union[enduco.PostgresTokenStore, enduco.RedisTokenStore]


class UnlockedStore:
    """The example's SQLite store without `try_lock`/`unlock`: "one process only"."""

    def __init__(self, inner: SqliteTokenStore) -> None:
        self.inner = inner

    def load(self) -> Optional[str]:
        return self.inner.load()

    def save(self, tokens: enduco.TokenSet) -> None:
        self.inner.save(tokens)

    def clear(self) -> None:
        self.inner.clear()


class UnlockedServerStore:
    """A server store without the lock. Its methods are `async def` around the store's
    coroutines: a store method must not make a blocking SDK call."""

    def __init__(self, inner: ServerStore) -> None:
        self.inner = inner

    async def load(self) -> Optional[enduco.TokenSet]:
        return await self.inner.load_async()

    async def save(self, tokens: enduco.TokenSet) -> None:
        await self.inner.save_async(tokens)

    async def clear(self) -> None:
        await self.inner.clear_async()


Store = Union[SqliteTokenStore, ServerStore, UnlockedStore, UnlockedServerStore]


class Tally:
    """Call outcomes, counted across caller threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls = 0
        self.ok = 0
        self.errors: Counter[str] = collections.Counter()

    def record(self, error: Optional[BaseException]) -> None:
        with self.lock:
            self.calls += 1
            if error is None:
                self.ok += 1
            elif isinstance(error, enduco.EnducoError):
                self.errors[error.code] += 1
            else:
                self.errors[f"python:{type(error).__name__}"] += 1

    def summary(self) -> Dict[str, object]:
        with self.lock:
            return {"calls": self.calls, "ok": self.ok, "errors": dict(sorted(self.errors.items()))}


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sandbox", required=True, help="the sandbox's base URL")
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--users", required=True, type=int)
    parser.add_argument("--callers", required=True, type=int)
    parser.add_argument("--seconds", required=True, type=float)
    parser.add_argument("--no-lock", action="store_true", help="a store without the refresh lock")
    parser.add_argument("--verify", action="store_true", help="refresh every user once instead")
    parser.add_argument("--hold-lock", action="store_true", help="take user-01's lock, then wait")
    parser.add_argument("--asyncio", action="store_true", help="asyncio tasks on AsyncEnducoClient")
    parser.add_argument(
        "--store",
        choices=["file", "postgres", "redis"],
        default="file",
        help="file: the example's SQLite store in DIR; postgres/redis: the SDK's server store",
    )
    parser.add_argument("--store-url", help="the server's URL (--store postgres|redis)")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 99 or args.callers < 1 or args.seconds <= 0:
        parser.error("--users must be 1..99, --callers at least 1, --seconds positive")
    if (args.store == "file") != (args.store_url is None):
        parser.error("--store postgres|redis needs --store-url, and --store-url needs one of them")
    if args.hold_lock and args.store != "file":
        parser.error("--hold-lock works with --store file only")
    return args


def open_stores(args: argparse.Namespace) -> List[Store]:
    users = [f"user-{n:02d}" for n in range(1, args.users + 1)]
    if args.store == "file":
        db = Database(str(args.dir / "tokens-python.sqlite"))
        sqlite: List[SqliteTokenStore] = []
        for user in users:
            initial = args.dir / f"{user}.json"
            db.import_tokens(user, enduco.TokenSet.from_json(initial.read_text()))
            sqlite.append(SqliteTokenStore(db, user))
        if args.no_lock:
            return [UnlockedStore(store) for store in sqlite]
        return list(sqlite)
    # One pool per process, shared by every user's store; the driver imported the tokens.
    server: Union[enduco.PostgresTokenStores, enduco.RedisTokenStores] = (
        enduco.PostgresTokenStores(args.store_url)
        if args.store == "postgres"
        else enduco.RedisTokenStores(args.store_url)
    )
    stores: List[ServerStore] = [server.for_user(user) for user in users]
    if args.no_lock:
        return [UnlockedServerStore(store) for store in stores]
    return list(stores)


def verify(args: argparse.Namespace, stores: List[Store], tally: Tally) -> None:
    client = enduco.EnducoClient(
        CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, environment=args.sandbox, refresh_margin_seconds=1.0
    )
    for store in stores:
        error: Optional[BaseException] = None
        try:
            client.session(store).refresh()
        except Exception as e:  # noqa: BLE001 - counted by kind
            error = e
        tally.record(error)


def hold_lock(stores: List[Store]) -> None:
    store = stores[0]
    assert isinstance(store, SqliteTokenStore), "--hold-lock needs the lock"
    if not store.try_lock("holder", 3.0):
        raise SystemExit("user-01's lock is held by someone else")
    print("locked", flush=True)
    threading.Event().wait()  # until killed


def run_threads(args: argparse.Namespace, stores: List[Store], tally: Tally) -> None:
    client = enduco.EnducoClient(
        CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, environment=args.sandbox, refresh_margin_seconds=1.0
    )
    sessions = [client.session(store) for store in stores]
    start = threading.Barrier(args.callers)

    def caller(index: int) -> None:
        start.wait()
        until = time.monotonic() + args.seconds
        n = index
        while time.monotonic() < until:
            error: Optional[BaseException] = None
            try:
                sessions[n % len(sessions)].intensity_zones()
            except Exception as e:  # noqa: BLE001 - counted by kind
                error = e
            tally.record(error)
            n += 1

    threads = [threading.Thread(target=caller, args=(i,), daemon=True) for i in range(args.callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


async def run_tasks(args: argparse.Namespace, stores: List[Store], tally: Tally) -> None:
    client = enduco.AsyncEnducoClient(
        CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, environment=args.sandbox, refresh_margin_seconds=1.0
    )
    sessions = [client.session(store) for store in stores]
    until = time.monotonic() + args.seconds

    async def caller(index: int) -> None:
        n = index
        while time.monotonic() < until:
            error: Optional[BaseException] = None
            try:
                await sessions[n % len(sessions)].intensity_zones()
            except Exception as e:  # noqa: BLE001 - counted by kind
                error = e
            tally.record(error)
            n += 1

    await asyncio.gather(*(caller(i) for i in range(args.callers)))


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    stores = open_stores(args)
    tally = Tally()
    if args.hold_lock:
        hold_lock(stores)
    elif args.verify:
        verify(args, stores, tally)
    elif args.asyncio:
        asyncio.run(run_tasks(args, stores, tally))
    else:
        run_threads(args, stores, tally)
    print(json.dumps(tally.summary()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
