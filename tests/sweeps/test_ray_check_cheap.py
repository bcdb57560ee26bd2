"""``sweep --executor ray`` on the embedded cluster (no address) checks that Ray is installed without
importing it: the import took 1-2 s of every ``sweep --detach``, whose driver imports Ray again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_detached_sweeps_ray_check_imports_no_ray(tmp_path: Path) -> None:
    """In a child process (this one may have imported Ray for other tests): the command goes past the
    check to the data's (torch loaded, an upload missing) with no Ray module imported."""
    argv = ["--workspace", str(tmp_path / "ws"), "sweep", "--source", "upload:nosuch", "--target", "digits"]
    argv += ["--methods", "im", "--executor", "ray", "--detach"]
    code = f"""import sys
from tlcore.cli import main
status = main({argv!r})
print(status, "torch" in sys.modules, sorted(m for m in sys.modules if m == "ray" or m.startswith("ray.")))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.stdout.splitlines() == ["2 True []"], done.stderr
    assert done.stderr.startswith("error: no upload named 'nosuch'"), done.stderr
