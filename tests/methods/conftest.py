"""Fixtures of the method tests."""

from collections.abc import Callable, Iterator

import pytest
import torch

import tlcore.method_table as table_module
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import PairKey, RunPair, load_run_pair
from tlcore.methods import registry as registry_module


@pytest.fixture
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Copies of the method table and the registry that toy registrations may change."""
    monkeypatch.setattr(table_module, "_METHODS", dict(table_module._METHODS))
    monkeypatch.setattr(registry_module, "_REGISTRY", dict(registry_module._REGISTRY))


def _tensors(pair: RunPair) -> list[torch.Tensor]:
    parts = (pair.source_train, pair.source_val, pair.target_train, pair.target_test, pair.target)
    return [t for part in parts for t in (part.X, part.y) if t is not None]


@pytest.fixture(scope="module")
def loaded_pair() -> Iterator[Callable[[AdaptConfig], RunPair]]:
    """``loaded_pair(cfg)``: the pair of ``cfg`` (no workspace) loaded once for a module's runs, handed
    to each as ``run_adaptation(cfg, pair=...)``: loading it and searching it for shared samples is the
    same work for every run of one pair. Afterwards each pair holds the values it was loaded with: no
    run may write into the pair it is handed."""
    pairs: dict[PairKey, tuple[RunPair, list[torch.Tensor]]] = {}

    def pair(cfg: AdaptConfig) -> RunPair:
        key = PairKey.of(cfg)
        if key not in pairs:
            loaded = load_run_pair(cfg, None)
            pairs[key] = loaded, [t.clone() for t in _tensors(loaded)]
        return pairs[key][0]

    yield pair
    for loaded, copies in pairs.values():
        assert all(torch.equal(now, then) for now, then in zip(_tensors(loaded), copies, strict=True))
