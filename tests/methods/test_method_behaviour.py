"""Behaviour on a real shifted pair (mnist5k subset -> digits, few epochs, seed 0).

Feature-based methods beat the source-only baseline on target accuracy and lower the MMD² between
source and target features; fine-tuning with k labels per class beats source-only. One baseline is
trained for the module and reused through the cache.
"""

import pytest

from tlcore.adapt import AdaptConfig, BaselineCache, run_adaptation
from tlcore.adapt import evaluate as evaluate_stage

PAIR = {"source": "mnist5k:n=2000", "target": "digits", "epochs": 3, "seed": 0}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cache():
    return BaselineCache()


@pytest.fixture(autouse=True)
def light_evaluation(monkeypatch):
    monkeypatch.setattr(evaluate_stage, "UMAP_MAX_PER_DOMAIN", 50)
    monkeypatch.setattr(evaluate_stage, "GAP_PERMUTATIONS", 50)


@pytest.mark.parametrize("methods", [("deep_coral", "im"), ("dan", "im"), ("dann", "im"), ("coral",)])
def test_feature_based_methods_beat_source_only_and_close_the_gap(methods, cache):
    """Each alignment term in the engine's default composition (term + information maximisation)
    and closed-form CORAL beat source-only; the trained alignments lower the feature-space MMD².

    Alone, at this 3-epoch budget, deep_coral / dan / dann move target accuracy by only a point or
    two either way on this pair (measured), so the test pins the recipe users get by default.
    """
    result = run_adaptation(AdaptConfig(methods=methods, **PAIR), baseline_cache=cache)
    assert result.status == "done"
    assert result.target_accuracy > result.source_only_accuracy + 0.02
    if methods != ("coral",):  # closed-form CORAL keeps the baseline's features: its gap is unchanged
        assert result.gap_after["mmd2"] < 0.75 * result.gap_before["mmd2"]


def test_finetuning_with_k_labels_beats_source_only(cache):
    result = run_adaptation(AdaptConfig(methods=("finetune",), target_labels=5, **PAIR), baseline_cache=cache)
    assert result.info["n_target_labels"] == 50
    assert result.target_accuracy > result.source_only_accuracy + 0.05
