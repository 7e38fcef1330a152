"""Python rows of the enduco benchmarks (run by bench/run; see bench/README.md).

Every comparison talks to the one sandbox process bench/run started, and the sides are
measured alternately in the same run (ours, theirs, ours, theirs, ...) so drift on this
shared machine hits all of them. Writes JSON rows to --out; bench/report.py makes the table.

    python bench.py --base URL --sandbox-bin PATH --work DIR --out FILE [--quick] [--only a,b]
    python bench.py upload-child ...        (one upload in a fresh process; used internally)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable
from urllib.parse import parse_qs, urlparse

CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"
REDIRECT_URI = "https://app.example/callback"
SCOPES = ["user_read", "plans_read", "workouts_write"]
STORM = 1000



def quiet_authlib_import() -> None:
    """Authlib 1.9.10's httpx integration prefers a package named httpx2 and, falling back to
    httpx, emits a deprecation warning under an "always" filter of its own (so an "ignore"
    filter does not help). httpx is what this benchmark compares with: import the integration
    once recording warnings instead of printing them; later imports hit the module cache."""
    with warnings.catch_warnings(record=True):
        import authlib.integrations.httpx_client  # noqa: F401
UPLOAD_SIZE = 100 * 1024 * 1024


def log(*args: Any) -> None:
    print(*args, file=sys.stderr, flush=True)


# --- the sandbox -------------------------------------------------------------------------------


class Sandbox:
    """The sandbox's control API, through a plain `requests` session (not timed)."""

    def __init__(self, base: str) -> None:
        import requests

        self.base = base.rstrip("/")
        self.http = requests.Session()

    def url(self, path: str) -> str:
        return self.base + path

    def expire_access_tokens(self) -> None:
        self.http.post(self.url("/_sandbox/expire-access-tokens")).raise_for_status()

    def clear_requests(self) -> None:
        self.http.delete(self.url("/_sandbox/requests")).raise_for_status()

    def token_requests(self) -> int:
        log_ = self.http.get(self.url("/_sandbox/requests")).json()
        return sum(1 for r in log_ if r["path"] == "/oauth2/token" and r["method"] == "POST")

    def approve(self, authorization_url: str) -> str:
        """Auto-approve: the authorization URL answers 302 to the callback with code+state."""
        response = self.http.get(authorization_url, allow_redirects=False)
        if response.status_code != 302:
            raise RuntimeError(f"authorize: expected a redirect, got {response.status_code}")
        return response.headers["Location"]


def sdk_client(sandbox: Sandbox, asynchronous: bool = False) -> Any:
    import enduco

    cls = enduco.AsyncEnducoClient if asynchronous else enduco.EnducoClient
    return cls(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, environment=sandbox.base)


def sdk_tokens(sandbox: Sandbox) -> Any:
    """A grant obtained the way an app does it with the SDK (sync client)."""
    client = sdk_client(sandbox)
    request = client.authorization_request(SCOPES)
    return client.complete_authorization(request, sandbox.approve(request.url))


def expired(tokens: Any) -> Any:
    """The same tokens with expires_at in the past, through their JSON storage form."""
    import enduco

    stored = json.loads(tokens.to_json())
    stored["expires_at"] = int(time.time()) - 3600
    return enduco.TokenSet.from_json(json.dumps(stored))


def authlib_token(sandbox: Sandbox) -> dict[str, Any]:
    """A grant obtained with Authlib's requests OAuth2Session, as its users do."""
    from authlib.integrations.requests_client import OAuth2Session

    with OAuth2Session(
        CLIENT_ID, CLIENT_SECRET, scope=" ".join(SCOPES), redirect_uri=REDIRECT_URI
    ) as oauth:
        url, _state = oauth.create_authorization_url(sandbox.url("/oauth2/authorize"))
        callback = sandbox.approve(url)
        token = oauth.fetch_token(sandbox.url("/oauth2/token"), authorization_response=callback)
    return dict(token)


def authlib_kwargs(sandbox: Sandbox, token: dict[str, Any]) -> dict[str, Any]:
    """Authlib configured to refresh by itself (token_endpoint set), as its docs show."""
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "token": token,
        "token_endpoint": sandbox.url("/oauth2/token"),
        "scope": " ".join(SCOPES),
    }


# --- measuring ---------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


ROWS: list[dict[str, Any]] = []


def row(bench: str, unit: str, ours: float, theirs_name: str, theirs: float, **extra: Any) -> None:
    r = {
        "lang": "Python",
        "bench": bench,
        "unit": unit,
        "ours": ours,
        "theirs_name": theirs_name,
        "theirs": theirs,
        "ratio": ours / theirs if theirs else None,
        **extra,
    }
    log("  ", json.dumps(r))
    ROWS.append(r)


def alternate_sequential(
    sides: list[Callable[[], Any]], n: int, warmup: int, sandbox: Sandbox
) -> list[list[float]]:
    """Calls each side once per turn, round-robin, timing every call (µs)."""
    for _ in range(warmup):
        for side in sides:
            side()
    times: list[list[float]] = [[] for _ in sides]
    clock = time.perf_counter_ns
    for i in range(n):
        if i % 500 == 0:
            sandbox.clear_requests()  # keep the sandbox's log small
        for k, side in enumerate(sides):
            t = clock()
            side()
            times[k].append((clock() - t) / 1e3)
    return times


async def alternate_sequential_async(
    sides: list[Callable[[], Any]], n: int, warmup: int, sandbox: Sandbox
) -> list[list[float]]:
    for _ in range(warmup):
        for side in sides:
            await side()
    times: list[list[float]] = [[] for _ in sides]
    clock = time.perf_counter_ns
    for i in range(n):
        if i % 500 == 0:
            sandbox.clear_requests()
        for k, side in enumerate(sides):
            t = clock()
            await side()
            times[k].append((clock() - t) / 1e3)
    return times


# --- sync --------------------------------------------------------------------------------------


def bench_sync(args: argparse.Namespace, sandbox: Sandbox) -> None:
    import enduco
    from authlib.integrations.httpx_client import OAuth2Client
    from authlib.integrations.requests_client import OAuth2Session

    session = sdk_client(sandbox).connect(enduco.MemoryTokenStore(), sdk_tokens(sandbox))
    requests_oauth = OAuth2Session(**authlib_kwargs(sandbox, authlib_token(sandbox)))
    httpx_oauth = OAuth2Client(**authlib_kwargs(sandbox, authlib_token(sandbox)))
    zones_url = sandbox.url("/api/v1/zones")

    def ours() -> Any:
        return session.intensity_zones()

    def via_requests() -> Any:
        r = requests_oauth.get(zones_url)
        r.raise_for_status()
        return r.json()

    def via_httpx() -> Any:
        r = httpx_oauth.get(zones_url)
        r.raise_for_status()
        return r.json()

    n, warmup = (300, 50) if args.quick else (2000, 200)
    t_ours, t_requests, t_httpx = alternate_sequential(
        [ours, via_requests, via_httpx], n, warmup, sandbox
    )
    m_ours = median(t_ours)
    row("sync intensity_zones, sequential", "µs/call", m_ours,
        "Authlib OAuth2Session (requests)", median(t_requests), n=n)
    row("sync intensity_zones, sequential", "µs/call", m_ours,
        "Authlib OAuth2Client (httpx)", median(t_httpx), n=n)

    # 64 threads: a round is 64 calls handed to a 64-thread pool, timed until all return.
    # requests.Session is not documented as thread-safe, so only httpx's client is compared.
    rounds = 15 if args.quick else 80
    pool = ThreadPoolExecutor(max_workers=64)
    list(pool.map(lambda _: None, range(64)))  # start the threads
    r_ours: list[float] = []
    r_httpx: list[float] = []
    for i in range(rounds + 3):
        sandbox.clear_requests()
        for side, out in ((ours, r_ours), (via_httpx, r_httpx)):
            t = time.perf_counter()
            list(pool.map(lambda _: side(), range(64)))
            if i >= 3:
                out.append((time.perf_counter() - t) * 1e3)
    pool.shutdown()
    row("sync intensity_zones, 64 threads", "ms/64 calls", median(r_ours),
        "Authlib OAuth2Client (httpx)", median(r_httpx), n=rounds)
    httpx_oauth.close()
    requests_oauth.close()


# --- async -------------------------------------------------------------------------------------


async def bench_async(args: argparse.Namespace, sandbox: Sandbox) -> None:
    import enduco
    from authlib.integrations.httpx_client import AsyncOAuth2Client

    session = await sdk_client(sandbox, asynchronous=True).connect(
        enduco.MemoryTokenStore(), sdk_tokens(sandbox)
    )
    oauth = AsyncOAuth2Client(**authlib_kwargs(sandbox, authlib_token(sandbox)))
    zones_url = sandbox.url("/api/v1/zones")

    async def ours() -> Any:
        return await session.intensity_zones()

    async def theirs() -> Any:
        r = await oauth.get(zones_url)
        r.raise_for_status()
        return r.json()

    n, warmup = (300, 50) if args.quick else (2000, 200)
    t_ours, t_theirs = await alternate_sequential_async([ours, theirs], n, warmup, sandbox)
    row("async intensity_zones, sequential", "µs/call", median(t_ours),
        "Authlib AsyncOAuth2Client (httpx)", median(t_theirs), n=n)

    rounds = 20 if args.quick else 120
    r_ours: list[float] = []
    r_theirs: list[float] = []
    for i in range(rounds + 5):
        sandbox.clear_requests()
        for side, out in ((ours, r_ours), (theirs, r_theirs)):
            t = time.perf_counter()
            await asyncio.gather(*(side() for _ in range(64)))
            if i >= 5:
                out.append((time.perf_counter() - t) * 1e3)
    row("async intensity_zones, 64 concurrent", "ms/64 calls", median(r_ours),
        "Authlib AsyncOAuth2Client (httpx)", median(r_theirs), n=rounds)
    await oauth.aclose()


# --- refresh storm -----------------------------------------------------------------------------


async def storm(sandbox: Sandbox, call: Callable[[], Any]) -> tuple[float, int, int]:
    sandbox.clear_requests()
    t = time.perf_counter()
    results = await asyncio.gather(*(call() for _ in range(STORM)), return_exceptions=True)
    elapsed = (time.perf_counter() - t) * 1e3
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        log(f"    storm: {len(errors)} errors, e.g. {errors[0]!r}")
    return elapsed, sandbox.token_requests(), len(errors)


async def bench_storm(args: argparse.Namespace, sandbox: Sandbox) -> None:
    import enduco
    from authlib.integrations.httpx_client import AsyncOAuth2Client

    reps = 2 if args.quick else 5
    ours: list[tuple[float, int, int]] = []
    theirs: list[tuple[float, int, int]] = []
    zones_url = sandbox.url("/api/v1/zones")
    for rep in range(reps):
        # Fresh clients and grants; expiry in the past in the stored form and at the sandbox.
        session = sdk_client(sandbox, asynchronous=True).session(
            enduco.MemoryTokenStore(expired(sdk_tokens(sandbox)))
        )
        token = authlib_token(sandbox)
        token["expires_at"] = int(time.time()) - 3600
        oauth = AsyncOAuth2Client(**authlib_kwargs(sandbox, token))
        sandbox.expire_access_tokens()

        async def call_ours() -> Any:
            return await session.intensity_zones()

        async def call_theirs() -> Any:
            r = await oauth.get(zones_url)
            r.raise_for_status()
            return r.json()

        if rep % 2 == 0:
            ours.append(await storm(sandbox, call_ours))
            theirs.append(await storm(sandbox, call_theirs))
        else:
            theirs.append(await storm(sandbox, call_theirs))
            ours.append(await storm(sandbox, call_ours))
        await oauth.aclose()
    row(
        "refresh storm: 1,000 concurrent calls, expired token (asyncio)",
        "ms until all done",
        median([o[0] for o in ours]),
        "Authlib AsyncOAuth2Client (httpx, default limits)",
        median([t[0] for t in theirs]),
        n=reps,
        calls=STORM,
        ours_token_requests=[min(o[1] for o in ours), max(o[1] for o in ours)],
        theirs_token_requests=[min(t[1] for t in theirs), max(t[1] for t in theirs)],
        ours_errors=sum(o[2] for o in ours),
        theirs_errors=sum(t[2] for t in theirs),
    )


# --- import time -------------------------------------------------------------------------------


def import_seconds(module: str) -> float:
    code = (
        "import time; t = time.perf_counter(); import " + module
        + "; print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


def bench_import(args: argparse.Namespace) -> None:
    runs = 5 if args.quick else 21
    theirs_module = "authlib.integrations.httpx_client"
    import_seconds("enduco")  # page cache warm for both
    import_seconds(theirs_module)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(runs):
        ours.append(import_seconds("enduco") * 1e3)
        theirs.append(import_seconds(theirs_module) * 1e3)
    row("import enduco (fresh interpreter)", "ms", median(ours),
        "import authlib.integrations.httpx_client", median(theirs), n=runs)


# --- upload ------------------------------------------------------------------------------------


def generate_fit(args: argparse.Namespace, path: str, seed: int) -> None:
    subprocess.run(
        [args.sandbox_bin, "fit", "--out", path, "--size", str(UPLOAD_SIZE), "--seed", str(seed)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def bench_upload(args: argparse.Namespace, sandbox: Sandbox) -> None:
    sdk_json = sdk_tokens(sandbox).to_json()
    access = authlib_token(sandbox)["access_token"]
    path = os.path.join(args.work, "python-upload.fit")
    reps = 1 if args.quick else 3
    seed = 0x9000_0000 + (int(time.time()) % 100_000) * 100
    results: dict[str, list[dict[str, float]]] = {"ours": [], "httpx": []}
    for rep in range(reps):
        for impl in ("ours", "httpx"):
            seed += 1  # a new file per upload, so the sandbox never answers 409
            generate_fit(args, path, seed)
            env = dict(os.environ, BENCH_SDK_TOKENS=sdk_json, BENCH_ACCESS_TOKEN=access)
            out = subprocess.run(
                [sys.executable, __file__, "upload-child", "--impl", impl, "--base", sandbox.base,
                 "--file", path],
                check=True, capture_output=True, text=True, env=env,
            )
            results[impl].append(json.loads(out.stdout))
    os.unlink(path)
    mbps = {k: [UPLOAD_SIZE / 1e6 / r["seconds"] for r in v] for k, v in results.items()}
    rss = {k: [r["rss_growth_kib"] / 1024 for r in v] for k, v in results.items()}
    name = "httpx streaming multipart (file object in files=)"
    row("upload 100 MB FIT from a path: throughput", "MB/s", median(mbps["ours"]), name,
        median(mbps["httpx"]), n=reps, higher_is_better=True)
    row("upload 100 MB FIT from a path: peak RSS growth", "MiB", median(rss["ours"]), name,
        median(rss["httpx"]), n=reps, max_ours=max(rss["ours"]), max_theirs=max(rss["httpx"]))


def proc_status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak_rss() -> int:
    """Resets VmHWM to the current RSS (Linux clear_refs) and returns the RSS in KiB."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return proc_status_kib("VmRSS")


def upload_child(args: argparse.Namespace) -> None:
    """One upload in this fresh process: everything imported, the client built and the
    connection warmed by one zones call before the peak RSS is reset."""
    base = args.base.rstrip("/")
    if args.impl == "ours":
        import enduco

        client = enduco.EnducoClient(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, environment=base)
        session = client.session(
            enduco.MemoryTokenStore(enduco.TokenSet.from_json(os.environ["BENCH_SDK_TOKENS"]))
        )
        session.intensity_zones()
        before = reset_peak_rss()
        t = time.perf_counter()
        result = session.upload_workout(args.file)
        seconds = time.perf_counter() - t
        if result.duplicate:
            raise RuntimeError("the sandbox saw the file as a duplicate")
    else:
        import httpx

        headers = {"Authorization": "Bearer " + os.environ["BENCH_ACCESS_TOKEN"]}
        with httpx.Client(timeout=600) as client:
            client.get(base + "/api/v1/zones", headers=headers).raise_for_status()
            before = reset_peak_rss()
            t = time.perf_counter()
            with open(args.file, "rb") as f:
                # httpx reads a file object in 64 KiB chunks and sends Content-Length from its
                # size: a streamed body, like the SDK's.
                response = client.post(
                    base + "/api/v1/workouts",
                    headers=headers,
                    files={"file": ("ride.fit", f, "application/vnd.ant.fit")},
                )
            seconds = time.perf_counter() - t
            if response.status_code != 201:
                raise RuntimeError(f"httpx upload: {response.status_code} {response.text}")
    peak = proc_status_kib("VmHWM")
    print(json.dumps({"seconds": seconds, "rss_growth_kib": max(0, peak - before)}))


# --- main --------------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "upload-child":
        p = argparse.ArgumentParser()
        p.add_argument("--impl", choices=["ours", "httpx"], required=True)
        p.add_argument("--base", required=True)
        p.add_argument("--file", required=True)
        upload_child(p.parse_args(sys.argv[2:]))
        return
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--sandbox-bin", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", default="sync,async,storm,import,upload")
    args = p.parse_args()
    quiet_authlib_import()
    only = set(args.only.split(","))
    os.makedirs(args.work, exist_ok=True)
    sandbox = Sandbox(args.base)
    if "sync" in only:
        log("python: sync")
        bench_sync(args, sandbox)
    if "async" in only:
        log("python: async")
        asyncio.run(bench_async(args, sandbox))
    if "storm" in only:
        log("python: refresh storm")
        asyncio.run(bench_storm(args, sandbox))
    if "import" in only:
        log("python: import time")
        bench_import(args)
    if "upload" in only:
        log("python: upload")
        bench_upload(args, sandbox)
    sandbox.clear_requests()
    with open(args.out, "w") as f:
        json.dump(ROWS, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
