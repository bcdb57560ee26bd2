"""``python -m tlcore cache``: every cache folder of the workspace (diagnoses, run-time estimates'
probes, near-copy searches) listed with what it holds, its entries of this code and of other code;
``--prune`` and ``--clear`` act on each; ``--json`` keeps the diagnosis cache's keys at the top."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from tests.diagnosis.cache_entries import CAP, FORMER_CAP, ROOT, VALUE, names, used
from tests.diagnosis.gaussian_pair import pair_workspace
from tests.limits_env import default_limits
from tests.sweeps.stored_sweeps import many_sweeps
from tlcore import cache_files
from tlcore.adapt import copy_search
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.cli.output import wrapped
from tlcore.diagnosis_cache import DiagnosisCache
from tlcore.limits import Limits, variables
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return pair_workspace(tmp_path / "ws")


def _cache(workspace: Workspace, capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["--workspace", str(workspace.root), "cache", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _empty(workspace: Workspace, name: str, holds: str) -> list[str]:
    return [f"{name} {workspace.root / 'cache' / name}", f"  {holds}", "  0 entries (0 bytes) of this code"]


def _kept(workspace: Workspace, name: str, said: str) -> list[str]:
    """A kept folder's lines: where, what it holds, its files, why it is kept (wrapped)."""
    folder = next(f for f in cache_files.KEPT_FOLDERS if f.name == name)
    return [
        f"{name} {workspace.root / 'cache' / name}",
        f"  {folder.holds}",
        f"  {said}",
        *wrapped(folder.why, "  "),
    ]


def test_the_cache_command_reports_prunes_and_clears(workspace, capsys, monkeypatch):
    code, out, _ = _cache(workspace, capsys)
    assert code == 0 and out.splitlines()[:11] == [
        "workspace caches, each at most 256 MiB ($TLSTUDIO_MAX_CACHE_BYTES), always safe to clear",
        *_empty(workspace, "diagnoses", "each diagnosis's findings, UMAP and explanation"),
        *_empty(
            workspace, "estimates", "the run-time estimates' probes: timed training steps, a worker's start"
        ),
        *_empty(
            workspace, "near-copies", "each pair's near-copy search: which target samples copy source ones"
        ),
        "and beside them, kept by --prune and --clear:",  # the pair's upload summaries: the test below
    ]
    cache = DiagnosisCache.of_workspace(workspace)
    for key in "ab":
        cache.put(key, VALUE)
    cache_files.write_entry(cache.folder / "old.pkl", "0" * 64, bytes(500))  # another version's: 582 bytes
    size = (cache.folder / "a.pkl").stat().st_size
    used(cache.folder, a=1000, b=2000, old=3000)
    code, out, _ = _cache(workspace, capsys)
    lines = out.splitlines()
    assert code == 0 and lines[3] == f"  2 entries ({2 * size / 1024:.3g} KiB) of this code"
    assert lines[4].startswith("  1 entry (582 bytes) of other code (another tlstudio version, or an edit)")
    at = lines.index(f"estimates {workspace.root / 'cache' / 'estimates'}")  # after the diagnoses' lines
    assert lines[at - 1] == "  last used 1970-01-01 00:50 UTC, least recently 1970-01-01 00:16 UTC"
    code, out, _ = _cache(workspace, capsys, "--json")
    payload = json.loads(out)
    assert {
        k: v
        for k, v in payload.items()
        if k not in ("holds", "estimates", "near-copies", "baselines", "uploads")
    } == {
        "folder": str(cache.folder),
        "cap_bytes": 256 * 2**20,
        "current": {"entries": 2, "bytes": 2 * size},
        "other_code": {"entries": 1, "bytes": 582},
    }
    monkeypatch.setenv(CAP, str(size))  # room for one: the least recently used (a) goes too
    code, out, _ = _cache(workspace, capsys, "--prune", "--json")
    payload = json.loads(out)
    assert code == 0 and payload["removed"] == {"entries": 2, "bytes": size + 582}
    assert payload["current"] == {"entries": 1, "bytes": size} and names(cache.folder) == ["b"]
    code, out, _ = _cache(workspace, capsys, "--clear")
    assert code == 0 and out.splitlines()[3:5] == [
        f"  removed 1 entry ({size / 1024:.3g} KiB)",
        "  0 entries (0 bytes) of this code",
    ]
    assert names(cache.folder) == []
    with pytest.raises(SystemExit) as refused:  # one or the other
        _cache(workspace, capsys, "--prune", "--clear")
    assert refused.value.code == 2 and "not allowed with argument" in capsys.readouterr().err
    monkeypatch.setenv(CAP, "lots")
    code, out, err = _cache(workspace, capsys)
    assert code == 2 and out == "" and err == f"error: {CAP}='lots' is not a number\n"


def test_the_estimates_and_near_copy_searches_are_listed_pruned_and_cleared(workspace, capsys, monkeypatch):
    """The folders the run-time probes (:mod:`tlcore.runs.probe`) and the near-copy searches
    (:mod:`tlcore.adapt.copy_search`) write to: each its own entries, pruned to the cap, cleared."""
    version = cache_files.code_version()
    estimates = workspace.root / "cache" / "estimates"
    copies = copy_search.cache_folder(workspace)
    assert copies == workspace.root / "cache" / "near-copies"
    for folder, keys in ((estimates, "pq"), (copies, "xyz")):
        for key in keys:
            cache_files.write_entry(folder / f"{key}.pkl", version, bytes(1000))
    cache_files.write_entry(copies / "old.pkl", "0" * 64, bytes(100))
    size = (estimates / "p.pkl").stat().st_size
    used(estimates, p=1000, q=2000)
    used(copies, x=1000, y=2000, z=3000, old=4000)
    code, out, _ = _cache(workspace, capsys, "--json")
    payload = json.loads(out)
    assert code == 0 and payload["current"] == {"entries": 0, "bytes": 0}  # the diagnoses: none
    assert payload["estimates"] == {
        "folder": str(estimates),
        "holds": "the run-time estimates' probes: timed training steps, a worker's start",
        "current": {"entries": 2, "bytes": 2 * size},
        "other_code": {"entries": 0, "bytes": 0},
    }
    assert payload["near-copies"]["current"] == {"entries": 3, "bytes": 3 * size}
    assert payload["near-copies"]["other_code"] == {"entries": 1, "bytes": 182}
    code, out, _ = _cache(workspace, capsys)
    lines = out.splitlines()
    at = lines.index(f"near-copies {copies}")
    assert lines[at + 2 : at + 4] == [f"  3 entries ({3 * size / 1024:.3g} KiB) of this code", lines[at + 3]]
    assert lines[at + 3].startswith("  1 entry (182 bytes) of other code")
    monkeypatch.setenv(CAP, str(2 * size))  # each folder to two entries: the least recently used go
    code, out, _ = _cache(workspace, capsys, "--prune", "--json")
    payload = json.loads(out)
    assert payload["estimates"]["removed"] == {"entries": 0, "bytes": 0} and names(estimates) == ["p", "q"]
    assert payload["near-copies"]["removed"] == {
        "entries": 2,
        "bytes": size + 182,
    }  # old: another version's, unused a week; x: beyond
    assert names(copies) == ["y", "z"]
    code, out, _ = _cache(workspace, capsys, "--clear")
    assert code == 0 and f"  removed 2 entries ({2 * size / 1024:.3g} KiB)" in out.splitlines()
    assert names(estimates) == [] and names(copies) == []


def test_trained_baselines_and_upload_summaries_are_listed_and_kept(tmp_path, capsys):
    """``cache/baselines`` (a run configuration's trained source-only model, read by ``diagnose
    --features baseline:ID`` and the label-shift estimates) and ``cache/uploads`` (the only record of
    the spec an upload was read as): listed with their size, left by ``--prune`` and ``--clear``."""
    workspace = Workspace.resolve(tmp_path / "fresh")
    baselines, summaries = (workspace.root / "cache" / name for name in ("baselines", "uploads"))
    for folder, files in ((baselines, {"a.pt": 3000, "b.pt": 2000}), (summaries, {"x.csv.json": 300})):
        folder.mkdir(parents=True)
        for name, size in files.items():
            (folder / name).write_bytes(bytes(size))
    for argv in ([], ["--prune"], ["--clear"]):
        code, out, _ = _cache(workspace, capsys, *argv)
        lines = out.splitlines()
        at = lines.index("and beside them, kept by --prune and --clear:")
        assert code == 0 and lines[at + 1 :] == [
            *_kept(workspace, "baselines", "2 entries (4.88 KiB)"),
            *_kept(workspace, "uploads", "1 entry (300 bytes)"),
        ]
    assert names(baselines) == ["a", "b"] and names(summaries) == ["x.csv"]
    code, out, _ = _cache(workspace, capsys, "--clear", "--json")
    payload = json.loads(out)
    assert payload["baselines"]["files"] == {"entries": 2, "bytes": 5000}
    assert payload["uploads"] == {
        "folder": str(summaries),
        "holds": cache_files.UPLOAD_SUMMARIES.holds,
        "kept": "kept: the only record of the spec each upload was read as (label=, missing=, text=)",
        "files": {"entries": 1, "bytes": 300},
    }


def test_clear_baselines_removes_them_says_what_it_costs_and_waits_for_live_runs(tmp_path, capsys):
    """``--clear --baselines``: the trained baselines go too, said as source-only models and bytes that
    the next run retrains; refused, clearing nothing, while a run or a sweep is live."""
    workspace = Workspace.resolve(tmp_path / "fresh")
    baselines = workspace.root / "cache" / "baselines"
    baselines.mkdir(parents=True)
    for name, size in {"a.pt": 3000, "b.pt": 2000, "notes.txt": 10}.items():
        (baselines / name).write_bytes(bytes(size))
    diagnoses = workspace.root / "cache" / "diagnoses"
    cache_files.write_entry(diagnoses / "d.pkl", cache_files.code_version(), bytes(100))
    sweeps = SweepStore(workspace)
    run_id = sweeps.runs.create(AdaptConfig(source="mnist5k", target="digits"))  # queued: live
    code, out, err = _cache(workspace, capsys, "--clear", "--baselines")
    tlcore = f"python -m tlcore --workspace {workspace.root}"  # the --workspace given: pasted, it works
    assert code == 2 and out == ""
    assert err == (
        f"error: cannot clear the baselines while run {run_id} is live: it reads its source-only baseline "
        "from cache/baselines and stores the one it trains; clear them once it ends, or stop it first: "
        f"`{tlcore} runs cancel {run_id}`\n"
    )
    assert names(baselines) == ["a", "b", "notes"] and names(diagnoses) == ["d"]  # nothing cleared
    (sweep_id,) = many_sweeps(sweeps, 1)
    sweeps.claim(sweep_id, os.getpid())  # driven by this live process
    err = _cache(workspace, capsys, "--clear", "--baselines")[2]
    assert err == (
        "error: cannot clear the baselines while 1 run and 1 sweep are live "
        f"(run {run_id}, sweep {sweep_id}): a live run reads its source-only baseline from cache/baselines "
        "and stores the one it trains, and a live sweep starts more such runs; clear them once they end, "
        f"or stop them first: `{tlcore} runs cancel ID`, `{tlcore} sweeps cancel ID`\n"
    )
    assert sweeps.runs.end(run_id, "cancelled", "cancelled on request")
    assert sweeps.end(sweep_id, "cancelled", "cancelled on request")
    code, out, _ = _cache(workspace, capsys, "--clear", "--baselines")
    lines = out.splitlines()
    at = lines.index(f"baselines {baselines}")
    assert code == 0 and lines[at + 2 : at + 4] == [
        "  removed 2 source-only models (4.88 KiB): the next adapt run of each configuration trains its "
        "baseline again",
        "  0 entries (0 bytes)",
    ]
    assert names(baselines) == ["notes"] and names(diagnoses) == []  # a file of no baseline's name stays
    payload = json.loads(_cache(workspace, capsys, "--clear", "--baselines", "--json")[1])
    assert (
        payload["baselines"]["removed"] == {"entries": 0, "bytes": 0} and "removed" not in payload["uploads"]
    )
    for argv in (["--baselines"], ["--prune", "--baselines"]):
        code, out, err = _cache(workspace, capsys, *argv)
        assert (
            code == 2
            and out == ""
            and err == f"error: --baselines goes with --clear: {tlcore} cache --clear --baselines\n"
        )
    assert "removed" not in json.loads(_cache(workspace, capsys, "--clear", "--json")[1])["baselines"]


def test_a_live_sweep_between_trials_refuses_in_one_line_naming_it_a_dead_one_never(tmp_path, capsys):
    """A sweep whose driver lives blocks the clear between two trials too (it starts more that read and
    store baselines): one line naming the sweep, its progress and driver, and how to stop it; its trial
    runs are named through it. A sweep whose driver process is gone, or silent past STALE_AFTER where
    its driver's start is unknown (recorded by an older tlstudio), is closed as interrupted and blocks
    nothing (a live driver known by its start is never closed on silence: test_sweep_stale.py)."""
    workspace = Workspace.resolve(tmp_path / "ws")
    baselines = workspace.root / "cache" / "baselines"
    baselines.mkdir(parents=True)
    (baselines / "a.pt").write_bytes(bytes(1000))
    sweeps = SweepStore(workspace)
    live, dead, silent = many_sweeps(sweeps, 3)
    sweeps.claim(live, os.getpid())
    sweeps.heartbeat(live, "1/4 done")  # between its first and second trial: none of its runs active
    done = sweeps.runs.create(AdaptConfig(source="mnist5k", target="digits"), sweep_id=live, trial_key="k0")
    assert sweeps.runs.start(done, os.getpid()) and sweeps.runs.finish(done, {})
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process that ended: its pid names none
    sweeps.claim(dead, gone.pid)
    sweeps.claim(silent, os.getpid())
    with sweeps.runs.connect() as conn:
        conn.execute("UPDATE sweeps SET heartbeat = 0, updated = 0 WHERE id = ?", (silent,))
        conn.execute("DELETE FROM sweep_drivers WHERE id = ?", (silent,))  # its driver's start unknown
    line = (
        f"error: cannot clear the baselines while sweep {live} (1/4 done) is live: its driver (process "
        f"{os.getpid()}) starts more trials, each of which reads its source-only baseline from "
        "cache/baselines and stores the one it trains; clear them once it ends, or stop it first: "
        f"`python -m tlcore --workspace {workspace.root} sweeps cancel {live}`\n"
    )
    assert _cache(workspace, capsys, "--clear", "--baselines") == (2, "", line)
    trial = sweeps.runs.create(AdaptConfig(source="mnist5k", target="digits"), sweep_id=live, trial_key="k1")
    assert _cache(workspace, capsys, "--clear", "--baselines") == (2, "", line)  # its queued trial: the same
    assert names(baselines) == ["a"]
    assert [sweeps.get(i).status for i in (dead, silent)] == ["interrupted", "interrupted"]
    assert sweeps.runs.end(trial, "cancelled", "cancelled on request")
    assert sweeps.end(live, "cancelled", "cancelled on request")
    code, out, _ = _cache(workspace, capsys, "--clear", "--baselines")
    assert code == 0 and "  removed 1 source-only model (1000 bytes)" in out and names(baselines) == []


def test_clear_baselines_makes_no_run_index_where_there_is_none(tmp_path, capsys):
    """A workspace with no run yet has none live: ``--clear --baselines`` clears without creating
    ``runs.sqlite`` (opening the run store would) or any file beside the cache."""
    workspace = Workspace.resolve(tmp_path / "fresh")
    baselines = workspace.root / "cache" / "baselines"
    baselines.mkdir(parents=True)
    (baselines / "a.pt").write_bytes(bytes(3000))
    code, out, _ = _cache(workspace, capsys, "--clear", "--baselines")
    assert code == 0 and "  removed 1 source-only model (2.93 KiB): the next adapt run" in out
    assert names(baselines) == [] and not workspace.index_path.exists()
    assert sorted(p.name for p in workspace.root.iterdir()) == ["cache"]


def test_the_caps_former_variable_still_caps_the_new_one_wins(workspace, capsys, monkeypatch):
    """The cap was named for the diagnosis cache alone; a setting of that name still holds."""
    monkeypatch.setenv(FORMER_CAP, str(2**20))
    code, out, _ = _cache(workspace, capsys, "--json")
    assert json.loads(out)["cap_bytes"] == 2**20 and cache_files.cap_bytes() == 2**20
    monkeypatch.setenv(CAP, str(2**21))
    assert json.loads(_cache(workspace, capsys, "--json")[1])["cap_bytes"] == 2**21
    monkeypatch.setenv(CAP, "lots")  # the one read is the one a refusal names
    code, out, err = _cache(workspace, capsys)
    assert code == 2 and err == f"error: {CAP}='lots' is not a number\n"
    monkeypatch.delenv(CAP)
    monkeypatch.setenv(FORMER_CAP, "0")
    assert _cache(workspace, capsys)[2] == f"error: {FORMER_CAP} must be positive, got 0\n"


def test_the_cache_command_starts_without_torch(workspace):
    probe = "import sys; from tlcore.cli import main; main(sys.argv[1:]); print('torch' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", probe, "--workspace", str(workspace.root), "cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.splitlines()[-1] == "False"


def test_no_cap_leaks_in_from_the_shell_by_either_name(monkeypatch):
    """A developer with the cap's former variable exported (still read: tlcore.limits.FORMER_NAMES)
    runs the tests at the defaults all the same: the root conftest clears both names."""
    assert not [var for field in fields(Limits) for var in variables(field.name) if var in os.environ]
    monkeypatch.setenv(FORMER_CAP, "1000")
    monkeypatch.setenv(CAP, "2000")
    monkeypatch.setenv("TLSTUDIO_MAX_RUNNING", "1")
    assert cache_files.cap_bytes() == 2000
    default_limits(monkeypatch)
    assert Limits.from_env() == Limits() and cache_files.cap_bytes() == 256 * 2**20
    assert FORMER_CAP not in os.environ and CAP not in os.environ
