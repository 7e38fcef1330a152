"""A minimal enduco backend: standard library only (http.server, sqlite3) plus the SDK.

It keeps one token set per enduco user, serves the user's zones and plans, and forgets a user
when enduco sends the "deregistered" webhook. Tokens live in SQLite through a custom token
store (the default), or in PostgreSQL or Redis through the SDK's own server stores
(`--token-store postgres://…|redis://…`). Both implement the SDK's refresh lock, so several
backend processes may share the database.

    python examples/backend.py --environment beta --db enduco.sqlite3 --port 8080 \
        [--token-store postgres://user:password@db.internal/app]
    # credentials from ENDUCO_CLIENT_ID / ENDUCO_CLIENT_SECRET (or --client-id/--client-secret);
    # the token store URL may also come from ENDUCO_TOKEN_STORE (keeps the password off the
    # command line)

The SQLite file (`--db`) is the app's own database: the list of connected users, and the
tokens too unless `--token-store` names a server. With PostgreSQL the SDK's tables are created
at start (`migrate()`, idempotent; a real deployment may run it once at deploy instead).

Routes:
    GET  /login                      → 302 to enduco's consent page
    GET  /callback?code&state        → finishes the authorization, stores the user's tokens
    POST /webhooks/enduco/<secret>   → enduco's webhooks; a confirmed "user deregistered"
                                       deletes the user's tokens
    Admin API (`Authorization: Bearer <admin token>`; 401 otherwise):
    GET  /users                      → the connected users
    GET  /users/<id>/zones           → the user's intensity zones (JSON)
    GET  /users/<id>/plans           → the next 7 days of plans (JSON)
    POST /users/<id>/disconnect      → revokes the grant and deletes the user's tokens

Two secrets are required, each at least 24 letters, digits, '-' or '_' (e.g.
`python -c "import secrets; print(secrets.token_urlsafe(32))"`), from the environment
(ENDUCO_WEBHOOK_SECRET, ENDUCO_ADMIN_TOKEN) or --webhook-secret/--admin-token:

- the webhook secret is the last segment of the webhook path. Register
  `<public URL>/webhooks/enduco/<secret>` as the deregistration and plan-changed webhook URLs
  with enduco. Anyone who knows a webhook URL can POST to it, so the path is unguessable
  (defence in depth: a wrong one is a plain 404) and a deregistration is not believed on its
  word: `client.clear_deregistered_user` first refreshes the user's grant and clears the tokens
  only if enduco answers that the grant is gone. A forged (or stale) event leaves the user
  connected and is logged; a repeat of a real one finds nothing left to clear.
- the admin token guards the `/users` routes: they show and act on any user's data, and this
  example has no login of its own for end users. A real app serves a user's zones and plans
  behind its own user authentication.

Neither secret is ever logged.

The redirect URI is http://127.0.0.1:<port>/callback; register it with enduco (the sandbox
accepts any loopback URI).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import sqlite3
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

import enduco

log = logging.getLogger("enduco-example")


class Database:
    """One row per enduco user: the token set as JSON (what TokenSet.to_json() returns), and
    the user's refresh lock while a process refreshes their grant.

    Several processes may share the file (backend workers behind one port, a cron job): WAL
    mode lets readers go on while one writes, and every connection waits up to 5 s for a
    busy database instead of failing with "database is locked" — less than the SDK's store
    timeout (10 s by default), so a store call gives up before the SDK stops waiting for it."""

    BUSY_TIMEOUT = 5.0

    def __init__(self, path: str) -> None:
        self.path = path
        self._use_wal()
        with self.connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS enduco_tokens ("
                " user_id TEXT PRIMARY KEY, tokens TEXT NOT NULL, updated_at REAL NOT NULL)"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS enduco_refresh_locks ("
                " user_id TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at REAL NOT NULL)"
            )
            # The app's own list of connected users, wherever their tokens are kept.
            db.execute(
                "CREATE TABLE IF NOT EXISTS connected_users ("
                " user_id TEXT PRIMARY KEY, connected_at REAL NOT NULL)"
            )

    def _use_wal(self) -> None:
        """Switches the file to WAL. The switch needs the database to itself, and SQLite answers
        "database is locked" at once rather than waiting when another process is opening the
        same new file at that moment, so it is retried within the busy timeout."""
        give_up = time.monotonic() + self.BUSY_TIMEOUT
        while True:
            try:
                with self.connect() as db:
                    db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > give_up:
                    raise
                time.sleep(0.02)

    @contextlib.contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection for one transaction. One per operation: the SDK calls a store from
        its own worker threads, and sqlite3 connections belong to the thread that opened them."""
        conn = sqlite3.connect(self.path, timeout=self.BUSY_TIMEOUT)  # sets SQLite's busy_timeout
        try:
            with conn:  # commits, or rolls back on an exception
                yield conn
        finally:
            conn.close()

    def users(self) -> List[str]:
        with self.connect() as db:
            return [row[0] for row in db.execute("SELECT user_id FROM connected_users ORDER BY user_id")]

    def add_user(self, user_id: str) -> None:
        with self.connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO connected_users (user_id, connected_at) VALUES (?, ?)",
                (user_id, time.time()),
            )

    def remove_user(self, user_id: str) -> None:
        with self.connect() as db:
            db.execute("DELETE FROM connected_users WHERE user_id = ?", (user_id,))

    def delete(self, user_id: str) -> bool:
        """Deletes a user's tokens from the SQLite token table."""
        with self.connect() as db:
            return db.execute("DELETE FROM enduco_tokens WHERE user_id = ?", (user_id,)).rowcount > 0

    def import_tokens(self, user_id: str, tokens: enduco.TokenSet) -> bool:
        """Stores `tokens` for a user who has no row yet; answers whether it did. Safe when
        several processes import the same user at once (the first one wins)."""
        with self.connect() as db:
            return (
                db.execute(
                    "INSERT OR IGNORE INTO enduco_tokens (user_id, tokens, updated_at) VALUES (?, ?, ?)",
                    (user_id, tokens.to_json(), time.time()),
                ).rowcount
                > 0
            )


class SqliteTokenStore:
    """The SDK's token store for one user, backed by a row of `enduco_tokens`.

    It implements the SDK's refresh lock (`try_lock`/`unlock`, see `enduco.TokenStoreLock`)
    with a row of `enduco_refresh_locks` and a lease, so every process sharing the database
    refreshes a user's grant in turn: one token request per expiry, whatever the number of
    workers. The lease (wall-clock seconds) frees the lock of a process that crashed."""

    def __init__(self, db: Database, user_id: str) -> None:
        self.db = db
        self.user_id = user_id

    def load(self) -> Optional[str]:
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT tokens FROM enduco_tokens WHERE user_id = ?", (self.user_id,)
            ).fetchone()
        return None if row is None else str(row[0])

    def save(self, tokens: enduco.TokenSet) -> None:
        with self.db.connect() as conn:
            conn.execute(
                "INSERT INTO enduco_tokens (user_id, tokens, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(user_id) DO UPDATE SET tokens = excluded.tokens,"
                " updated_at = excluded.updated_at",
                (self.user_id, tokens.to_json(), time.time()),
            )

    def clear(self) -> None:
        self.db.delete(self.user_id)

    def try_lock(self, owner: str, lease_seconds: float) -> bool:
        """Takes the user's refresh lock for `owner` unless another owner's lease is still
        running (one atomic upsert; the same owner renews), then says who holds it."""
        now = time.time()
        with self.db.connect() as conn:
            conn.execute(
                "INSERT INTO enduco_refresh_locks (user_id, owner, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT(user_id) DO UPDATE SET owner = excluded.owner,"
                " expires_at = excluded.expires_at"
                " WHERE enduco_refresh_locks.expires_at <= ? OR enduco_refresh_locks.owner = excluded.owner",
                (self.user_id, owner, now + lease_seconds, now),
            )
            row = conn.execute(
                "SELECT owner FROM enduco_refresh_locks WHERE user_id = ?", (self.user_id,)
            ).fetchone()
        return row is not None and row[0] == owner

    def unlock(self, owner: str) -> None:
        """Releases the lock only if `owner` still holds it."""
        with self.db.connect() as conn:
            conn.execute(
                "DELETE FROM enduco_refresh_locks WHERE user_id = ? AND owner = ?",
                (self.user_id, owner),
            )


AnyStore = Union[SqliteTokenStore, enduco.PostgresTokenStore, enduco.RedisTokenStore]


class TokenStorage:
    """Where the backend keeps tokens: `for_user(user_id)` gives a user's token store.

    - `--token-store postgres://…` / `redis://…`: the SDK's `PostgresTokenStores` /
      `RedisTokenStores`, one connection pool for the whole process shared by every user's
      session (create it once per process — after forking, in a pre-fork server). Their
      stores are the SDK's own: sessions call them with no Python in between, and their
      refresh lock is a lease row (PostgreSQL) or a `SET NX PX` key (Redis).
    - otherwise: `SqliteTokenStore` rows in the app's SQLite file.
    """

    def __init__(self, db: Database, url: Optional[str] = None) -> None:
        self.db = db
        self.server: Union[enduco.PostgresTokenStores, enduco.RedisTokenStores, None] = None
        self.kind = "sqlite"
        if url is not None:
            scheme = urllib.parse.urlsplit(url).scheme
            if scheme in ("postgres", "postgresql"):
                self.server, self.kind = enduco.PostgresTokenStores(url), "postgres"
            elif scheme in ("redis", "rediss"):
                self.server, self.kind = enduco.RedisTokenStores(url), "redis"
            else:
                raise ValueError("the token store must be a postgres:// or redis:// URL")
            # Idempotent and safe when several processes start at once.
            self.server.migrate()

    def for_user(self, user_id: str) -> AnyStore:
        if self.server is not None:
            return self.server.for_user(user_id)
        return SqliteTokenStore(self.db, user_id)


class App:
    def __init__(
        self, client: enduco.EnducoClient, db: Database, storage: Optional[TokenStorage] = None
    ) -> None:
        self.client = client
        self.db = db
        self.storage = storage or TokenStorage(db)
        self.pending: Dict[str, Tuple[enduco.AuthorizationRequest, float]] = {}
        self.lock = threading.Lock()

    def start_login(self) -> str:
        request = self.client.authorization_request(["user_read", "plans_read", "workouts_write"])
        with self.lock:
            now = time.monotonic()
            # Forget authorizations nobody finished within 10 minutes.
            self.pending = {s: v for s, v in self.pending.items() if now - v[1] < 600}
            self.pending[request.state] = (request, now)
        return request.url

    def finish_login(self, callback_url: str) -> str:
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(callback_url).query).get("state", [""])[0]
        with self.lock:
            entry = self.pending.pop(state, None)
        if entry is None:
            raise enduco.StateMismatchError("unknown or expired authorization state")
        tokens = self.client.complete_authorization(entry[0], callback_url)
        user_id = tokens.user_id
        if not user_id:
            raise enduco.InvalidResponseError("the access token names no user")
        self.client.connect(self.storage.for_user(user_id), tokens)
        self.db.add_user(user_id)
        log.info("user %s connected enduco", user_id)
        return user_id

    def session(self, user_id: str) -> enduco.Session:
        return self.client.session(self.storage.for_user(user_id))

    def disconnect(self, user_id: str) -> None:
        self.session(user_id).revoke()  # revokes the grant, then clears the store
        self.db.remove_user(user_id)

    def webhook(self, body: bytes) -> Dict[str, Any]:
        event = enduco.parse_webhook(body)
        if event.type == "user_deregistered" and event.user_id:
            user_id = event.user_id
            store = self.storage.for_user(user_id)
            if store.load() is None:
                # Not ours, or already cleared (enduco delivering again): nothing to do.
                log.info("deregistration webhook for user %s, who has no tokens here: nothing to do", user_id)
                return {"type": event.type, "user_id": user_id, "deleted": False}
            # Anyone can POST here: believe it only once enduco refuses the user's grant. A
            # network or store failure raises (answered 5xx): enduco delivers it again.
            cleared = self.client.clear_deregistered_user(event, store)
            if cleared is None:
                log.warning(
                    "deregistration webhook for user %s ignored: enduco still honours the grant "
                    "(forged or stale); nothing deleted", user_id,
                )
                return {"type": event.type, "user_id": user_id, "deleted": False}
            self.db.remove_user(user_id)
            log.info("user %s deregistered on enduco; tokens deleted", user_id)
            return {"type": event.type, "user_id": user_id, "deleted": True}
        if event.type == "plan_changed":
            log.info("plans of user %s changed (%s to %s)", event.user_id, event.date_from, event.date_to)
        else:
            log.warning("unrecognised webhook ignored (%d bytes)", len(body))
        return {"type": event.type, "user_id": event.user_id}


def _plans_json(plans: List[enduco.PlannedWorkout]) -> List[Dict[str, Any]]:
    return [
        {
            "id": p.id,
            "date": p.date.isoformat(),
            "sport": p.sport,
            "title": p.title,
            "durationSeconds": p.duration_seconds,
        }
        for p in plans
    ]


def _zones_json(zones: enduco.IntensityZones) -> Dict[str, Any]:
    return {
        "userId": zones.user_id,
        "zones": [
            {
                "sport": t.sport,
                "metric": t.metric,
                "unit": t.unit,
                "zones": [{"index": z.index, "name": z.name, "lower": z.lower, "upper": z.upper} for z in t.zones],
            }
            for t in zones.zones
        ],
    }


STATUS_FOR = {
    "invalid_input": 400,
    "authorization_denied": 403,
    "state_mismatch": 400,
    "reauthorization_required": 401,
    "insufficient_scope": 403,
    "rate_limited": 503,
    "server": 502,
    "api": 502,
    "network": 502,
    "timeout": 504,
    "invalid_response": 502,
    # The token storage failed (no refresh was sent without its lock): the user's grant is
    # intact, and a retry once the database is back works.
    "store": 503,
}


MIN_SECRET_LENGTH = 24
SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]+")


def require_secret(name: str, value: Optional[str]) -> str:
    """`value` if it is a usable secret: long enough, and of characters a URL path segment and
    an `Authorization` header carry as they are."""
    if value is None or len(value) < MIN_SECRET_LENGTH or not SECRET_CHARS.fullmatch(value):
        raise ValueError(
            f"{name} must be a random string of at least {MIN_SECRET_LENGTH} letters, digits, "
            "'-' or '_' (e.g. python -c \"import secrets; print(secrets.token_urlsafe(32))\")"
        )
    return value


def same_secret(presented: Optional[str], expected: str) -> bool:
    """Compares a presented secret with the expected one in constant time (whatever the
    lengths: both are hashed first)."""
    if presented is None:
        return False

    def digest(value: str) -> bytes:
        return hashlib.sha256(value.encode()).digest()

    return hmac.compare_digest(digest(presented), digest(expected))


def make_handler(app: App, base_url: str, webhook_secret: str, admin_token: str) -> type:
    webhook_path = f"/webhooks/enduco/{webhook_secret}"

    def loggable(text: str) -> str:
        """`text` with the webhook secret cut out (request lines reach the log)."""
        return text.replace(webhook_secret, "<secret>")

    class Handler(BaseHTTPRequestHandler):
        server_version = "enduco-example/1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            log.debug("%s %s", self.address_string(), loggable(format % args))

        def send_json(self, status: int, body: Any, headers: Optional[Dict[str, str]] = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def is_admin(self) -> bool:
            header = self.headers.get("Authorization") or ""
            scheme, _, token = header.partition(" ")
            return scheme.lower() == "bearer" and same_secret(token.strip(), admin_token)

        def route(self, method: str) -> None:
            url = urllib.parse.urlsplit(self.path)
            parts = [p for p in url.path.split("/") if p]
            try:
                if parts and parts[0] == "users" and not self.is_admin():
                    self.send_json(401, {"error": "admin token required"}, {"WWW-Authenticate": "Bearer"})
                elif method == "GET" and parts == ["login"]:
                    self.send_response(302)
                    self.send_header("Location", app.start_login())
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif method == "GET" and parts == ["callback"]:
                    user_id = app.finish_login(base_url + self.path)
                    self.send_json(200, {"connected": user_id})
                elif method == "GET" and parts == ["users"]:
                    self.send_json(200, {"users": app.db.users()})
                elif method == "GET" and len(parts) == 3 and parts[0] == "users" and parts[2] == "zones":
                    self.send_json(200, _zones_json(app.session(parts[1]).intensity_zones()))
                elif method == "GET" and len(parts) == 3 and parts[0] == "users" and parts[2] == "plans":
                    self.send_json(200, _plans_json(app.session(parts[1]).upcoming_plans(7)))
                elif method == "POST" and len(parts) == 3 and parts[0] == "users" and parts[2] == "disconnect":
                    app.disconnect(parts[1])
                    self.send_json(200, {"disconnected": parts[1]})
                elif method == "POST" and parts[:2] == ["webhooks", "enduco"] and same_secret(url.path, webhook_path):
                    length = int(self.headers.get("Content-Length") or 0)
                    # 2xx for whatever was read (what it cannot read, enduco must not resend);
                    # a failure confirming a deregistration is answered 5xx below, so enduco
                    # delivers it again.
                    self.send_json(200, app.webhook(self.rfile.read(length)))
                else:
                    # A wrong webhook secret looks exactly like a path that does not exist.
                    self.send_json(404, {"error": "not_found"})
            except enduco.EnducoError as e:
                log.warning("%s %s failed: %s", method, loggable(url.path), e)
                self.send_json(STATUS_FOR.get(e.code, 500), {"error": e.code, "message": str(e)})

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            self.route("GET")

        def do_POST(self) -> None:  # noqa: N802 - stdlib naming
            self.route("POST")

    return Handler


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--environment", default=os.environ.get("ENDUCO_ENVIRONMENT", "beta"))
    parser.add_argument("--client-id", default=os.environ.get("ENDUCO_CLIENT_ID"))
    parser.add_argument("--client-secret", default=os.environ.get("ENDUCO_CLIENT_SECRET"))
    parser.add_argument("--db", default="enduco.sqlite3", help="the app's SQLite file")
    parser.add_argument(
        "--token-store",
        default=os.environ.get("ENDUCO_TOKEN_STORE"),
        metavar="URL",
        help="keep tokens in PostgreSQL (postgres://…) or Redis (redis://…) instead of --db",
    )
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--time-zone", default=None, help="the athletes' IANA time zone")
    parser.add_argument(
        "--webhook-secret",
        default=os.environ.get("ENDUCO_WEBHOOK_SECRET"),
        help="the webhook path's secret segment (better: ENDUCO_WEBHOOK_SECRET)",
    )
    parser.add_argument(
        "--admin-token",
        default=os.environ.get("ENDUCO_ADMIN_TOKEN"),
        help="the bearer token of the /users routes (better: ENDUCO_ADMIN_TOKEN)",
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING"])
    args = parser.parse_args(argv)
    if not args.client_id or not args.client_secret:
        parser.error("pass --client-id/--client-secret or set ENDUCO_CLIENT_ID/ENDUCO_CLIENT_SECRET")
    try:
        webhook_secret = require_secret("the webhook secret (ENDUCO_WEBHOOK_SECRET)", args.webhook_secret)
        admin_token = require_secret("the admin token (ENDUCO_ADMIN_TOKEN)", args.admin_token)
    except ValueError as e:
        parser.error(str(e))
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    server = ThreadingHTTPServer(("127.0.0.1", args.port), BaseHTTPRequestHandler)
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    client = enduco.EnducoClient(
        args.client_id,
        args.client_secret,
        base_url + "/callback",
        environment=args.environment,
        time_zone=args.time_zone,
    )
    db = Database(args.db)
    try:
        storage = TokenStorage(db, args.token_store)
    except (ValueError, enduco.EnducoError) as e:
        # The message never shows the URL (it may carry a password).
        parser.error(f"--token-store: {e}")
    app = App(client, db, storage)
    server.RequestHandlerClass = make_handler(app, base_url, webhook_secret, admin_token)
    print(f"listening on {base_url} (tokens in {storage.kind})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
