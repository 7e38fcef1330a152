"""Relay mode (issue 17, docs/relay.md): a client without the secret sends code exchange, refresh
and revoke to the partner's token relay, which adds the credentials and forwards them to enduco.

Every relay here is served for real on loopback in front of the sandbox: `python -m enduco.relay`
(the standard library's threaded WSGI server, as the Kotlin and Swift suites start it), the
ASGI app under uvicorn, and `enduco.relay.make_server` in a thread. The sandbox's request log
shows who sent each request: token requests carry the relay's Basic credentials
(`authenticatedClient`) and User-Agent; data requests come from the app itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import urllib.parse
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import uvicorn

import enduco
import enduco.relay
from support import (
    ALL_SCOPES,
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    AsyncRecordingStore,
    RecordingStore,
    Sandbox,
    expired,
    in_threads,
    wait_until,
)
from test_store_failures import AsyncFlakySaveStore, FlakySaveStore

RELAY_AGENT = "enduco-token-relay"
TOKEN_PATHS = ("/oauth2/token", "/oauth2/revoke")
FORM = "application/x-www-form-urlencoded"


class RelayProcess:
    """`python -m enduco.relay` against the sandbox; its stderr (the relay's log) kept."""

    def __init__(self, sandbox: Sandbox) -> None:
        env = dict(os.environ, ENDUCO_CLIENT_SECRET=CLIENT_SECRET)
        env.pop("ENDUCO_CLIENT_ID", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "enduco.relay", "--port", "0",
             "--environment", sandbox.url, "--client-id", CLIENT_ID],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        self.log: List[str] = []
        stderr = self.process.stderr
        self._drain = threading.Thread(target=lambda: self.log.extend(stderr), daemon=True)
        self._drain.start()
        first = self.process.stdout.readline().strip()
        if not first.startswith("listening on http://127.0.0.1:"):
            self.process.kill()
            self.process.wait()
            pytest.fail(f"unexpected first line from python -m enduco.relay: {first!r}")
        self.url = first[len("listening on "):]

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._drain.join(timeout=10)


@pytest.fixture(scope="module")
def relay_process(sandbox: Sandbox) -> Iterator[RelayProcess]:
    relay = RelayProcess(sandbox)
    try:
        yield relay
    finally:
        relay.close()


@contextlib.contextmanager
def asgi_relay(sandbox: Sandbox, on_tokens: Optional[enduco.relay.OnTokens] = None) -> Iterator[str]:
    """The relay's ASGI app under uvicorn, mounted nowhere in particular: the URL has a prefix
    (the last path segment names the operation)."""
    relay = enduco.TokenRelay(CLIENT_ID, CLIENT_SECRET, environment=sandbox.url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections wait in the backlog until uvicorn accepts: no start-up race
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(relay.asgi_app(on_tokens), log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/enduco/relay"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@contextlib.contextmanager
def wsgi_relay(sandbox: Sandbox, on_tokens: Optional[enduco.relay.OnTokens] = None) -> Iterator[str]:
    """`enduco.relay.make_server` (the standard library's WSGI server) in a thread."""
    relay = enduco.TokenRelay(CLIENT_ID, CLIENT_SECRET, environment=sandbox.url)
    server = enduco.relay.make_server(relay, "127.0.0.1", 0, on_tokens=on_tokens)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield enduco.relay.server_url(server) + "/relay"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


@pytest.fixture(params=["python -m enduco.relay", "asgi (uvicorn)"])
def relay_url(request: pytest.FixtureRequest, sandbox: Sandbox) -> Iterator[str]:
    if request.param == "python -m enduco.relay":
        yield request.getfixturevalue("relay_process").url
    else:
        with asgi_relay(sandbox) as url:
            yield url


def relay_client(sandbox: Sandbox, relay_url: str, **options: Any) -> enduco.EnducoClient:
    """The app's client: no secret, the relay instead."""
    return enduco.EnducoClient(
        CLIENT_ID, redirect_uri=REDIRECT_URI, token_relay_url=relay_url,
        environment=sandbox.url, **options,
    )


def relay_async_client(sandbox: Sandbox, relay_url: str) -> enduco.AsyncEnducoClient:
    return enduco.AsyncEnducoClient(
        CLIENT_ID, None, REDIRECT_URI, token_relay_url=relay_url, environment=sandbox.url
    )


def login_through(client: enduco.EnducoClient, sandbox: Sandbox) -> enduco.TokenSet:
    request = client.authorization_request(ALL_SCOPES)
    return client.complete_authorization(request, sandbox.follow_authorization(request.url))


def assert_token_requests_went_through_the_relay(sandbox: Sandbox) -> List[Dict[str, Any]]:
    """Every token and revoke request in the sandbox's log came from the relay (its Basic
    credentials and User-Agent); no data request did. Returns the log."""
    log = sandbox.requests()
    token_requests = [r for r in log if r["path"] in TOKEN_PATHS]
    assert token_requests, "no token request reached the sandbox"
    for r in token_requests:
        assert r.get("authenticatedClient") == CLIENT_ID, f"not the relay's credentials: {r}"
        assert RELAY_AGENT in r.get("userAgent", ""), f"not the relay's User-Agent: {r}"
    data = [r for r in log if r["path"].startswith("/api/")]
    for r in data:
        assert RELAY_AGENT not in r.get("userAgent", ""), f"a data request went through the relay: {r}"
        assert "authenticatedClient" not in r, f"a data request carried client credentials: {r}"
        assert "enduco" in r.get("userAgent", ""), r
    return log


# -- the whole flow ---------------------------------------------------------------------------


def test_whole_flow_with_a_secretless_client_through_the_relay(
    sandbox: Sandbox, relay_url: str, tmp_path: Any
) -> None:
    client = relay_client(sandbox, relay_url)
    assert "secret" not in repr(client) and relay_url in repr(client)
    request = client.authorization_request(ALL_SCOPES)
    assert request.url.startswith(sandbox.url + "/oauth2/authorize?")
    assert request.code_verifier, "PKCE is on"
    callback = sandbox.follow_authorization(request.url)
    tokens = client.complete_authorization(request, callback)
    assert tokens.user_id == "athlete-1001"
    assert sorted(tokens.scopes) == sorted(ALL_SCOPES)

    store = RecordingStore()
    session = client.connect(store, tokens)
    assert session.intensity_zones().user_id == "athlete-1001"
    assert len(session.upcoming_plans(days=7)) == 7
    fit = sandbox.fit(tmp_path / "ride.fit", "--seed", "17")
    uploaded = session.upload_workout(fit)
    assert uploaded.id and not uploaded.duplicate

    refreshed = session.refresh()
    assert refreshed.refresh_token != tokens.refresh_token and store.tokens == refreshed
    assert session.intensity_zones().user_id == "athlete-1001"  # the new access token works
    session.revoke()
    assert store.tokens is None
    with pytest.raises(enduco.ReauthorizationRequiredError):
        session.intensity_zones()

    log = assert_token_requests_went_through_the_relay(sandbox)
    grants = [r.get("grantType") for r in log if r["path"] == "/oauth2/token"]
    assert grants == ["authorization_code", "refresh_token"]
    assert [r["status"] for r in log if r["path"] in TOKEN_PATHS] == [200, 200, 200]
    assert sum(1 for r in log if r["path"] == "/oauth2/revoke") == 1
    paths = {r["path"] for r in log}
    assert {"/api/v1/zones", "/api/v1/plans", "/api/v1/workouts"} <= paths


@pytest.mark.asyncio
async def test_async_client_through_the_asgi_relay(sandbox: Sandbox) -> None:
    with asgi_relay(sandbox) as url:
        client = relay_async_client(sandbox, url)
        request = client.authorization_request(["user_read"])
        tokens = await client.complete_authorization(request, sandbox.follow_authorization(request.url))
        session = await client.connect(enduco.MemoryTokenStore(), tokens)
        assert (await session.intensity_zones()).user_id == "athlete-1001"
        await session.refresh()
        await session.revoke()
    assert_token_requests_went_through_the_relay(sandbox)


def test_exchange_code_and_enduco_errors_come_back_unchanged(
    sandbox: Sandbox, relay_process: RelayProcess
) -> None:
    client = relay_client(sandbox, relay_process.url)
    request = client.authorization_request(["user_read"])
    callback = sandbox.follow_authorization(request.url)
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(callback).query)["code"][0]
    tokens = client.exchange_code(code, code_verifier=request.code_verifier)
    assert tokens.scopes == ["user_read"]
    # The code is spent: enduco's invalid_grant reaches the app through the relay unchanged,
    # typed as without a relay (test_errors.test_reused_code_is_an_api_error).
    with pytest.raises(enduco.ApiError) as caught:
        client.exchange_code(code, code_verifier=request.code_verifier)
    assert (caught.value.api_code, caught.value.status) == ("invalid_grant", 400)
    statuses = [r["status"] for r in assert_token_requests_went_through_the_relay(sandbox)
                if r["path"] == "/oauth2/token"]
    assert statuses == [200, 400]


def test_the_relays_log_shows_no_token_code_or_secret(
    sandbox: Sandbox, relay_process: RelayProcess
) -> None:
    client = relay_client(sandbox, relay_process.url)
    request = client.authorization_request(ALL_SCOPES)
    callback = sandbox.follow_authorization(request.url)
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(callback).query)["code"][0]
    tokens = client.complete_authorization(request, callback)
    session = client.connect(enduco.MemoryTokenStore(), tokens)
    refreshed = session.refresh()
    session.revoke()
    assert_token_requests_went_through_the_relay(sandbox)
    # A last request the relay logs after the others: its log line shows the earlier ones are in.
    status, _, _ = post(relay_process.url + "/steal", b"")
    assert status == 400
    secrets = [code, tokens.access_token, tokens.refresh_token, refreshed.access_token,
               refreshed.refresh_token, request.code_verifier, CLIENT_SECRET]
    # Wait on the event (the relay logged the last request), not on time.
    wait_until(lambda: any("/steal" in line for line in relay_process.log), timeout=30)
    text = "".join(relay_process.log)
    assert "token relay: forwarded" in text, text[-2000:]
    for secret in secrets:
        assert secret and secret not in text, "the relay logged a secret value"


# -- the lifecycle rules in relay mode -----------------------------------------------------------


def test_20_threads_on_an_expired_token_refresh_once_through_the_relay(
    sandbox: Sandbox, relay_process: RelayProcess
) -> None:
    client = relay_client(sandbox, relay_process.url)
    tokens = login_through(client, sandbox)
    store = RecordingStore(expired(tokens))
    session = client.session(store)
    sandbox.expire_access_tokens()

    outcomes = in_threads(20, session.intensity_zones)

    assert all(isinstance(o, enduco.IntensityZones) for o in outcomes), outcomes
    assert sandbox.refresh_count() == 1
    assert len(store.saves) == 1
    assert_token_requests_went_through_the_relay(sandbox)


@pytest.mark.asyncio
async def test_200_coroutines_on_an_expired_token_refresh_once_through_the_relay(
    sandbox: Sandbox,
) -> None:
    with asgi_relay(sandbox) as url:
        client = relay_async_client(sandbox, url)
        request = client.authorization_request(ALL_SCOPES)
        tokens = await client.complete_authorization(request, sandbox.follow_authorization(request.url))
        store = AsyncRecordingStore(expired(tokens))
        session = client.session(store)
        sandbox.expire_access_tokens()
        results = await asyncio.gather(*(session.intensity_zones() for _ in range(200)))
    assert len(results) == 200 and all(r.user_id == "athlete-1001" for r in results)
    assert sandbox.refresh_count() == 1
    assert len(store.saves) == 1
    assert_token_requests_went_through_the_relay(sandbox)


@pytest.mark.parametrize("store_class", [FlakySaveStore, AsyncFlakySaveStore])
def test_a_store_whose_save_fails_loses_nothing_through_the_relay(
    sandbox: Sandbox, relay_process: RelayProcess, store_class: Any
) -> None:
    client = relay_client(sandbox, relay_process.url)
    tokens = login_through(client, sandbox)
    store = store_class(expired(tokens))
    session = client.session(store)
    sandbox.expire_access_tokens()

    with pytest.raises(enduco.StoreError) as caught:
        session.intensity_zones()
    assert isinstance(caught.value.__cause__, OSError)
    assert sandbox.refresh_count() == 1
    assert store.saved == []

    store.broken = False
    assert session.intensity_zones().user_id == "athlete-1001"  # saves the kept tokens first
    assert sandbox.refresh_count() == 1, "the refreshed tokens were lost and fetched again"
    assert len(store.saved) == 1 and store.saved[0].refresh_token != tokens.refresh_token
    assert_token_requests_went_through_the_relay(sandbox)


# -- what the relay refuses ---------------------------------------------------------------------


def post(
    url: str, body: bytes, content_type: Optional[str] = FORM, method: str = "POST"
) -> Tuple[int, Dict[str, str], Any]:
    """One raw request to a relay: status, headers (lower-case names), parsed JSON body."""
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=60)
    try:
        headers = {} if content_type is None else {"Content-Type": content_type}
        conn.request(method, parsed.path or "/", body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return (
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            json.loads(data),
        )
    finally:
        conn.close()


LIMIT = enduco.MAX_RELAY_REQUEST_BYTES
REFUSED: List[Tuple[str, str, bytes, Optional[str], str]] = [
    # (case, path, body, content type, OAuth error)
    ("body over the limit", "/token",
     b"grant_type=refresh_token&refresh_token=" + b"r" * (LIMIT + 1000), FORM, "invalid_request"),
    ("unknown operation", "/steal", b"grant_type=refresh_token&refresh_token=r", FORM,
     "invalid_request"),
    ("not a form", "/token", b'{"grant_type":"refresh_token","refresh_token":"r"}',
     "application/json", "invalid_request"),
    ("no content type", "/token", b"grant_type=refresh_token&refresh_token=r", None,
     "invalid_request"),
    ("missing code", "/token",
     b"grant_type=authorization_code&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback", FORM,
     "invalid_request"),
    ("duplicated parameter", "/token",
     b"grant_type=refresh_token&refresh_token=a&refresh_token=b", FORM, "invalid_request"),
    ("password grant", "/token", b"grant_type=password&username=u&password=p", FORM,
     "unsupported_grant_type"),
    ("revoke without a token", "/revoke", b"token_type_hint=refresh_token", FORM,
     "invalid_request"),
]


def check_refusals(sandbox: Sandbox, base: str) -> None:
    for case, path, body, content_type, error in REFUSED:
        status, headers, answer = post(base + path, body, content_type)
        assert status == 400, f"{case}: {status} {answer}"
        assert answer["error"] == error, f"{case}: {answer}"
        assert isinstance(answer.get("error_description"), str), case
        assert headers["content-type"] == "application/json", case
        assert headers["cache-control"] == "no-store", case
    status, headers, answer = post(base + "/token", b"", None, method="GET")
    assert (status, answer["error"], headers.get("allow")) == (405, "invalid_request", "POST")
    forwarded = [r for r in sandbox.requests() if r["path"].startswith("/oauth2/")]
    assert forwarded == [], f"the relay forwarded what it refused: {forwarded}"


def test_refusals_forward_nothing(sandbox: Sandbox, relay_url: str) -> None:
    check_refusals(sandbox, relay_url)


def test_refusals_of_the_wsgi_server_in_a_thread(sandbox: Sandbox) -> None:
    with wsgi_relay(sandbox) as url:
        check_refusals(sandbox, url)
        # A body far over the limit: the server reads its limit, answers, and discards the
        # rest before it closes, so the client gets the 400 instead of a reset.
        status, _, answer = post(url + "/token", b"x" * (512 * 1024))
        assert (status, answer["error"]) == (400, "invalid_request")
        assert "16384" in answer["error_description"]
    assert [r for r in sandbox.requests() if r["path"].startswith("/oauth2/")] == []


def test_handle_in_process_refuses_and_reports_like_the_servers(sandbox: Sandbox) -> None:
    relay = enduco.TokenRelay(CLIENT_ID, CLIENT_SECRET, environment=sandbox.url)
    for case, path, body, content_type, error in REFUSED:
        status, headers, answer = relay.handle("/relay" + path, content_type, body)
        assert status == 400 and json.loads(answer)["error"] == error, case
        assert ("Cache-Control", "no-store") in headers
    response = relay.respond("/relay/token", FORM, b"grant_type=refresh_token&refresh_token=x")
    assert response.status == 400  # an unknown refresh token: enduco's own answer
    assert json.loads(response.body)["error"] == "invalid_grant"
    assert response.user_id is None
    assert "redacted" in repr(response) and "invalid_grant" not in repr(response)
    assert [r["authenticatedClient"] for r in sandbox.requests() if r["path"] == "/oauth2/token"] == [
        CLIENT_ID
    ]


# -- the hook, construction, redaction ----------------------------------------------------------


def test_on_tokens_sees_the_user_id_after_exchange_and_refresh(sandbox: Sandbox) -> None:
    seen: List[str] = []

    async def record(user_id: str) -> None:
        seen.append(user_id)

    with asgi_relay(sandbox, on_tokens=record) as url:
        client = relay_client(sandbox, url)
        session = client.connect(enduco.MemoryTokenStore(), login_through(client, sandbox))
        assert seen == ["athlete-1001"]
        session.refresh()
        assert seen == ["athlete-1001", "athlete-1001"]
        session.revoke()
        assert len(seen) == 2


def test_a_failing_hook_still_delivers_the_tokens(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(user_id: str) -> None:
        raise RuntimeError(f"database down while recording {user_id}")

    with caplog.at_level(logging.INFO, logger="enduco"), wsgi_relay(sandbox, on_tokens=broken) as url:
        client = relay_client(sandbox, url)
        tokens = login_through(client, sandbox)
        assert tokens.user_id == "athlete-1001"
    failures = [r for r in caplog.records if "on_tokens failed" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is not None
    for record in caplog.records:
        text = record.getMessage()
        assert tokens.access_token not in text and (tokens.refresh_token or "-") not in text
        assert CLIENT_SECRET not in text


def test_construction_rules() -> None:
    env = "http://127.0.0.1:9"
    # The client: a secret or a relay, exactly one.
    with pytest.raises(enduco.InvalidInputError, match="neither"):
        enduco.EnducoClient(CLIENT_ID, redirect_uri=REDIRECT_URI, environment=env)
    with pytest.raises(enduco.InvalidInputError, match="not both"):
        enduco.EnducoClient(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, token_relay_url="https://r.example")
    with pytest.raises(enduco.InvalidInputError, match="loopback"):
        enduco.EnducoClient(CLIENT_ID, redirect_uri=REDIRECT_URI, token_relay_url="http://r.example")
    with pytest.raises(TypeError, match="redirect_uri"):
        enduco.AsyncEnducoClient(CLIENT_ID, token_relay_url="https://r.example")
    positional = enduco.EnducoClient(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, environment=env)
    assert "token_relay_url" not in repr(positional)
    # The relay: holds the secret, never a relay itself.
    with pytest.raises(enduco.InvalidInputError):
        enduco.TokenRelay(CLIENT_ID, "", environment=env)
    with pytest.raises(enduco.InvalidInputError, match="relay"):
        enduco.TokenRelay(  # type: ignore[call-arg]
            CLIENT_ID, CLIENT_SECRET, environment=env, token_relay_url="https://r.example"
        )
    with pytest.raises(TypeError, match="invalid option"):
        enduco.TokenRelay(CLIENT_ID, CLIENT_SECRET, environmnt=env)  # type: ignore[call-arg]


def test_the_relay_never_shows_its_secret() -> None:
    relay = enduco.TokenRelay(CLIENT_ID, "s3cr3t-value", environment="http://127.0.0.1:9")
    for text in (repr(relay), str(relay), f"{relay!r}"):
        assert "s3cr3t-value" not in text
        assert CLIENT_ID in text
    assert repr(relay) == "TokenRelay(environment='http://127.0.0.1:9', client_id='sandbox-client')"


def test_the_command_needs_the_secret_from_the_environment(sandbox: Sandbox) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENDUCO_CLIENT")}
    done = subprocess.run(
        [sys.executable, "-m", "enduco.relay", "--port", "0", "--environment", sandbox.url,
         "--client-id", CLIENT_ID],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert done.returncode == 2
    assert "ENDUCO_CLIENT_SECRET" in done.stderr and done.stdout == ""
