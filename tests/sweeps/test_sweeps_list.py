"""``python -m tlcore sweeps list``: words, pages, and the live sweeps first (stored sweeps, none run)."""

from __future__ import annotations

import json
import os

import pytest

from tests.sweeps.stored_sweeps import cli, many_sweeps
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace


def test_sweeps_list_finds_by_words_and_pages(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    store = SweepStore(workspace)
    ids = many_sweeps(store, 6)  # oldest first; the odd ones of dann
    for sweep_id in ids:  # ended: a live sweep is listed on every page (test below)
        assert store.end(sweep_id, "cancelled", "cancelled on request")
    code, out, _ = cli(workspace, "sweeps", "list", "--find", "DANN 2026-11", "--limit", "2", capsys=capsys)
    lines = out.splitlines()
    assert lines[0] == "3 sweeps matching, newest first: 1 to 2 listed below."
    assert code == 0 and [line.split()[0] for line in lines[2:4]] == [ids[5], ids[3]]
    assert lines[2].endswith("  dann") and lines[4:] == ["… 1 more, older: --offset 2 for the next page"]
    code, out, _ = cli(
        workspace, "sweeps", "list", "--find", "dann", "--offset", "2", "--json", capsys=capsys
    )
    assert [sweep["id"] for sweep in json.loads(out)] == [ids[1]]
    code, out, _ = cli(workspace, "sweeps", "list", "--find", "deep_coral+im", "--offset", "1", capsys=capsys)
    assert [line.split()[0] for line in out.splitlines()[2:]] == [ids[2], ids[0]]
    assert cli(workspace, "sweeps", "list", "--find", "usps", capsys=capsys)[1] == "no sweeps match 'usps'\n"
    _, out, _ = cli(workspace, "sweeps", "list", "--find", "dann", "--offset", "3", capsys=capsys)
    assert out == "no sweeps match 'dann' past the 3 newest: 3 match\n"
    _, out, _ = cli(workspace, "sweeps", "list", "--offset", "6", capsys=capsys)
    assert out == "no sweeps past the 6 newest: there are 6\n"  # QA helper-126: "(6 in all)"


def test_sweeps_list_puts_the_live_sweeps_first_as_the_sweep_page_does(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """A live sweep older than the page listed: at the top all the same, and said so (the picker's
    rule, :meth:`SweepStore.live_first`); a filter that keeps none still lists it."""
    store = SweepStore(workspace)
    ids = many_sweeps(store, 4)  # oldest first; the odd ones of dann
    for sweep_id in ids[1:]:
        assert store.end(sweep_id, "cancelled", "cancelled on request")
    store.claim(ids[0], os.getpid())  # the oldest runs (this live process drives it)
    code, out, _ = cli(workspace, "sweeps", "list", "--limit", "2", capsys=capsys)
    lines = out.splitlines()
    assert code == 0 and lines[0] == (
        "4 sweeps, newest first: 1 to 2 listed below, the live one at the top (not among them)."
    )
    assert [line.split()[:2] for line in lines[2:5]] == [
        [ids[0], "running"],
        [ids[3], "cancelled"],
        [ids[2], "cancelled"],
    ]
    assert lines[5:] == ["… 1 more, older: --offset 2 for the next page"]  # ids[1]: ids[0] is at the top
    code, out, _ = cli(workspace, "sweeps", "list", "--limit", "3", capsys=capsys)
    assert out.splitlines()[2].split()[0] == ids[0] and len(out.splitlines()) == 6  # no "… 1 more": it is
    assert [store.pages(size, "", [ids[0]]) for size in (1, 2, 3, 4)] == [
        3,
        2,
        1,
        1,
    ]  # the last: ids[0] alone
    assert store.pages(3, "", []) == 2 and store.pages(1, "dann", [ids[0]]) == 2  # ids[0] is not of dann
    assert store.count_past("", 2, [ids[0]]) == 1 and store.count_past("", 2, []) == 2
    code, out, _ = cli(workspace, "sweeps", "list", "--offset", "2", "--json", capsys=capsys)
    assert [sweep["id"] for sweep in json.loads(out)] == [ids[0], ids[1]]  # listed once, at the top
    code, out, _ = cli(workspace, "sweeps", "list", "--offset", "2", capsys=capsys)
    assert out.splitlines()[0] == "4 sweeps, newest first: 3 to 4 listed below, the live one at the top."
    code, out, _ = cli(workspace, "sweeps", "list", "--find", "usps", capsys=capsys)
    assert out.splitlines()[0] == "no sweeps match 'usps'; the live one is listed below"
    assert out.splitlines()[2].split()[0] == ids[0] and len(out.splitlines()) == 3
