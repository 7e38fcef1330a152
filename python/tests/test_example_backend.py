"""The example backend (examples/backend.py) end to end, with its tokens in SQLite (its own
token store) and in PostgreSQL (the SDK's `PostgresTokenStores`, `--token-store`): login
through the sandbox, data through the stored tokens, a refresh through the store, and the
tokens purged by a deregistration webhook."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple

import pytest

import enduco
from support import CLIENT_ID, CLIENT_SECRET, Sandbox

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE = EXAMPLES / "backend.py"
sys.path.insert(0, str(EXAMPLES))
from backend import Database, TokenStorage  # noqa: E402


class Backend:
    def __init__(self, url: str, storage: TokenStorage, log: List[str]) -> None:
        self.url = url
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        #: The backend's token storage, opened by the test on the same database.
        self.storage = storage
        self.log = log

    def call(self, method: str, path: str, body: bytes = b"") -> Tuple[int, Any, Any]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=body or None)
            response = conn.getresponse()
            raw = response.read()
            data = json.loads(raw) if raw and "json" in (response.getheader("Content-Type") or "") else raw
            return response.status, data, response.getheader("Location")
        finally:
            conn.close()

    def stored(self, user: str) -> Optional[enduco.TokenSet]:
        """The user's tokens as the backend stored them."""
        value = self.storage.for_user(user).load()
        if isinstance(value, str):
            return enduco.TokenSet.from_json(value)
        return value

    def store(self, user: str, tokens: enduco.TokenSet) -> None:
        self.storage.for_user(user).save(tokens)

    def connect_user(self, sandbox: Sandbox) -> str:
        status, _, authorize_url = self.call("GET", "/login")
        assert status == 302 and authorize_url and authorize_url.startswith(sandbox.url)
        callback = sandbox.follow_authorization(authorize_url)
        assert callback.startswith(self.url + "/callback?")
        status, body, _ = self.call("GET", callback[len(self.url):])
        assert status == 200, body
        user: str = body["connected"]
        return user


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, sandbox: Sandbox, tmp_path: Path) -> Iterator[Backend]:
    db = tmp_path / "backend.sqlite3"
    store_url = None
    if request.param == "postgres":
        store_url = request.getfixturevalue("db_servers").postgres_url
    process = subprocess.Popen(
        [
            sys.executable,
            str(EXAMPLE),
            "--environment", sandbox.url,
            "--client-id", CLIENT_ID,
            "--client-secret", CLIENT_SECRET,
            "--db", str(db),
            "--port", "0",
            "--time-zone", "Europe/Berlin",
            *(["--token-store", store_url] if store_url else []),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    line = process.stdout.readline().strip()
    if not line.startswith("listening on "):
        process.kill()
        pytest.fail(f"backend did not start: {line!r} {process.stderr.read()}")
    assert line.endswith(f"(tokens in {request.param})"), line
    log: List[str] = []
    threading.Thread(target=lambda: log.extend(process.stderr), daemon=True).start()  # type: ignore[arg-type]
    try:
        yield Backend(line.split()[2], TokenStorage(Database(str(db)), store_url), log)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_example_backend_purges_deregistered_user(backend: Backend, sandbox: Sandbox) -> None:
    user = backend.connect_user(sandbox)
    assert user == "athlete-1001"
    assert backend.stored(user) is not None

    status, zones, _ = backend.call("GET", f"/users/{user}/zones")
    assert status == 200 and zones["userId"] == user
    status, plans, _ = backend.call("GET", f"/users/{user}/plans")
    assert status == 200 and isinstance(plans, list)
    status, body, _ = backend.call("GET", "/users")
    assert status == 200 and body == {"users": [user]}

    sandbox.control("POST", "/_sandbox/webhooks/config", {"deregisterUrl": backend.url + "/webhooks/enduco"})
    result = sandbox.control("POST", "/_sandbox/webhooks/send", {"type": "user.deregistered", "userId": user})
    assert result["delivered"] is True, result
    assert backend.stored(user) is None
    status, body, _ = backend.call("GET", "/users")
    assert status == 200 and body == {"users": []}
    status, body, _ = backend.call("GET", f"/users/{user}/zones")
    assert status == 401 and body["error"] == "reauthorization_required"


def test_example_backend_refreshes_through_its_store(backend: Backend, sandbox: Sandbox) -> None:
    user = backend.connect_user(sandbox)
    stored = backend.stored(user)
    assert stored is not None
    data = json.loads(stored.to_json())
    data["expires_at"] = 0
    backend.store(user, enduco.TokenSet.from_json(json.dumps(data)))
    sandbox.expire_access_tokens()
    status, _, _ = backend.call("GET", f"/users/{user}/zones")
    assert status == 200
    assert sandbox.refresh_count() == 1
    fresh = backend.stored(user)
    assert fresh is not None
    assert fresh.expires_at_unix > 0 and fresh.refresh_token != stored.refresh_token

    status, body, _ = backend.call("GET", "/callback?code=x&state=forged")
    assert status == 400 and body["error"] == "state_mismatch"
    status, body, _ = backend.call("POST", "/webhooks/enduco", b"{not json")
    assert status == 200 and body["type"] == "unknown"
    status, _, _ = backend.call("POST", f"/users/{user}/disconnect")
    assert status == 200 and backend.stored(user) is None
