"""Each exception class where it belongs, over real HTTP to the sandbox."""

from __future__ import annotations

import asyncio
import builtins
import datetime
import socket
import urllib.parse
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import enduco
from enduco import _enduco
from support import ALL_SCOPES, RecordingStore, Sandbox, alogin, expired, login, make_async_client, make_client


def test_hierarchy_and_codes() -> None:
    expected = {
        enduco.InvalidInputError: "invalid_input",
        enduco.AuthorizationDeniedError: "authorization_denied",
        enduco.StateMismatchError: "state_mismatch",
        enduco.ReauthorizationRequiredError: "reauthorization_required",
        enduco.InsufficientScopeError: "insufficient_scope",
        enduco.RateLimitedError: "rate_limited",
        enduco.ServerError: "server",
        enduco.ApiError: "api",
        enduco.NetworkError: "network",
        enduco.EnducoTimeoutError: "timeout",
        enduco.InvalidResponseError: "invalid_response",
        enduco.StoreError: "store",
        enduco.InternalError: "internal",
    }
    for cls, code in expected.items():
        assert issubclass(cls, enduco.EnducoError) and issubclass(cls, Exception)
        assert cls.code == code
        assert cls.__module__ == "enduco"
    assert enduco.TimeoutError is enduco.EnducoTimeoutError
    assert issubclass(enduco.EnducoTimeoutError, builtins.TimeoutError)


def test_state_mismatch(client: enduco.EnducoClient, sandbox: Sandbox) -> None:
    request = client.authorization_request(ALL_SCOPES)
    callback = sandbox.follow_authorization(request.url)
    forged = callback.replace(urllib.parse.quote(request.state, safe=""), "forged-state")
    assert forged != callback
    with pytest.raises(enduco.StateMismatchError) as caught:
        client.complete_authorization(request, forged)
    assert caught.value.code == "state_mismatch"
    other = client.authorization_request(ALL_SCOPES)
    with pytest.raises(enduco.StateMismatchError):
        client.complete_authorization(other, callback)


def test_denied_consent(client: enduco.EnducoClient, sandbox: Sandbox) -> None:
    request = client.authorization_request(ALL_SCOPES)
    callback = sandbox.cancel_authorization(request.url)
    assert "error=access_denied" in callback
    with pytest.raises(enduco.AuthorizationDeniedError) as caught:
        client.complete_authorization(request, callback)
    assert caught.value.error == "access_denied"
    assert caught.value.code == "authorization_denied"


def test_missing_scope_fails_before_any_request(client: enduco.EnducoClient, sandbox: Sandbox, tmp_path: Path) -> None:
    tokens = login(client, sandbox, ["user_read"])
    session = client.session(enduco.MemoryTokenStore(tokens))
    with pytest.raises(enduco.InsufficientScopeError) as caught:
        session.upcoming_plans(days=3)
    assert caught.value.missing == ["plans_read"]
    fit = sandbox.fit(tmp_path / "a.fit")
    with pytest.raises(enduco.InsufficientScopeError) as caught:
        session.upload_workout(fit)
    assert caught.value.missing == ["workouts_write"]
    assert sandbox.count("/api/v1/plans") == 0 and sandbox.count("/api/v1/workouts") == 0
    assert session.intensity_zones().user_id == "athlete-1001"


def test_revoked_grant_needs_reauthorization(client: enduco.EnducoClient, sandbox: Sandbox) -> None:
    tokens = login(client, sandbox)
    elsewhere = client.session(enduco.MemoryTokenStore(expired(tokens)))
    client.session(enduco.MemoryTokenStore(tokens)).revoke()
    with pytest.raises(enduco.ReauthorizationRequiredError) as caught:
        elsewhere.intensity_zones()
    assert caught.value.code == "reauthorization_required"


def test_reused_code_is_an_api_error(client: enduco.EnducoClient, sandbox: Sandbox) -> None:
    request = client.authorization_request(["user_read"])
    callback = sandbox.follow_authorization(request.url)
    client.complete_authorization(request, callback)
    with pytest.raises(enduco.ApiError) as caught:
        client.complete_authorization(request, callback)
    assert caught.value.api_code == "invalid_grant"
    assert caught.value.status == 400


def test_rate_limited_then_success(client: enduco.EnducoClient, sandbox: Sandbox) -> None:
    session = client.session(enduco.MemoryTokenStore(login(client, sandbox)))
    sandbox.fault("/api/v1/zones", "status", status=429, retryAfter=1)
    assert session.intensity_zones().user_id == "athlete-1001"
    statuses = [r["status"] for r in sandbox.requests() if r["path"] == "/api/v1/zones"]
    assert statuses == [429, 200]


def test_rate_limited_out_of_retries(sandbox: Sandbox) -> None:
    client = make_client(sandbox, max_retries=0)
    session = client.session(enduco.MemoryTokenStore(login(client, sandbox)))
    sandbox.fault("/api/v1/zones", "status", status=429, retryAfter=7)
    with pytest.raises(enduco.RateLimitedError) as caught:
        session.intensity_zones()
    assert caught.value.retry_after == 7.0


def test_server_error(sandbox: Sandbox) -> None:
    client = make_client(sandbox, max_retries=1)
    session = client.session(enduco.MemoryTokenStore(login(client, sandbox)))
    sandbox.fault("/api/v1/zones", "status", count=5, status=503)
    with pytest.raises(enduco.ServerError) as caught:
        session.intensity_zones()
    assert caught.value.status == 503
    assert sandbox.count("/api/v1/zones") == 2


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("malformed", enduco.InvalidResponseError),
        ("html", enduco.InvalidResponseError),
        ("truncate", enduco.NetworkError),
    ],
)
def test_unreadable_body(sandbox: Sandbox, kind: str, expected: type) -> None:
    client = make_client(sandbox, max_retries=0)
    session = client.session(enduco.MemoryTokenStore(login(client, sandbox)))
    sandbox.fault("/api/v1/zones", kind)
    with pytest.raises(expected):
        session.intensity_zones()


def test_timeout(sandbox: Sandbox) -> None:
    client = make_client(sandbox, max_retries=0, request_timeout_seconds=0.5)
    session = client.session(enduco.MemoryTokenStore(login(client, sandbox)))
    sandbox.fault("/api/v1/zones", "delay", delayMs=3000)
    with pytest.raises(enduco.EnducoTimeoutError) as caught:
        session.intensity_zones()
    assert caught.value.code == "timeout"
    assert isinstance(caught.value, builtins.TimeoutError)


def test_network_error(sandbox: Sandbox) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = make_client(sandbox, environment=f"http://127.0.0.1:{port}", max_retries=0)
    with pytest.raises(enduco.NetworkError):
        client.exchange_code("some-code")


def test_connection_reset(sandbox: Sandbox) -> None:
    client = make_client(sandbox, max_retries=0)
    session = client.session(enduco.MemoryTokenStore(login(client, sandbox)))
    sandbox.fault("/api/v1/zones", "reset")
    with pytest.raises(enduco.NetworkError):
        session.intensity_zones()


@pytest.mark.parametrize(
    "corruption, words",
    [
        ("truncated", "truncated"),
        ("wrong-signature", ".FIT"),
        ("bad-header-crc", "header CRC"),
        ("bad-file-crc", "CRC mismatch"),
        ("not-activity", "activity"),
        ("empty", "empty"),
        ("data-size-mismatch", "size"),
    ],
)
def test_corrupt_fit_is_refused_before_upload(
    client: enduco.EnducoClient, sandbox: Sandbox, tmp_path: Path, corruption: str, words: str
) -> None:
    session = client.session(enduco.MemoryTokenStore(login(client, sandbox)))
    fit = sandbox.fit(tmp_path / "bad.fit", "--corrupt", corruption)
    with pytest.raises(enduco.InvalidInputError) as caught:
        session.upload_workout(fit)
    assert words.lower() in str(caught.value).lower(), str(caught.value)
    with pytest.raises(enduco.InvalidInputError):
        session.upload_workout(fit.read_bytes())
    assert sandbox.count("/api/v1/workouts") == 0


def test_plan_window_longer_than_a_week(client: enduco.EnducoClient, sandbox: Sandbox) -> None:
    session = client.session(enduco.MemoryTokenStore(login(client, sandbox)))
    start = datetime.date(2030, 3, 1)
    with pytest.raises(enduco.InvalidInputError, match="7"):
        session.training_plans(start, start + datetime.timedelta(days=9))
    with pytest.raises(enduco.InvalidInputError):
        session.training_plans(start, start - datetime.timedelta(days=1))
    with pytest.raises(enduco.InvalidInputError):
        session.upcoming_plans(days=8)
    with pytest.raises(enduco.InvalidInputError):
        session.training_plans("2030-03-01", "March 2nd")
    with pytest.raises(TypeError):
        session.training_plans(datetime.datetime(2030, 3, 1), start)
    assert sandbox.count("/api/v1/plans") == 0


def test_invalid_configuration() -> None:
    with pytest.raises(enduco.InvalidInputError):
        enduco.EnducoClient("id", "secret", "https://app.example/cb", environment="http://example.com")
    with pytest.raises(enduco.InvalidInputError):
        enduco.EnducoClient("id", "secret", "not a url")
    with pytest.raises(enduco.InvalidInputError):
        enduco.EnducoClient("id", "secret", "https://app.example/cb", request_timeout_seconds=-1)
    with pytest.raises(enduco.InvalidInputError):
        enduco.EnducoClient("id", "secret", "https://app.example/cb", time_zone="Mars/Olympus")
    with pytest.raises(enduco.InvalidInputError):
        enduco.EnducoClient("id", "secret", "https://app.example/cb", endpoints={"nope": "/x"})
    client = enduco.EnducoClient("id", "secret", "https://app.example/cb")
    with pytest.raises(enduco.InvalidInputError):
        client.authorization_request(["user_read", "admin"])
    with pytest.raises(enduco.InvalidInputError):
        client.authorization_request([])


@pytest.mark.asyncio
async def test_async_errors(sandbox: Sandbox) -> None:
    aclient = make_async_client(sandbox, max_retries=0)
    tokens = await alogin(aclient, sandbox, ["user_read"])
    session = aclient.session(RecordingStore(tokens))
    with pytest.raises(enduco.InsufficientScopeError):
        await session.upcoming_plans()
    sandbox.fault("/api/v1/zones", "status", status=429, retryAfter=3)
    with pytest.raises(enduco.RateLimitedError) as caught:
        await session.intensity_zones()
    assert caught.value.retry_after == 3.0
    request = aclient.authorization_request(["user_read"])
    with pytest.raises(enduco.StateMismatchError):
        await aclient.complete_authorization(request, "https://app.example/callback?code=x&state=y")


# -- issue 12: no panic crosses into Python; capped answers; the client credentials -----------


def test_a_panic_in_a_blocking_call_is_an_internal_error() -> None:
    with pytest.raises(enduco.InternalError) as caught:
        _enduco._panic_for_tests("sync")
    assert caught.value.code == "internal"
    assert "a panic for the tests" in str(caught.value)
    assert isinstance(caught.value, enduco.EnducoError)
    # The runtime is fine afterwards.
    with pytest.raises(enduco.InternalError):
        _enduco._panic_for_tests("sync")
    with pytest.raises(ValueError):
        _enduco._panic_for_tests("elsewhere")


@pytest.mark.asyncio
async def test_a_panic_in_a_coroutine_is_an_internal_error() -> None:
    coroutine = _enduco._panic_for_tests("async")
    with pytest.raises(enduco.InternalError) as caught:
        await coroutine
    assert caught.value.code == "internal" and "a panic for the tests" in str(caught.value)
    results = await asyncio.gather(
        *(_enduco._panic_for_tests("async") for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, enduco.InternalError) for r in results), results


def test_max_response_bytes_caps_data_answers(client: enduco.EnducoClient, sandbox: Sandbox) -> None:
    tokens = login(client, sandbox)
    assert len(client.session(enduco.MemoryTokenStore(tokens)).request("GET", "/api/v1/zones").body) > 1024
    capped = make_client(sandbox, max_response_bytes=1024)
    with pytest.raises(enduco.InvalidResponseError):
        capped.session(enduco.MemoryTokenStore(tokens)).intensity_zones()
    with pytest.raises(enduco.InvalidInputError, match="max_response_bytes"):
        make_client(sandbox, max_response_bytes=1023)
    with pytest.raises((OverflowError, TypeError)):
        make_client(sandbox, max_response_bytes=-1)


@pytest.mark.asyncio
async def test_max_response_bytes_on_the_async_client(sandbox: Sandbox) -> None:
    tokens = login(make_client(sandbox), sandbox)
    capped = make_async_client(sandbox, max_response_bytes=1024)
    with pytest.raises(enduco.InvalidResponseError):
        await capped.session(enduco.MemoryTokenStore(tokens)).intensity_zones()


def test_a_wrong_client_secret_says_to_check_the_credentials(sandbox: Sandbox) -> None:
    request_client = make_client(sandbox)
    request = request_client.authorization_request(ALL_SCOPES)
    callback = sandbox.follow_authorization(request.url)
    wrong = enduco.EnducoClient("sandbox-client", "not-the-secret", "https://app.example/callback", environment=sandbox.url)
    with pytest.raises(enduco.ApiError) as caught:
        wrong.complete_authorization(request, callback)
    assert caught.value.api_code == "invalid_client" and caught.value.status == 401
    assert "check the client id" in str(caught.value)
    assert "not-the-secret" not in str(caught.value) and "not-the-secret" not in repr(caught.value)


@pytest.mark.parametrize("rewrite", ["same-size", "shorter"])
def test_an_upload_whose_file_changes_before_the_send_is_refused(
    client: enduco.EnducoClient, sandbox: Sandbox, tmp_path: Path, rewrite: str
) -> None:
    session = client.session(enduco.MemoryTokenStore(login(client, sandbox)))
    original = sandbox.fit(tmp_path / "ride.fit", "--seed", "7", "--size", "300000").read_bytes()
    other = sandbox.fit(
        tmp_path / "other.fit", "--seed", "8", *(["--size", "300000"] if rewrite == "same-size" else [])
    ).read_bytes()
    assert other != original and (len(other) == len(original)) == (rewrite == "same-size")
    path = tmp_path / "upload.fit"
    path.write_bytes(original)
    calls: List[Tuple[int, int]] = []

    def progress(sent: int, total: int) -> None:
        # The first call comes after the file was checked and before the body is streamed.
        if not calls:
            path.write_bytes(other)
        calls.append((sent, total))

    with pytest.raises(enduco.InvalidInputError) as caught:
        session.upload_workout(path, progress=progress)
    assert "changed while it was being uploaded" in str(caught.value)
    assert calls[0] == (0, len(original))

    # The sandbox stored nothing: neither file is a duplicate when uploaded on its own.
    path.write_bytes(original)
    assert not session.upload_workout(path).duplicate
    assert not session.upload_workout(other, file_name="other.fit").duplicate
    assert session.upload_workout(original).duplicate, "the sandbox does detect duplicates"


@pytest.mark.parametrize("value", [1e300, float("inf"), float("nan"), 2.0**64, -1.0, 0.0])
def test_absurd_durations_are_invalid_input_not_a_panic(value: float) -> None:
    options: Dict[str, Any] = {}
    for option in ("retry_deadline_seconds", "store_timeout_seconds", "lock_lease_seconds", "request_timeout_seconds"):
        options = {option: value}
        with pytest.raises(enduco.InvalidInputError, match=option):
            enduco.EnducoClient("id", "secret", "https://app.example/cb", **options)
