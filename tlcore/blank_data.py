"""Blank data: how many of a domain's images have no ink, and the warning a model's readings of them need.

A model puts every image in some class, a blank one (no ink: :func:`tlcore.data.ink.blank_mask`) too,
and reads it with confidence; the label-free scores that rank runs (EnsV: agreement with the ensemble
of the pair's runs) read a blank target as certainty. From
:data:`~tlcore.explain.image_stats.BLANK_MIN` of a domain's images blank (the share from which a
diagnosis leaves them out), ``predict``, ``runs rank`` and the Predict and Compare pages say so with
:func:`blank_warning`'s sentence.
"""

from __future__ import annotations

from tlcore.adapt.config import AdaptConfig
from tlcore.data.domain import Domain
from tlcore.data.ink import MIN_SIDE, blank_mask, describe_blank
from tlcore.data.spec import load_domain
from tlcore.errors import TLError
from tlcore.explain.image_stats import BLANK_MIN
from tlcore.runs.store import RunStore


def count_blank(domain: Domain) -> int:
    """How many of ``domain``'s images are blank (0 for feature vectors and images too small to tell)."""
    if not domain.is_image or domain.X.ndim != 4 or min(domain.X.shape[-2:]) < MIN_SIDE:
        return 0
    return int(blank_mask(domain.X).sum())


def blank_warning(domain: Domain, what: str = "") -> str | None:
    """``120 of 120 upload:blank.npz images are blank (no ink) and ...`` when at least
    :data:`~tlcore.explain.image_stats.BLANK_MIN` of ``domain``'s images are blank, else None
    (``what``: which data, default the domain's name)."""
    n_blank, n_total = count_blank(domain), domain.n_samples
    if not n_blank or n_blank < BLANK_MIN * n_total:
        return None
    fate = (
        "still each get a class from a model: its predictions, confidences and label-free scores "
        "(EnsV among them) on them mean nothing"
    )
    return describe_blank(n_blank, n_total, what or domain.name, fate) + "."


def pair_blank_warning(store: RunStore, source: str, target: str) -> str | None:
    """:func:`blank_warning` of the pair's target, loaded as its newest done run loaded it (spec and
    seed); None when the pair has no done run or the target no longer loads."""
    records = store.done_runs(source, target)
    if not records:
        return None
    try:
        config = AdaptConfig.from_dict(records[0].config)
        return blank_warning(load_domain(config.target, store.workspace, config.seed), "target")
    except TLError:
        return None
