"""A child process of `test_refresh_lock.py`: one session per user on the example backend's
SQLite store (with its refresh lock), driven in rounds over stdin.

    python tests/lock_round_child.py SANDBOX_URL DB_PATH CALLERS USER [USER ...]

It prints `ready`, then for every line `go` on stdin runs CALLERS threads that each call
`intensity_zones()` for every user, and prints one JSON line `{"ok": N, "errors": {code: N}}`.
It exits at the end of stdin.
"""

from __future__ import annotations

import collections
import json
import sys
import threading
from pathlib import Path
from typing import Counter, List

import enduco

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from backend import Database, SqliteTokenStore  # noqa: E402


def main(argv: List[str]) -> int:
    url, db_path, callers, users = argv[0], argv[1], int(argv[2]), argv[3:]
    client = enduco.EnducoClient(
        "sandbox-client", "sandbox-secret", "https://app.example/callback", environment=url
    )
    db = Database(db_path)
    sessions = [client.session(SqliteTokenStore(db, user)) for user in users]
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            continue
        lock = threading.Lock()
        ok = 0
        errors: Counter[str] = collections.Counter()

        def caller() -> None:
            nonlocal ok
            for session in sessions:
                try:
                    session.intensity_zones()
                    with lock:
                        ok += 1
                except enduco.EnducoError as e:
                    with lock:
                        errors[e.code] += 1

        threads = [threading.Thread(target=caller) for _ in range(callers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(json.dumps({"ok": ok, "errors": dict(errors)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
