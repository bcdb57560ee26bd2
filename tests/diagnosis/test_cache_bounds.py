"""The diagnosis cache stays bounded: a write removes the entries of other code unused for a week
(another version sharing the workspace keeps its own) and then the least recently used beyond the cap
(a read counts as a use); two processes writing at once leave only whole entries (``python -m tlcore cache``:
test_cache_command.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.diagnosis.cache_entries import CAP, ROOT, VALUE, names, used
from tests.diagnosis.gaussian_pair import load_pair, pair_workspace
from tlcore import cache_files, diagnosis_cache
from tlcore.diagnosis_cache import DiagnosisCache, findings
from tlcore.diagnosis_settings import GapSettings
from tlcore.workspace import Workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return pair_workspace(tmp_path / "ws")


def test_an_entry_of_other_code_is_kept_a_week_after_its_last_use(workspace, monkeypatch):
    cache, pair = DiagnosisCache.of_workspace(workspace), load_pair(workspace)
    findings(cache, *pair, settings=GapSettings(n_permutations=50, seed=3))
    (old,) = names(cache.folder)
    (cache.folder / "headerless.pkl").write_bytes(b"\x80\x05N.")  # an entry of the code before headers
    (cache.folder / "notes.txt").write_text("not an entry")
    killed, writing = (cache.folder / f".{old}.pkl.{tag}.tmp" for tag in ("0badc0de", "5eed5eed"))
    killed.write_bytes(bytes(100))  # a writer killed mid-write (atomic_write's temporary file)
    os.utime(killed, (1000, 1000))
    writing.write_bytes(bytes(100))  # a writer at work: its file stays
    monkeypatch.setattr(diagnosis_cache, "code_version", lambda: "0" * 64)  # another version, same workspace
    again = findings(cache, *pair, settings=GapSettings(n_permutations=50, seed=3))
    assert not again.reused
    (new,) = [name for name in names(cache.folder) if name not in (old, "notes", writing.stem)]
    assert names(cache.folder) == sorted([old, new, "notes", writing.stem])  # the other version's kept
    week = time.time() - cache_files.OTHER_CODE_KEEP_SECONDS
    used(cache.folder, **{old: week + 60})  # used 6 days 23 h 59 min ago: kept
    findings(cache, *pair, settings=GapSettings(n_permutations=60, seed=3))
    assert old in names(cache.folder)
    used(cache.folder, **{old: week - 60})  # unused for a week: the next write removes it
    findings(cache, *pair, settings=GapSettings(n_permutations=70, seed=3))
    assert old not in names(cache.folder) and len(names(cache.folder)) == 5


def test_the_cap_counts_the_entries_of_every_version(tmp_path, monkeypatch):
    cache = DiagnosisCache(tmp_path / "diagnoses")
    for key in "ab":
        cache.put(key, VALUE)
    size = (cache.folder / "a.pkl").stat().st_size
    cache_files.write_entry(
        cache.folder / "other.pkl",
        "0" * 64,
        cache_files.read_entry(cache.folder / "a.pkl", cache_files.code_version()),
    )
    now = time.time()
    used(cache.folder, a=now - 300, other=now - 200, b=now - 100)
    monkeypatch.setenv(CAP, str(3 * size))  # three fit: the fourth write evicts the least recent, a
    cache.put("c", VALUE)
    assert names(cache.folder) == ["b", "c", "other"]


def test_the_cap_removes_the_least_recently_used_and_a_read_counts_as_a_use(tmp_path, monkeypatch):
    cache = DiagnosisCache(tmp_path / "diagnoses")
    cache.put("a", VALUE)
    size = (cache.folder / "a.pkl").stat().st_size
    assert 8000 < size < 8400
    monkeypatch.setenv(CAP, str(3 * size))  # three entries fit, a fourth does not
    for key in "bc":
        cache.put(key, VALUE)
    used(cache.folder, a=1000, b=2000, c=3000)
    cache.put("d", VALUE)  # over the cap: a, the least recently used, goes
    assert names(cache.folder) == ["b", "c", "d"]
    used(cache.folder, b=1000, c=2000, d=3000)
    assert np.array_equal(cache.get("b").value, VALUE)  # read: b is now the most recently used
    cache.put("e", VALUE)
    assert names(cache.folder) == ["b", "d", "e"]  # c went, not b
    monkeypatch.setenv(CAP, str(size - 1))  # one entry larger than the cap: it is not kept either
    cache.put("f", VALUE)
    assert names(cache.folder) == [] and cache.get("f") is None


WRITER = """import sys
import time
from pathlib import Path
from tlcore.cache_files import prune, write_entry
folder, name = Path(sys.argv[1]), sys.argv[2]
for i in range(40):
    write_entry(folder / f"{name}{i}.pkl", "v1", bytes(1000) + name.encode())
    prune(folder, "v1", cap=10 * 1030)
"""


def test_two_processes_writing_and_pruning_at_once_leave_only_whole_entries(tmp_path):
    folder = tmp_path / "diagnoses"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(folder), name], cwd=ROOT, stderr=subprocess.PIPE)
        for name in ("x", "y")
    ]
    errors = [w.communicate(timeout=120)[1].decode() for w in writers]
    assert [w.returncode for w in writers] == [0, 0], errors  # a file pruned by the other: no error
    left = list(folder.iterdir())
    assert left and not [p for p in left if not p.name.endswith(".pkl")]  # no temporary file left
    for path in left:
        body = cache_files.read_entry(path, "v1")
        assert body is not None and body[:1000] == bytes(1000) and body[1000:] == path.name[:1].encode()
    assert sum(p.stat().st_size for p in left) <= 10 * 1030
    assert cache_files.read_entry(folder / "gone.pkl", "v1") is None
