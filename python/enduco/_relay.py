"""The token relay: the server half of relay mode (docs/relay.md).

An app distributed to users (iOS, Android, desktop, a CLI) cannot keep enduco's client secret.
In relay mode it runs the browser flow with PKCE itself and sends the three back-channel
calls — code exchange, refresh, revoke — to the partner's backend, which holds the secret:
that backend mounts a :class:`TokenRelay`. The relay checks each request (size, operation,
form), adds the client credentials, forwards it to enduco and hands enduco's answer back. It is
stateless, never logs a token, and forwards nothing it refused (those are 400 answers with an
OAuth error body).

Adapters, none of which adds a dependency: :meth:`TokenRelay.asgi_app` (FastAPI/Starlette
``app.mount("/enduco/relay", relay.asgi_app())``, any ASGI server), :meth:`TokenRelay.wsgi_app`
(Flask/Django/any WSGI server) and :func:`make_server` / ``python -m enduco.relay`` (the
standard library's WSGI server, threaded).
"""

from __future__ import annotations

import argparse
import http
import inspect
import logging
import os
import socket
import socketserver
import sys
import time
from typing import (
    Any,
    Awaitable,
    Callable,
    Dict,
    Iterable,
    List,
    MutableMapping,
    Optional,
    Sequence,
    Tuple,
)
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from ._enduco import MAX_RELAY_REQUEST_BYTES, RelayResponse, _TokenRelay

#: ``on_tokens(user_id)``: called after enduco issued tokens (a code exchange or a refresh
#: through the relay) with enduco's user id, so a backend can record which of its users holds
#: which enduco account. It never sees a token. In the ASGI adapter it may be ``async``.
OnTokens = Callable[[str], object]
#: ``(status, headers, body)`` of one relay answer.
RelayAnswer = Tuple[int, List[Tuple[str, str]], bytes]

AsgiScope = MutableMapping[str, Any]
AsgiMessage = MutableMapping[str, Any]
AsgiReceive = Callable[[], Awaitable[AsgiMessage]]
AsgiSend = Callable[[AsgiMessage], Awaitable[None]]
AsgiApp = Callable[[AsgiScope, AsgiReceive, AsgiSend], Awaitable[None]]
WsgiStartResponse = Callable[..., Any]
WsgiApp = Callable[[Dict[str, Any], WsgiStartResponse], Iterable[bytes]]

_log = logging.getLogger("enduco.relay")


def _not_post() -> RelayAnswer:
    refused = RelayResponse.method_not_allowed()
    return refused.status, refused.headers, refused.body


def _wants_notice(response: RelayResponse, on_tokens: Optional[OnTokens]) -> bool:
    return on_tokens is not None and response.user_id is not None and 200 <= response.status < 300


def _hook_failed(user_id: str) -> None:
    # The tokens already exist at enduco: the app gets them anyway (losing them would cost the
    # user a new login), and the backend learns of its hook's failure here.
    _log.exception("token relay: on_tokens failed for enduco user %s; the answer was sent", user_id)


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class TokenRelay(_TokenRelay):
    """The relay for one enduco app: ``TokenRelay(client_id, client_secret, environment=…)``
    (the keyword options of ``EnducoClient`` that concern enduco: ``environment``,
    ``user_agent``, timeouts, ``max_retries``, ``endpoints``). Create one per process and
    share it. ``repr()`` never shows the secret."""

    def handle(
        self,
        path: str,
        content_type: Optional[str],
        body: bytes,
        *,
        on_tokens: Optional[OnTokens] = None,
    ) -> RelayAnswer:
        """One app request, blocking: ``path`` names the operation by its last segment
        (``…/token`` or ``…/revoke``), ``content_type`` is the request's header, ``body`` at
        most ``MAX_RELAY_REQUEST_BYTES + 1`` bytes of it (a longer body is refused). Returns
        ``(status, headers, body)`` to send back as they are."""
        response = self.respond(path, content_type, body)
        if on_tokens is not None and _wants_notice(response, on_tokens):
            user_id = response.user_id or ""
            try:
                on_tokens(user_id)
            except Exception:
                _hook_failed(user_id)
        return response.status, response.headers, response.body

    async def handle_async(
        self,
        path: str,
        content_type: Optional[str],
        body: bytes,
        *,
        on_tokens: Optional[OnTokens] = None,
    ) -> RelayAnswer:
        """``handle`` as a coroutine; ``on_tokens`` may be ``async`` here."""
        response = await self.respond_async(path, content_type, body)
        if on_tokens is not None and _wants_notice(response, on_tokens):
            user_id = response.user_id or ""
            try:
                result = on_tokens(user_id)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                _hook_failed(user_id)
        return response.status, response.headers, response.body

    def asgi_app(self, on_tokens: Optional[OnTokens] = None) -> AsgiApp:
        """An ASGI application serving ``POST …/token`` and ``POST …/revoke`` under any prefix
        (``app.mount("/enduco/relay", relay.asgi_app())``). It reads at most
        ``MAX_RELAY_REQUEST_BYTES + 1`` bytes of a body and stops there."""
        relay = self
        limit = MAX_RELAY_REQUEST_BYTES + 1

        async def app(scope: AsgiScope, receive: AsgiReceive, send: AsgiSend) -> None:
            if scope["type"] == "lifespan":
                while True:
                    message = await receive()
                    if message["type"] == "lifespan.startup":
                        await send({"type": "lifespan.startup.complete"})
                    elif message["type"] == "lifespan.shutdown":
                        await send({"type": "lifespan.shutdown.complete"})
                        return
            if scope["type"] != "http":
                raise RuntimeError(f"the token relay serves HTTP, not {scope['type']!r}")
            content_type: Optional[str] = None
            for name, value in scope.get("headers", ()):
                if bytes(name).lower() == b"content-type":
                    content_type = bytes(value).decode("latin-1")
            if scope.get("method") != "POST":
                status, headers, body = _not_post()
            else:
                received = bytearray()
                more = True
                while more and len(received) < limit:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    received += message.get("body", b"")[: limit - len(received)]
                    more = bool(message.get("more_body", False))
                status, headers, body = await relay.handle_async(
                    # The last segment names the operation, whatever the mount prefix.
                    str(scope.get("path", "")),
                    content_type,
                    bytes(received),
                    on_tokens=on_tokens,
                )
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (k.lower().encode("latin-1"), v.encode("latin-1"))
                        for k, v in headers + [("Content-Length", str(len(body)))]
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})

        return app

    def wsgi_app(self, on_tokens: Optional[OnTokens] = None) -> WsgiApp:
        """A WSGI application serving ``POST …/token`` and ``POST …/revoke`` under any prefix.
        It reads at most ``MAX_RELAY_REQUEST_BYTES + 1`` bytes of ``CONTENT_LENGTH``."""
        relay = self

        def app(environ: Dict[str, Any], start_response: WsgiStartResponse) -> Iterable[bytes]:
            if environ.get("REQUEST_METHOD") != "POST":
                status, headers, body = _not_post()
            else:
                status, headers, body = relay.handle(
                    str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", "")),
                    environ.get("CONTENT_TYPE") or None,
                    _read_wsgi_body(environ),
                    on_tokens=on_tokens,
                )
            start_response(
                f"{status} {_reason(status)}", headers + [("Content-Length", str(len(body)))]
            )
            return [body]

        return app


def _read_wsgi_body(environ: Dict[str, Any]) -> bytes:
    """At most ``MAX_RELAY_REQUEST_BYTES + 1`` bytes of the request body."""
    limit = MAX_RELAY_REQUEST_BYTES + 1
    declared = str(environ.get("CONTENT_LENGTH") or "").strip()
    if declared:
        try:
            wanted = min(max(int(declared), 0), limit)
        except ValueError:
            wanted = 0
    elif environ.get("wsgi.input_terminated"):
        wanted = limit  # a chunked body the server ends for us
    else:
        wanted = 0
    stream = environ["wsgi.input"]
    chunks: List[bytes] = []
    while wanted > 0:
        chunk = stream.read(min(wanted, 64 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        wanted -= len(chunk)
    return b"".join(chunks)


# -- the standard library's server ------------------------------------------------------------


class _Handler(WSGIRequestHandler):
    """Logs request lines (no bodies: tokens travel only there) to ``enduco.relay``, and closes
    a connection whose body was not read whole gracefully, so the client still gets the 400."""

    #: The most of an unread body discarded before the connection is closed.
    LINGER_BYTES = 1024 * 1024
    LINGER_SECONDS = 2.0

    def log_message(self, format: str, *args: Any) -> None:
        _log.info("%s %s", self.address_string(), format % args)

    def handle(self) -> None:
        super().handle()
        # The relay reads at most its limit of a body: if the client is still sending, closing
        # now would reset the connection and could destroy the answer in flight. Half-close
        # and discard (bounded) until the client closes its side.
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(self.LINGER_SECONDS)
            until = time.monotonic() + self.LINGER_SECONDS
            discarded = 0
            while discarded < self.LINGER_BYTES and time.monotonic() < until:
                chunk = self.rfile.read1(64 * 1024)
                if not chunk:
                    break
                discarded += len(chunk)
        except (OSError, ValueError):
            pass


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _ThreadingWSGIServer6(_ThreadingWSGIServer):
    address_family = socket.AF_INET6


def make_server(
    relay: TokenRelay,
    host: str = "127.0.0.1",
    port: int = 0,
    on_tokens: Optional[OnTokens] = None,
) -> WSGIServer:
    """The relay's WSGI app on the standard library's threaded WSGI server, bound (port 0: a
    free one; ``server.server_address`` tells which) but not yet serving: call
    ``serve_forever()``. For small deployments and tests; behind a reverse proxy with TLS."""
    server_class = _ThreadingWSGIServer6 if ":" in host else _ThreadingWSGIServer
    server = server_class((host, port), _Handler)
    server.set_app(relay.wsgi_app(on_tokens))
    return server


def server_url(server: WSGIServer) -> str:
    """``http://host:port`` of a server from :func:`make_server`."""
    host, port = server.server_address[:2]
    host = str(host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m enduco.relay``: serves a relay until interrupted. Its first line on stdout
    is ``listening on http://HOST:PORT``; logs go to stderr. The client secret is read from
    ``ENDUCO_CLIENT_SECRET`` only (never a command-line argument, which ``ps`` shows)."""
    parser = argparse.ArgumentParser(
        prog="python -m enduco.relay",
        description="enduco token relay: performs code exchange, refresh and revoke for apps "
        "that cannot keep the client secret (POST …/token, POST …/revoke).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8787, help="port (0: any free one; default 8787)")
    parser.add_argument(
        "--environment",
        default=os.environ.get("ENDUCO_ENVIRONMENT", "beta"),
        help='"beta", "production" or a base URL (default: $ENDUCO_ENVIRONMENT or beta)',
    )
    parser.add_argument(
        "--client-id",
        default=os.environ.get("ENDUCO_CLIENT_ID"),
        help="the enduco client id (default: $ENDUCO_CLIENT_ID)",
    )
    parser.add_argument("--user-agent", default=None, help="added to the relay's User-Agent")
    parser.add_argument("--quiet", action="store_true", help="log warnings only")
    args = parser.parse_args(argv)
    secret = os.environ.get("ENDUCO_CLIENT_SECRET", "")
    if not args.client_id:
        parser.error("no client id: pass --client-id or set ENDUCO_CLIENT_ID")
    if not secret:
        parser.error("no client secret: set ENDUCO_CLIENT_SECRET")
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    from ._errors import EnducoError

    try:
        relay = TokenRelay(
            args.client_id, secret, environment=args.environment, user_agent=args.user_agent
        )
    except EnducoError as e:
        print(f"enduco.relay: {e}", file=sys.stderr)
        return 2
    server = make_server(relay, args.host, args.port)
    print(f"listening on {server_url(server)}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


__all__ = [
    "MAX_RELAY_REQUEST_BYTES",
    "OnTokens",
    "RelayAnswer",
    "RelayResponse",
    "TokenRelay",
    "main",
    "make_server",
    "server_url",
]
