"""``python -m tlcore cache``: the size and entries of the workspace's diagnosis cache; prune or clear it.

``--prune`` removes what the next write would (entries of other code unused for a week, the least
recently used beyond the cap), ``--clear`` every entry. Without torch (:mod:`tlcore.cache_files`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tlcore.cache_files import (
    OTHER_CODE_KEEP_DAYS,
    Entry,
    cap_bytes,
    clear,
    code_version,
    computed_at,
    entries,
    prune,
)
from tlcore.cli.output import print_json, wrapped
from tlcore.limits import env_var, format_bytes
from tlcore.workspace import Workspace

CAP_VAR = env_var("max_diagnosis_cache_bytes")


def register(parser: argparse.ArgumentParser) -> None:
    """Add ``cache``'s arguments."""
    what = parser.add_mutually_exclusive_group()
    what.add_argument(
        "--prune",
        action="store_true",
        help=f"remove the entries of other code versions unused for {OTHER_CODE_KEEP_DAYS} days and the "
        f"least recently used beyond the cap (${CAP_VAR}), as every diagnosis written does",
    )
    what.add_argument("--clear", action="store_true", help="remove every entry (always safe: recomputed)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=cache_command)


def _counted(found: list[Entry]) -> dict[str, int]:
    return {"entries": len(found), "bytes": sum(e.size for e in found)}


def _said(counted: dict[str, int]) -> str:
    n = counted["entries"]
    return f"{n} {'entry' if n == 1 else 'entries'} ({format_bytes(counted['bytes'])})"


def cache_command(args: argparse.Namespace) -> int:
    folder: Path = Workspace.resolve(args.workspace).inside("cache", "diagnoses")
    version, cap = code_version(), cap_bytes()
    removed = clear(folder, version) if args.clear else prune(folder, version, cap) if args.prune else []
    kept = entries(folder, version)
    payload: dict[str, Any] = {
        "folder": str(folder),
        "cap_bytes": cap,
        "current": _counted([e for e in kept if e.current]),
        "other_code": _counted([e for e in kept if not e.current]),
    }
    if args.prune or args.clear:
        payload["removed"] = _counted(removed)
    if args.json:
        print_json(payload)
        return 0
    lines = [f"diagnosis cache {folder}", f"  at most {format_bytes(cap)} (${CAP_VAR})"]
    if args.prune or args.clear:
        lines.append(f"  removed {_said(payload['removed'])}")
    lines.append(f"  {_said(payload['current'])} of this code")
    if payload["other_code"]["entries"]:
        lines += wrapped(
            f"{_said(payload['other_code'])} of other code (another tlstudio version, or an edit): not "
            f"read by this one, removed once unused for {OTHER_CODE_KEEP_DAYS} days or beyond the cap",
            "  ",
        )
    if kept:
        lines.append(f"  last used {computed_at(kept[0].used)}, least recently {computed_at(kept[-1].used)}")
    print("\n".join(lines))
    return 0
