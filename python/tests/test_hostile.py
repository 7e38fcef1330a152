"""Issue 12: a server that misbehaves on purpose (`enduco-hostile`, built with the workspace;
its cases and their expected codes are listed by its `GET /cases`, the same list the Rust and
Node suites run). Every case, through the sync and the async client, ends in the
`EnducoError` subclass of its documented code — never a `PanicException`, never a hang — and
the peak RSS grows by less than 32 MiB over all of them.

The cases run in a child process (`hostile_child.py`): a fresh interpreter's `ru_maxrss` is a
measure of the SDK, not of what earlier tests in this session allocated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import enduco
from support import REPO

TESTS = Path(__file__).resolve().parent
HOSTILE_BIN = Path(os.environ.get("ENDUCO_HOSTILE", REPO / "target" / "debug" / "enduco-hostile"))

CLASS_OF = {
    "server": enduco.ServerError,
    "invalid_response": enduco.InvalidResponseError,
    "timeout": enduco.EnducoTimeoutError,
    "network": enduco.NetworkError,
    "rate_limited": enduco.RateLimitedError,
    "api": enduco.ApiError,
}


@pytest.fixture(scope="module")
def hostile() -> Iterator[str]:
    if not HOSTILE_BIN.exists():
        pytest.fail(f"{HOSTILE_BIN} is missing: run `cargo build --workspace` first")
    process = subprocess.Popen(
        [str(HOSTILE_BIN), "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("listening on "), line
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield line[len("listening on "):]
    finally:
        process.kill()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def outcomes(hostile: str) -> Dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(TESTS / "hostile_child.py"), hostile],
        capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    for line in lines:
        print(line)
    return {
        "cases": [line for line in lines if "case" in line],
        "rss_growth_kib": next(line["rss_growth_kib"] for line in lines if "rss_growth_kib" in line),
    }


@pytest.mark.parametrize("client", ["sync", "async"])
def test_every_hostile_case_ends_in_its_typed_error(outcomes: Dict[str, Any], client: str) -> None:
    cases: List[Dict[str, str]] = [c for c in outcomes["cases"] if c["client"] == client]
    assert len(cases) >= 15, "the server lists its cases"
    wrong = []
    for case in cases:
        expected_class = CLASS_OF.get(case["expect"])
        if case["outcome"] != case["expect"] or (
            expected_class is not None and case["class"] != expected_class.__name__
        ):
            wrong.append(case)
    assert wrong == [], "cases that did not end in their typed error:\n" + "\n".join(map(str, wrong))
    # Nothing secret in any message: the tokens the cases started from.
    for case in cases:
        assert "hostile-refresh-token" not in case["message"] and "hostile-access-token" not in case["message"]


def test_peak_rss_growth_over_every_case_stays_under_32_mib(outcomes: Dict[str, Any]) -> None:
    grown_mib = outcomes["rss_growth_kib"] / 1024
    print(f"peak RSS grew by {grown_mib:.1f} MiB over every case, sync and async")
    assert grown_mib < 32
