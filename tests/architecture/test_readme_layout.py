"""The README's layout section names every room of the engine and of the app, and nothing that is gone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAME_COLUMN = 24  # the layout's first column: the file or folder an entry describes


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


def layout_entries() -> dict[str, str]:
    """Each entry of the layout by the name in its first column (``data/``, ``app_support/``): its text,
    continuation lines (blank first column) included."""
    entries: dict[str, str] = {}
    name = ""
    for line in layout_block().splitlines():
        head, text = line[:NAME_COLUMN], line[NAME_COLUMN:]
        if head.strip():
            name = head.strip()
            entries[name] = text
        elif name:
            entries[name] += f" {text}"
    return entries


def test_every_module_of_a_package_is_named_in_its_entry() -> None:
    entries = layout_entries()
    packages = [p.parent for p in (ROOT / "tlcore").rglob("__init__.py") if p.parent != ROOT / "tlcore"]
    packages += [ROOT / "app_support", ROOT / "app_pages"]
    missing = []
    for package in packages:
        relative = package.relative_to(ROOT)
        entry = f"{relative.parts[1 if relative.parts[0] == 'tlcore' else 0]}/"
        text = entries.get(entry, "")
        missing += [
            str(module.relative_to(ROOT))
            for module in sorted(package.glob("*.py"))
            if not module.name.startswith("__") and not re.search(rf"\b{module.stem}\b", text)
        ]
    assert not missing, f"name these modules in their package's entry of the README's layout: {missing}"
