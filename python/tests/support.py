"""Test support: the sandbox process and its control API, clients pointed at it, helpers
to log a user in over real loopback HTTP (no mocks anywhere), and the rounds protocol of the
multi-process tests' child processes."""

from __future__ import annotations

import asyncio
import collections
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, Counter, Dict, Iterator, List, Optional, Sequence, TypeVar, Union


import enduco

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]
SANDBOX_BIN = Path(os.environ.get("ENDUCO_SANDBOX", REPO / "target" / "debug" / "enduco-sandbox"))

CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"
REDIRECT_URI = "https://app.example/callback"
ALL_SCOPES = ["user_read", "plans_read", "workouts_write"]


class Sandbox:
    """A running `enduco-sandbox` and its control API."""

    def __init__(self, process: "subprocess.Popen[str]", url: str) -> None:
        self.process = process
        self.url = url
        parsed = urllib.parse.urlsplit(url)
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 80

    # -- control API -------------------------------------------------------------------------
    def control(self, method: str, path: str, body: Optional[Any] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw.strip() else None

    def reset(self) -> None:
        self.control("POST", "/_sandbox/reset", {})

    def fault(self, path: str, kind: str, count: int = 1, **extra: Any) -> None:
        self.control("POST", "/_sandbox/faults", {"path": path, "kind": kind, "count": count, **extra})

    def expire_access_tokens(self) -> None:
        self.control("POST", "/_sandbox/expire-access-tokens", {})

    def requests(self) -> List[Dict[str, Any]]:
        result: List[Dict[str, Any]] = self.control("GET", "/_sandbox/requests")
        return result

    def refresh_count(self) -> int:
        return sum(1 for r in self.requests() if r.get("grantType") == "refresh_token")

    def refresh_requests(self) -> List[Dict[str, Any]]:
        """The refresh token requests in the log (logged as they arrive, answered or not)."""
        return [r for r in self.requests() if r.get("grantType") == "refresh_token"]

    def wait_for_refreshes(self, count: int, timeout: float = 30.0) -> None:
        """Polls the log until at least `count` refresh requests have arrived."""
        wait_until(lambda: self.refresh_count() >= count, timeout)

    def clear_requests(self) -> None:
        self.control("DELETE", "/_sandbox/requests")

    def refreshes_by_user(self) -> Dict[str, List[int]]:
        """The refresh token requests in the log per sandbox user id: `{user: [status, ...]}`."""
        by_user: Dict[str, List[int]] = {}
        for r in self.refresh_requests():
            by_user.setdefault(str(r.get("userId")), []).append(r.get("status", 0))
        return by_user

    def count(self, path: str) -> int:
        return sum(1 for r in self.requests() if r["path"] == path)

    # -- the browser's side of the authorization -----------------------------------------------
    def follow_authorization(self, url: str) -> str:
        """GETs the authorization URL without following redirects; returns the Location."""
        parsed = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=30)
        try:
            conn.request("GET", parsed.path + "?" + parsed.query)
            response = conn.getresponse()
            response.read()
            assert response.status in (302, 303), f"authorize answered {response.status}"
            location = response.getheader("Location")
            assert location, "no Location header"
            return location
        finally:
            conn.close()

    def cancel_authorization(self, url: str) -> str:
        """Presses "Cancel" on the consent page; returns the Location (with error=)."""
        query = urllib.parse.urlsplit(url).query
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(
                "POST",
                "/oauth2/authorize/decision",
                body=query + "&decision=cancel",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            response = conn.getresponse()
            response.read()
            assert response.status in (302, 303), f"decision answered {response.status}"
            location = response.getheader("Location")
            assert location
            return location
        finally:
            conn.close()

    def fit(self, path: Path, *args: str) -> Path:
        subprocess.run([str(SANDBOX_BIN), "fit", "--out", str(path), *args], check=True)
        return path


DB_SERVERS = REPO / "tests" / "db-servers"


class DbServers:
    """Throwaway PostgreSQL and Redis on loopback (`tests/db-servers`), one pair per test
    module: `stop(kind)`/`start(kind)` keep the port (and Redis its data)."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.postgres_url = ""
        self.redis_url = ""

    def _run(self, *args: str) -> str:
        done = subprocess.run(
            [str(DB_SERVERS), *args], capture_output=True, text=True, timeout=180
        )
        if done.returncode != 0:
            raise RuntimeError(f"tests/db-servers {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def up(self) -> None:
        out = self._run("up", str(self.dir))
        urls = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        self.postgres_url = urls["POSTGRES_URL"].strip()
        self.redis_url = urls["REDIS_URL"].strip()

    def down(self) -> None:
        self._run("down", str(self.dir))

    def stop(self, kind: str) -> None:
        self._run("stop", kind, str(self.dir))

    def start(self, kind: str) -> None:
        self._run("start", kind, str(self.dir))

    def url(self, kind: str) -> str:
        return self.postgres_url if kind == "postgres" else self.redis_url


def make_client(sandbox: Sandbox, **options: Any) -> enduco.EnducoClient:
    options.setdefault("environment", sandbox.url)
    return enduco.EnducoClient(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, **options)


def make_async_client(sandbox: Sandbox, **options: Any) -> enduco.AsyncEnducoClient:
    options.setdefault("environment", sandbox.url)
    return enduco.AsyncEnducoClient(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, **options)


def login(
    client: enduco.EnducoClient, sandbox: Sandbox, scopes: Optional[List[str]] = None
) -> enduco.TokenSet:
    request = client.authorization_request(scopes or ALL_SCOPES)
    callback = sandbox.follow_authorization(request.url)
    return client.complete_authorization(request, callback)


def login_as(
    client: enduco.EnducoClient, sandbox: Sandbox, user_id: str, scopes: Optional[List[str]] = None
) -> enduco.TokenSet:
    """Logs in as the sandbox user `user_id` (the sandbox's `login_hint`)."""
    request = client.authorization_request(scopes or ALL_SCOPES)
    hint = urllib.parse.urlencode({"login_hint": user_id})
    callback = sandbox.follow_authorization(f"{request.url}&{hint}")
    return client.complete_authorization(request, callback)


async def alogin(
    client: enduco.AsyncEnducoClient, sandbox: Sandbox, scopes: Optional[List[str]] = None
) -> enduco.TokenSet:
    request = client.authorization_request(scopes or ALL_SCOPES)
    callback = sandbox.follow_authorization(request.url)
    return await client.complete_authorization(request, callback)


def expired(tokens: enduco.TokenSet) -> enduco.TokenSet:
    """The same grant with an access token that the SDK sees as expired."""
    data = json.loads(tokens.to_json())
    data["expires_at"] = int(time.time()) - 10
    return enduco.TokenSet.from_json(json.dumps(data))


class RecordingStore:
    """A host store (plain methods) that records every call; thread-safe."""

    def __init__(self, tokens: Optional[enduco.TokenSet] = None) -> None:
        self.tokens = tokens
        self.saves: List[enduco.TokenSet] = []
        self.loads = 0
        self.clears = 0
        self.lock = threading.Lock()

    def load(self) -> Optional[enduco.TokenSet]:
        with self.lock:
            self.loads += 1
            return self.tokens

    def save(self, tokens: enduco.TokenSet) -> None:
        with self.lock:
            self.saves.append(tokens)
            self.tokens = tokens

    def clear(self) -> None:
        with self.lock:
            self.clears += 1
            self.tokens = None


class AsyncRecordingStore:
    """The same with `async def` methods."""

    def __init__(self, tokens: Optional[enduco.TokenSet] = None) -> None:
        self.tokens = tokens
        self.saves: List[enduco.TokenSet] = []
        self.loads = 0
        self.clears = 0

    async def load(self) -> Optional[enduco.TokenSet]:
        self.loads += 1
        return self.tokens

    async def save(self, tokens: enduco.TokenSet) -> None:
        self.saves.append(tokens)
        self.tokens = tokens

    async def clear(self) -> None:
        self.clears += 1
        self.tokens = None


def wait_until(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


async def await_until(predicate: Any, timeout: float = 10.0) -> None:
    """`wait_until` for coroutines: polls without blocking the event loop."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def in_threads(count: int, call: Callable[[], T]) -> List[Union[T, BaseException]]:
    """Runs `call` in `count` threads released together; each thread's result or exception,
    in thread order."""
    barrier = threading.Barrier(count)
    missing = object()
    outcomes: List[Any] = [missing] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = call()
        except BaseException as e:  # noqa: BLE001 - handed to the test
            outcomes[index] = e

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a caller thread hung"
    assert all(o is not missing for o in outcomes)
    return outcomes


# -- child processes driven in rounds ---------------------------------------------------------


def serve_rounds(sessions: Sequence[enduco.Session], callers: int) -> None:
    """The child's side of `RoundChild`: prints `ready`, then for every line `go` on stdin runs
    `callers` threads that each call `intensity_zones()` on every session, and prints one JSON
    line `{"ok": N, "errors": {code: N}}`. Returns at the end of stdin."""
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            continue
        lock = threading.Lock()
        ok = 0
        errors: Counter[str] = collections.Counter()

        def caller() -> None:
            nonlocal ok
            for session in sessions:
                try:
                    session.intensity_zones()
                    with lock:
                        ok += 1
                except enduco.EnducoError as e:
                    with lock:
                        errors[e.code] += 1

        threads = [threading.Thread(target=caller) for _ in range(callers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(json.dumps({"ok": ok, "errors": dict(errors)}), flush=True)


class RoundChild:
    """A child process `python SCRIPT ARGS...` whose script calls `serve_rounds`; started
    here, ready once this returns."""

    def __init__(self, script: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(script), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        if first.strip() != "ready":  # not left running for the test's cleanup to miss
            self.process.kill()
            self.process.wait()
        assert first.strip() == "ready", f"the child's first line: {first!r} ({self.process.poll()})"

    def readline(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, f"the child exited ({self.process.poll()})"
        return line.strip()

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def result(self) -> Dict[str, Any]:
        outcome: Dict[str, Any] = json.loads(self.readline())
        return outcome

    def close(self) -> int:
        """Ends the child's stdin and returns its exit code; one that has not exited within
        60 s is killed and `subprocess.TimeoutExpired` raised."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


def close_all(children: Sequence[RoundChild]) -> List[int]:
    """`close()` on every child, even after one hung; their exit codes (the first hung child's
    `TimeoutExpired` is raised once all are closed)."""
    codes: List[int] = []
    hung: Optional[subprocess.TimeoutExpired] = None
    for child in children:
        try:
            codes.append(child.close())
        except subprocess.TimeoutExpired as e:
            hung = hung or e
    if hung is not None:
        raise hung
    return codes


def run_round(children: Sequence[RoundChild]) -> List[Dict[str, Any]]:
    """Starts one round in every child (all before reading any result); their results, in order."""
    for child in children:
        child.go()
    return [child.result() for child in children]


__all__ = [
    "ALL_SCOPES",
    "AsyncRecordingStore",
    "RecordingStore",
    "RoundChild",
    "Sandbox",
    "alogin",
    "await_until",
    "close_all",
    "expired",
    "DbServers",
    "in_threads",
    "login",
    "login_as",
    "make_async_client",
    "make_client",
    "run_round",
    "serve_rounds",
    "wait_until",
]
