"""A run's data: its harmonised source/target pair and the seeded splits it trains and is scored on.

The pipeline (:mod:`tlcore.adapt.pipeline`) trains on these splits and measures its gap before /
after on the held-out ones; ``python -m tlcore diagnose --features run:ID --held-out`` loads the
same splits from the run's config to reproduce that gap.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from tlcore.adapt.checks import check_labels
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.copy_search import cache_folder, near_originals
from tlcore.data import harmonise, train_test_split
from tlcore.data.domain import Domain
from tlcore.data.overlap import RunSplits, SharedSamples, base_dataset, copied_samples, shared_samples
from tlcore.data.spec import load_sides
from tlcore.errors import TLError
from tlcore.split_names import SOURCE_HELD_OUT
from tlcore.workspace import Workspace


@dataclass(frozen=True)
class PairKey:
    """What a run's pair depends on in its config: both specs, and the seed and test fraction that
    load and split them (the workspace aside)."""

    source: str
    target: str
    seed: int
    test_fraction: float

    @classmethod
    def of(cls, cfg: AdaptConfig) -> PairKey:
        return cls(cfg.source, cfg.target, cfg.seed, cfg.test_fraction)


@dataclass(frozen=True)
class RunPair:
    """The four splits of one run; ``source_val`` and ``target_test`` are held out from training.
    ``target`` is the whole harmonised target domain before the split (a run's stored predictions
    cover it, in its order, so runs with other seeds or test fractions share them sample by sample).
    ``key``: the config values it was split for (:func:`split_pair`), None for a pair built by hand;
    ``loaded_in``: the wall seconds :func:`load_run_pair` took to load it (0 for a pair split by hand);
    ``cache``: the workspace's folder its search for near copies is stored in (None: none)."""

    source_train: Domain
    source_val: Domain
    target_train: Domain  # with labels, if any: only stage methods may use them
    target_test: Domain
    target: Domain
    key: PairKey | None = None
    loaded_in: float = field(default=0.0, compare=False)
    cache: Path | None = field(default=None, compare=False)
    _found: dict[PairKey, tuple[SharedSamples | None, float]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )  # :meth:`shared`, found once per key, and the wall seconds its search took

    @property
    def unlabelled_target(self) -> Domain:
        return replace(self.target_train, y=None)

    def shared(self, cfg: AdaptConfig) -> SharedSamples | None:
        """The target samples, target test samples and held-out target test samples that are source
        (training, validation) samples (:func:`~tlcore.data.overlap.shared_samples`), or copies of them
        when the specs read other base datasets (:func:`~tlcore.data.overlap.copied_samples`, by
        :func:`content_keys` and :func:`near_keyed`); ``cfg`` is the config that split the pair. Found
        once: the CLI's ``adapt`` says it before the run, and the run it hands this pair keeps it."""
        key = PairKey.of(cfg)
        if key not in self._found:
            started = time.perf_counter()
            found = self._find_shared(cfg)
            self._found[key] = found, time.perf_counter() - started
        return self._found[key][0]

    def load_seconds(self, cfg: AdaptConfig) -> float:
        """The wall seconds this pair took before a run of ``cfg`` trains on it, whoever spent them (the
        CLI's ``adapt`` for its estimate, or the run): its loading (``loaded_in``) and its search for
        shared samples (:meth:`shared`, searched now if not yet)."""
        self.shared(cfg)
        return self.loaded_in + self._found[PairKey.of(cfg)][1]

    def _find_shared(self, cfg: AdaptConfig) -> SharedSamples | None:
        if base_dataset(cfg.source) == base_dataset(cfg.target):
            return self._shared(cfg)
        sources = _keyed((self.source_train, self.source_val), "source", repeats_count=False)
        targets = _keyed((self.target_test, self.target), "target", repeats_count=True)
        (target_test, target), near = near_keyed(sources, targets, self.cache)
        keys = dict(zip(self.target.ids, target.ids, strict=True))  # each target sample's content key
        target_train = replace(self.target_train, ids=tuple(keys[i] for i in self.target_train.ids))
        keyed = RunPair(*sources, target_train, target_test, target)
        return keyed._shared(cfg, self.target.ids, near)

    def _shared(
        self, cfg: AdaptConfig, target_ids: Sequence[str] | None = None, near: int = 0
    ) -> SharedSamples | None:
        """What the splits' ids share; with ``target_ids`` (the target's sample ids) the ids are content
        keys, and what they share is copies, ``near`` of the target's samples near copies."""
        source_ids = (*self.source_train.ids, *self.source_val.ids)
        splits = RunSplits(
            self.source_train.ids,
            self.source_val.ids,
            self.target_test.ids,
            cfg.seed,
            cfg.test_fraction,
            self.target_train.ids,
        )
        ids, images, labelled = (source_ids, self.target.ids), self.target.is_image, self.target.labelled
        if target_ids is None:
            return shared_samples(
                cfg.source, cfg.target, ids, splits, images=images, target_labelled=labelled
            )
        return copied_samples(
            cfg.source,
            cfg.target,
            ids,
            splits,
            images=images,
            target_ids=target_ids,
            near=near,
            target_labelled=labelled,
        )


def content_keys(X: torch.Tensor) -> tuple[str, ...]:
    """Each sample's content key: the BLAKE2b digest (16 bytes, hex) of its float32 bytes, equal for
    exact copies (a harmonised pair's samples share one shape and dtype)."""
    rows = X.detach().cpu().contiguous().numpy().reshape(len(X), -1)
    return tuple(hashlib.blake2b(row.tobytes(), digest_size=16).hexdigest() for row in rows)


def _keyed(parts: Sequence[Domain], side: str, *, repeats_count: bool) -> list[Domain]:
    """One side's ``parts`` with their samples' content keys for ids. A key that names no one sample
    becomes a token that matches nothing: a constant sample's (a blank image, a row of one value, alike
    on any two sides by chance), and unless ``repeats_count`` (the source: False), content the side
    itself repeats (a table of a few discrete columns repeats rows without any copying). A token names
    its side and content (``source:<key>``), so one content is one token however the side is split."""
    keys = [content_keys(part.X) for part in parts]
    seen = Counter(key for part_keys in keys for key in part_keys)
    keyed = []
    for part, part_keys in zip(parts, keys, strict=True):
        flat = part.X.reshape(len(part.X), -1)
        constant = (flat == flat[:, :1]).all(1).tolist()
        ids = tuple(
            f"{side}:{key}" if constant[i] or (seen[key] > 1 and not repeats_count) else key
            for i, key in enumerate(part_keys)
        )
        keyed.append(replace(part, ids=ids))
    return keyed


def near_keyed(
    sources: Sequence[Domain], targets: Sequence[Domain], folder: Path | None = None
) -> tuple[list[Domain], int]:
    """The keyed (:func:`_keyed`) ``targets`` (of images; the last the whole target, the others parts of
    it) with each near copy of a source image keyed as that image, and how many of the whole target's
    samples are near copies. The near copies are searched between the whole source (``sources``, its
    parts) and the whole target once per pair of contents (:func:`~tlcore.adapt.copy_search.near_originals`,
    stored in ``folder`` when given); feature vectors are left as they are (no rule tells a near copy
    of a row from a like row)."""
    whole = targets[-1]
    if not whole.is_image:
        return list(targets), 0
    keyed = near_originals(sources, whole, folder)
    renamed = [replace(part, ids=tuple(keyed.get(i, i) for i in part.ids)) for part in targets]
    return renamed, sum(i in keyed for i in whole.ids)


def load_run_pair(
    cfg: AdaptConfig, workspace: Workspace | None, needs_target_labels: Sequence[str] = ()
) -> RunPair:
    """Both specs loaded with ``cfg.seed`` (:func:`~tlcore.data.spec.load_sides`: the target's image
    files decoded straight to the source's size), their labels checked
    (:func:`check_labels`), harmonised, each split ``train_test_split(domain, cfg.test_fraction,
    cfg.seed)`` (stratified by class when labelled); its ``loaded_in`` says how long that took."""
    started = time.perf_counter()
    source, target = load_sides(cfg.source, cfg.target, workspace, cfg.seed)
    check_labels(cfg, needs_target_labels, source.labelled, target.labelled)
    pair = split_pair(*harmonise(source, target), cfg)
    return replace(pair, loaded_in=time.perf_counter() - started, cache=cache_folder(workspace))


def run_pair(
    cfg: AdaptConfig,
    workspace: Workspace | None,
    needs_target_labels: Sequence[str] = (),
    loaded: RunPair | None = None,
) -> RunPair:
    """The pair of a run of ``cfg``: ``loaded``, the pair a caller loaded already
    (:func:`load_run_pair`, from ``workspace``), its labels checked as loading checks them, else
    :func:`load_run_pair`. A ``loaded`` pair split for another config is a caller's bug: ValueError."""
    if loaded is None:
        return load_run_pair(cfg, workspace, needs_target_labels)
    if loaded.key != PairKey.of(cfg):
        raise ValueError(f"a pair split for {loaded.key} handed to a run of {PairKey.of(cfg)}")
    check_labels(cfg, needs_target_labels, loaded.source_train.labelled, loaded.target.labelled)
    return loaded


def split_pair(source: Domain, target: Domain, cfg: AdaptConfig) -> RunPair:
    """The run's splits of a harmonised pair: each ``train_test_split(domain, cfg.test_fraction,
    cfg.seed)``, the source's held-out part named as its validation split (``mnist5k [validation]``)."""
    source_train, source_val = train_test_split(source, cfg.test_fraction, cfg.seed, held_out=SOURCE_HELD_OUT)
    target_train, target_test = train_test_split(target, cfg.test_fraction, cfg.seed)
    return RunPair(source_train, source_val, target_train, target_test, target, PairKey.of(cfg))


def pair_shared(
    source: Domain, target: Domain, cfg: AdaptConfig, folder: Path | None = None
) -> SharedSamples | None:
    """:meth:`RunPair.shared` of a harmonised pair split as ``cfg`` splits it, each sample hashed once
    (:func:`content_keys`, and images searched for near copies by :func:`near_keyed`, when the specs
    read other base datasets) and no pixel copied by the split (it
    reads labels only; a sample keeps its number of dimensions, zero-sized); None for a pair too small
    for a run's split (no run trains on it, so none scores on shared samples). ``folder``: where the
    near-copy search is stored (:func:`~tlcore.adapt.copy_search.cache_folder`), the one a run's reads."""
    target_ids = target.ids
    by_content = base_dataset(cfg.source) != base_dataset(cfg.target)
    near = 0
    if by_content:
        source, target, near = _content_keyed(source, target, folder)
    light = (replace(d, X=torch.empty(d.n_samples, *[0] * (d.X.ndim - 1))) for d in (source, target))
    try:
        pair = split_pair(*light, cfg)
    except TLError:  # too few samples for the split
        return None
    return pair._shared(cfg, target_ids if by_content else None, near)


def target_copies(source: Domain, target: Domain, folder: Path | None = None) -> tuple[tuple[str, ...], int]:
    """The sample ids of a harmonised ``target``'s copies of ``source`` samples (exact and near, found
    as :func:`pair_shared` finds them, with no split: a pair too small for a run's split has copies too)
    and how many of them are near copies; ``folder`` as :func:`pair_shared` takes it."""
    keyed_source, keyed_target, near = _content_keyed(source, target, folder)
    source_keys = set(keyed_source.ids)
    copies = tuple(i for i, key in zip(target.ids, keyed_target.ids, strict=True) if key in source_keys)
    return copies, near


def _content_keyed(source: Domain, target: Domain, folder: Path | None) -> tuple[Domain, Domain, int]:
    """Both sides with content keys for ids (:func:`_keyed`), the target's near copies keyed as the
    source images they copy (:func:`near_keyed`), and how many target samples are near copies."""
    (source,) = _keyed([source], "source", repeats_count=False)
    (target,), near = near_keyed([source], _keyed([target], "target", repeats_count=True), folder)
    return source, target, near
