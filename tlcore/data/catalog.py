"""The catalog: every named domain and stored upload, with what is known without loading any (no torch:
``data list`` starts without it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tlcore.data import builtin, torchvision_sets
from tlcore.workspace import Workspace

SUFFIXES = (".zip", ".npz", ".csv", ".tsv", ".parquet", ".pq")  # the files an upload can be


def list_domains(workspace: Workspace | None = None) -> list[dict[str, Any]]:
    """Every named domain and stored upload, with what is known cheaply (no dataset is loaded)."""
    workspace = workspace or Workspace.resolve()
    root = torchvision_sets.data_root(workspace)
    rows = [
        {
            "name": b.name,
            "kind": "builtin",
            "description": b.description,
            "n_samples": b.n_samples["all"],
            "shape": list(b.shape),
            "splits": list(b.splits),
            "offline": builtin.available(b.name, root),
        }
        for b in builtin.BUILTINS.values()
    ]
    rows += [
        {
            "name": s.name,
            "kind": "torchvision",
            "description": s.description,
            "n_samples": s.n_samples["train"] + s.n_samples["test"],
            "shape": list(s.shape),
            "splits": list(s.splits),
            "offline": not torchvision_sets.missing_files(s.name, root, "all"),
        }
        for s in torchvision_sets.SETS.values()
    ]
    rows += [
        {
            "name": u["spec"],
            "kind": "upload",
            "description": f"uploaded file, {u['bytes']} bytes, {u['modified']}",
            "n_samples": None,
            "shape": None,
            "splits": [],
            "offline": True,
        }
        for u in list_uploads(workspace)
    ]
    return rows


def list_uploads(workspace: Workspace) -> list[dict[str, Any]]:
    """Stored uploads: name, spec, size in bytes, modification time (UTC, ISO 8601); none in a
    workspace that was never written to."""
    folder = workspace.inside("uploads")
    rows = []
    for path in sorted(folder.iterdir() if folder.is_dir() else ()):
        if path.name.startswith(".") or not path.is_file() or path.suffix.lower() not in SUFFIXES:
            continue
        stat = path.stat()
        modified = datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(timespec="seconds")
        rows.append(
            {"name": path.name, "spec": f"upload:{path.name}", "bytes": stat.st_size, "modified": modified}
        )
    return rows
