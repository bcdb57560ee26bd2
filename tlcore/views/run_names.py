"""A run's label (:func:`run_label`), cut to a table column's width (pure): Compare's tables pin their run
column, and a recipe's five methods there (``deep_coral+im+fixmatch+shot_pl+adabn · 9c55e7``, about
310 px) pushed "alarm right?" off a 1280 px window (QA helper-217), and at 24 characters a pool ranked by
DEV past a 1024 px window (helper-232). The label keeps its id's end whole and cuts its methods after a
``+``; the column's help names each cut composition in full (:func:`run_help`); a sentence that names
runs by id names them so too (:func:`named`; one id: :func:`shown_label`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from tlcore.ellipsis import ELLIPSIS, keep_start
from tlcore.runs.record import RunRecord

SEP = " · "  # between a run label's methods and the end of its id (:func:`run_label`)
RUN_CHARS = 22  # the most characters of a run's label in Compare's ranking table


def run_label(record: RunRecord) -> str:
    """A short, readable name for a run: its method and the end of its id (plain text)."""
    return f"{record.method}{SEP}{record.id[-6:]}"


def short_label(label: str, chars: int = RUN_CHARS) -> str:
    """``label`` (``methods · id``) in at most ``chars`` characters: whole when it fits, else its id kept
    and its methods cut after the last ``+`` that fits, an ellipsis after them (``deep_coral+… ·
    9c55e7``); a label without an id cut at ``chars`` (:func:`~tlcore.ellipsis.keep_start`)."""
    if len(label) <= chars:
        return label
    methods, sep, run = label.rpartition(SEP)
    if not sep:
        return keep_start(label, chars)
    room = chars - len(ELLIPSIS) - len(SEP) - len(run)
    kept = methods[:room]
    kept = kept[: kept.rfind("+") + 1] or kept  # after a "+", not mid-name ("deep_coral+im+fixm")
    return f"{kept}{ELLIPSIS}{SEP}{run}"


def short_labels(labels: Mapping[str, str], chars: int = RUN_CHARS) -> dict[str, str]:
    """``{run id: short_label(label)}`` for every run of ``labels``."""
    return {run_id: short_label(label, chars) for run_id, label in labels.items()}


def cut_names(labels: Mapping[str, str], chars: int = RUN_CHARS) -> dict[str, str]:
    """``{short label: label}`` of the labels :func:`short_label` cuts: the HTML report's ranking table
    says each cut run's label whole on hover."""
    return {
        short_label(label, chars): label for label in labels.values() if short_label(label, chars) != label
    }


def run_help(labels: Mapping[str, str], run_ids: Iterable[str], chars: int = RUN_CHARS) -> str:
    """The run column's help: what a label is and, when :func:`short_label` cuts some of ``run_ids``'
    labels, each cut composition whole with the ids of its runs (``deep_coral+im+fixmatch+shot_pl+adabn
    (9c55e7, b03162)``, joined by ``; ``)."""
    runs: dict[str, list[str]] = {}
    for run_id in run_ids:
        label = labels.get(run_id, run_id)
        if short_label(label, chars) != label:
            methods, _, run = label.rpartition(SEP)
            runs.setdefault(methods or label, []).append(run if methods else "")
    said = [f"{name} ({', '.join(filter(None, ids))})" if any(ids) else name for name, ids in runs.items()]
    whole = f" Cut where long ({ELLIPSIS}); in full: {'; '.join(said)}." if said else ""
    return f"Each run's methods and the end of its id.{whole}"


def shown_label(run_id: str, labels: Mapping[str, str], chars: int = RUN_CHARS) -> str:
    """Run ``run_id`` as the tables show it: its label in ``labels`` cut by :func:`short_label` (the id
    itself where ``labels`` lacks it)."""
    return short_label(labels.get(run_id, run_id), chars)


def named(text: str, labels: Mapping[str, str], chars: int = RUN_CHARS) -> str:
    """``text`` with each run id of ``labels`` in it replaced by its label as the tables show it
    (:func:`short_label`): the ranking's sentences name runs by id (``runs rank --json`` keeps them so),
    and in a mixed pool Compare's recommendation read ``runs 20261207-175343-88cb4e, ...`` beside a
    table of labels (helper-232). An id is replaced whole only, never inside a longer word."""
    if not labels:
        return text
    ids = "|".join(re.escape(run_id) for run_id in sorted(labels, key=len, reverse=True))
    return re.sub(rf"(?<![\w-])(?:{ids})(?![\w-])", lambda m: shown_label(m[0], labels, chars), text)


PAIR_CHARS = 20  # the most characters of each spec of a pair beside a run's label (Predict's picker)


def pair_label(source: str, target: str, chars: int = PAIR_CHARS) -> str:
    """Another pair's run's pair beside its label, ``source → target``, each spec cut at ``chars``
    (:func:`~tlcore.ellipsis.keep_start`) as :func:`short_label` cuts the label: whole, long specs cut
    Predict's picker at 1024 px (helper-245); :func:`pairs_help` names them whole."""
    return f"{keep_start(source, chars)} → {keep_start(target, chars)}"


def pairs_help(pairs: Iterable[tuple[str, str]], chars: int = PAIR_CHARS) -> str:
    """The pairs :func:`pair_label` cuts, whole (``Pairs cut where long (…); in full: a → b; ...``);
    ``""`` when it cuts none."""
    cut = [f"{s} → {t}" for s, t in dict.fromkeys(pairs) if pair_label(s, t, chars) != f"{s} → {t}"]
    return f" Pairs cut where long ({ELLIPSIS}); in full: {'; '.join(cut)}." if cut else ""
