"""diagnose() on small synthetic domains: the report, its JSON form, the plain-words reading."""

import json
from dataclasses import replace

import pytest
import torch
from torch import nn

from tlcore.data.domain import Domain
from tlcore.diagnosis import describe_gap, diagnose, gap_level
from tlcore.errors import TLError

CLASSES = ("a", "b", "c")


def _domain(
    name: str, seed: int, shift: float = 0.0, shifted_class: int | None = None, n: int = 150
) -> Domain:
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    X = torch.randn(n, 6, generator=g) + 4.0 * nn.functional.one_hot(y, 6).float() + shift
    if shifted_class is not None:
        X[y == shifted_class] += 2.0
    return Domain(name=name, X=X, y=y, classes=CLASSES)


class _Linear(nn.Module):
    """A fixed model returning ``(logits, features)``: features = inputs, logits = first 3 inputs."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x[:, :3], x


def test_shifted_pair_report_is_complete_and_json_safe():
    steps = []
    report = diagnose(
        _domain("s", 0),
        _domain("t", 1, shifted_class=2),
        n_permutations=200,
        pca_dim=None,
        umap=False,
        progress=lambda step, fraction: steps.append((step, fraction)),
    )
    assert (report.n_source, report.n_target, report.feature_space, report.feature_dim) == (
        150,
        150,
        "raw",
        6,
    )
    assert report.p_value < 0.01 and report.mmd2 > 0
    assert report.per_class_labels == "true"
    assert max(report.per_class, key=lambda g: g["mmd2"])["name"] == "c"
    assert report.label_shift["tv_distance"] == 0.0
    assert report.target_foreignness.shape == (150,)
    assert set(report.seconds) == {"features", "mmd", "coral", "a_distance", "per_class", "total"}
    fractions = [f for _, f in steps]
    assert fractions == sorted(fractions) and steps[-1] == ("done", 1.0)
    payload = json.loads(json.dumps(report.to_dict(include_scores=True), allow_nan=False))
    for key in ("mmd2", "p_value", "coral", "a_distance", "per_class", "n_source", "n_target", "seconds"):
        assert key in payload
    assert len(payload["target_foreignness"]) == 150 and "umap" not in payload


def test_same_distribution_reads_as_no_gap():
    report = diagnose(_domain("s", 0), _domain("t", 1), n_permutations=200, pca_dim=None, umap=False)
    assert report.p_value > 0.05
    assert gap_level(report) == "none"
    assert describe_gap(report).startswith("No detectable gap")


def test_gap_level_thresholds():
    report = diagnose(
        _domain("s", 0), _domain("t", 1, shift=3.0), n_permutations=50, pca_dim=None, umap=False
    )
    assert gap_level(report) == "large"
    assert gap_level(replace(report, a_distance=1.0)) == "moderate"
    assert gap_level(replace(report, a_distance=0.2)) == "small"
    assert gap_level(replace(report, p_value=0.05)) == "none"
    assert describe_gap(report).startswith("Large gap")


def test_unlabelled_target_uses_model_pseudo_labels_or_skips():
    target = replace(_domain("t", 1, shifted_class=2), y=None)
    raw = diagnose(_domain("s", 0), target, n_permutations=50, pca_dim=None, umap=False)
    assert raw.per_class == [] and raw.per_class_labels is None
    assert "no labels" in raw.per_class_note
    model = diagnose(_domain("s", 0), target, _Linear(), n_permutations=50, umap=False, device="cpu")
    assert model.feature_space == "model" and model.per_class_labels == "predicted"
    assert len(model.per_class) == 3 and model.label_shift["target_labels"] == "predicted"


@pytest.mark.slow  # umap-learn compiles its numba code once per process (~10 s)
def test_umap_is_included_when_asked():
    report = diagnose(
        _domain("s", 0, n=60), _domain("t", 1, n=40), n_permutations=20, pca_dim=None, max_umap_per_domain=30
    )
    assert report.umap is not None and report.umap.coords_source.shape == (30, 2)
    assert "umap" in report.seconds
    assert len(report.to_dict()["umap"]["target"]) == 30


def test_mismatched_shapes_and_features_are_refused():
    other = Domain(name="o", X=torch.randn(20, 5), y=None, classes=CLASSES)
    with pytest.raises(TLError, match="harmonise"):
        diagnose(_domain("s", 0), other, umap=False)
    with pytest.raises(TLError, match="feature space"):
        diagnose(_domain("s", 0), _domain("t", 1), "run:abc", umap=False)
