"""Value types: TokenSet round trips, webhooks, reprs and equality."""

from __future__ import annotations

import datetime
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, List

import pytest

import enduco
from support import Sandbox, login, make_client

from zoneinfo import ZoneInfo


def test_token_set_round_trip_and_construction() -> None:
    tokens = enduco.TokenSet(
        "at-value", expires_at=2_000_000_000, refresh_token="rt-value", scopes=["user_read"]
    )
    assert tokens.access_token == "at-value" and tokens.refresh_token == "rt-value"
    assert tokens.expires_at == datetime.datetime(2033, 5, 18, 3, 33, 20, tzinfo=datetime.timezone.utc)
    assert tokens.expires_at_unix == 2_000_000_000
    assert tokens.schema_version == 1 and tokens.token_type == "Bearer"
    assert enduco.TokenSet.from_json(tokens.to_json()) == tokens
    data = json.loads(tokens.to_json())
    data["expires_at"] = 0
    older = enduco.TokenSet.from_json(json.dumps(data))
    assert older != tokens and older.expires_at_unix == 0
    aware = enduco.TokenSet("x", expires_at=datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc))
    assert aware.expires_at.year == 2030 and aware.refresh_token is None
    assert enduco.TokenSet("x", expires_at=time.time()).expires_at_unix <= int(time.time())
    with pytest.raises(ValueError):
        enduco.TokenSet("x", expires_at=datetime.datetime(2030, 1, 1))
    with pytest.raises(enduco.InvalidInputError):
        enduco.TokenSet("", expires_at=0)
    with pytest.raises(enduco.InvalidInputError):
        enduco.TokenSet.from_json("{}")
    with pytest.raises(enduco.InvalidInputError):
        enduco.TokenSet.from_json(json.dumps({**data, "schema_version": 99}))
    text = repr(tokens)
    assert "at-value" not in text and "rt-value" not in text and "[redacted]" in text


def test_webhooks() -> None:
    event = enduco.parse_webhook(
        b'{"type":"user.deregistered","userId":"athlete-1001","occurredAt":"2025-01-02T03:04:05Z"}'
    )
    assert event.type == "user_deregistered" and event.user_id == "athlete-1001"
    assert event.occurred_at == datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    changed = enduco.parse_webhook('{"event":"plan_changed","user_id":7,"from":"2025-01-02","to":"2025-01-05"}')
    assert changed.type == "plan_changed" and changed.user_id == "7"
    assert (changed.date_from, changed.date_to) == (datetime.date(2025, 1, 2), datetime.date(2025, 1, 5))
    unknown = enduco.parse_webhook(b"\xff not json")
    assert unknown.type == "unknown" and unknown.user_id is None and "not json" in unknown.raw
    assert "WebhookEvent(type='unknown'" in repr(unknown)
    assert enduco.parse_webhook(bytearray(b'{"type":"x"}')).type == "unknown"
    assert event == enduco.parse_webhook(event.raw)
    assert event != changed


def test_authorization_request_repr_hides_the_verifier() -> None:
    client = enduco.EnducoClient("id", "secret", "https://app.example/cb", environment="production")
    request = client.authorization_request(["plans_read", "plans_read"])
    assert request.scopes == ["plans_read"]
    assert request.url.startswith("https://api.prod.enduco.app/oauth2/authorize?")
    assert request.code_verifier and request.code_verifier not in repr(request)
    assert "secret" not in repr(client)
    no_pkce = enduco.EnducoClient("id", "secret", "https://app.example/cb", use_pkce=False)
    assert no_pkce.authorization_request(["user_read"]).code_verifier is None


def test_plan_and_zone_models(sandbox: Sandbox) -> None:
    client = make_client(sandbox, time_zone="Europe/Berlin")
    session = client.session(enduco.MemoryTokenStore(login(client, sandbox)))
    zones = session.intensity_zones()
    assert isinstance(zones.updated_at, datetime.datetime) and zones.updated_at.tzinfo is not None
    power = zones.for_sport("cycling", "power")
    assert power is not None and power.unit == "W" and power.threshold
    assert [z.index for z in power.zones] == sorted(z.index for z in power.zones)
    assert zones.for_sport("cycling", "rpe") is None

    plans = session.upcoming_plans(7)
    assert plans, "the sandbox serves a week of plans"
    berlin_today = datetime.datetime.now(ZoneInfo("Europe/Berlin")).date()
    assert all(berlin_today <= p.date <= berlin_today + datetime.timedelta(days=6) for p in plans)
    for plan in plans:
        assert isinstance(plan.is_rest_day, bool)
        if plan.start_time is not None:
            local = plan.local_start()
            assert local is not None and local == plan.start_time
            assert str(local.tzinfo) == plan.time_zone
        timeline = plan.timeline(zones)
        assert len(timeline) >= len([s for s in plan.steps if s.repeat is None])
        for segment in timeline:
            assert isinstance(segment.kind, str)
            if segment.target is not None and segment.target.zone is not None:
                assert segment.resolved is not None
                assert zones.resolve(plan.sport, segment.target) == segment.resolved
        assert plan.timeline() == plan.timeline(None)
        assert plan == plan and "PlannedWorkout(" in repr(plan)


def test_models_are_read_only_values_that_can_also_be_built_by_hand(sandbox: Sandbox) -> None:
    """The model classes are generated from the core's declarations; fetched or built by hand,
    the core reads them back the same way for their methods."""
    client = make_client(sandbox)
    session = client.session(enduco.MemoryTokenStore(login(client, sandbox)))
    zones = session.intensity_zones()
    plan = next(p for p in session.upcoming_plans(7) if p.steps)
    with pytest.raises(AttributeError):
        plan.title = "changed"
    with pytest.raises(TypeError):
        hash(plan)
    copy = enduco.PlannedWorkout(**{name: getattr(plan, name) for name in plan.__slots__})
    assert copy == plan and copy is not plan and repr(copy) == repr(plan)
    assert copy.timeline(zones) == plan.timeline(zones)
    assert copy.to_fit_workout(zones) == plan.to_fit_workout(zones)
    fields = {name: getattr(plan, name) for name in plan.__slots__}
    assert plan != enduco.PlannedWorkout(**{**fields, "title": "x"})

    power = zones.for_sport("cycling", "power")
    assert power is not None and power.threshold
    zone = power.zones[1]
    target = enduco.StepTarget(metric="power", zone=zone.index)  # optional fields default to None
    step = enduco.Step(kind="active", duration_seconds=600, target=target)
    built = enduco.PlannedWorkout(
        id="by-hand",
        date=datetime.date(2026, 3, 29),
        start_time=datetime.datetime(2026, 3, 29, 7, 0, tzinfo=datetime.timezone.utc),
        time_zone="Europe/Berlin",
        sport="cycling",
        title="Tempo",
        duration_seconds=600,
        steps=[step],
    )
    [segment] = built.timeline(zones)
    assert segment.duration_seconds == 600 and segment.target == target
    assert segment.resolved is not None and segment.resolved == zones.resolve("cycling", target)
    assert segment.resolved.lower == zone.lower and segment.resolved.upper == zone.upper
    local = built.local_start()
    assert local is not None and local.hour == 9 and str(local.tzinfo) == "Europe/Berlin"
    assert not built.is_rest_day and built.to_fit_workout(zones)[8:12] == b".FIT"

    # What the core cannot read is its typed error, not a crash: an instant without a zone.
    fields = {name: getattr(built, name) for name in built.__slots__}
    naive = enduco.PlannedWorkout(**{**fields, "start_time": datetime.datetime(2026, 3, 29, 7)})
    with pytest.raises(enduco.InvalidInputError, match="plan is not a planned workout"):
        naive.timeline()


def test_api_error_from_the_escape_hatch(client: enduco.EnducoClient, sandbox: Sandbox) -> None:
    session = client.session(enduco.MemoryTokenStore(login(client, sandbox)))
    with pytest.raises(enduco.ApiError) as caught:
        session.request("GET", "/api/v1/nope")
    assert caught.value.status == 404 and caught.value.api_code
    with pytest.raises(enduco.InvalidInputError):
        session.request("GET", "/api/v1/zones?x=1")
    raw = session.request("get", "/api/v1/plans", query=[("from", "2030-01-01"), ("to", "2030-01-02")])
    assert raw.status == 200 and raw.content_type and "json" in raw.content_type


# -- issue 12: a hostile plan -----------------------------------------------------------------


def hostile_plan_json() -> bytes:
    """The plan issue 12 measured: one repeat of 10,000 whose body is 1,000 empty repeats and
    one step (as core/tests/models.rs builds it): few segments, ten million steps to visit."""
    empty = {"kind": "repeat", "repeat": {"count": 5, "steps": []}}
    step = {"kind": "active", "durationSeconds": 60}
    plan = {
        "id": "hostile",
        "date": "2026-04-01",
        "timeZone": "UTC",
        "steps": [{"kind": "repeat", "repeat": {"count": 10_000, "steps": [empty] * 1000 + [step]}}],
    }
    return json.dumps([plan]).encode()


@pytest.fixture
def plan_server() -> Iterator[str]:
    """A loopback server of the test's own that answers `GET /api/v1/plans` with the hostile
    plan (the sandbox serves only well-formed plans)."""
    body = hostile_plan_json()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            self.send_response(200 if self.path.startswith("/api/v1/plans") else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def fetch_hostile_plan(url: str) -> enduco.PlannedWorkout:
    tokens = enduco.TokenSet(
        "plan-access-token", expires_at=time.time() + 3600, refresh_token="r", scopes=["plans_read"]
    )
    client = enduco.EnducoClient("id", "secret", "https://app.example/callback", environment=url)
    plans = client.session(enduco.MemoryTokenStore(tokens)).training_plans("2026-04-01", "2026-04-01")
    assert [p.id for p in plans] == ["hostile"]
    return plans[0]


def test_hostile_plan_timeline_is_truncated_and_releases_the_gil(plan_server: str) -> None:
    plan = fetch_hostile_plan(plan_server)

    # A second Python thread ticks while the main thread unrolls the plan. Each tick hands
    # the GIL back (`time.sleep(0)`), and the interpreter's forced switching is pushed out of
    # reach (a 60 s switch interval), so the ticker can run only while the main thread gives
    # the GIL up by itself: during the calls, if they release it. Ticks are counted across the
    # calls themselves (read right before and right after each).
    stop = threading.Event()
    ticking = threading.Event()
    ticks = [0]

    def ticker() -> None:
        ticking.set()
        while not stop.is_set():
            ticks[0] += 1
            time.sleep(0)

    interval = sys.getswitchinterval()
    thread = threading.Thread(target=ticker, daemon=True)
    thread.start()
    assert ticking.wait(30)
    sys.setswitchinterval(60.0)
    try:
        during = 0
        results: List[bool] = []
        for _ in range(3):
            before = ticks[0]
            segments, truncated = plan.timeline_checked()
            during += ticks[0] - before
            results.append(truncated)
    finally:
        sys.setswitchinterval(interval)
        stop.set()
        thread.join(30)
    print(f"ticks during 3 hostile timelines: {during}")
    assert results == [True, True, True], "the visit budget stopped it, flagged"
    assert 0 < len(segments) < 10_000
    # Held, the GIL lets it tick only when the call logs (a few times at most).
    assert during > 30, f"the other thread ticked only {during} times: the GIL was held"
    # timeline() is the same list; an ordinary plan is complete.
    assert plan.timeline() == segments


def test_ordinary_plans_are_complete(sandbox: Sandbox) -> None:
    client = make_client(sandbox)
    plans = client.session(enduco.MemoryTokenStore(login(client, sandbox))).upcoming_plans(7)
    for plan in plans:
        segments, truncated = plan.timeline_checked()
        assert not truncated and segments == plan.timeline()
