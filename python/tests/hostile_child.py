"""A child process of `test_hostile.py`: drives every case of `enduco-hostile` through the sync
and the async client in a fresh interpreter, so its peak RSS measures the SDK and nothing the
test session did before.

    python tests/hostile_child.py HOSTILE_URL

For each case (listed by `GET HOSTILE_URL/cases`) and client kind it prints one JSON line
`{"case", "client", "expect", "outcome", "class", "message"}` where `outcome` is the error code of an
`EnducoError`, `"ok"` when the call succeeded, `"hang"` when it did not end in 60 s, or
`"python:<ExceptionType>"` for anything else (a `PanicException` included). The last line is
`{"rss_growth_kib": N}`: the growth of the peak RSS (`ru_maxrss`) over all cases, measured
after one warm-up call with each client.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import threading
import urllib.request
from typing import Any, Dict, List, Optional

import enduco

CALL_BOUND = 60.0  # far above the 5 s retry deadline: only a hang reaches it


def client_options(url: str) -> Dict[str, Any]:
    return {
        "environment": url,
        "request_timeout_seconds": 2.0,
        "retry_deadline_seconds": 5.0,
    }


def describe(error: Optional[BaseException]) -> Dict[str, str]:
    if error is None:
        return {"outcome": "ok", "class": "", "message": ""}
    outcome = error.code if isinstance(error, enduco.EnducoError) else f"python:{type(error).__name__}"
    return {"outcome": outcome, "class": type(error).__name__, "message": str(error)[:300]}


def run_sync(url: str, tokens: enduco.TokenSet) -> Dict[str, Any]:
    """One call on the blocking client, in a thread so a hang cannot stop the child."""
    outcome: Dict[str, Any] = {}

    def call() -> None:
        client = enduco.EnducoClient(
            "hostile-client", "hostile-secret", "https://app.example/callback", **client_options(url)
        )
        try:
            client.session(enduco.MemoryTokenStore(tokens)).intensity_zones()
            outcome["error"] = None
        except BaseException as e:  # noqa: BLE001 - a PanicException is not an Exception
            outcome["error"] = e

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(CALL_BOUND)
    if thread.is_alive():
        return {"outcome": "hang", "class": "", "message": ""}
    return describe(outcome["error"])


async def run_async(url: str, tokens: enduco.TokenSet) -> Dict[str, Any]:
    client = enduco.AsyncEnducoClient(
        "hostile-client", "hostile-secret", "https://app.example/callback", **client_options(url)
    )
    error: Optional[BaseException] = None
    try:
        await asyncio.wait_for(
            client.session(enduco.MemoryTokenStore(tokens)).intensity_zones(), CALL_BOUND
        )
    except BaseException as e:  # noqa: BLE001 - a PanicException is not an Exception
        error = e
    # wait_for's own TimeoutError (the builtin, which EnducoTimeoutError also is) means a hang.
    if isinstance(error, TimeoutError) and not isinstance(error, enduco.EnducoError):
        return {"outcome": "hang", "class": "", "message": ""}
    return describe(error)


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def main(argv: List[str]) -> int:
    base = argv[0]
    with urllib.request.urlopen(f"{base}/cases", timeout=30) as response:
        listing = json.loads(response.read())
    fresh = enduco.TokenSet.from_json(listing["tokens"])
    expired = enduco.TokenSet.from_json(listing["expiredTokens"])

    # Warm up both clients first (runtime threads, the first connection, the event loop): the
    # bound is on what the hostile answers cost, not on the SDK's fixed start-up.
    warm = f"{base}/empty-token-answer"
    assert run_sync(warm, fresh)["outcome"] == "ok"
    assert asyncio.run(run_async(warm, fresh))["outcome"] == "ok"
    before = peak_rss_kib()

    async def run_all_async(cases: List[Dict[str, str]]) -> List[Dict[str, Any]]:
        results = []
        for case in cases:
            tokens = expired if case["endpoint"] == "token" else fresh
            results.append(await run_async(f"{base}/{case['name']}", tokens))
        return results

    cases: List[Dict[str, str]] = listing["cases"]
    for case in cases:
        tokens = expired if case["endpoint"] == "token" else fresh
        result = run_sync(f"{base}/{case['name']}", tokens)
        print(json.dumps({"case": case["name"], "client": "sync", "expect": case["expect"], **result}), flush=True)
    for case, result in zip(cases, asyncio.run(run_all_async(cases))):
        print(json.dumps({"case": case["name"], "client": "async", "expect": case["expect"], **result}), flush=True)
    print(json.dumps({"rss_growth_kib": peak_rss_kib() - before}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
