"""The near-copy search runs once per pair of contents (:mod:`tlcore.adapt.copy_search`): each seed's
and test fraction's shared samples derived from it equal those of the per-split search it replaced,
the process keeps it, and the workspace's cache serves it to another process until a sample changes."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from tlcore.adapt import copy_search
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import RunPair, _keyed, pair_shared, split_pair
from tlcore.data import load_domain
from tlcore.data.domain import Domain
from tlcore.data.near_copies import near_copies
from tlcore.data.overlap import SharedSamples

SOURCE, TARGET = "/data/field", "/data/again"  # two folders: compared by content


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """An empty memo, and the number of target images each near-copy search is handed."""
    monkeypatch.setattr(copy_search, "_MEMO", OrderedDict())
    calls: list[int] = []

    def counted(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        calls.append(len(target))
        return near_copies(source, target)

    monkeypatch.setattr(copy_search, "near_copies", counted)
    return calls


def digit_pair() -> tuple[Domain, Domain]:
    """MNIST digits: the source 260 digits, 20 more and a noisy twin of each (a near copy of it), a
    blank image and digit 0 again; the target 100 new digits, 30 exact copies, 30 moved a pixel, the
    20 twinned digits with other noise (near both the digit and its twin, which a split may part), a
    blank image and digit 0 (content the source repeats: no one's original)."""
    mnist = load_domain("mnist5k")
    X, y = mnist.X, mnist.y
    assert y is not None
    noise = torch.Generator().manual_seed(0)

    def noisy(images: torch.Tensor) -> torch.Tensor:
        return (images + 0.06 * torch.rand(images.shape, generator=noise) - 0.03).clamp(0, 1)

    blank = torch.zeros(1, *X.shape[1:])
    source_x = torch.cat([X[:260], X[300:320], noisy(X[300:320]), blank, X[:1]])
    source_y = torch.cat([y[:260], y[300:320], y[300:320], y[:1], y[:1]])
    moved = torch.roll(X[30:60], 1, dims=-1)
    target_x = torch.cat([X[400:500], X[:30], moved, noisy(X[300:320]), blank, X[:1]])
    target_y = torch.cat([y[400:500], y[:30], y[30:60], y[300:320], y[:1], y[:1]])
    return domain(source_x, source_y, "s"), domain(target_x, target_y, "t")


def domain(X: torch.Tensor, y: torch.Tensor, prefix: str) -> Domain:
    return Domain(prefix, X, y, tuple(map(str, range(10))), ids=tuple(f"{prefix}{i}" for i in range(len(X))))


def per_split_search(pair: RunPair, cfg: AdaptConfig) -> SharedSamples | None:
    """The search this replaced: the source's training then validation images against the whole
    target, once per split (``RunPair._find_shared`` before)."""
    sources = _keyed((pair.source_train, pair.source_val), "source", repeats_count=False)
    targets = _keyed((pair.target_train, pair.target_test, pair.target), "target", repeats_count=True)
    source_ids = [i for part in sources for i in part.ids]
    whole = targets[-1]
    searched = [j for j, key in enumerate(whole.ids) if key not in set(source_ids) and ":" not in key]
    originals = near_copies(torch.cat([part.X for part in sources]), whole.X[searched]).tolist()
    near = {
        whole.ids[j]: source_ids[m]
        for j, m in zip(searched, originals, strict=True)
        if m >= 0 and ":" not in source_ids[m]
    }
    renamed = [replace(part, ids=tuple(near.get(i, i) for i in part.ids)) for part in targets]
    keyed = RunPair(*sources, *renamed)
    return keyed._shared(cfg, pair.target.ids, sum(i in near for i in whole.ids))


def test_each_splits_shared_samples_equal_the_per_split_searchs_from_one_search(searches: list[int]) -> None:
    source, target = digit_pair()
    counts = set()
    for seed in (0, 1, 2):
        for fraction in (0.2, 0.3):
            cfg = AdaptConfig(source=SOURCE, target=TARGET, seed=seed, test_fraction=fraction)
            pair = split_pair(source, target, cfg)
            found = pair.shared(cfg)
            assert found is not None and found == per_split_search(pair, cfg)
            assert found == pair_shared(source, target, cfg)  # the page's count, from the same search
            assert (found.shared, found.near, found.n_target) == (79, 50, 182)
            assert found.copies == tuple(f"t{i}" for i in range(101, 180))  # not digit 0
            counts.add((found.shared_test, found.shared_held_out, found.n_test, found.n_source_val))
    assert len(counts) == 6  # each split attributes the copies its own way
    assert searches == [152]  # one search for the 6 splits


def test_the_workspace_cache_serves_the_search_until_a_sample_changes(
    tmp_path: Path, searches: list[int]
) -> None:
    source, target = digit_pair()
    (keyed_source,) = _keyed([source], "source", repeats_count=False)
    (whole,) = _keyed([target], "target", repeats_count=True)
    found = copy_search.near_originals([keyed_source], whole, tmp_path)
    assert len(found) == 50 and len(searches) == 1
    assert len(list(tmp_path.glob("*.pkl"))) == 1
    copy_search._MEMO.clear()  # another process: read back, not searched
    assert copy_search.near_originals([keyed_source], whole, tmp_path) == found and len(searches) == 1
    changed = target.X.clone()
    changed[0, 0, 0, 0] = 0.5  # one pixel of one new digit: another key
    (whole,) = _keyed([replace(target, X=changed)], "target", repeats_count=True)
    assert copy_search.near_originals([keyed_source], whole, tmp_path) == found and len(searches) == 2
    assert len(list(tmp_path.glob("*.pkl"))) == 2
