"""The README's layout section names every room of the engine and of the app, and nothing that is gone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def layout_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return section.split("```", 2)[1]


def test_every_engine_package_and_module_is_in_the_layout() -> None:
    block = layout_block()
    rooms = [p.name + "/" for p in (ROOT / "tlcore").iterdir() if (p / "__init__.py").is_file()]
    rooms += [p.name for p in (ROOT / "tlcore").glob("*.py") if not p.name.startswith("__")]
    rooms += ["app.py", "app_pages/", "app_support/", "bench/", "scripts/", "tests/"]
    missing = [room for room in rooms if not re.search(rf"(^|[\s,]){re.escape(room)}", block, re.M)]
    assert not missing, f"add to the README's layout: {missing}"


def test_every_file_the_layout_names_exists() -> None:
    named = re.findall(r"^\s*([\w.]+(?:/|\.py))", layout_block(), re.M)
    named += re.findall(r",\s*([\w]+\.py)\b", layout_block())
    assert named
    folders = [ROOT, *(ROOT / f for f in ("tlcore", "app_support", "scripts", "bench", "tests"))]
    for name in named:
        found = [f for f in folders if (f / name.rstrip("/")).exists() or any(f.rglob(name.rstrip("/")))]
        assert found, f"the README's layout names {name}, which is gone"
