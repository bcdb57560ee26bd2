"""Two uploads of one file name with different bytes at the same time (two browser sessions, or a
session and the CLI, on one workspace): each gets its own name and keeps its own bytes."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tlcore.data import uploads
from tlcore.data.uploads import save_upload
from tlcore.workspace import Workspace

TABLES = [b"a,b,label\n1.0,2.0,0\n3.0,4.0,1\n", b"a,b,label\n7.0,8.0,0\n9.0,6.0,1\n"]


def no_hard_links(source: object, target: object) -> None:
    raise PermissionError(1, "Operation not permitted")  # os.link on FAT or some network shares


@pytest.mark.parametrize("links", [True, False], ids=["hard-links", "no-hard-links"])
def test_two_uploads_of_one_name_at_once_get_two_names_each_with_its_bytes(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, links: bool
) -> None:
    if not links:  # the name is claimed another way, as safely (it raised PermissionError)
        monkeypatch.setattr(os, "link", no_hard_links)
    both_read = threading.Barrier(len(TABLES), timeout=10)
    first_read: set[int] = set()
    read = uploads._check_readable

    def read_together(*args: Any, **kwargs: Any) -> Any:
        """Each upload's first read ends only once both have looked for a free name and read."""
        domain = read(*args, **kwargs)
        if threading.get_ident() not in first_read:
            first_read.add(threading.get_ident())
            both_read.wait()
        return domain

    monkeypatch.setattr(uploads, "_check_readable", read_together)
    with ThreadPoolExecutor(len(TABLES)) as pool:
        names = list(pool.map(lambda data: save_upload(workspace, "scans.csv", data), TABLES))
    assert sorted(names) == ["scans-2.csv", "scans.csv"]
    for name, data in zip(names, TABLES, strict=True):
        assert (workspace.uploads / name).read_bytes() == data
    assert sorted(p.name for p in workspace.uploads.iterdir() if not p.name.startswith(".")) == [
        "scans-2.csv",
        "scans.csv",
    ]
