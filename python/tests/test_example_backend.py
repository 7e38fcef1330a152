"""The example backend (examples/backend.py) end to end: login through the sandbox, tokens in
SQLite, data through the stored tokens, and the row purged by a deregistration webhook."""

from __future__ import annotations

import http.client
import json
import sqlite3
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest

from support import CLIENT_ID, CLIENT_SECRET, Sandbox

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "backend.py"


class Backend:
    def __init__(self, url: str, db: Path) -> None:
        self.url = url
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.db = db

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

    def rows(self) -> List[str]:
        with sqlite3.connect(self.db) as db:
            return [r[0] for r in db.execute("SELECT user_id FROM enduco_tokens")]


@pytest.fixture
def backend(sandbox: Sandbox, tmp_path: Path) -> Iterator[Backend]:
    db = tmp_path / "backend.sqlite3"
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
    log: List[str] = []
    threading.Thread(target=lambda: log.extend(process.stderr), daemon=True).start()  # type: ignore[arg-type]
    try:
        yield Backend(line.split()[-1], db)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_example_backend_purges_deregistered_user(backend: Backend, sandbox: Sandbox) -> None:
    status, _, authorize_url = backend.call("GET", "/login")
    assert status == 302 and authorize_url and authorize_url.startswith(sandbox.url)
    callback = sandbox.follow_authorization(authorize_url)
    assert callback.startswith(backend.url + "/callback?")
    status, body, _ = backend.call("GET", callback[len(backend.url):])
    assert status == 200, body
    user = body["connected"]
    assert user == "athlete-1001"
    assert backend.rows() == [user]

    status, zones, _ = backend.call("GET", f"/users/{user}/zones")
    assert status == 200 and zones["userId"] == user
    status, plans, _ = backend.call("GET", f"/users/{user}/plans")
    assert status == 200 and isinstance(plans, list)

    sandbox.control("POST", "/_sandbox/webhooks/config", {"deregisterUrl": backend.url + "/webhooks/enduco"})
    result = sandbox.control("POST", "/_sandbox/webhooks/send", {"type": "user.deregistered", "userId": user})
    assert result["delivered"] is True, result
    assert backend.rows() == []
    status, body, _ = backend.call("GET", f"/users/{user}/zones")
    assert status == 401 and body["error"] == "reauthorization_required"


def test_example_backend_refreshes_through_sqlite(backend: Backend, sandbox: Sandbox) -> None:
    _, _, authorize_url = backend.call("GET", "/login")
    callback = sandbox.follow_authorization(authorize_url)
    _, body, _ = backend.call("GET", callback[len(backend.url):])
    user = body["connected"]
    with sqlite3.connect(backend.db) as db:
        stored = json.loads(db.execute("SELECT tokens FROM enduco_tokens").fetchone()[0])
        stored["expires_at"] = 0
        db.execute("UPDATE enduco_tokens SET tokens = ?", (json.dumps(stored),))
    sandbox.expire_access_tokens()
    status, _, _ = backend.call("GET", f"/users/{user}/zones")
    assert status == 200
    assert sandbox.refresh_count() == 1
    with sqlite3.connect(backend.db) as db:
        fresh = json.loads(db.execute("SELECT tokens FROM enduco_tokens").fetchone()[0])
    assert fresh["expires_at"] > 0 and fresh["refresh_token"] != stored["refresh_token"]

    status, body, _ = backend.call("GET", "/callback?code=x&state=forged")
    assert status == 400 and body["error"] == "state_mismatch"
    status, body, _ = backend.call("POST", "/webhooks/enduco", b"{not json")
    assert status == 200 and body["type"] == "unknown"
    status, _, _ = backend.call("POST", f"/users/{user}/disconnect")
    assert status == 200 and backend.rows() == []
