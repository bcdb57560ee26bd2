"""The selection benchmark judges one pool per set of target samples: seeds of a randomly shifted
target spec are separate pools, seeds of a fixed target one."""

from types import SimpleNamespace

from bench import selection
from tlcore.selection.pool import Pool


def _pools(monkeypatch, groups: list[set[str]], ids: dict[int, list[str]], failed: frozenset = frozenset()):
    def load_pool(store, source, target, *, run_id):
        (group,) = [g for g in groups if run_id in g]
        return Pool(source, target, tuple(SimpleNamespace(run_id=r) for r in sorted(group)))

    monkeypatch.setattr(selection, "load_pool", load_pool)
    store = SimpleNamespace(get=lambda r: SimpleNamespace(status="failed" if r in failed else "done"))
    found = selection.pools_of(store, ("s", "t"), ids)
    return [(seeds, sorted(c.run_id for c in pool.candidates)) for seeds, pool in found]


def test_seeds_on_other_target_samples_make_separate_pools(monkeypatch):
    ids = {0: ["a", "b"], 1: ["c", "d"]}
    shifted = _pools(monkeypatch, [{"a", "b"}, {"c", "d"}], ids)
    assert shifted == [([0], ["a", "b"]), ([1], ["c", "d"])]
    fixed = _pools(monkeypatch, [{"a", "b", "c", "d"}], ids, failed=frozenset({"a"}))
    assert fixed == [([0, 1], ["a", "b", "c", "d"])]
