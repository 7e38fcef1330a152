"""A child process of `test_server_stores.py`: one session per user on the SDK's PostgreSQL or
Redis store (one `PostgresTokenStores`/`RedisTokenStores` per process, `for_user` per user),
driven in rounds over stdin (`support.serve_rounds`).

    python tests/server_store_child.py SANDBOX_URL CALLERS SPECS_JSON

SPECS_JSON is a list of `{"kind": "postgres"|"redis", "url": URL, "user": KEY}`. The child
prints `ready`, then for every line `go` on stdin runs CALLERS threads that each call
`intensity_zones()` for every user, and prints one JSON line `{"ok": N, "errors": {code: N}}`.
It exits at the end of stdin.
"""

from __future__ import annotations

import json
import sys
from typing import Dict, List, Union

import enduco
from support import serve_rounds

Stores = Union[enduco.PostgresTokenStores, enduco.RedisTokenStores]


def main(argv: List[str]) -> int:
    url, callers, specs = argv[0], int(argv[1]), json.loads(argv[2])
    client = enduco.EnducoClient(
        "sandbox-client", "sandbox-secret", "https://app.example/callback", environment=url
    )
    pools: Dict[str, Stores] = {}
    sessions = []
    for spec in specs:
        if spec["kind"] not in pools:
            pools[spec["kind"]] = (
                enduco.PostgresTokenStores(spec["url"])
                if spec["kind"] == "postgres"
                else enduco.RedisTokenStores(spec["url"])
            )
        sessions.append(client.session(pools[spec["kind"]].for_user(spec["user"])))
    serve_rounds(sessions, callers)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
