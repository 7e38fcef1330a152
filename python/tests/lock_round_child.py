"""A child process of `test_refresh_lock.py`: one session per user on the example backend's
SQLite store (with its refresh lock), driven in rounds over stdin (`support.serve_rounds`).

    python tests/lock_round_child.py SANDBOX_URL DB_PATH CALLERS USER [USER ...]

It prints `ready`, then for every line `go` on stdin runs CALLERS threads that each call
`intensity_zones()` for every user, and prints one JSON line `{"ok": N, "errors": {code: N}}`.
It exits at the end of stdin.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List

import enduco
from support import serve_rounds

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from backend import Database, SqliteTokenStore  # noqa: E402


def main(argv: List[str]) -> int:
    url, db_path, callers, users = argv[0], argv[1], int(argv[2]), argv[3:]
    client = enduco.EnducoClient(
        "sandbox-client", "sandbox-secret", "https://app.example/callback", environment=url
    )
    db = Database(db_path)
    serve_rounds([client.session(SqliteTokenStore(db, user)) for user in users], callers)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
