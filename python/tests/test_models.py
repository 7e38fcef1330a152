"""Value types: TokenSet round trips, webhooks, reprs and equality."""

from __future__ import annotations

import datetime
import json
import time

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


def test_api_error_from_the_escape_hatch(client: enduco.EnducoClient, sandbox: Sandbox) -> None:
    session = client.session(enduco.MemoryTokenStore(login(client, sandbox)))
    with pytest.raises(enduco.ApiError) as caught:
        session.request("GET", "/api/v1/nope")
    assert caught.value.status == 404 and caught.value.api_code
    with pytest.raises(enduco.InvalidInputError):
        session.request("GET", "/api/v1/zones?x=1")
    raw = session.request("get", "/api/v1/plans", query=[("from", "2030-01-01"), ("to", "2030-01-02")])
    assert raw.status == 200 and raw.content_type and "json" in raw.content_type
