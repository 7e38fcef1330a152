"""Python's own conventions where the SDK meets them (issue 18): the exception families, the
messages of type errors, coroutine names, and hashable, picklable token values."""

from __future__ import annotations

import errno
import gc
import pickle
import warnings
from pathlib import Path

import pytest

import enduco
from support import Sandbox, login


def test_a_missing_upload_file_is_file_not_found_and_invalid_input(
    client: enduco.EnducoClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    session = client.session(enduco.MemoryTokenStore(login(client, sandbox)))
    missing = tmp_path / "ride.fit"
    with pytest.raises(FileNotFoundError) as caught:
        session.upload_workout(missing)
    error = caught.value
    assert isinstance(error, enduco.InvalidInputError) and error.code == "invalid_input"
    assert error.errno == errno.ENOENT
    assert error.filename == str(missing)
    # The other family catches it too, and nothing was sent.
    with pytest.raises(enduco.InvalidInputError):
        session.upload_workout(str(missing))
    assert sandbox.count("/api/v1/workouts") == 0


@pytest.mark.asyncio
async def test_the_async_upload_raises_the_same_family(
    aclient: enduco.AsyncEnducoClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    request = aclient.authorization_request(["workouts_write"])
    tokens = await aclient.complete_authorization(request, sandbox.follow_authorization(request.url))
    session = aclient.session(enduco.MemoryTokenStore(tokens))
    with pytest.raises(FileNotFoundError):
        await session.upload_workout(tmp_path / "nowhere.fit")


def test_scopes_given_as_one_string_is_a_clear_type_error(client: enduco.EnducoClient) -> None:
    with pytest.raises(TypeError, match=r"scopes must be a list of str, e\.g\. \[\"user_read\""):
        # A str is a Sequence[str] to a type checker: only the runtime can catch this one.
        client.authorization_request("user_read")
    with pytest.raises(TypeError, match="not int"):
        client.authorization_request(7)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="scopes must be a list of str"):
        enduco.AuthorizationRequest("https://x.example/", "s", scopes="user_read")
    # A list, a tuple and an unknown scope name still behave as before.
    assert client.authorization_request(("user_read",)).scopes == ["user_read"]
    with pytest.raises(enduco.InvalidInputError):
        client.authorization_request(["user_write"])


def test_a_forgotten_await_names_the_method(
    aclient: enduco.AsyncEnducoClient, sandbox: Sandbox
) -> None:
    session = aclient.session(enduco.MemoryTokenStore())
    pending = session.intensity_zones()
    assert getattr(pending, "__qualname__") == "AsyncSession.intensity_zones"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del pending
        gc.collect()
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert any("'AsyncSession.intensity_zones' was never awaited" in m for m in messages), messages
    assert not any("run_coroutine" in m for m in messages), messages
    assert sandbox.count("/api/v1/zones") == 0


def test_token_sets_are_hashable_and_pickle_to_equal_values(
    client: enduco.EnducoClient, sandbox: Sandbox
) -> None:
    tokens = login(client, sandbox)
    copy = pickle.loads(pickle.dumps(tokens))
    assert copy == tokens and copy is not tokens
    assert copy.refresh_token == tokens.refresh_token
    assert hash(copy) == hash(tokens)
    assert len({tokens, copy}) == 1
    other = login(client, sandbox)
    assert other != tokens and len({tokens, other}) == 2
    # The pickled form is the storage JSON: repr still redacts.
    assert tokens.access_token not in repr(copy)


def test_pending_authorizations_pickle_with_their_verifier(client: enduco.EnducoClient) -> None:
    request = client.authorization_request(["user_read"])
    copy = pickle.loads(pickle.dumps(request))
    assert copy == request
    assert copy.code_verifier == request.code_verifier and copy.state == request.state


def test_has_scope_and_the_fit_pre_flight(
    client: enduco.EnducoClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    tokens = login(client, sandbox, ["user_read"])
    assert tokens.has_scope("user_read") and not tokens.has_scope("workouts_write")
    with pytest.raises(enduco.InvalidInputError):
        tokens.has_scope("user_write")
    path = sandbox.fit(tmp_path / "ride.fit")
    fit = path.read_bytes()
    assert enduco.check_fit(fit) == len(fit)
    assert enduco.check_fit(path) == len(fit)
    with pytest.raises(enduco.InvalidInputError, match="CRC"):
        enduco.check_fit(fit[:-1] + bytes([fit[-1] ^ 0xFF]))
    with pytest.raises(FileNotFoundError):
        enduco.check_fit(tmp_path / "missing.fit")


def test_error_fields_carry_the_payload_names(client: enduco.EnducoClient, sandbox: Sandbox) -> None:
    """The same field names as the core's payload (and Node's camelCase of them)."""
    session = client.session(enduco.MemoryTokenStore(login(client, sandbox)))
    with pytest.raises(enduco.ApiError) as api:
        session.request("GET", "/api/v1/nothing-here")
    assert api.value.status == 404 and api.value.api_code
    assert api.value.api_message == api.value.message
    request = client.authorization_request(["user_read"])
    denied = f"{request.redirect_uri}?error=access_denied&state={request.state}"
    with pytest.raises(enduco.AuthorizationDeniedError) as caught:
        client.complete_authorization(request, denied)
    assert caught.value.oauth_error == "access_denied" == caught.value.error
