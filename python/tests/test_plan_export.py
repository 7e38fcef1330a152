"""Planned workouts as device files, on the sandbox's week of plans.

Every FIT workout is decoded with Garmin's own FIT SDK for Python (an independent decoder) and
played back, repeats and all, against the core's timeline: file type, step count, repeat
structure, durations and target bounds. ZWO is parsed with xml.etree; ERG and MRC rows are
added up.
"""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Optional, Tuple, cast

import pytest
from garmin_fit_sdk import Decoder, Stream

import enduco
from support import Sandbox, login, make_client

MONDAY = datetime.date(2026, 3, 23)
SUNDAY = datetime.date(2026, 3, 29)
FTP = 250.0


def week(sandbox: Sandbox) -> Tuple[List[enduco.PlannedWorkout], enduco.IntensityZones]:
    client = make_client(sandbox, time_zone="Europe/Berlin")
    session = client.session(enduco.MemoryTokenStore(login(client, sandbox)))
    plans = session.training_plans(MONDAY, SUNDAY)
    assert len(plans) == 7
    return plans, session.intensity_zones()


def on(plans: List[enduco.PlannedWorkout], weekday: int) -> enduco.PlannedWorkout:
    return next(p for p in plans if p.date.weekday() == weekday)


def decode(data: bytes) -> Dict[str, List[Dict[str, Any]]]:
    assert Decoder(Stream.from_byte_array(bytearray(data))).is_fit()
    assert Decoder(Stream.from_byte_array(bytearray(data))).check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    return cast(Dict[str, List[Dict[str, Any]]], messages)


def play(steps: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The steps as a device runs them: a repeat step sends it back to `duration_step` until
    the body ran `repeat_steps` times (nested repeats too)."""
    nodes: List[Tuple[int, Any]] = []
    for index, step in enumerate(steps):
        assert step["message_index"] == index
        if step["duration_type"] == "repeat_until_steps_cmplt":
            first = step["duration_step"]
            assert first < index
            split = next(i for i, (at, _) in enumerate(nodes) if at >= first)
            assert nodes[split][0] == first, "a repeat starts at a step boundary"
            body = nodes[split:]
            del nodes[split:]
            nodes.append((first, (step["repeat_steps"], body)))
        else:
            nodes.append((index, step))

    out: List[Dict[str, Any]] = []

    def expand(items: List[Tuple[int, Any]]) -> None:
        for _, node in items:
            if isinstance(node, tuple):
                count, body = node
                for _ in range(count):
                    expand(body)
            else:
                out.append(node)

    expand(nodes)
    return out


def structural_steps(steps: List[enduco.Step]) -> int:
    return sum(1 + structural_steps(s.repeat.steps) if s.repeat else 1 for s in steps)


def expected_bounds(resolved: enduco.ResolvedTarget) -> Tuple[float, float]:
    """The resolved bounds as FIT's custom values: W + 1000, bpm + 100, pace as speed (m/s);
    an open top bound at the writer's ceiling."""
    lower, upper = resolved.lower, resolved.upper
    if resolved.metric == "power":
        return round(lower or 0) + 1000, round(upper if upper is not None else 3000) + 1000
    if resolved.metric == "heart_rate":
        return round(lower or 0) + 100, round(upper if upper is not None else 250) + 100
    assert resolved.metric == "pace", resolved.metric
    meters = {"s/km": 1000.0, "s/100m": 100.0}[resolved.unit]

    def speed(seconds: float) -> float:
        return round(meters / seconds, 3)

    return (speed(upper) if upper else 0.0), (speed(lower) if lower else 30.0)


INTENSITY = {
    "warmup": "warmup",
    "active": "active",
    "recovery": "recovery",
    "cooldown": "cooldown",
    "rest": "rest",
}


def test_every_fit_workout_decodes_with_garmins_sdk_and_plays_like_the_timeline(
    sandbox: Sandbox,
) -> None:
    plans, zones = week(sandbox)
    seen_kinds = set()
    seen_sports = set()
    nested = distance = open_step = False
    for plan in plans:
        if plan.is_rest_day:
            with pytest.raises(enduco.InvalidInputError, match="rest day"):
                plan.to_fit_workout(zones)
            continue
        data = plan.to_fit_workout(zones)
        assert isinstance(data, bytes)
        messages = decode(data)
        assert [m["type"] for m in messages["file_id_mesgs"]] == ["workout"]
        (workout,) = messages["workout_mesgs"]
        assert workout["wkt_name"] == plan.title
        assert workout["sport"] == plan.sport
        steps = messages["workout_step_mesgs"]
        assert workout["num_valid_steps"] == len(steps) == structural_steps(plan.steps)
        # Repeats are kept as repeat steps, with the plan's counts.
        repeats = [s for s in steps if s["duration_type"] == "repeat_until_steps_cmplt"]

        def counts(ss: List[enduco.Step]) -> List[int]:
            return [c for s in ss if s.repeat for c in counts(s.repeat.steps) + [s.repeat.count]]

        assert [r["repeat_steps"] for r in repeats] == counts(plan.steps)

        timeline = plan.timeline(zones)
        played = play(steps)
        assert len(played) == len(timeline), plan.title
        for fit, segment in zip(played, timeline):
            what = f"{plan.title} segment {segment.index}"
            seen_kinds.add(segment.kind)
            assert fit["intensity"] == INTENSITY[segment.kind], what
            if segment.duration_seconds is not None:
                assert (fit["duration_type"], fit["duration_time"]) == (
                    "time",
                    segment.duration_seconds,
                ), what
            elif segment.distance_meters is not None:
                distance = True
                assert (fit["duration_type"], fit["duration_distance"]) == (
                    "distance",
                    segment.distance_meters,
                ), what
            else:
                open_step = True
                assert fit["duration_type"] == "open", what
            if segment.resolved is None:
                assert segment.target is None
                assert fit["target_type"] == "open", what
            else:
                assert fit["target_value"] == 0, f"{what}: custom bounds"
                low, high = expected_bounds(segment.resolved)
                if segment.resolved.metric == "pace":
                    assert fit["target_type"] == "speed", what
                    got = (fit["custom_target_speed_low"], fit["custom_target_speed_high"])
                else:
                    assert fit["target_type"] == segment.resolved.metric, what
                    got = (fit["custom_target_value_low"], fit["custom_target_value_high"])
                assert got == pytest.approx((low, high), abs=1e-9), what
        seen_sports.add(plan.sport)
        nested |= any(s.repeat and any(i.repeat for i in s.repeat.steps) for s in plan.steps)
        if repeats:
            seen_kinds.add("repeat")
    assert seen_sports == {"cycling", "running", "swimming"}
    assert seen_kinds == {"warmup", "active", "recovery", "cooldown", "rest", "repeat"}
    assert nested and distance and open_step


def test_without_zones_a_zone_target_is_a_fit_zone_number(sandbox: Sandbox) -> None:
    plans, zones = week(sandbox)
    intervals = on(plans, 1)  # Tuesday
    # The sandbox also sends bounds; the FIT keeps the plan's bounds whatever zones say.
    steps = decode(intervals.to_fit_workout())["workout_step_mesgs"]
    assert steps == decode(intervals.to_fit_workout(zones))["workout_step_mesgs"]
    with pytest.raises(enduco.InvalidInputError, match="fraction of FTP"):
        intervals.to_zwo()


def zwo_seconds(xml: str) -> Tuple[ET.Element, int, List[Tuple[int, float]]]:
    root = ET.fromstring(xml)
    assert root.tag == "workout_file"
    total = 0
    powers: List[Tuple[int, float]] = []
    workout = root.find("workout")
    assert workout is not None
    for element in workout:
        a = element.attrib
        if element.tag == "IntervalsT":
            for _ in range(int(a["Repeat"])):
                powers.append((int(a["OnDuration"]), float(a["OnPower"])))
                powers.append((int(a["OffDuration"]), float(a["OffPower"])))
                total += int(a["OnDuration"]) + int(a["OffDuration"])
        else:
            assert element.tag in {"Warmup", "Cooldown", "SteadyState", "FreeRide"}, element.tag
            total += int(a["Duration"])
            power = a.get("Power", a.get("PowerHigh", "nan"))
            powers.append((int(a["Duration"]), float(power)))
    return root, total, powers


def course_rows(text: str) -> Tuple[List[str], List[Tuple[float, float]]]:
    header, _, rest = text.partition("[END COURSE HEADER]\n")
    data = rest.split("[COURSE DATA]\n")[1].split("[END COURSE DATA]")[0]
    rows = [(float(m), float(v)) for m, v in (line.split("\t") for line in data.splitlines())]
    return header.splitlines(), rows


def middle(segment: enduco.TimelineSegment) -> Tuple[float, float]:
    """What a trainer holds: the range's middle, or a ramp through it for warm-up/cool-down."""
    r = segment.resolved
    assert r is not None and r.lower is not None and r.upper is not None
    if segment.kind == "warmup":
        return r.lower, r.upper
    if segment.kind == "cooldown":
        return r.upper, r.lower
    m = (r.lower + r.upper) / 2
    return m, m


def test_zwo_erg_and_mrc_add_up_to_the_plan(sandbox: Sandbox) -> None:
    plans, zones = week(sandbox)
    ride = on(plans, 5)  # Saturday: nested repeats
    timeline = ride.timeline(zones)
    assert ride.duration_seconds == sum(s.duration_seconds or 0 for s in timeline)

    root, total, powers = zwo_seconds(ride.to_zwo(zones))
    assert total == ride.duration_seconds
    assert root.findtext("name") == ride.title and root.findtext("sportType") == "bike"
    assert len(powers) == len(timeline)
    for (seconds, fraction), segment in zip(powers, timeline):
        assert seconds == segment.duration_seconds
        assert fraction * FTP == pytest.approx(middle(segment)[1], abs=0.26)

    for text, unit in ((ride.to_erg(zones), "WATTS"), (ride.to_mrc(zones), "PERCENT")):
        header, rows = course_rows(text)
        assert f"MINUTES {unit}" in header and f"DESCRIPTION = {ride.title}" in header
        assert len(rows) == 2 * len(timeline)
        assert rows[-1][0] * 60 == pytest.approx(ride.duration_seconds, abs=0.1)
        at = 0
        for (start, end), segment in zip(zip(rows[::2], rows[1::2]), timeline):
            assert start[0] * 60 == pytest.approx(at, abs=0.1)
            at += segment.duration_seconds or 0
            assert end[0] * 60 == pytest.approx(at, abs=0.1)
            want = middle(segment)
            if unit == "WATTS":
                assert (start[1], end[1]) == (round(want[0]), round(want[1]))
            else:
                assert start[1] == pytest.approx(want[0] / FTP * 100, abs=0.051)
                assert end[1] == pytest.approx(want[1] / FTP * 100, abs=0.051)


def test_what_a_format_cannot_hold_raises_invalid_input_naming_the_step(sandbox: Sandbox) -> None:
    plans, zones = week(sandbox)
    intervals = on(plans, 1)
    with pytest.raises(enduco.InvalidInputError) as caught:
        intervals.to_erg(zones)
    assert "step 3 (cooldown): ERG needs a power target, this one is heart_rate" in str(caught.value)
    assert caught.value.code == "invalid_input"
    for plan in (on(plans, 2), on(plans, 3), on(plans, 6)):
        for write in (plan.to_zwo, plan.to_erg, plan.to_mrc):
            with pytest.raises(enduco.InvalidInputError, match="cycling trainer format"):
                write(zones)
    with pytest.raises(enduco.InvalidInputError, match="fraction of FTP"):
        on(plans, 5).to_mrc(None)
    rest: Optional[enduco.PlannedWorkout] = next(p for p in plans if p.is_rest_day)
    assert rest is not None
    with pytest.raises(enduco.InvalidInputError, match="rest day"):
        rest.to_erg(zones)
