"""The order a stored upload's images are read in, recorded beside it when it is stored.

A zip's entries come in whatever order the tool that wrote it chose (another zipper, another OS), so an
upload stored now reads its images in a folder's order, sorted by name (:data:`BY_NAME`,
:func:`tlcore.data.archive.walk_key`), and says so in ``uploads/.order/<name>``. An upload stored
before that record was kept has none: it is read in its entry order, as it was then, so its samples
and splits stay. The record lives with the uploads, not in ``cache/``: clearing a cache never moves a
split.
"""

from __future__ import annotations

from pathlib import Path

from tlcore.workspace import Workspace, atomic_write

BY_NAME = "name"  # a zip's images read in a folder's order, sorted by name, not in its entry order
ORDER_FOLDER = ".order"  # under uploads/: hidden, so never listed as an upload


def order_path(workspace: Workspace, name: str) -> Path:
    """The file that records the order of the stored upload ``name`` (there or not)."""
    return workspace.inside("uploads", ORDER_FOLDER, name)


def upload_order(workspace: Workspace, name: str) -> str | None:
    """The order recorded for the stored upload ``name`` (:data:`BY_NAME`), or ``None``: none recorded
    (stored before it was, or not a zip), its zip's entries read in the order they were written."""
    try:
        return order_path(workspace, name).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def record_order(workspace: Workspace, name: str, order: str) -> None:
    """Record, atomically, that the stored upload ``name`` is read in ``order`` (:data:`BY_NAME`)."""
    path = order_path(workspace, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda temp: temp.write_text(f"{order}\n", encoding="utf-8"))
