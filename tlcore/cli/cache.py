"""``python -m tlcore cache``: the entries and size of each of the workspace's cache folders
(:data:`tlcore.cache_files.CACHE_FOLDERS`: diagnoses, run-time estimates' probes, near-copy searches);
prune or clear them all. The rest of ``cache/`` (:data:`~tlcore.cache_files.KEPT_FOLDERS`: trained
baselines, upload summaries) is listed with why neither touches it; ``--clear --baselines`` removes the
baselines too (:func:`tlcore.runs.baselines_clear.clear_baselines`: refused while a run or sweep is live).

``--prune`` removes what the next write to each folder would (entries of other code unused for a
week, the least recently used beyond the cap), ``--clear`` every entry. ``--json`` keeps the
diagnosis cache's keys at the top and adds one object per other folder, under its name. Without
torch (:mod:`tlcore.cache_files`).
"""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

from tlcore.cache_files import (
    BASELINES,
    CACHE_FOLDERS,
    DIAGNOSES,
    KEPT_FOLDERS,
    OTHER_CODE_KEEP_DAYS,
    CacheFolder,
    Entry,
    KeptFolder,
    cap_bytes,
    clear,
    code_version,
    computed_at,
    entries,
    kept_files,
    prune,
)
from tlcore.cli.output import print_json, wrapped
from tlcore.commands import command_line
from tlcore.errors import TLError
from tlcore.limits import env_var, format_bytes
from tlcore.numbers import plural
from tlcore.runs.baselines_clear import clear_baselines
from tlcore.workspace import Workspace

CAP_VAR = env_var("max_cache_bytes")


def register(parser: argparse.ArgumentParser) -> None:
    """Add ``cache``'s arguments."""
    what = parser.add_mutually_exclusive_group()
    what.add_argument(
        "--prune",
        action="store_true",
        help=f"remove the entries of other code versions unused for {OTHER_CODE_KEEP_DAYS} days and the "
        f"least recently used beyond the cap (${CAP_VAR}) from every cache folder, as each write does",
    )
    what.add_argument(
        "--clear",
        action="store_true",
        help="remove every entry of every cache folder (always safe: recomputed); trained baselines (unless "
        "--baselines) and upload summaries stay",
    )
    parser.add_argument(
        "--baselines",
        action="store_true",
        help="with --clear: remove the trained source-only baselines too (cache/baselines): the next adapt "
        "run of each configuration trains its baseline again, and diagnose --features baseline:ID and the "
        "label-shift estimates of earlier runs find none; refused while a run or sweep is live",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=cache_command)


def _counted(found: list[Entry]) -> dict[str, int]:
    return {"entries": len(found), "bytes": sum(e.size for e in found)}


def _said(counted: dict[str, int]) -> str:
    n = counted["entries"]
    return f"{n} {'entry' if n == 1 else 'entries'} ({format_bytes(counted['bytes'])})"


def _folder(
    args: argparse.Namespace, workspace: Workspace, cache: CacheFolder, cap: int
) -> tuple[dict[str, Any], list[str]]:
    """One cache folder pruned or cleared as ``args`` asks: its entries left (and removed), and the
    lines that say so."""
    folder, version = workspace.inside(*cache.parts), code_version()
    removed = clear(folder, version) if args.clear else prune(folder, version, cap) if args.prune else []
    kept = entries(folder, version)
    found: dict[str, Any] = {
        "folder": str(folder),
        "holds": cache.holds,
        "current": _counted([e for e in kept if e.current]),
        "other_code": _counted([e for e in kept if not e.current]),
    }
    lines = [f"{cache.name} {folder}", f"  {cache.holds}"]
    if args.prune or args.clear:
        found["removed"] = _counted(removed)
        lines.append(f"  removed {_said(found['removed'])}")
    lines.append(f"  {_said(found['current'])} of this code")
    if found["other_code"]["entries"]:
        lines += wrapped(
            f"{_said(found['other_code'])} of other code (another tlstudio version, or an edit): not "
            f"read by this one, removed once unused for {OTHER_CODE_KEEP_DAYS} days or beyond the cap",
            "  ",
        )
    if kept:
        lines.append(f"  last used {computed_at(kept[0].used)}, least recently {computed_at(kept[-1].used)}")
    return found, lines


def _kept(
    workspace: Workspace, kept: KeptFolder, removed: tuple[int, int] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """One folder ``cache`` never prunes, nor clears unasked: its files (and the baselines ``removed``:
    how many, their bytes), and the lines that say why."""
    folder = workspace.inside(*kept.parts)
    sizes = []
    for path in kept_files(folder, kept.suffix):
        with contextlib.suppress(OSError):  # removed meanwhile
            sizes.append(path.stat().st_size)
    counted = {"entries": len(sizes), "bytes": sum(sizes)}
    found: dict[str, Any] = {"folder": str(folder), "holds": kept.holds, "kept": kept.why, "files": counted}
    lines = [f"{kept.name} {folder}", f"  {kept.holds}"]
    if removed is not None:
        found["removed"] = {"entries": removed[0], "bytes": removed[1]}
        models = plural(removed[0], "source-only model")
        lines += wrapped(
            f"removed {models} ({format_bytes(removed[1])}): the next adapt run of each configuration "
            "trains its baseline again",
            "  ",
        )
    return found, [*lines, f"  {_said(counted)}", *wrapped(kept.why, "  ")]


def cache_command(args: argparse.Namespace) -> int:
    workspace, cap = Workspace.resolve(args.workspace), cap_bytes()
    if args.baselines and not args.clear:
        raise TLError(
            "--baselines goes with --clear: "
            + command_line("cache", "--clear", "--baselines", workspace=args.workspace)
        )
    # first: a refusal clears nothing
    removed = clear_baselines(workspace, command_workspace=args.workspace) if args.baselines else None
    found = {cache.name: _folder(args, workspace, cache, cap) for cache in CACHE_FOLDERS}
    kept = {f.name: _kept(workspace, f, removed if f is BASELINES else None) for f in KEPT_FOLDERS}
    if args.json:  # the diagnosis cache's keys at the top, as before the other folders were listed
        others = {name: payload for name, (payload, _) in (found | kept).items() if name != DIAGNOSES.name}
        print_json({**found[DIAGNOSES.name][0], "cap_bytes": cap, **others})
        return 0
    lines = [f"workspace caches, each at most {format_bytes(cap)} (${CAP_VAR}), always safe to clear"]
    lines += [line for _, said in found.values() for line in said]
    lines += [
        "and beside them, kept by --prune and --clear:",
        *(line for _, said in kept.values() for line in said),
    ]
    print("\n".join(lines))
    return 0
