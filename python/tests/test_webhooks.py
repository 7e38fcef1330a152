"""Issue 12: `clear_deregistered_user` believes a deregistration webhook only once enduco
confirms it. A forged one (the grant still refreshes) leaves the user's tokens in place and
working, and is logged; a real one (the sandbox revokes the user's grants, then delivers the
webhook) clears them."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, List, Optional

import pytest

import enduco
from support import RecordingStore, Sandbox, login, make_async_client, make_client


class Receiver:
    """The app's webhook URL: a loopback server of the test's own that keeps each body."""

    def __init__(self) -> None:
        self.bodies: List[bytes] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - stdlib naming
                received.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/enduco"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(sandbox: Sandbox) -> Iterator[Receiver]:
    r = Receiver()
    sandbox.control("POST", "/_sandbox/webhooks/config", {"deregisterUrl": r.url, "planChangedUrl": r.url})
    try:
        yield r
    finally:
        r.close()


def deregister(sandbox: Sandbox, receiver: Receiver, user: str) -> bytes:
    """enduco deregisters `user`: revokes their grants, then POSTs the webhook."""
    result = sandbox.control("POST", "/_sandbox/webhooks/send", {"type": "user.deregistered", "userId": user})
    assert result["delivered"] is True, result
    return receiver.bodies[-1]


FORGED = b'{"type":"user.deregistered","userId":"athlete-1001"}'


def test_a_forged_deregistration_clears_nothing(
    client: enduco.EnducoClient, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = login(client, sandbox)
    store = RecordingStore(tokens)
    with caplog.at_level(logging.WARNING, logger="enduco"):
        assert client.clear_deregistered_user(enduco.parse_webhook(FORGED), store) is None
    assert store.clears == 0 and store.tokens is not None
    assert sandbox.refresh_count() == 1, "the check is one refresh"
    assert store.tokens.refresh_token != tokens.refresh_token, "the check's refresh was saved"
    assert client.session(store).intensity_zones().user_id == "athlete-1001", "the tokens still work"
    forged = [r for r in caplog.records if "forged" in r.getMessage()]
    assert forged and forged[0].levelno == logging.WARNING, [r.getMessage() for r in caplog.records]
    assert str(tokens.refresh_token) not in caplog.text and tokens.access_token not in caplog.text


def test_a_real_deregistration_clears_the_store(
    client: enduco.EnducoClient, sandbox: Sandbox, receiver: Receiver
) -> None:
    store = RecordingStore(login(client, sandbox))
    body = deregister(sandbox, receiver, "athlete-1001")
    # The raw body works as well as a parsed event.
    assert client.clear_deregistered_user(body, store) == "athlete-1001"
    assert store.clears == 1 and store.tokens is None
    # A repeat finds nothing to clear and is harmless.
    assert client.clear_deregistered_user(body, store) == "athlete-1001"
    assert store.tokens is None


def test_the_store_may_be_a_lookup_by_user_id(
    client: enduco.EnducoClient, sandbox: Sandbox, receiver: Receiver
) -> None:
    stores = {"athlete-1001": RecordingStore(login(client, sandbox))}
    asked: List[str] = []

    def lookup(user_id: str) -> Optional[RecordingStore]:
        asked.append(user_id)
        return stores.get(user_id)

    # Unknown users and other events: nothing sent, nothing cleared.
    unknown = b'{"type":"user.deregistered","userId":"someone-else"}'
    assert client.clear_deregistered_user(unknown, lookup) is None
    assert client.clear_deregistered_user(b'{"type":"plan.changed","userId":"athlete-1001"}', lookup) is None
    assert client.clear_deregistered_user(b"not json", lookup) is None
    assert client.clear_deregistered_user(FORGED, None) is None
    assert asked == ["someone-else"]
    assert sandbox.refresh_count() == 0

    body = deregister(sandbox, receiver, "athlete-1001")
    assert client.clear_deregistered_user(enduco.parse_webhook(body), lookup) == "athlete-1001"
    assert stores["athlete-1001"].tokens is None


def test_other_failures_raise_and_clear_nothing(client: enduco.EnducoClient, sandbox: Sandbox) -> None:
    store = RecordingStore(login(client, sandbox))
    sandbox.fault("/oauth2/token", "status", count=20, status=503)
    quick = make_client(sandbox, max_retries=0)
    with pytest.raises(enduco.ServerError):
        quick.clear_deregistered_user(FORGED, store)
    assert store.clears == 0 and store.tokens is not None


@pytest.mark.asyncio
async def test_async_client_forged_and_real(sandbox: Sandbox, receiver: Receiver) -> None:
    aclient = make_async_client(sandbox)
    tokens = login(make_client(sandbox), sandbox)
    store = enduco.MemoryTokenStore(tokens)
    assert await aclient.clear_deregistered_user(FORGED, store) is None
    assert store.load() is not None
    assert (await aclient.session(store).intensity_zones()).user_id == "athlete-1001"

    body = deregister(sandbox, receiver, "athlete-1001")
    assert await aclient.clear_deregistered_user(body, store) == "athlete-1001"
    assert store.load() is None
