"""The catalog: every named domain and stored upload, with what is known without loading any (no torch:
``data list`` starts without it)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tlcore.cache_files import UPLOAD_SUMMARIES, computed_at
from tlcore.commands import command_in
from tlcore.data import builtin, torchvision_sets
from tlcore.limits import format_bytes
from tlcore.numbers import shape_text
from tlcore.workspace import Workspace, atomic_write

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
    rows += [_upload_row(u, upload_summary(workspace, u["name"]), workspace) for u in list_uploads(workspace)]
    return rows


def _upload_row(
    upload: dict[str, Any], stored: dict[str, Any] | None, workspace: Workspace
) -> dict[str, Any]:
    """A stored upload's row: its size and shape as the upload read it (:func:`upload_summary`; ``None``
    for an upload stored before summaries were kept), and the spec it was read as when that is not
    its plain name (``label=``, ``missing=drop``)."""
    summary = stored["summary"] if stored else {}
    described, read_as = _described(upload, summary, workspace), _read_as(upload, summary)
    return {
        "name": upload["spec"],
        "kind": "upload",
        "description": described + (f"; read as {read_as}" if read_as != upload["spec"] else ""),
        "n_samples": summary.get("n_samples"),
        "shape": summary.get("shape"),
        "splits": [],
        "offline": True,
    }


def upload_table(workspace: Workspace) -> list[dict[str, Any]]:
    """The stored uploads as the Data page's *Saved uploads* lists them: the spec each was read as
    (``upload:shop.csv:label=churn,missing=impute,text=onehot``: the one to use), its samples and
    shape as read, and what it is (blank until known, as :func:`list_domains` says)."""
    rows = []
    for upload in list_uploads(workspace):
        stored = upload_summary(workspace, upload["name"])
        summary = stored["summary"] if stored else {}
        shape = summary.get("shape")
        rows.append(
            {
                "spec": _read_as(upload, summary),
                "samples": summary.get("n_samples"),
                "shape": shape_text(shape) if shape else "",
                "description": _described(upload, summary, workspace),
            }
        )
    return rows


def _read_as(upload: dict[str, Any], summary: dict[str, Any]) -> str:
    """The spec a stored upload was read as when its summary was kept (its plain spec when none was)."""
    return str(summary.get("name") or upload["spec"])


def _described(upload: dict[str, Any], summary: dict[str, Any], workspace: Workspace) -> str:
    """What a stored upload is: images or feature vectors, its classes, size and time saved (``65.3 KiB,
    2026-12-07 20:05 UTC``; QA helper-246 read ``66899 bytes, 2026-12-07T20:05:49+00:00``); without a
    kept summary, why its samples and shape are not shown (the ``data list --scan`` that reads them, in
    ``workspace``: :func:`~tlcore.commands.command_in`)."""
    saved = computed_at(datetime.fromisoformat(upload["modified"]).timestamp())
    stored = f"{format_bytes(upload['bytes'])}, {saved}"
    if summary:
        labels = f"{summary['n_classes']} classes" if summary["labelled"] else "unlabelled"
        what = "images" if summary["kind"] == "image" else "feature vectors"
        return f"uploaded {what}, {labels}, {stored}"
    # QA helper-157: a returning user read "-" (CLI) and "None" (Data page) with no reason
    return (
        f"uploaded file, {stored}; samples and shape not kept (stored "
        "by an older version, or the file changed since): the next read of it keeps them "
        f"({command_in(workspace.root, 'data', 'list', '--scan')} reads every such upload)"
    )


def _summary_path(workspace: Workspace, name: str) -> Path:
    return workspace.inside(*UPLOAD_SUMMARIES.parts, UPLOAD_SUMMARIES.file_name(name))


def write_upload_summary(workspace: Workspace, name: str, summary: dict[str, Any]) -> None:
    """Keep what reading the stored upload ``name`` gave (``summary``: :meth:`Domain.summary` under the
    spec it was read as), atomically, with the upload's size in bytes."""
    path = _summary_path(workspace, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = workspace.inside("uploads", name).stat().st_size
    text = json.dumps({"bytes": size, "summary": summary})
    atomic_write(path, lambda temp: temp.write_text(text, encoding="utf-8"))


def upload_summary(workspace: Workspace, name: str) -> dict[str, Any] | None:
    """The summary kept when ``name`` was uploaded (:func:`write_upload_summary`): ``bytes`` and
    ``summary``; None when none was kept (an older upload, a cleared cache), it is unreadable, or the
    file's size changed since."""
    try:
        stored = json.loads(_summary_path(workspace, name).read_text(encoding="utf-8"))
        size = workspace.inside("uploads", name).stat().st_size
    except (OSError, ValueError):
        return None
    if isinstance(stored, dict) and stored.get("bytes") == size and isinstance(stored.get("summary"), dict):
        return stored
    return None


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
