"""Samples a pair shares: how many of the target's samples, of the test split a run scores it on and
of the held-out splits its gap is measured on, are source samples (no torch: it compares specs, sample
ids and the content keys :mod:`tlcore.adapt.pair` gives it).

Two specs of one base dataset draw from the same images: ``fashion:n=2000`` and ``fashion:n=1000``
take the first 2000 and 1000 of one seeded permutation, so the target lies inside the source and a
source-only model is scored on images it trained on (its target accuracy reads higher than on the
dataset's ``split=test``). A sample is identified exactly by its base dataset and its id
(:attr:`tlcore.data.domain.Domain.ids`: its index, or native split and index, in that dataset); shift
options change pixels, not which image a sample is, so a target made of source images differs from
the source only by the two specs' shifts (a constructed pair, as the explain benchmark's).

Specs of other base datasets (two uploads, a file and a built-in) have no ids in common, so their
samples are compared by content: a target sample whose harmonised bytes are a source sample's is an
exact copy of it (:func:`copied_samples`; the same photos uploaded in two folders, a table's rows
repeated in another file), and an image that is a source image re-encoded, resized or shifted by a
pixel is a near copy of it (:mod:`tlcore.data.near_copies`). No split separates two uploads: the fix
is to remove the copies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from tlcore.commands import command_line
from tlcore.data import builtin, torchvision_sets
from tlcore.data.shift_table import format_shifts
from tlcore.data.spec_text import parse_spec
from tlcore.numbers import and_more, plural

SAME_FILES = {"fashion": "fashionmnist"}  # built-ins read through a torchvision set: one base dataset
DROP_WORDS = ("data", "drop-copies")  # the command that removes the copies found by content
COPIES_LISTED = 20  # target sample ids of copies in ``--json``; the line names the first three


@dataclass(frozen=True)
class RunSplits:
    """The sample ids of a run's splits (:class:`tlcore.adapt.pair.RunPair`) and the seed and test
    fraction that drew them."""

    source_train: Sequence[str]
    source_val: Sequence[str]
    target_test: Sequence[str]
    seed: int
    test_fraction: float
    target_train: Sequence[str] = ()  # what a run adapts to


@dataclass(frozen=True)
class SharedSamples:
    """Target samples that are source samples: in all, in the target's test and training splits (among
    the source's training samples) and in the held-out splits (target test among source validation
    samples); found ``by`` sample ids (specs of one base dataset) or by content (exact or near copies,
    specs of other ones)."""

    base: str  # the target's dataset (by ids: the one both specs draw from), as the target names it
    shared: int  # target samples that are source samples
    n_source: int
    n_target: int
    shared_test: int  # target test samples that are source training samples
    n_test: int
    shared_held_out: int  # target test samples that are source validation samples
    n_source_val: int
    seed: int  # of the split the counts are of
    test_fraction: float
    shifts: tuple[str, str]  # each spec's shifts, as written in it ("" for none)
    fix: tuple[str, str] | None  # (source, target) specs on the base's train and test splits
    images: bool = True  # the samples are images (else feature vectors: a table's rows, an array's)
    by: Literal["ids", "content"] = "ids"
    copies: tuple[str, ...] = ()  # by content: the target sample ids that are copies, all of them
    near: int = 0  # by content: how many of ``shared`` are near copies (the rest are exact ones)
    target_labelled: bool = True  # else no target accuracy: the copies sway the gap and validators
    shared_train: int = 0  # target training samples (what a run adapts to) that are source training samples
    n_train: int = 0

    @property
    def copied(self) -> tuple[int, int] | None:
        """Found by content: the target samples that are copies and the target's samples (what the
        verdict leads with: :func:`tlcore.explain.headline.copies_first`); by ids, None."""
        return (self.shared, self.n_target) if self.by == "content" else None

    def line(self, held_out: bool = False, *, workspace: str | None = None) -> str:
        """One line: the counts, what they do to the target's scores, the fix (its command carrying
        ``--workspace workspace`` when given: :func:`fix_text`); with ``held_out``, what the held-out
        splits share (what ``diagnose --held-out`` compares)."""
        fix = fix_text(self.by, self.fix, self.copies, self.shared, workspace=workspace)
        text = self._copies_text(fix) if self.by == "content" else self._ids_text(fix)
        return f"{text}; {self._held_out_text()}" if held_out else text

    def _ids_text(self, fix: str) -> str:
        """The line of samples found by id: each side's spec names the same samples."""
        head = f"source and target share {self._kind} of {self.base}: "
        are = "is a source sample" if self.shared == 1 else "are source samples"
        head += f"{of_target(self.shared, self.n_target)} {are}"
        if self.shared == self.n_target:  # the target is source images (a constructed pair, say)
            head += f" ({self._shifts_text()})"
        if not self.target_labelled:
            return self._used_text(head, fix)
        tested = f"the {self.n_test} target test samples a run with seed {self.seed} scores on"
        if not self.shared_test:
            return f"{head}, though none of {tested} {training_words(1, False)} (both split alike)"
        return (
            f"{head}, and {self.shared_test} of {tested} {training_words(self.shared_test, False)}, "
            f"{swayed_words(self.target_labelled)}; to score transfer, {fix}"
        )

    def _copies_text(self, fix: str) -> str:
        """The line of samples found by content: exact or near copies, whichever names the specs give
        them."""
        head = f"the target repeats source {self._kind}, found by content: "
        verb = "is" if self.shared == 1 else "are"
        head += f"{of_target(self.shared, self.n_target)} {verb} {copies_words(self.shared, self.near)}"
        if not self.target_labelled:
            return self._used_text(head, fix)
        tested = f"the {self.n_test} target test samples a run with seed {self.seed} scores on"
        if not self.shared_test:
            return f"{head}, though none of {tested} {training_words(1, True)}; to measure transfer, {fix}"
        return (
            f"{head}, and {self.shared_test} of {tested} {training_words(self.shared_test, True)}, "
            f"{swayed_words(self.target_labelled)}; to score transfer, {fix}"
        )

    def _used_text(self, head: str, fix: str) -> str:
        """An unlabelled target's line after its ``head``: a run scores no target accuracy, but adapts to
        its target training split and measures its gap and validators on its test split; how many of
        each are source training samples (or copies of them), and the ``fix``."""
        content = self.by == "content"
        used = self.shared_train + self.shared_test
        if not used:
            splits = f"the {self.n_train + self.n_test} target samples a run with seed {self.seed} uses"
            return f"{head}, though none of {splits} {training_words(1, content)}; to measure transfer, {fix}"
        splits = (
            f"{self.shared_train} of the {self.n_train} target samples a run with seed {self.seed} adapts "
            f"to and {self.shared_test} of the {self.n_test} it measures its gap and validators on"
        )
        swayed = swayed_words(False, adapted=bool(self.shared_train), measured=bool(self.shared_test))
        return f"{head}, and {splits} {training_words(used, content)}, {swayed}; to measure transfer, {fix}"

    @property
    def _kind(self) -> str:
        return "images" if self.images else "samples"

    def _shifts_text(self) -> str:
        """What tells a target made of source images from the source: the specs' shifts, or nothing."""
        sides = zip(("source", "target"), self.shifts, strict=True)
        said = " and ".join(f"the {side}'s {text}" for side, text in sides if text)
        if said:
            return f"the same {self._kind}, told apart only by {said}"
        return f"the target is {'the' if self.shared == self.n_source else 'part of the'} source, unshifted"

    def _held_out_text(self) -> str:
        """What the held-out splits (source validation, target test) share: the gap is measured on them."""
        splits = "the held-out splits a run measures its gap on share"
        content = self.by == "content"
        validation = f"the {plural(self.n_source_val, 'source validation sample')}"
        if not self.shared_held_out:
            among = "a copy of one of" if content else "among"
            return f"{splits} none: no target test sample is {among} {validation}"
        one = self.shared_held_out == 1
        among = ("a copy of a sample among" if one else "copies of samples among") if content else "among"
        shifted = ", shifted" if any(self.shifts) and not content else ""
        return (
            f"{splits} {self._kind}: {self.shared_held_out} of the {self.n_test} target test samples "
            f"{'is' if one else 'are'} {among} {validation}, so the gap compares "
            f"{'it with itself' if one else 'them with themselves'}{shifted}"
        )

    def to_dict(self, held_out: bool = False, *, workspace: str | None = None) -> dict[str, Any]:
        """How they were found, the counts, each side's share, the split they are of, the fix (by
        content: the first :data:`COPIES_LISTED` target sample ids that are copies) and the
        :meth:`line` the text prints (``--json``; ``workspace`` as it takes it). A run's result stores it
        without a workspace: :func:`for_workspace` gives it one when shown."""
        return {
            "by": self.by,
            "base": self.base,
            "shared": self.shared,
            "n_source": self.n_source,
            "n_target": self.n_target,
            "source_share": self.shared / self.n_source,
            "target_share": self.shared / self.n_target,
            "shared_test": self.shared_test,
            "n_test": self.n_test,
            "shared_held_out": self.shared_held_out,
            "n_source_val": self.n_source_val,
            "seed": self.seed,
            "test_fraction": self.test_fraction,
            "fix": None if self.fix is None else {"source": self.fix[0], "target": self.fix[1]},
            "copies": list(self.copies[:COPIES_LISTED]) if self.by == "content" else None,
            "near_copies": self.near if self.by == "content" else None,
            "target_labelled": self.target_labelled,
            "shared_train": self.shared_train,
            "n_train": self.n_train,
            "text": self.line(held_out, workspace=workspace),
        }


def of_target(shared: int, n_target: int) -> str:
    """``3 of the target's 10 samples``, or ``all 10 of the target's samples`` when ``shared`` is all
    ``n_target`` of them: how the lines and the verdict count the target's shared samples."""
    if shared == n_target:
        return f"all {n_target} of the target's samples"
    return f"{shared} of the target's {n_target} samples"


def copies_words(shared: int, near: int) -> str:
    """What ``shared`` copies of source samples are, ``near`` of them near copies: ``exact copies of
    source samples``, ``near copies of source samples (re-encoded, resized or shifted)`` or ``copies
    of source samples (3 exact, 2 near copies: re-encoded, resized or shifted)`` (``1 near copy``); one
    copy: ``an exact copy of a source sample``, ``a near copy of a source sample (...)``."""
    copies = "copy of a source sample" if shared == 1 else "copies of source samples"
    if not near:
        return f"{'an ' if shared == 1 else ''}exact {copies}"
    if near == shared:
        return f"{'a ' if shared == 1 else ''}near {copies} (re-encoded, resized or shifted)"
    exact = shared - near
    near_words = plural(near, "near copy", "near copies")
    return f"copies of source samples ({exact} exact, {near_words}: re-encoded, resized or shifted)"


def swayed_words(target_labelled: bool, *, adapted: bool = False, measured: bool = True) -> str:
    """What target samples that are source training samples (or copies) do to a run: a labelled
    target's accuracy (on its test split) reads too high; an unlabelled target has none, but the run
    adapts to source samples as target ones (``adapted``: its target training split holds some) and
    measures its gap and validators on them (``measured``: its target test split holds some)."""
    if target_labelled:
        return "so its target accuracy reads too high"
    done = ["adapts to"] * adapted + ["measures its gap and validators on"] * measured
    return f"so it {' and '.join(done)} source samples it trained on (target unlabelled)"


def training_words(shared_test: int, content: bool) -> str:
    """What ``shared_test`` target test samples are, found by ``content`` or by ids: ``is a copy of a
    source training sample``, ``are copies of source training samples``, ``is a source training
    sample``, ``are source training samples``."""
    if shared_test == 1:
        return "is a copy of a source training sample" if content else "is a source training sample"
    return "are copies of source training samples" if content else "are source training samples"


def fix_text(
    by: Literal["ids", "content"],
    fix: tuple[str, str] | None,
    copies: Sequence[str],
    shared: int,
    *,
    workspace: str | None = None,
) -> str:
    """What to do about shared samples, in words: by ids, the ``fix`` specs (else other data); by
    content, remove the copies (the first three of their target sample ``copies``, of ``shared``), and
    the command that does (:data:`DROP_WORDS`, with ``--workspace workspace`` when given)."""
    if by == "content":
        named = ", ".join(copies[:3]) + and_more(shared - len(copies[:3]))
        drop = command_line(*DROP_WORDS, workspace=workspace)
        if shared == 1:
            return f"remove the copy from the target (sample id {named}; {drop} drops it)"
        return f"remove the copies from the target (sample ids {named}; {drop} drops them)"
    return f"use source {fix[0]} and target {fix[1]}" if fix else "take the target from other data"


def stored_fix(found: Mapping[str, Any], *, workspace: str | None = None) -> str:
    """:func:`fix_text` of a finding as :meth:`SharedSamples.to_dict` stored it (a run's result)."""
    fix = found["fix"]
    pair = None if fix is None else (fix["source"], fix["target"])
    return fix_text(found["by"], pair, found["copies"] or (), found["shared"], workspace=workspace)


def for_workspace(found: Mapping[str, Any], workspace: str | None) -> dict[str, Any]:
    """A finding as a run's result stored it (:meth:`SharedSamples.to_dict`, without a workspace: the
    result may be read from another path later) with its text's command carrying ``--workspace
    workspace`` (``runs show``); as it is when ``workspace`` is None."""
    stored, shown = (command_line(*DROP_WORDS, workspace=w) for w in (None, workspace))
    return {**found, "text": found["text"].replace(stored, shown)}


def base_dataset(spec: str) -> str:
    """The base dataset a spec reads (a data set's name, an upload's or a file's), without its options."""
    parsed = parse_spec(spec)
    return SAME_FILES.get(parsed.name, parsed.name) if parsed.kind == "builtin" else str(parsed.name)


def other_splits(source: str, target: str) -> bool:
    """Whether the specs read different native splits of one dataset (``split=train`` and
    ``split=test``): no sample of one is a sample of the other."""
    splits = parse_spec(source).split, parse_spec(target).split
    return None not in splits and "all" not in splits and splits[0] != splits[1]


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
    splits: RunSplits,
    *,
    images: bool,
    target_labelled: bool = True,
) -> SharedSamples | None:
    """What ``target`` shares with ``source`` (specs): ``ids`` are the source's and the target's sample
    ids, ``splits`` a run's split of them, ``images`` whether the samples are images, ``target_labelled``
    whether the target is; ``None`` when they share nothing (other base datasets, or disjoint samples)."""
    if base_dataset(source) != base_dataset(target):
        return None
    found = _counted(source, target, ids, splits, images=images, target_labelled=target_labelled)
    return found and replace(found, fix=split_fix(source, target))


def copied_samples(
    source: str,
    target: str,
    keys: tuple[Sequence[str], Sequence[str]],
    splits: RunSplits,
    *,
    images: bool,
    target_ids: Sequence[str],
    near: int = 0,
    target_labelled: bool = True,
) -> SharedSamples | None:
    """The target samples of ``target`` that are copies of samples of ``source`` (specs of other base
    datasets): ``keys`` are each side's content keys (equal for equal bytes; a near copy keyed as the
    source sample it copies), ``splits`` a run's split of them, ``target_ids`` the target's sample ids in
    the order of its keys, ``near`` how many of the target's samples are near copies, ``target_labelled``
    whether the target is; ``None`` when the target copies none."""
    found = _counted(source, target, keys, splits, images=images, target_labelled=target_labelled)
    if found is None:
        return None
    source_keys = set(keys[0])
    copies = tuple(i for i, key in zip(target_ids, keys[1], strict=True) if key in source_keys)
    return replace(found, by="content", copies=copies, near=near)


def _counted(
    source: str,
    target: str,
    ids: tuple[Sequence[str], Sequence[str]],
    splits: RunSplits,
    *,
    images: bool,
    target_labelled: bool,
) -> SharedSamples | None:
    """The counts of target samples whose ``ids`` (sample ids, or content keys) are a source sample's,
    in all and in ``splits``; ``None`` when there are none."""
    source_ids = set(ids[0])
    shared = sum(i in source_ids for i in ids[1])
    if not shared:
        return None
    train, val = set(splits.source_train), set(splits.source_val)
    return SharedSamples(
        base=parse_spec(target).name,
        shared=shared,
        n_source=len(ids[0]),
        n_target=len(ids[1]),
        shared_test=sum(i in train for i in splits.target_test),
        n_test=len(splits.target_test),
        shared_held_out=sum(i in val for i in splits.target_test),
        n_source_val=len(splits.source_val),
        seed=splits.seed,
        test_fraction=splits.test_fraction,
        shifts=(format_shifts(parse_spec(source).shifts), format_shifts(parse_spec(target).shifts)),
        fix=None,
        images=images,
        target_labelled=target_labelled,
        shared_train=sum(i in train for i in splits.target_train),
        n_train=len(splits.target_train),
    )
