"""MixVal's probes on hand-computed cases, its rank average, and the ranking by it."""

import numpy as np
import pytest
import torch
from scipy.stats import rankdata

from tlcore.data.rng import generator
from tlcore.selection.alarm import SelectionSettings
from tlcore.selection.mixval import mean_ranks, mixval_scores
from tlcore.selection.pool import Pool
from tlcore.selection.ranking import rank
from tlcore.selection.scoring import mix_partners, mixup_probes, probe_accuracy

from .helpers import candidate, probabilities
from .test_ranking import BASELINE, GOOD, Y


def threshold(X: torch.Tensor) -> torch.Tensor:
    """Logits of a 1-d model: class 1 where x > 0."""
    return torch.cat([-X, X], dim=1)


def band(X: torch.Tensor) -> torch.Tensor:
    """Logits of a 1-d model: class 0 where |x| > 1, class 1 inside: class 0 is two regions."""
    return torch.cat([X.abs() - 1, 1 - X.abs()], dim=1)


def test_same_class_partners_cycle_within_the_class_and_other_class_partners_leave_it():
    pseudo = torch.tensor([0, 0, 0, 1, 1, 2, 0, 1])
    same = mix_partners(pseudo, same_class=True, gen=generator(0, "test"))
    for c in (0, 1):
        members = torch.nonzero(pseudo == c).flatten()
        assert sorted(same[members].tolist()) == sorted(members.tolist())  # each member is one's partner
        assert (same[members] != members).all()
    assert same[5] == -1  # a class of one has nobody to mix with
    other = mix_partners(pseudo, same_class=False, gen=generator(0, "test"))
    assert (pseudo[other] != pseudo).all()
    alone = mix_partners(torch.zeros(4, dtype=torch.long), same_class=False, gen=generator(0, "test"))
    assert alone.tolist() == [-1, -1, -1, -1]


def test_ice_inter_is_the_share_of_mixes_that_keep_the_larger_part_s_class():
    X, pseudo = torch.tensor([[-1.0], [3.0]]), torch.tensor([0, 1])
    seen = []

    def predict(mixed: torch.Tensor) -> torch.Tensor:
        seen.append(mixed)
        return threshold(mixed)

    # 0.55 * -1 + 0.45 * 3 = 0.8 -> class 1, not 0; 0.55 * 3 + 0.45 * -1 = 1.2 -> class 1
    assert probe_accuracy(predict, X, pseudo, same_class=False, gen=generator(0, "t")) == 0.5
    assert seen[0].flatten().tolist() == pytest.approx([0.8, 1.2])
    assert probe_accuracy(predict, X, pseudo, same_class=True, gen=generator(0, "t")) is None


def test_ice_intra_finds_a_class_that_is_two_regions():
    X = torch.tensor([[2.0], [-2.0], [0.5], [-0.3]])
    pseudo = band(X).argmax(1)
    assert pseudo.tolist() == [0, 0, 1, 1]
    # class 0: 0.55 * 2 - 0.45 * 2 = 0.2 and -0.2 fall inside the band (class 1): both missed;
    # class 1: 0.55 * 0.5 - 0.45 * 0.3 = 0.14 and -0.165 + 0.225 = 0.06 stay inside: both kept
    assert probe_accuracy(band, X, pseudo, same_class=True, gen=generator(0, "t")) == 0.5
    assert probe_accuracy(threshold, X, threshold(X).argmax(1), same_class=True, gen=generator(0, "t")) == 1.0
    inter, intra = mixup_probes(band, X, pseudo, seed=0)
    assert intra == 0.5 and inter is not None and 0.0 <= inter <= 1.0
    assert mixup_probes(band, X, pseudo, seed=0) == (inter, intra)  # seeded partners


def test_mean_ranks_share_ties_and_put_missing_values_last():
    assert mean_ranks({"a": 0.2, "b": 0.9, "c": 0.2, "d": None}) == {"a": 2.5, "b": 4.0, "c": 2.5, "d": 1.0}
    # three tied at the top share ranks 4..6, two missing share 1..2
    values = {"a": 1.0, "b": None, "c": 1.0, "d": 0.5, "e": 1.0, "f": None}
    assert mean_ranks(values) == {"a": 5.0, "b": 1.5, "c": 5.0, "d": 3.0, "e": 5.0, "f": 1.5}
    column = np.random.default_rng(0).integers(0, 4, 50) / 4  # many ties: scipy's "average" ranks
    ranks = mean_ranks({str(i): float(v) for i, v in enumerate(column)})
    assert list(ranks.values()) == rankdata(column, method="average").tolist()


def test_mixval_averages_the_two_ranks():
    # inter ranks a 3, b 2, c 1; intra ranks a 2, b 3, c 1
    probes = {"a": (0.9, 0.8), "b": (0.5, 0.9), "c": (0.1, 0.1)}
    assert mixval_scores(probes) == {"a": 2.5, "b": 2.5, "c": 1.0}
    opposite = {"a": (0.9, 0.1), "b": (0.5, 0.5), "c": (0.1, 0.9)}
    assert mixval_scores(opposite) == {"a": 2.0, "b": 2.0, "c": 2.0}


def test_ranking_by_mixval_recommends_the_run_with_the_best_probes():
    pool = Pool(
        "src",
        "tgt",
        (
            candidate("a", BASELINE, probabilities(Y, 0.8), ice=(0.90, 0.99)),
            candidate("b", BASELINE, GOOD, ice=(0.95, 0.97)),
            candidate("c", BASELINE, probabilities(Y, 0.7), ice=(0.80, 0.90)),
            candidate("old", BASELINE, GOOD),  # stored before the probes: ranks last on them
        ),
    )
    ranking = rank(pool, SelectionSettings(validator="mixval"))
    scores = {e.run_id: e.score for e in ranking.entries}
    assert scores == {"a": 3.5, "b": 3.5, "c": 2.0, "old": 1.0}
    assert ranking.recommended == "a"  # a tie on MixVal falls to the run id
    assert ranking.reason.startswith("the highest MixVal (3.5)")
    pool = Pool("src", "tgt", (*pool.candidates[:2], candidate("c", BASELINE, GOOD, ice=(0.99, 0.99))))
    assert rank(pool, SelectionSettings(validator="mixval")).recommended == "c"
    assert "mixval" not in ranking.entries[0].scores_before
