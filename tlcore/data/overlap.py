"""Samples a pair shares: how many of the target's samples, and of the test split a run scores it on,
are source training samples (no torch: it compares specs and sample ids).

Two specs of one base dataset draw from the same images: ``fashion:n=2000`` and ``fashion:n=1000``
take the first 2000 and 1000 of one seeded permutation, so the target lies inside the source and a
source-only model is scored on images it trained on (its target accuracy reads higher than on the
dataset's ``split=test``). A sample is identified exactly by its base dataset and its id
(:attr:`tlcore.data.domain.Domain.ids`: its index, or native split and index, in that dataset); shift
options change pixels, not which image a sample is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from tlcore.data import builtin, torchvision_sets
from tlcore.data.spec_text import parse_spec

SAME_FILES = {"fashion": "fashionmnist"}  # built-ins read through a torchvision set: one base dataset


@dataclass(frozen=True)
class SharedSamples:
    """Target samples that are source samples, in all and in the target's test split."""

    base: str  # the dataset both specs draw from, as the target names it
    shared: int  # target samples that are source samples
    n_target: int
    shared_test: int  # target test samples that are source training samples
    n_test: int
    fix: tuple[str, str] | None  # (source, target) specs on the base's train and test splits
    images: bool  # the samples are images (else feature vectors: a table's rows, an array's)

    def line(self) -> str:
        """One line: the counts, what they do to the target's scores, the fix."""
        head = (
            f"source and target share {'images' if self.images else 'samples'} of {self.base}: "
            f"{self.shared} of the target's {self.n_target} samples are source samples"
        )
        if not self.shared_test:
            return (
                f"{head}, though none of the {self.n_test} target test samples a run scores on is a source "
                "training sample (both split alike)"
            )
        fix = (
            f"use source {self.fix[0]} and target {self.fix[1]}"
            if self.fix
            else "take the target from other data"
        )
        return (
            f"{head}, and {self.shared_test} of the {self.n_test} target test samples a run scores on are "
            f"source training samples, so its target accuracy reads too high; {fix}"
        )


def base_dataset(spec: str) -> str:
    """The base dataset a spec reads (a data set's name, an upload's or a file's), without its options."""
    parsed = parse_spec(spec)
    return SAME_FILES.get(parsed.name, parsed.name) if parsed.kind == "builtin" else str(parsed.name)


def split_fix(source: str, target: str) -> tuple[str, str] | None:
    """``(source, target)`` on their dataset's ``train`` and ``test`` splits (other options kept), when
    it has both; else ``None``."""
    parsed = parse_spec(source), parse_spec(target)
    kind, name = parsed[1].kind, parsed[1].name
    if kind == "builtin":
        splits = builtin.BUILTINS[name].splits
    elif kind == "torchvision":
        splits = torchvision_sets.SETS[name].splits
    else:
        return None
    if not {"train", "test"} <= set(splits):
        return None
    return str(replace(parsed[0], split="train")), str(replace(parsed[1], split="test"))


def shared_samples(
    source: str,
    target: str,
    ids: tuple[Sequence[str], Sequence[str]],
    split_ids: tuple[Sequence[str], Sequence[str]],
    *,
    images: bool,
) -> SharedSamples | None:
    """What ``target`` shares with ``source`` (specs): ``ids`` are the source's and the target's sample
    ids, ``split_ids`` the source training split's and the target test split's, ``images`` whether the
    samples are images; ``None`` when they share nothing (other base datasets, or disjoint samples)."""
    if base_dataset(source) != base_dataset(target):
        return None
    source_ids, source_train = set(ids[0]), set(split_ids[0])
    shared = sum(i in source_ids for i in ids[1])
    if not shared:
        return None
    shared_test = sum(i in source_train for i in split_ids[1])
    fix = split_fix(source, target)
    counts = shared, len(ids[1]), shared_test, len(split_ids[1])
    return SharedSamples(parse_spec(target).name, *counts, fix, images)
