"""The catalog: every named domain and stored upload, with what is known without loading any."""

from __future__ import annotations

from typing import Any

from tlcore.data import builtin, torchvision_sets
from tlcore.data.uploads import list_uploads
from tlcore.workspace import Workspace


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
