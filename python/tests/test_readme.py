"""The two-minute start of python/README.md, run as a user would: the block copied into a fresh
folder and run by a fresh interpreter, with only the package and the `enduco` command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
REPO = README.parents[1]


def quickstart() -> str:
    text = README.read_text()
    marker = text.index("<!-- quickstart:")
    match = re.compile(r"```python\n(.*?)```", re.S).search(text, marker)
    assert match, "the quick start block follows its marker"
    return match.group(1)


def test_the_quick_start_runs_in_a_fresh_folder(tmp_path: Path) -> None:
    script = tmp_path / "quickstart.py"
    script.write_text(quickstart())
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        # From a source checkout the CLI is the debug build (`pip install enduco` puts it on PATH).
        "ENDUCO_CLI": str(target / "debug" / "enduco"),
    }
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FTP ") and lines[0] != "FTP None", lines
    assert len(lines) == 4, lines  # FTP and three days of plans
    assert all(re.match(r"\d{4}-\d{2}-\d{2} \w+ ", line) for line in lines[1:]), lines
