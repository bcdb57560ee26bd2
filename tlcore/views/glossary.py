"""The short names the ranking and sweep tables show, in plain words, once: the Compare page's column
help, ``runs rank``'s legend under its table, and the Sweep page's column help and recommendation
read them here (pure, torch-free). The short names stay where people type them (``--validator ensv``).

A validator's words are its :attr:`~tlcore.selection.settings.ValidatorInfo.words`; a sweep column
``validators.after.im mean`` reads "IM (information maximisation): ... of the adapted model; mean
over seeds" (:func:`column_help`).
"""

from __future__ import annotations

from tlcore.adapt.config import FIELD_WORDS
from tlcore.metrics.mcnemar import SIGNIFICANCE
from tlcore.selection.settings import VALIDATORS, WEIGHTED_LABELS
from tlcore.split_names import HELD_OUT_SPLITS

ESS = (
    f"effective sample size of the importance weights behind {WEIGHTED_LABELS} (Kish: (sum w)^2 / sum w^2, "
    "how many plain source samples the weighted ones are worth); low: a few samples decide those scores"
)
EFFECTIVE_CLASSES = (  # of no model in particular: a sweep column's part says whose
    "effective number of target classes the model predicts (exp of the entropy of its predicted class "
    "shares); far below the number of classes: its predictions collapsed onto a few classes"
)
CLASSES = (
    "effective number of target classes the adapted model predicts (exp of the entropy of its predicted "
    "class shares); far below the source-only model's: its predictions collapsed onto a few classes"
)
SCORE = (
    "the ranking's label-free score of the run (by default EnsV, agreement with the ensemble of the "
    "pair's runs); higher is better"
)
OUTRANKED = "below another config's source-only model"  # a run that passed, but is not a candidate
# its status in a table cell, a word (QA helper-228: "passes; below another config's source-only model"
# made Compare's status column 400 px and pushed the ranking table past a 1280 px window): "status" says why
OUTRANKED_STATUS = "outranked"
STATUSES = {
    "recommended": "the run to keep (it passed the guardrails and ranks first)",
    "passes": "it passed the guardrails (no collapse, source accuracy kept, ensemble agreement not below the "
    "source-only model's)",
    OUTRANKED_STATUS: f"it passed the guardrails, but its EnsV is {OUTRANKED}'s, so it is not recommended",
    "alarm": "negative transfer suspected",
}
"""Each word of a ranking's status column in plain words (:func:`status_line`)."""


def status_line(status: str) -> str:
    """A status in a sentence, as Compare's status column help says it and the HTML report under its
    ranking: ``"alarm": negative transfer suspected.``"""
    return f'"{status}": {STATUSES[status]}.'


TERMS: dict[str, str] = {
    "ESS": ESS,
    "classes": CLASSES,
    "CLASSES": CLASSES,
    "status": " ".join(map(status_line, STATUSES)),
    "alarm right?": "checked with the target labels: right (the alarm matched whether the target accuracy "
    "fell against source-only), false alarm (raised, it did not fall) or missed (not raised, it fell), "
    f"with (within chance) where McNemar's paired test finds the change within chance (p ≥ {SIGNIFICANCE}); "
    "by how many points, and the test's counts: the expander under the table (a flagged run), runs show RUN",
    "selection.score": SCORE,
    "selection.passed": "share of the seeds' runs that passed the selection rule: the guardrails (no "
    "collapse, source accuracy kept, ensemble agreement not below the source-only model's) and not "
    f"{OUTRANKED} (runs rank's verdict)",
    "passed": f"the seeds' runs that passed the guardrails and are not {OUTRANKED} (runs rank's "
    "verdict); a configuration is recommended only when all did",
    "seeds_disagree": "share of target samples the seeds' adapted models classify differently (no labels "
    "needed): high, the result depends on the seed",
    "target_accuracy": "accuracy on the target's held-out test split (needs target labels)",
    "source_accuracy": "the adapted model's accuracy on the source validation split",
    "source_only_accuracy": "the source-only model's accuracy on the target's test split (needs labels)",
    "seconds": "wall-clock time of training and evaluation, once the data is loaded",
    "load_seconds": "wall-clock time of loading the pair and searching it for shared samples (blank: a run "
    "stored before it was kept, whose seconds include it unless run inline)",
    "effective_classes": EFFECTIVE_CLASSES,
    "ess": ESS,
    "ice_inter": "MixVal's probe across classes: mixes of two pseudo-classes given the larger part's class",
    "ice_intra": "MixVal's probe within a class: share of mixes of one pseudo-class kept as its class",
    "mmd2": "MMD², maximum mean discrepancy between the source and target features (0: no gap)",
    "coral": "CORAL distance, how far the source and target feature covariances differ",
    "a_distance": "proxy A-distance, from how well a classifier tells source from target (0 to 2; 0: no gap)",
    "p_value": "p-value of the MMD permutation test: below 0.05, the gap is beyond chance",
    "domain_error": "error of the classifier that tells source from target (0.5: it cannot)",
    "mean_distance": "distance between the source and target feature means",
    "bandwidth": "kernel bandwidth of the MMD (median distance between the features)",
    "n_permutations": "permutations of the MMD test",
    "n_source": "source samples scored",
    "n_target": "target samples scored",
    "n_samples": "target samples scored",
    "seeds": "seeds the configuration runs with",
}
# the validators' words where the glossary has none of its own (``source_accuracy`` names the model)
TERMS = (
    {v.label: v.words for v in VALIDATORS.values()} | {v.name: v.words for v in VALIDATORS.values()} | TERMS
)
TERMS |= FIELD_WORDS
PART_TERMS = {v.name: v.words for v in VALIDATORS.values()} | {"effective_classes": EFFECTIVE_CLASSES}
PARTS = {
    "validators.after": "of the adapted model",
    "validators.before": "of its source-only model",
    "gap_after": f"in the adapted model's features, on the run's {HELD_OUT_SPLITS}",
    "validators.target": "by the validators",
}
STATS = {"mean": "mean over the seeds", "std": "standard deviation over the seeds"}


def column_help(column: str) -> str | None:
    """A table column's short name in plain words (None for one that needs none): a ranking column
    (``EnsV``, ``ESS``), or a sweep column (``validators.after.im mean``, ``selection.score std``)."""
    name, _, stat = column.rpartition(" ") if column.endswith((" mean", " std")) else (column, "", "")
    prefix, _, key = name.rpartition(".")
    words = TERMS.get(name) or ((PART_TERMS.get(key) or TERMS.get(key)) if prefix in PARTS else None)
    if prefix == "validators.settings":
        words = "a setting of how the validators were computed, the same for every run"
    elif words is None and prefix and prefix not in PARTS:  # a sweep's method parameter: dann.weight
        words = f"{'loss weight' if key == 'weight' else key} of the {prefix} method"
    elif words is None:
        return None
    where = PARTS.get(prefix)
    return "; ".join(filter(None, (f"{words} ({where})" if where else words, STATS.get(stat))))


def legend(columns: list[str]) -> list[str]:
    """``runs rank``'s legend under its table, one line per column with words: ``EnsV (ensemble
    validation): ...``, ``ESS: effective sample size ...``."""
    said = {column: column_help(column) for column in columns}
    return [w if w.startswith((f"{c} (", f"{c}:")) else f"{c}: {w}" for c, w in said.items() if w]
