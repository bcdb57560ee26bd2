"""The novel share of a target: calibrated on a target from the source's own distribution, the share
of an added far cluster, the leave-one-out threshold by brute force."""

import json

import pytest
import torch

from tlcore.errors import TLError
from tlcore.metrics.coverage import NoveltySettings, novelty


def _gauss(n: int, seed: int, shift: float = 0.0, d: int = 8) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed)) + shift


def test_a_target_from_the_source_distribution_is_about_one_percent_novel():
    shares = [novelty(_gauss(2000, seed), _gauss(2000, 100 + seed)).share for seed in range(5)]
    assert 0.005 < sum(shares) / len(shares) < 0.015
    report = novelty(_gauss(2000, 0), _gauss(2000, 100))
    assert report.level == "covered" and report.describe().startswith("The source covers the target")
    assert report.expected_share == pytest.approx(0.01, abs=1e-3)


def test_an_added_far_cluster_is_reported_with_its_share_and_its_samples():
    near, far = _gauss(1700, 1), _gauss(300, 2, shift=6.0)
    report = novelty(_gauss(2000, 0), torch.cat([near, far]), NoveltySettings(n_examples=20))
    assert report.share == pytest.approx(300 / 2000, abs=0.012)  # the cluster, plus ~1% of the rest
    assert report.level == "new" and report.p_value < 1e-6
    assert all(i >= 1700 for i in report.most_novel) and len(report.most_novel) == 20
    assert list(report.most_novel_distance) == sorted(report.most_novel_distance, reverse=True)
    assert "this part of your target is new" in report.describe()
    assert f"({report.n_novel} of 2000 samples)" in report.describe()


def test_threshold_is_the_leave_one_out_quantile_and_distances_are_exact():
    Fs, Ft = _gauss(300, 3), _gauss(50, 4, shift=0.5)
    report = novelty(Fs, Ft, NoveltySettings(quantile=0.9))
    D = torch.cdist(Fs.double(), Fs.double())
    D.fill_diagonal_(float("inf"))
    loo = D.min(1).values
    assert report.threshold == pytest.approx(float(torch.quantile(loo, 0.9)), rel=1e-5)
    nearest = torch.cdist(Ft.double(), Fs.double()).min(1).values
    assert report.target_distance.tolist() == pytest.approx(nearest.tolist(), rel=1e-4)
    assert report.n_novel == int((nearest > report.threshold).sum())


def test_reference_subsample_is_seeded_and_the_dict_is_json_safe():
    Fs, Ft = _gauss(600, 5), _gauss(100, 6, shift=1.0)
    settings = NoveltySettings(max_reference=200, seed=3)
    first, again = novelty(Fs, Ft, settings), novelty(Fs, Ft, settings)
    assert first.n_reference == 200 and first.to_dict() == again.to_dict()
    payload = json.loads(json.dumps(first.to_dict(include_distances=True)))
    assert len(payload["target_distance"]) == 100 and payload["level"] in ("covered", "new")
    assert "target_distance" not in first.to_dict()


def test_bad_input_is_one_line():
    with pytest.raises(TLError, match="at least 2 source and 1 target samples"):
        novelty(_gauss(1, 0), _gauss(5, 1))
    with pytest.raises(TLError, match="quantile"):
        NoveltySettings(quantile=1.0)
