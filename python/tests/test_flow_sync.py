"""The whole integration with the blocking client, against the sandbox."""

from __future__ import annotations

import _thread
import datetime
import json
import signal
import threading
import time
from pathlib import Path
from typing import List, Tuple

import pytest

import enduco
from support import ALL_SCOPES, RecordingStore, Sandbox, login, make_client


def test_full_flow(client: enduco.EnducoClient, sandbox: Sandbox, tmp_path: Path) -> None:
    request = client.authorization_request(ALL_SCOPES)
    assert request.url.startswith(sandbox.url + "/oauth2/authorize?")
    assert request.state and request.code_verifier
    callback = sandbox.follow_authorization(request.url)
    assert callback.startswith("https://app.example/callback?")
    tokens = client.complete_authorization(request, callback)
    assert isinstance(tokens, enduco.TokenSet)
    assert tokens.user_id == "athlete-1001"
    assert sorted(tokens.scopes) == sorted(ALL_SCOPES)
    assert tokens.expires_at.tzinfo is not None
    assert tokens.expires_at > datetime.datetime.now(datetime.timezone.utc)

    store = RecordingStore()
    session = client.connect(store, tokens)
    assert store.tokens == tokens
    assert session.user_id() == "athlete-1001"
    assert sorted(session.granted_scopes()) == sorted(ALL_SCOPES)

    zones = session.intensity_zones()
    assert isinstance(zones, enduco.IntensityZones)
    assert zones.user_id == "athlete-1001"
    assert zones.zones and all(isinstance(z, enduco.SportZones) for z in zones.zones)
    table = zones.zones[0]
    assert isinstance(table.sport, str) and isinstance(table.metric, str)
    assert all(isinstance(z, enduco.Zone) for z in table.zones)
    assert zones == session.intensity_zones()
    assert "IntensityZones(" in repr(zones)

    plans = session.upcoming_plans(days=7)
    assert isinstance(plans, list)
    for plan in plans:
        assert isinstance(plan, enduco.PlannedWorkout)
        assert isinstance(plan.date, datetime.date)
        assert plan.sport in {"cycling", "running", "swimming", "other"}
        timeline = plan.timeline(zones)
        assert all(isinstance(s, enduco.TimelineSegment) for s in timeline)
    today = datetime.date.today()
    window = session.training_plans(today, today + datetime.timedelta(days=6))
    assert isinstance(window, list)
    assert session.training_plans(today.isoformat(), today.isoformat()) is not None

    fit = sandbox.fit(tmp_path / "ride.fit", "--seed", "7", "--size", "300000")
    size = fit.stat().st_size
    seen: List[Tuple[int, int]] = []
    result = session.upload_workout(fit, progress=lambda sent, total: seen.append((sent, total)))
    assert isinstance(result, enduco.UploadResult)
    assert not result.duplicate and result.id
    assert seen, "progress was never reported"
    sent = [s for s, _ in seen]
    assert sent == sorted(sent), f"progress went backwards: {sent}"
    assert seen[-1] == (size, size)
    assert all(total == size for _, total in seen)

    again = session.upload_workout(str(fit))
    assert again.duplicate and again.id == result.id and again.status == "duplicate"
    from_bytes = session.upload_workout(fit.read_bytes(), file_name="ride.fit")
    assert from_bytes.duplicate

    raw = session.request("GET", "/api/v1/zones")
    assert raw.status == 200 and isinstance(raw.body, bytes)
    assert raw.json()["userId"] == "athlete-1001"
    assert json.loads(raw.text) == raw.json()

    before = tokens
    refreshed = session.refresh()
    assert refreshed != before and store.tokens == refreshed
    assert refreshed.refresh_token != before.refresh_token  # rotation is on

    session.revoke()
    assert store.tokens is None and store.clears == 1
    with pytest.raises(enduco.ReauthorizationRequiredError):
        session.intensity_zones()


def test_exchange_code_for_backends(client: enduco.EnducoClient, sandbox: Sandbox) -> None:
    request = client.authorization_request(["user_read"])
    callback = sandbox.follow_authorization(request.url)
    code = dict(
        p.split("=", 1) for p in callback.split("?", 1)[1].split("&")
    )["code"]
    tokens = client.exchange_code(code, code_verifier=request.code_verifier)
    assert tokens.scopes == ["user_read"]


def test_pending_request_survives_a_round_trip_through_host_storage(
    client: enduco.EnducoClient, sandbox: Sandbox
) -> None:
    request = client.authorization_request(["user_read"])
    kept = enduco.AuthorizationRequest(
        url=request.url,
        state=request.state,
        code_verifier=request.code_verifier,
        redirect_uri=request.redirect_uri,
        scopes=request.scopes,
    )
    assert kept == request
    # The core's storage form (the same JSON in every language's SDK) round-trips too.
    saved = request.to_json()
    assert enduco.AuthorizationRequest.from_json(saved) == request
    with pytest.raises(enduco.InvalidInputError, match="schema version 2"):
        enduco.AuthorizationRequest.from_json(saved.replace('"schema_version":1', '"schema_version":2'))
    tokens = client.complete_authorization(kept, sandbox.follow_authorization(request.url))
    assert tokens.user_id == "athlete-1001"


def test_builtin_stores(client: enduco.EnducoClient, sandbox: Sandbox, tmp_path: Path) -> None:
    tokens = login(client, sandbox)
    memory = enduco.MemoryTokenStore(tokens)
    assert client.session(memory).intensity_zones().user_id == "athlete-1001"
    assert memory.load() == tokens

    path = tmp_path / "tokens" / "athlete.json"
    file_store = enduco.FileTokenStore(path)
    assert file_store.load() is None
    session = client.connect(file_store, tokens)
    assert path.stat().st_mode & 0o777 == 0o600
    assert file_store.load() == tokens
    assert session.intensity_zones().user_id == "athlete-1001"
    assert enduco.TokenSet.from_json(path.read_text()) == tokens
    session.revoke()
    assert not path.exists()


def test_store_may_hold_json_strings(client: enduco.EnducoClient, sandbox: Sandbox) -> None:
    tokens = login(client, sandbox)

    class JsonStore:
        def __init__(self) -> None:
            self.json = tokens.to_json()

        def load(self) -> str:
            return self.json

        def save(self, tokens: enduco.TokenSet) -> None:
            self.json = tokens.to_json()

        def clear(self) -> None:
            self.json = ""

    store = JsonStore()
    session = client.session(store)
    assert session.user_id() == "athlete-1001"
    new = session.refresh()
    assert enduco.TokenSet.from_json(store.json) == new


def test_blocking_calls_release_the_gil_and_honour_ctrl_c(private_sandbox: Sandbox) -> None:
    """While a blocking call waits on enduco, other Python threads run, and Ctrl-C interrupts
    the wait.

    No timing is assumed: a helper thread — Python code, so it can only run if the call
    released the GIL — polls the sandbox log until the call's request has arrived (the
    sandbox holds the answer back for a long time), then presses Ctrl-C. The SDK polls its
    future on its own threads, so the main thread runs no Python code (such as a `logging`
    call) that could take the pending Ctrl-C and lose it (issue 12: this test failed under load).
    """
    # A sandbox of its own: on the shared one, a request an earlier test left running could
    # take the delay fault, and the call would return before the helper pressed Ctrl-C.
    sandbox = private_sandbox
    client = make_client(sandbox)
    session = client.session(enduco.MemoryTokenStore(login(client, sandbox)))
    session.user_id()  # tokens loaded: the next call sends only its zones request
    before = sandbox.count("/api/v1/zones")
    sandbox.fault("/api/v1/zones", "delay", delayMs=20_000)
    in_flight = threading.Event()
    stop = threading.Event()
    # What happened when, for the failure message (the test itself assumes no timing).
    events: List[Tuple[str, float]] = []
    started = time.monotonic()

    def note(what: str) -> None:
        events.append((what, round(time.monotonic() - started, 3)))

    def press_ctrl_c_once_the_request_is_in_flight() -> None:
        polls = 0
        try:
            while not stop.is_set():
                polls += 1
                if sandbox.count("/api/v1/zones") > before:
                    in_flight.set()
                    note(f"request seen after {polls} polls; Ctrl-C pressed")
                    _thread.interrupt_main()
                    return
                stop.wait(0.02)
            note(f"stopped after {polls} polls without seeing the request")
        except BaseException as e:  # the message below reports it
            note(f"helper failed: {e!r}")

    # Ctrl-C as a plain program gets it: Python's own SIGINT handler. An earlier test's asyncio
    # runner can leave its handler installed, which cancels that runner's task instead of
    # raising KeyboardInterrupt here.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    helper = threading.Thread(target=press_ctrl_c_once_the_request_is_in_flight, daemon=True)
    helper.start()
    interrupted = False
    try:
        session.intensity_zones()
        note("the call returned")
    except KeyboardInterrupt:
        interrupted = True
        note("KeyboardInterrupt")
    finally:
        stop.set()
        helper.join(timeout=60)
        signal.signal(signal.SIGINT, previous)
    log = [(r["path"], r.get("status"), r.get("fault")) for r in sandbox.requests()]
    assert interrupted, f"Ctrl-C did not interrupt the call: {events}; sandbox log {log}"
    assert in_flight.is_set(), "another Python thread could not run during the call"
