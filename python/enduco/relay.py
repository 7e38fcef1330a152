"""The token relay for apps that cannot keep enduco's client secret (docs/relay.md).

Mount it on the backend that holds the secret::

    import enduco

    relay = enduco.TokenRelay(client_id, client_secret, environment="beta")
    app.mount("/enduco/relay", relay.asgi_app())        # FastAPI / Starlette (ASGI)
    application = relay.wsgi_app()                      # any WSGI server

or run it on its own (the secret from ``ENDUCO_CLIENT_SECRET``)::

    python -m enduco.relay --port 8787 --environment beta --client-id ID

Its first line on stdout is ``listening on http://HOST:PORT``. The apps then configure
``token_relay_url="https://api.example.com/enduco/relay"`` and no client secret.
"""

from ._relay import (
    MAX_RELAY_REQUEST_BYTES,
    AsgiApp,
    AsgiReceive,
    AsgiScope,
    AsgiSend,
    OnTokens,
    RelayAnswer,
    RelayResponse,
    TokenRelay,
    WsgiApp,
    WsgiStartResponse,
    main,
    make_server,
    server_url,
)

__all__ = [
    "MAX_RELAY_REQUEST_BYTES",
    "AsgiApp",
    "AsgiReceive",
    "AsgiScope",
    "AsgiSend",
    "OnTokens",
    "RelayAnswer",
    "RelayResponse",
    "TokenRelay",
    "WsgiApp",
    "WsgiStartResponse",
    "main",
    "make_server",
    "server_url",
]

if __name__ == "__main__":
    raise SystemExit(main())
