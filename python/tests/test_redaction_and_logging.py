"""No token value in any repr, str(exception) or log record; the core's events reach the
`enduco` logger."""

from __future__ import annotations

import logging
import urllib.parse
from pathlib import Path
from typing import List

import pytest

import enduco
from support import ALL_SCOPES, CLIENT_SECRET, RecordingStore, Sandbox, expired, make_client


def _secrets(*values: object) -> List[str]:
    return [str(v) for v in values if v]


def test_no_secret_anywhere(sandbox: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="enduco")
    client = make_client(sandbox, max_retries=1)
    request = client.authorization_request(ALL_SCOPES)
    callback = sandbox.follow_authorization(request.url)
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(callback).query)["code"][0]
    tokens = client.complete_authorization(request, callback)
    store = RecordingStore(expired(tokens))
    session = client.session(store)
    sandbox.expire_access_tokens()
    session.intensity_zones()  # refresh + save
    refreshed = store.tokens
    assert refreshed is not None
    session.upload_workout(sandbox.fit(tmp_path / "r.fit"))

    errors: List[BaseException] = []
    sandbox.fault("/api/v1/zones", "status", count=3, status=503)
    for call in (session.intensity_zones, lambda: client.complete_authorization(request, callback)):
        try:
            call()
        except enduco.EnducoError as e:
            errors.append(e)
    session.revoke()
    try:
        session.intensity_zones()
    except enduco.EnducoError as e:
        errors.append(e)
    assert len(errors) == 3

    secrets = _secrets(
        tokens.access_token,
        tokens.refresh_token,
        refreshed.access_token,
        refreshed.refresh_token,
        code,
        request.code_verifier,
        CLIENT_SECRET,
    )
    texts = [
        repr(tokens),
        str(tokens),
        repr(refreshed),
        repr(request),
        repr(client),
        repr(session),
        repr(enduco.MemoryTokenStore(tokens)),
    ]
    texts += [str(e) for e in errors] + [repr(e) for e in errors]
    records = [r for r in caplog.records if r.name.startswith("enduco")]
    texts += [r.getMessage() for r in records]
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"a secret leaked into: {text}"
    assert "[redacted]" in repr(tokens)

    # The core's tracing events arrived as log records of the `enduco` logger tree.
    messages = [r.getMessage() for r in records]
    assert any("refreshing the access token" in m for m in messages), messages
    assert any("new tokens saved" in m for m in messages)
    assert any("workout uploaded" in m for m in messages)
    assert any(r.levelno == logging.DEBUG for r in records)
    assert all(r.name == "enduco" or r.name.startswith("enduco.") for r in records)


def test_logger_level_is_respected(client: enduco.EnducoClient, sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="enduco")
    request = client.authorization_request(["user_read"])
    client.complete_authorization(request, sandbox.follow_authorization(request.url))
    assert not [r for r in caplog.records if r.name.startswith("enduco") and r.levelno < logging.WARNING]
