"""The workspace's diagnosis cache: a reused result is the computed one, number for number; any part
of its key changed (seed, permutations, an upload's bytes under the same name) computes again; an
unreadable or foreign entry is ignored; ``diagnose`` says when it reused and ``--no-cache`` recomputes."""

import json
import math
import os
import pickle
import sys
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.diagnosis.gaussian_pair import gaussians, load_pair, pair_workspace
from tlcore import diagnosis_cache
from tlcore.cli import main
from tlcore.data.uploads import upload_path
from tlcore.diagnosis_cache import DiagnosisCache, explanation_of, findings, umap_of
from tlcore.diagnosis_settings import GapSettings
from tlcore.explain.settings import ExplainSettings
from tlcore.workspace import Workspace

SETTINGS = GapSettings(n_permutations=50, seed=3)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return pair_workspace(tmp_path / "ws")


def _same(a: Any, b: Any, skip: tuple[str, ...] = ()) -> None:
    """Assert ``a == b`` field by field, arrays element for element (exact)."""
    if is_dataclass(a):
        assert type(a) is type(b)
        for f in fields(a):
            if f.name not in skip:
                _same(getattr(a, f.name), getattr(b, f.name), skip)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _same(a[key], b[key], skip)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y, skip)
    else:
        nan = isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)
        assert a == b or nan, (a, b)


def test_a_reused_result_equals_the_computed_one_and_a_fresh_one(workspace):
    cache, pair = DiagnosisCache.of_workspace(workspace), load_pair(workspace)
    first = findings(cache, *pair, settings=SETTINGS)
    again = findings(cache, *pair, settings=SETTINGS)
    fresh = findings(DiagnosisCache(None), *pair, settings=SETTINGS)
    assert (first.reused, again.reused, fresh.reused) == (False, True, False)
    assert again.computed == first.computed and "from the workspace cache, computed" in again.note()
    assert first.note() == "" and first.value.gap.p_value == again.value.gap.p_value > 0
    _same(again.value, first.value)  # every field, the step timings too
    _same(again.value, fresh.value, skip=("seconds",))  # a new computation: the same numbers
    assert len(again.value.target_foreignness) == 150 and again.value.novelty is not None

    umaps = [umap_of(c, *pair, seed=3, max_umap_per_domain=60) for c in (cache, cache, DiagnosisCache(None))]
    assert [u.reused for u in umaps] == [False, True, False]
    _same(umaps[1].value, umaps[0].value)
    _same(umaps[1].value, umaps[2].value)
    assert umaps[1].value.coords_source.shape == (60, 2)

    gap = first.value.gap
    explained = [
        explanation_of(
            c,
            *pair,
            specs=("upload:src.npz", "upload:tgt.npz"),
            workspace=workspace,
            settings=ExplainSettings(seed=3),
            gap=gap,
            label_shift=None,
            novelty=None,
        )
        for c in (cache, cache)
    ]
    assert [e.reused for e in explained] == [False, True]
    _same(explained[1].value, explained[0].value)
    assert explained[1].value.verdict.headline == explained[0].value.verdict.headline != ""


def test_any_part_of_the_key_changed_computes_again(workspace):
    cache, pair = DiagnosisCache.of_workspace(workspace), load_pair(workspace)
    base = findings(cache, *pair, settings=SETTINGS)
    assert findings(cache, *pair, settings=SETTINGS).reused
    other_seed = GapSettings(n_permutations=50, seed=4)
    assert not findings(cache, *pair, settings=other_seed).reused
    assert not findings(cache, *pair, settings=GapSettings(n_permutations=60, seed=3)).reused
    assert not findings(cache, *pair, settings=SETTINGS, pca_dim=2).reused
    assert not umap_of(cache, *pair, seed=3, max_umap_per_domain=60).reused
    assert not umap_of(cache, *pair, seed=4, max_umap_per_domain=60).reused
    assert not umap_of(cache, *pair, seed=3, max_umap_per_domain=50).reused
    # the target replaced under the same name (a shift of 3 instead of 1): new data, a new gap
    upload_path(workspace, "tgt.npz").write_bytes(gaussians(3.0, 2))
    replaced = findings(cache, *load_pair(workspace), settings=SETTINGS)
    assert not replaced.reused and replaced.value.target == base.value.target
    assert replaced.value.gap.mmd2 > base.value.gap.mmd2
    assert findings(cache, *load_pair(workspace), settings=SETTINGS).reused


def test_an_unreadable_or_foreign_entry_is_computed_again(workspace, tmp_path):
    cache, pair = DiagnosisCache.of_workspace(workspace), load_pair(workspace)
    first = findings(cache, *pair, settings=SETTINGS)
    (entry,) = cache.folder.glob("*.pkl")
    entry.write_bytes(entry.read_bytes()[:100])  # truncated
    again = findings(cache, *pair, settings=SETTINGS)
    assert not again.reused
    _same(again.value, first.value, skip=("seconds",))
    marker = tmp_path / "ran"

    class Touch:  # a pickle that would call os.system when loaded
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    entry.write_bytes(pickle.dumps({"version": 1, "key": entry.stem, "computed": 0.0, "value": Touch()}))
    assert cache.get(entry.stem) is None and not marker.exists()
    elsewhere = tmp_path / "elsewhere"  # a tlcore class that is no dataclass, called: a new database
    entry.write_bytes(f"ctlcore.runs.store\nRunStore\n(S'{elsewhere}'\ntR.".encode())
    assert cache.get(entry.stem) is None and not elsewhere.exists()
    sys.modules.pop("this", None)  # a module importing which prints: not even imported
    entry.write_bytes(b"cthis\nd\n.")
    assert cache.get(entry.stem) is None and "this" not in sys.modules
    assert not findings(cache, *pair, settings=SETTINGS).reused
    assert findings(cache, *pair, settings=SETTINGS).reused


def test_an_entry_of_other_code_is_computed_again(workspace, monkeypatch):
    """An upgrade or a local edit of tlcore changes code_version: its entries are not reused."""
    cache, pair = DiagnosisCache.of_workspace(workspace), load_pair(workspace)
    findings(cache, *pair, settings=SETTINGS)
    assert findings(cache, *pair, settings=SETTINGS).reused
    assert len(diagnosis_cache.code_version()) == 64
    monkeypatch.setattr(diagnosis_cache, "code_version", lambda: "0" * 64)
    assert not findings(cache, *pair, settings=SETTINGS).reused


def _diagnose(workspace: Workspace, capsys, *argv: str) -> str:
    pair = ["--source", "upload:src.npz", "--target", "upload:tgt.npz", "--permutations", "50"]
    assert main(["--workspace", str(workspace.root), "diagnose", *pair, *argv]) == 0
    return capsys.readouterr().out


def test_diagnose_says_it_reused_and_no_cache_recomputes(workspace, capsys):
    first = _diagnose(workspace, capsys, "--no-umap")
    assert "from the workspace cache" not in first
    second = _diagnose(workspace, capsys, "--no-umap")
    assert "findings, explanation (from the workspace cache, computed " in second
    rest = [line for line in second.splitlines() if "from the workspace cache" not in line]
    assert rest == first.splitlines()  # the same report, number for number
    assert "from the workspace cache" not in _diagnose(workspace, capsys, "--no-umap", "--no-cache")
    payload = json.loads(_diagnose(workspace, capsys, "--json", "--umap-points", "40"))
    assert payload["from_cache"]["findings"].endswith(" UTC") and payload["from_cache"]["umap"] is None
    assert len(payload["umap"]["source"]) == 40
    again = json.loads(_diagnose(workspace, capsys, "--json", "--umap-points", "40"))
    assert again["from_cache"]["umap"].endswith(" UTC")
    assert again["umap"] == payload["umap"] and again["gap"] == payload["gap"]
    fresh = json.loads(_diagnose(workspace, capsys, "--json", "--umap-points", "40", "--no-cache"))
    assert set(fresh["from_cache"].values()) == {None}
    assert fresh["umap"] == payload["umap"] and fresh["gap"] == payload["gap"]
