"""A local enduco for trying the SDK and for an app's own tests: ``Sandbox`` runs
``enduco sandbox`` (the command that comes with the package) on a free loopback port and signs
users in without a browser.

    from enduco.testing import Sandbox

    with Sandbox() as sandbox:
        client = sandbox.client()
        request = client.authorization_request(["user_read"])
        tokens = client.complete_authorization(request, sandbox.approve(request.url))

The sandbox speaks enduco's OAuth flow and data API (zones, plans, uploads) with a built-in
athlete; nothing here talks to enduco's servers. Not imported by ``import enduco``.
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import urllib.parse
from typing import Any, List, Optional

from . import AsyncEnducoClient, EnducoClient

__all__ = ["Sandbox"]

#: The app the sandbox registers by default.
CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"
REDIRECT_URI = "https://app.example/callback"


class Sandbox:
    """``enduco sandbox --port 0`` as a child process, stopped on ``close()`` / ``with`` exit.

    ``command`` is the ``enduco`` executable: by default ``$ENDUCO_CLI``, else ``enduco`` on
    ``PATH`` (``pip install enduco`` puts it there). ``args`` are extra sandbox options (see
    ``enduco sandbox --help``)."""

    def __init__(self, command: Optional[str] = None, args: Optional[List[str]] = None) -> None:
        executable = command or os.environ.get("ENDUCO_CLI") or shutil.which("enduco")
        if not executable:
            raise FileNotFoundError(
                "the `enduco` command was not found: install the package with its CLI "
                "(`pip install enduco`), or set ENDUCO_CLI to its path"
            )
        self._process = subprocess.Popen(
            [executable, "sandbox", "--port", "0", *(args or [])],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.close()
            raise RuntimeError(f"`enduco sandbox` did not start (it printed {line!r})")
        #: The sandbox's base URL, e.g. ``http://127.0.0.1:41437``; pass it as ``environment``.
        self.url: str = line[len("listening on "):]

    def client(self, **options: Any) -> EnducoClient:
        """An ``EnducoClient`` for the sandbox's registered app (options as for the client)."""
        return EnducoClient(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, environment=self.url, **options)

    def async_client(self, **options: Any) -> AsyncEnducoClient:
        """The same as an ``AsyncEnducoClient``."""
        return AsyncEnducoClient(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, environment=self.url, **options)

    def approve(self, authorization_url: str) -> str:
        """Signs the sandbox athlete in to ``authorization_url`` as a browser would, without
        one: the sandbox approves at once and answers with the redirect to the app, whose URL
        (the callback, with ``code`` and ``state``) this returns."""
        parts = urllib.parse.urlsplit(authorization_url)
        connection = http.client.HTTPConnection(parts.netloc, timeout=30)
        try:
            connection.request("GET", f"{parts.path}?{parts.query}")
            response = connection.getresponse()
            location = response.getheader("Location")
        finally:
            connection.close()
        if response.status != 302 or not location:
            raise RuntimeError(f"the sandbox did not redirect (HTTP {response.status})")
        return location

    def close(self) -> None:
        """Stops the sandbox."""
        if self._process.poll() is None:
            self._process.terminate()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
