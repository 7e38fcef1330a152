"""The example backend (examples/backend.py) end to end, with its tokens in SQLite (its own
token store) and in PostgreSQL (the SDK's `PostgresTokenStores`, `--token-store`): login
through the sandbox, data through the stored tokens, a refresh through the store, the tokens
purged by a real deregistration webhook and kept through a forged one, the webhook path's
secret and the admin routes' bearer token."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple

import pytest

import enduco
from support import CLIENT_ID, CLIENT_SECRET, Sandbox, wait_until

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE = EXAMPLES / "backend.py"
sys.path.insert(0, str(EXAMPLES))
from backend import Database, TokenStorage  # noqa: E402

WEBHOOK_SECRET = "wh-" + "k3q9" * 8
ADMIN_TOKEN = "adm-" + "Zx81" * 8


class Backend:
    def __init__(self, url: str, storage: TokenStorage, log: List[str]) -> None:
        self.url = url
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        #: The backend's token storage, opened by the test on the same database.
        self.storage = storage
        self.log = log

    #: Where enduco must POST its webhooks.
    webhook_path = f"/webhooks/enduco/{WEBHOOK_SECRET}"

    def call(
        self, method: str, path: str, body: bytes = b"", token: Optional[str] = None
    ) -> Tuple[int, Any, Any]:
        """A request; `token` is sent as `Authorization: Bearer` (the /users routes need the
        admin token, which `admin` sends)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            data = json.loads(raw) if raw and "json" in (response.getheader("Content-Type") or "") else raw
            location = response.getheader("Location") or response.getheader("WWW-Authenticate")
            return response.status, data, location
        finally:
            conn.close()

    def admin(self, method: str, path: str) -> Tuple[int, Any]:
        status, data, _ = self.call(method, path, token=ADMIN_TOKEN)
        return status, data

    def logged(self, text: str) -> bool:
        return any(text in line for line in list(self.log))

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
            "--log-level", "DEBUG",  # request lines and the SDK's HTTP attempts too
            *(["--token-store", store_url] if store_url else []),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ENDUCO_WEBHOOK_SECRET": WEBHOOK_SECRET, "ENDUCO_ADMIN_TOKEN": ADMIN_TOKEN},
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
    # No secret reaches the log (DEBUG: request lines, the SDK's HTTP attempts): the webhook
    # secret, the admin token, the client secret, the database URL's credentials.
    text = "".join(log)
    assert "POST /webhooks/enduco/<secret>" in text, "the request lines were logged, redacted"
    assert WEBHOOK_SECRET not in text and ADMIN_TOKEN not in text and CLIENT_SECRET not in text
    if store_url:
        assert store_url not in text


def test_example_backend_purges_deregistered_user(backend: Backend, sandbox: Sandbox) -> None:
    user = backend.connect_user(sandbox)
    assert user == "athlete-1001"
    assert backend.stored(user) is not None

    status, zones = backend.admin("GET", f"/users/{user}/zones")
    assert status == 200 and zones["userId"] == user
    status, plans = backend.admin("GET", f"/users/{user}/plans")
    assert status == 200 and isinstance(plans, list)
    status, body = backend.admin("GET", "/users")
    assert status == 200 and body == {"users": [user]}

    # enduco deregisters the user: it revokes the grant, then POSTs the webhook.
    sandbox.control("POST", "/_sandbox/webhooks/config", {"deregisterUrl": backend.url + backend.webhook_path})
    result = sandbox.control("POST", "/_sandbox/webhooks/send", {"type": "user.deregistered", "userId": user})
    assert result["delivered"] is True, result
    assert backend.stored(user) is None
    status, body = backend.admin("GET", "/users")
    assert status == 200 and body == {"users": []}
    status, body = backend.admin("GET", f"/users/{user}/zones")
    assert status == 401 and body["error"] == "reauthorization_required"
    wait_until(lambda: backend.logged(f"user {user} deregistered on enduco; tokens deleted"))

    # A repeat of the delivery finds nothing to clear.
    status, body, _ = backend.call("POST", backend.webhook_path, json.dumps({"type": "user.deregistered", "userId": user}).encode())
    assert status == 200 and body["deleted"] is False


def test_example_backend_keeps_tokens_through_a_forged_deregistration(backend: Backend, sandbox: Sandbox) -> None:
    user = backend.connect_user(sandbox)
    before = backend.stored(user)
    assert before is not None
    forged = json.dumps({"type": "user.deregistered", "userId": user}).encode()
    status, body, _ = backend.call("POST", backend.webhook_path, forged)
    assert status == 200 and body == {"type": "user_deregistered", "user_id": user, "deleted": False}
    after = backend.stored(user)
    assert after is not None, "the forged event deleted nothing"
    assert after.refresh_token != before.refresh_token, "the check refreshed, and saved what it got"
    status, zones = backend.admin("GET", f"/users/{user}/zones")
    assert status == 200 and zones["userId"] == user, "the tokens still work"
    status, body = backend.admin("GET", "/users")
    assert body == {"users": [user]}
    wait_until(lambda: backend.logged("(forged or stale); nothing deleted"))
    text = "".join(backend.log)
    for tokens in (before, after):
        assert tokens.access_token not in text and str(tokens.refresh_token) not in text


def test_example_backend_guards_the_webhook_path_and_the_admin_routes(backend: Backend, sandbox: Sandbox) -> None:
    user = backend.connect_user(sandbox)
    forged = json.dumps({"type": "user.deregistered", "userId": user}).encode()
    for path in ["/webhooks/enduco", "/webhooks/enduco/", "/webhooks/enduco/guess", f"{backend.webhook_path}x",
                 backend.webhook_path[:-1]]:
        status, body, _ = backend.call("POST", path, forged)
        assert (status, body) == (404, {"error": "not_found"}), path

    for token in [None, "", "wrong-token", ADMIN_TOKEN[:-1], ADMIN_TOKEN + "x"]:
        for method, path in [("GET", "/users"), ("GET", f"/users/{user}/zones"),
                             ("GET", f"/users/{user}/plans"), ("POST", f"/users/{user}/disconnect")]:
            status, body, challenge = backend.call(method, path, token=token)
            assert status == 401 and body == {"error": "admin token required"}, (method, path, token)
            assert challenge == "Bearer"
    assert backend.stored(user) is not None, "nothing was disconnected"
    assert sandbox.refresh_count() == 0 and sandbox.count("/api/v1/zones") == 0
    status, body = backend.admin("GET", "/users")
    assert status == 200 and body == {"users": [user]}


def test_example_backend_refreshes_through_its_store(backend: Backend, sandbox: Sandbox) -> None:
    user = backend.connect_user(sandbox)
    stored = backend.stored(user)
    assert stored is not None
    data = json.loads(stored.to_json())
    data["expires_at"] = 0
    backend.store(user, enduco.TokenSet.from_json(json.dumps(data)))
    sandbox.expire_access_tokens()
    status, _ = backend.admin("GET", f"/users/{user}/zones")
    assert status == 200
    assert sandbox.refresh_count() == 1
    fresh = backend.stored(user)
    assert fresh is not None
    assert fresh.expires_at_unix > 0 and fresh.refresh_token != stored.refresh_token

    status, body, _ = backend.call("GET", "/callback?code=x&state=forged")
    assert status == 400 and body["error"] == "state_mismatch"
    status, body, _ = backend.call("POST", backend.webhook_path, b"{not json")
    assert status == 200 and body["type"] == "unknown"
    status, _ = backend.admin("POST", f"/users/{user}/disconnect")
    assert status == 200 and backend.stored(user) is None
    status, body = backend.admin("GET", "/users")
    assert body == {"users": []}


@pytest.mark.parametrize(
    "webhook_secret, admin_token",
    [(None, ADMIN_TOKEN), (WEBHOOK_SECRET, None), ("short", ADMIN_TOKEN), (WEBHOOK_SECRET, "a" * 23),
     (WEBHOOK_SECRET, "not/a-path-segment-abcdefghij")],
)
def test_example_backend_refuses_to_start_without_its_secrets(
    tmp_path: Path, webhook_secret: Optional[str], admin_token: Optional[str]
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("ENDUCO_WEBHOOK_SECRET", "ENDUCO_ADMIN_TOKEN")}
    if webhook_secret is not None:
        env["ENDUCO_WEBHOOK_SECRET"] = webhook_secret
    if admin_token is not None:
        env["ENDUCO_ADMIN_TOKEN"] = admin_token
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--environment", "http://127.0.0.1:9", "--client-id", CLIENT_ID,
         "--client-secret", CLIENT_SECRET, "--db", str(tmp_path / "x.sqlite3"), "--port", "0"],
        capture_output=True, text=True, timeout=60, env=env,
    )
    assert done.returncode == 2, done.stdout
    assert "at least 24 letters, digits" in done.stderr
    for secret in (webhook_secret, admin_token):
        if secret:
            assert secret not in done.stderr
