"""What the ranking offers and how it judges, without torch: every validator (:data:`VALIDATORS`) and
the ranking's :class:`SelectionSettings`, read by the CLI's help and the app before any model is
loaded; the scores themselves are computed in :mod:`.scores`, the checks in :mod:`.alarm`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from tlcore.errors import TLError


@dataclass(frozen=True)
class ValidatorInfo:
    """One validator as the CLI and the app list it; every score is "higher is better"."""

    name: str
    label: str
    summary: str
    full: str = ""  # what the label abbreviates, in words ("" when it is a word)
    advanced: bool = False  # can rank a collapsed model first: shown only on request
    weighted: bool = False  # rests on the importance weights: untrustworthy when their ESS is low

    @property
    def name_words(self) -> str:
        """The label and what it abbreviates, short enough for a picker's option at 1024 px (QA
        helper-246: its :attr:`words` were cut mid-sentence): ``EnsV (ensemble validation)``."""
        return f"{self.label}{f' ({self.full})' if self.full else ''}"

    @property
    def words(self) -> str:
        """The label in plain words: ``EnsV (ensemble validation): agreement with ...``."""
        return f"{self.name_words}: {self.summary}"


VALIDATORS: dict[str, ValidatorInfo] = {
    v.name: v
    for v in (
        ValidatorInfo(
            "ensv",
            "EnsV",
            "agreement with the ensemble of the pair's runs (Hu et al. 2024)",
            "ensemble validation",
        ),
        ValidatorInfo(
            "im",
            "IM",
            "confident yet diverse target predictions, H(mean p) - mean H(p)",
            "information maximisation",
        ),
        ValidatorInfo(
            "bnm",
            "BNM",
            "nuclear norm of the target probabilities over n (Cui et al. 2020)",
            "batch nuclear-norm maximisation",
        ),
        ValidatorInfo(
            "dev",
            "DEV",
            "-importance-weighted source risk, control variate (You et al. 2019)",
            "deep embedded validation",
            weighted=True,
        ),
        ValidatorInfo(
            "iwcv",
            "IWCV",
            "-importance-weighted source risk (Sugiyama et al. 2007)",
            "importance-weighted cross-validation",
            weighted=True,
        ),
        ValidatorInfo(
            "source_accuracy", "source acc", "accuracy on the source validation split", "source accuracy"
        ),
        ValidatorInfo(
            "mixval",
            "MixVal",
            # a rank, not a share: QA read `runs rank --scores`' MixVal 1, 2, 3, 4 as a place, 1 the best
            "how often target mixes keep their larger part's class, as a mean rank among the pair's runs "
            "(1: the lowest; Hu et al. 2023)",
            "mixup validation",
            advanced=True,
        ),
        ValidatorInfo(
            "snd",
            "SND",
            "how tightly the target predictions cluster (Saito et al. 2021)",
            "soft neighbourhood density",
            advanced=True,
        ),
        ValidatorInfo(
            "entropy",
            "-entropy",
            "confident target predictions, -mean H(p)",
            "negative entropy",
            advanced=True,
        ),
    )
}
# ranks in EnsV's place where its ensemble is outvoted (selection.ranking; docs/defaults.md, Small pools)
OUTVOTED_VALIDATOR = "bnm"
POOL_VALIDATORS = ("ensv", "mixval")  # scores of a run among the pair's other runs, not stored
WEIGHTED_LABELS = " and ".join(v.label for v in VALIDATORS.values() if v.weighted)  # "DEV and IWCV"


@dataclass(frozen=True)
class SelectionSettings:
    """The ranking's validator and the guardrails' thresholds, in one place.

    ``validator``: the default ranking's score (:data:`~tlcore.selection.scores.VALIDATORS`). EnsV by
    default: no run trains on it, while IM, BNM and entropy are the objectives of the self-training
    terms, so a run that only maximised one of them tops its ranking;
    ``min_class_ratio``: a run must keep at least this share of its source-only model's effective
    predicted classes; ``max_source_drop``: its source validation accuracy may fall at most this much
    (0.03 = 3 points) below the source-only model's;
    ``min_ess``: IWCV and DEV are trusted only when the effective sample size of their importance
    weights (Kish's ``(sum w)^2 / sum w^2``) is at least this. A weighted mean is worth about
    ``ESS`` plain samples, its standard error about ``sd / sqrt(ESS)``: below 30, the usual least
    sample size for a mean's standard error and normal approximation, a handful of source samples
    carry the score and it is noise. (An absolute count, not a share of ``n``: the precision of the
    estimate depends on ``ESS`` alone.)
    """

    validator: str = "ensv"
    min_class_ratio: float = 0.8
    max_source_drop: float = 0.03
    min_ess: float = 30.0

    def __post_init__(self) -> None:
        if self.validator not in VALIDATORS:
            raise TLError(f"unknown validator {self.validator!r}; choose from {', '.join(VALIDATORS)}")
        if not 0.0 < self.min_class_ratio <= 1.0 or not 0.0 <= self.max_source_drop <= 1.0:
            raise TLError("need 0 < min_class_ratio <= 1 and 0 <= max_source_drop <= 1")
        if not self.min_ess >= 0.0:
            raise TLError("need min_ess >= 0")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
