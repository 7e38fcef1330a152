"""Single flight also on failure (issue 10): every caller that waited on one refresh gets its
outcome — a 500 or a refused refresh token — and exactly one token request goes out."""

from __future__ import annotations

import asyncio
from typing import Sequence

import pytest

import enduco
from support import (
    AsyncRecordingStore,
    RecordingStore,
    Sandbox,
    alogin,
    expired,
    in_threads,
    login,
)

CALLERS = 20
# Long enough for every caller to enter while the refresh is in flight, on a busy machine too.
TOKEN_DELAY_MS = 1500


def _fail_refreshes_with_500(sandbox: Sandbox) -> None:
    # One fault per caller: if the SDK sent more than one token request, they would fail
    # too (and show up in the log) rather than succeed and hide the extra requests.
    sandbox.fault("/oauth2/token", "status", count=CALLERS, status=500, delayMs=TOKEN_DELAY_MS)


def _revoke_grant(client: enduco.EnducoClient, tokens: enduco.TokenSet) -> None:
    """Revokes the grant at the sandbox (POST /oauth2/revoke with its refresh token)."""
    client.session(enduco.MemoryTokenStore(tokens)).revoke()


def _all_raised(outcomes: Sequence[object], kind: type) -> None:
    wrong = [o for o in outcomes if not isinstance(o, kind)]
    assert not wrong, f"expected only {kind.__name__}, got {wrong[:3]}"
    assert len(outcomes) == CALLERS


def test_threads_behind_a_refresh_answered_500_share_its_error(
    client: enduco.EnducoClient, sandbox: Sandbox
) -> None:
    tokens = login(client, sandbox)
    store = RecordingStore(expired(tokens))
    session = client.session(store)
    _fail_refreshes_with_500(sandbox)

    outcomes = in_threads(CALLERS, session.intensity_zones)

    _all_raised(outcomes, enduco.ServerError)
    assert all(isinstance(o, enduco.ServerError) and o.status == 500 for o in outcomes)
    assert sandbox.refresh_count() == 1
    assert store.saves == []


@pytest.mark.asyncio
async def test_tasks_behind_a_refresh_answered_500_share_its_error(
    aclient: enduco.AsyncEnducoClient, sandbox: Sandbox
) -> None:
    tokens = await alogin(aclient, sandbox)
    store = AsyncRecordingStore(expired(tokens))
    session = aclient.session(store)
    _fail_refreshes_with_500(sandbox)

    outcomes = await asyncio.gather(
        *(session.intensity_zones() for _ in range(CALLERS)), return_exceptions=True
    )

    _all_raised(list(outcomes), enduco.ServerError)
    assert sandbox.refresh_count() == 1
    assert store.saves == []


def test_threads_behind_a_refused_refresh_token_need_reauthorization_once(
    client: enduco.EnducoClient, sandbox: Sandbox
) -> None:
    tokens = login(client, sandbox)
    _revoke_grant(client, tokens)
    store = RecordingStore(expired(tokens))
    session = client.session(store)
    sandbox.fault("/oauth2/token", "delay", count=CALLERS, delayMs=TOKEN_DELAY_MS)

    outcomes = in_threads(CALLERS, session.intensity_zones)

    _all_raised(outcomes, enduco.ReauthorizationRequiredError)
    assert sandbox.refresh_count() == 1
    # The refused refresh token is never sent again.
    with pytest.raises(enduco.ReauthorizationRequiredError):
        session.intensity_zones()
    with pytest.raises(enduco.ReauthorizationRequiredError):
        session.refresh()
    assert sandbox.refresh_count() == 1
    assert store.saves == []


@pytest.mark.asyncio
async def test_tasks_behind_a_refused_refresh_token_need_reauthorization_once(
    client: enduco.EnducoClient, aclient: enduco.AsyncEnducoClient, sandbox: Sandbox
) -> None:
    tokens = await alogin(aclient, sandbox)
    await asyncio.get_running_loop().run_in_executor(None, _revoke_grant, client, tokens)
    store = AsyncRecordingStore(expired(tokens))
    session = aclient.session(store)
    sandbox.fault("/oauth2/token", "delay", count=CALLERS, delayMs=TOKEN_DELAY_MS)

    outcomes = await asyncio.gather(
        *(session.intensity_zones() for _ in range(CALLERS)), return_exceptions=True
    )

    _all_raised(list(outcomes), enduco.ReauthorizationRequiredError)
    assert sandbox.refresh_count() == 1
    with pytest.raises(enduco.ReauthorizationRequiredError):
        await session.intensity_zones()
    assert sandbox.refresh_count() == 1


def test_refresh_token_rotated_away_by_another_session_strict_policy(
    client: enduco.EnducoClient, sandbox: Sandbox
) -> None:
    """Strict reuse policy: a refresh token that another session already rotated is refused;
    the callers of this session share one `invalid_grant` and send it only once."""
    sandbox.control("POST", "/_sandbox/refresh-reuse", {"policy": "strict"})
    tokens = login(client, sandbox)
    client.session(enduco.MemoryTokenStore(tokens)).refresh()  # rotates tokens' refresh token
    assert sandbox.refresh_count() == 1
    store = RecordingStore(expired(tokens))  # a store nobody updated: the old refresh token
    session = client.session(store)
    sandbox.fault("/oauth2/token", "delay", count=CALLERS, delayMs=TOKEN_DELAY_MS)

    outcomes = in_threads(CALLERS, session.intensity_zones)

    _all_raised(outcomes, enduco.ReauthorizationRequiredError)
    assert sandbox.refresh_count() == 2
    with pytest.raises(enduco.ReauthorizationRequiredError):
        session.intensity_zones()
    assert sandbox.refresh_count() == 2
