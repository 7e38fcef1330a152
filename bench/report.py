"""Collects the rows the Rust, Python and Node benchmarks wrote, prints one table and writes
bench/RESULTS.md with the machine, the versions and the date. Run by bench/run:

    python report.py --results DIR --markdown RESULTS.md --versions versions.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
from typing import Any

ORDER = ["rust.json", "python.json", "node.json"]
#: Peak RSS growth below this (MiB) means the body was streamed; no ratio is shown.
FLAT_MIB = 4.0


def sig(x: float | None, digits: int = 3) -> str:
    if x is None or x != x:  # None or NaN
        return "—"
    if x == 0:
        return "0"
    if abs(x) >= 10 ** digits:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def tokens(span: list[int] | None) -> str:
    if not span:
        return ""
    lo, hi = span
    return f"{lo}" if lo == hi else f"{lo}–{hi}"


def cells(r: dict[str, Any]) -> tuple[str, str, str]:
    unit = r["unit"]
    if "ours_token_requests" in r:
        calls = r.get("calls", 1000)

        def side(ms: float, span: list[int], errors: int) -> str:
            return (f"{sig(ms)} ms; token requests: {tokens(span)}; "
                    f"failed calls: {errors}/{calls * r['n']}")

        ours = side(r["ours"], r["ours_token_requests"], r["ours_errors"])
        theirs = side(r["theirs"], r["theirs_token_requests"], r["theirs_errors"])
        return ours, theirs, sig(r["ratio"], 3)
    arrow = " ↑" if r.get("higher_is_better") else ""
    # Three digits: the goals are written as 1.05 and 0.9 (issue 15).
    ratio = sig(r["ratio"], 3)
    if unit == "MiB" and max(r["ours"], r["theirs"]) < FLAT_MIB:
        ratio = "n/a (both flat)"  # a ratio of two near-zero peaks is noise
    return f"{sig(r['ours'])} {unit}{arrow}", f"{sig(r['theirs'])} {unit}{arrow}", ratio


def find(rows: list[dict[str, Any]], lang: str, bench: str, theirs: str = "") -> dict[str, Any] | None:
    """The first row of `lang` whose benchmark starts with `bench` and whose "theirs" names
    `theirs`."""
    for r in rows:
        if r["lang"] == lang and r["bench"].startswith(bench) and theirs in r["theirs_name"]:
            return r
    return None


def history_line(rows: list[dict[str, Any]], versions: dict[str, Any], now: str) -> str:
    """One line for the History section: the headline ratios of this run."""

    def ratio(lang: str, bench: str, theirs: str = "") -> str:
        r = find(rows, lang, bench, theirs)
        return sig(r["ratio"], 3) if r else "—"

    def value(lang: str, bench: str, unit: str) -> str:
        r = find(rows, lang, bench)
        return f"{sig(r['ours'])} {unit}" if r else "—"

    parts = [
        f"Rust zones seq/64 vs reqwest {ratio('Rust', 'intensity_zones, seq', 'reqwest')}"
        f"/{ratio('Rust', 'intensity_zones, 64', 'reqwest')}",
        f"vs floor {ratio('Rust', 'intensity_zones, seq', 'floor')}"
        f"/{ratio('Rust', 'intensity_zones, 64', 'floor')}",
        f"Rust upload {ratio('Rust', 'upload 100 MB FIT from a path: throughput')}↑",
        f"sessions {value('Rust', '10000 idle sessions', 'KiB')}/session, spread "
        f"{ratio('Rust', 'intensity_zones, 64 concurrent, spread')}",
        f"Py upload {ratio('Python', 'upload 100 MB FIT from a path: throughput')}↑",
        f"import enduco {value('Python', 'import enduco', 'ms')}",
        f"Node zones seq/64 vs undici {ratio('Node', 'intensityZones(), seq', 'undici.request')}"
        f"/{ratio('Node', 'intensityZones(), 64', 'undici.request')}",
        f"require {value('Node', 'require', 'ms')}",
    ]
    mode = "" if versions.get("mode", "full") == "full" else f" ({versions['mode']})"
    return f"- {now}{mode} · {versions.get('commit', '?')} · " + " · ".join(parts)


def previous_history(path: str) -> list[str]:
    """The History lines of the RESULTS.md about to be rewritten (newest last)."""
    if not os.path.exists(path):
        return []
    lines: list[str] = []
    inside = False
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("## "):
                inside = line.strip() == "## History"
            elif inside and line.startswith("- "):
                lines.append(line)
    return lines


def load_rows(results: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name in ORDER:
        path = os.path.join(results, name)
        with open(path) as f:
            rows.extend(json.load(f))
    return rows


def machine() -> dict[str, str]:
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    cores = os.cpu_count() or 0
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return {
        "cpu": model,
        "cores": str(cores),
        "ram": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
    }


def table(rows: list[dict[str, Any]]) -> list[list[str]]:
    out = [["Lang", "Benchmark", "Ours (enduco)", "Theirs", "Theirs is", "Ours/Theirs"]]
    for r in rows:
        ours, theirs, ratio = cells(r)
        out.append([r["lang"], r["bench"], ours, theirs, r["theirs_name"], ratio])
    return out


def markdown(t: list[list[str]]) -> str:
    lines = ["| " + " | ".join(t[0]) + " |", "|" + "|".join("---" for _ in t[0]) + "|"]
    for r in t[1:]:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    return "\n".join(lines)


def plain(t: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in t) for i in range(len(t[0]))]
    fmt = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([fmt(t[0]), "  ".join("-" * w for w in widths)] + [fmt(r) for r in t[1:]])


def storm_section(results: str) -> list[str]:
    """The server-store refresh storms (`stress storm`): no "theirs" side, so a table of
    their own."""
    storms = []
    for store in ("postgres", "redis"):
        path = os.path.join(results, f"storm-{store}.json")
        if os.path.exists(path):
            with open(path) as f:
                storms.append(json.load(f))
    if not storms:
        return []
    t = [["Store", "Processes × users", "Token requests", "Failed calls", "Users/s ↑",
          "Lock wait + release p50", "p99"]]
    for s in storms:
        t.append([s["store"], f"{s['processes']} × {s['users']}", str(s["tokenRequests"]),
                  str(s["calls"] - s["ok"]), sig(s["usersPerSecond"]),
                  f"{sig(s['lockP50Ms'])} ms", f"{sig(s['lockP99Ms'])} ms"])
    print(plain(t))
    print()
    return [
        "Refresh storm through the server stores (`stress storm`, release build): every user's",
        "access token has expired and every process calls every user once, at the same time.",
        "One token request per user is the rule being held; the lock columns are what taking",
        "and releasing the refresh lock added to each call that refreshed or waited.",
        "",
        markdown(t),
        "",
    ]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--results", required=True)
    p.add_argument("--markdown", required=True)
    p.add_argument("--versions", required=True)
    args = p.parse_args()
    rows = load_rows(args.results)
    with open(args.versions) as f:
        versions = json.load(f)
    t = table(rows)
    print()
    print(plain(t))
    print()

    m = machine()
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    doc = [
        "# Benchmark results",
        "",
        "Written by `bench/run` (do not edit by hand; see `README.md` in this folder for what",
        "each row measures and how to read it). Medians; the ratio is ours/theirs of the",
        "row's unit, so below 1 means enduco is faster or smaller — except rows marked ↑",
        "(throughput), where above 1 means enduco is faster.",
        "",
        f"- Date: {now}",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM, Linux {m['kernel']}",
        f"- Load average before / after the run: {versions.get('load_before', '?')} / "
        f"{versions.get('load_after', '?')} (the machine is shared; both sides of every row "
        "are measured alternately, so load drift hits both)",
        f"- Run: {versions.get('mode', 'full')}, everything under `nice -n 10`; one "
        "`enduco-sandbox` (release) on loopback for all rows",
        "",
        "Versions:",
        "",
    ]
    for key, value in versions.get("tools", {}).items():
        doc.append(f"- {key}: {value}")
    doc += ["", markdown(t), ""]
    doc += storm_section(args.results)
    notes = list(versions.get("notes", []))
    for r in rows:
        if r.get("floor"):
            notes.append(
                f"{r['lang']} {r['bench']}: reqwest itself is {sig(r['reqwest_over_floor'], 3)}× "
                "the floor (bare hyper on hyper-util's pool, same typed parse) in the same "
                "alternation."
            )
        if "token_json_bytes" in r:
            notes.append(
                f"{r['lang']} sessions: {r['sessions']:,} real grants (one per user through the "
                f"sandbox's auto-approve with `login_hint`, minted through the SDK in "
                f"{sig(r['mint_seconds'])} s); a token set is {sig(r['token_json_bytes'])} bytes "
                "of JSON, and an idle session that has served once holds it twice (its "
                "MemoryTokenStore and its loaded state)."
            )
    for r in rows:
        if "preflight_ms" in r:
            ms = r["preflight_ms"]
            notes.append(
                f"{r['lang']}: the SDK's FIT pre-flight alone (`enduco::fit::check_file` over the "
                f"same 100 MiB file, page-cached) took {sig(ms)} ms, i.e. "
                f"{sig(100 * 1024 * 1024 / 1e6 / (ms / 1e3))} MB/s; the upload rows include it."
            )
    if notes:
        doc += ["Notes:", ""] + [f"- {n}" for n in notes] + [""]
    history = previous_history(args.markdown) + [history_line(rows, versions, now)]
    doc += [
        "## History",
        "",
        "One line per `bench/run` (appended by it; oldest first): date, commit, headline ratios",
        "(ours/theirs; ↑ = throughput, above 1 is faster).",
        "",
    ] + history + [""]
    with open(args.markdown, "w") as f:
        f.write("\n".join(doc))
    print(f"wrote {args.markdown}")


if __name__ == "__main__":
    main()
