"""Deterministic splits, paired source/target batches and class-balance summaries.

Every random choice draws from a generator seeded by ``(seed, purpose)`` (see :mod:`tlcore.data.rng`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import torch

from tlcore.data.domain import Domain
from tlcore.data.rng import generator
from tlcore.errors import TLError
from tlcore.split_names import TARGET_HELD_OUT


def train_test_split(
    domain: Domain,
    test_fraction: float = 0.2,
    seed: int = 0,
    stratify: bool = True,
    held_out: str = TARGET_HELD_OUT,
) -> tuple[Domain, Domain]:
    """``(train, test)``, stratified by class when labelled (a class of >= 2 samples has both sides);
    the test part named ``NAME [held_out]`` (a run's source: :data:`~tlcore.split_names.SOURCE_HELD_OUT`)."""
    if not 0.0 < test_fraction < 1.0:
        raise TLError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    if domain.n_samples < 2:
        raise TLError(f"{domain.name}: need at least 2 samples to split, got {domain.n_samples}")
    gen = generator(seed, "train_test_split")
    groups = (
        [torch.nonzero(domain.y == c).flatten() for c in range(domain.n_classes)]
        if stratify and domain.y is not None
        else [torch.arange(domain.n_samples)]
    )
    test_parts = []
    for members in groups:
        n = len(members)
        n_test = min(max(round(n * test_fraction), 1), n - 1) if n >= 2 else 0
        test_parts.append(members[torch.randperm(n, generator=gen)[:n_test]])
    is_test = torch.zeros(domain.n_samples, dtype=torch.bool)
    is_test[torch.cat(test_parts)] = True
    if is_test.all() or not is_test.any():
        raise TLError(f"{domain.name}: too few samples for a {test_fraction:g} test split")
    train = domain.subset(torch.nonzero(~is_test).flatten(), name=f"{domain.name} [train]")
    test = domain.subset(torch.nonzero(is_test).flatten(), name=f"{domain.name} [{held_out}]")
    return train, test


def few_shot(domain: Domain, k: int, seed: int) -> Domain:
    """A seeded draw of ``k`` labelled samples per class (all of a class when it has fewer)."""
    if domain.y is None:
        raise TLError(f"{domain.name}: k labelled samples per class need a labelled domain")
    gen = generator(seed, "few_shot", k)
    picks = []
    for c in range(domain.n_classes):
        members = torch.nonzero(domain.y == c).flatten()
        picks.append(members[torch.randperm(len(members), generator=gen)[:k]])
    index = torch.sort(torch.cat(picks)).values
    if not len(index):
        raise TLError(f"{domain.name}: no labelled samples to draw {k} per class from")
    return domain.subset(index, name=f"{domain.name} ({k} per class)")


@dataclass(frozen=True)
class PairedBatchSampler:
    """Index batches drawn from a source and a target together, one epoch at a time.

    An epoch is one pass over the source (``over="source"``) or over the larger of the two sides
    (``"larger"``: every target sample is drawn each epoch too, as skada's default
    ``max_samples="max"``): ``ceil(n / batch_size)`` steps (``floor`` with ``drop_last``, at least
    one). Each side walks through fresh random permutations of its indices, starting a new one when
    it runs out (the smaller side cycles); both batches of a step have the same length. Same
    ``(seed, epoch)``, same batches; with ``n_source >= n_target`` both settings draw the same ones.
    """

    n_source: int
    n_target: int
    batch_size: int
    seed: int = 0
    drop_last: bool = False
    over: Literal["source", "larger"] = "source"

    def __post_init__(self) -> None:
        if self.n_source < 1 or self.n_target < 1:
            raise TLError(
                f"paired batches need samples on both sides, got {self.n_source} and {self.n_target}"
            )
        if self.batch_size < 1:
            raise TLError(f"batch_size must be positive, got {self.batch_size}")

    @property
    def n_epoch(self) -> int:
        """The samples one epoch passes over: the source's, or the larger side's."""
        return self.n_source if self.over == "source" else max(self.n_source, self.n_target)

    def __len__(self) -> int:
        steps = self.n_epoch / self.batch_size
        return max(1, math.floor(steps)) if self.drop_last else math.ceil(steps)

    def epoch(self, epoch: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """``(source_index, target_index)`` int64 batches for one epoch."""
        total = min(len(self) * self.batch_size, self.n_epoch)
        gen = generator(self.seed, "paired_batches", epoch)
        source, target = _stream(self.n_source, total, gen), _stream(self.n_target, total, gen)
        for start in range(0, total, self.batch_size):
            yield source[start : start + self.batch_size], target[start : start + self.batch_size]


def _stream(n: int, total: int, gen: torch.Generator) -> torch.Tensor:
    """``total`` indices: concatenated fresh permutations of ``range(n)``."""
    return torch.cat([torch.randperm(n, generator=gen) for _ in range(math.ceil(total / n))])[:total]
