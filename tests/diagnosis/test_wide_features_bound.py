"""The diagnosis's domain classifier holds the pooled features in float64 (and about as much again
while it fits a fold): a pair too wide for :data:`MAX_KERNEL_BYTES` there (``diagnose --pca 0`` on
photos: 49,152 numbers a sample) is refused in one line before its features are computed, with the
width that would fit and ``--pca`` to get there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from tlcore import diagnosis, diagnosis_settings
from tlcore.cli import main
from tlcore.data.domain import Domain
from tlcore.diagnosis_settings import check_classifier_fits
from tlcore.errors import TLError

PAIR = ["diagnose", "--source", "mnist5k:n=60", "--target", "digits:n=50"]
QUICK = ["--permutations", "20", "--no-explain", "--no-umap", "--json"]


def test_ten_thousand_photos_of_128_by_128_need_pca() -> None:
    check_classifier_fits(2000, 2000, 49152)  # 1.46 GiB of float64: fits
    with pytest.raises(TLError) as refused:
        check_classifier_fits(5000, 5000, 49152)
    assert str(refused.value) == (
        "10000 samples of 49152 features are too wide to diagnose: the domain classifier (proxy "
        "A-distance) would hold them as float64, 3.66 GiB, and about as much again while it fits; at most "
        "2 GiB fits, 26843 features for these samples: reduce the width (raw features: --pca N, e.g. the "
        "default 50) or the samples"
    )


def test_diagnose_pca_0_is_refused_before_the_features_and_pca_50_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 110 samples (digits harmonised to 28 x 28): 784 raw numbers each need 689,920 bytes, PCA 50 44,000
    monkeypatch.setattr(diagnosis_settings, "MAX_KERNEL_BYTES", 50_000)
    computed = diagnosis.pair_features

    def no_features(*args: object, **kwargs: object) -> None:
        raise AssertionError("the features were computed before the refusal")

    monkeypatch.setattr(diagnosis, "pair_features", no_features)
    argv = ["--workspace", str(tmp_path / "ws"), *PAIR, *QUICK]
    assert main([*argv, "--pca", "0"]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == (
        "",
        "error: 110 samples of 784 features are too wide to diagnose: the domain classifier (proxy "
        "A-distance) would hold them as float64, 674 KiB, and about as much again while it fits; at most "
        "48.8 KiB fits, 56 features for these samples: reduce the width (raw features: --pca N, e.g. the "
        "default 50) or the samples\n",
    )
    monkeypatch.setattr(diagnosis, "pair_features", computed)
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["gap"]["n_source"] == 60


class _Widening(nn.Module):
    """A fixed model whose features are its 4 inputs repeated 100 times: 400 wide."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x[:, :2], x.repeat(1, 100)


def test_a_models_features_are_refused_once_they_are_known(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diagnosis_settings, "MAX_KERNEL_BYTES", 50_000)  # 30 x 4 x 8 bytes fit, x 400 do not
    g = torch.Generator().manual_seed(0)
    source, target = (
        Domain(name=name, X=torch.randn(15, 4, generator=g), y=None, classes=()) for name in "st"
    )

    def no_gap(*args: object, **kwargs: object) -> None:
        raise AssertionError("the gap was measured before the refusal")

    monkeypatch.setattr(diagnosis, "measure_gap", no_gap)
    with pytest.raises(TLError, match=r"^30 samples of 400 features are too wide to diagnose: .* 93.8 KiB"):
        diagnosis.diagnose(source, target, _Widening(), umap=False)
