"""diagnose() on small synthetic domains: the report, its JSON form, the plain-words reading."""

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from tlcore.data.domain import Domain
from tlcore.data.harmonise import harmonise
from tlcore.diagnosis import GapReport, describe_gap, diagnose, projection
from tlcore.diagnosis_settings import GapSettings
from tlcore.errors import TLError
from tlcore.features import raw_features
from tlcore.gap_level import coral_note, gap_level
from tlcore.metrics.coral import coral_distance
from tlcore.metrics.gap import measure_gap
from tlcore.metrics.per_class import ClassGapSettings
from tlcore.models import build_model

CLASSES = ("a", "b", "c")
FEW = GapSettings(n_permutations=50)


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
        settings=GapSettings(n_permutations=200),
        pca_dim=None,
        umap=False,
        progress=lambda step, fraction: steps.append((step, fraction)),
    )
    gap = report.gap
    assert (gap.n_source, gap.n_target, report.feature_space, report.feature_dim) == (150, 150, "raw", 6)
    assert gap.p_value < 0.01 and gap.mmd2 > 0
    assert report.per_class_labels == "true"
    assert max(report.per_class, key=lambda g: g["mmd2"])["name"] == "c"
    assert report.label_shift["tv_distance"] == 0.0
    assert report.target_foreignness.shape == (150,)
    assert set(report.seconds) == {"features", "mmd", "coral", "a_distance", "per_class", "novelty", "total"}
    assert report.novelty is not None and report.novelty.n_target == 150
    fractions = [f for _, f in steps]
    assert fractions == sorted(fractions) and steps[-1] == ("done", 1.0)
    assert [label for label, _ in steps][1:4] == [
        "MMD² permutation test (200 permutations)",
        "CORAL and mean distances",
        "proxy A-distance",
    ]
    payload = json.loads(json.dumps(report.to_dict(include_scores=True), allow_nan=False))
    for key in ("mmd2", "p_value", "coral", "a_distance", "n_source", "n_target"):
        assert key in payload["gap"]
    assert {"per_class", "seconds", "settings", "gap_level"} <= set(payload)
    assert payload["novelty"]["share"] == report.novelty.share and "target_distance" not in payload["novelty"]
    assert len(payload["target_foreignness"]) == 150 and "umap" not in payload


def test_diagnose_measures_its_gap_with_measure_gap():
    """The report's gap and foreignness are measure_gap's on the same features and settings."""
    source, target = _domain("s", 0), _domain("t", 1, shift=0.5)
    settings = GapSettings(n_permutations=120, max_test_samples=100, seed=5)
    report = diagnose(source, target, settings=settings, pca_dim=4, umap=False)
    Fs, Ft = raw_features(source.X, target.X, pca_dim=4, seed=5)
    measured = measure_gap(Fs, Ft, settings)
    assert report.gap == measured.gap and report.settings == settings
    assert report.gap.mmd_test_samples == (100, 100)
    assert (report.target_foreignness == measured.target_scores).all()


def test_report_round_trips_through_its_dict_without_umap_and_scores():
    report = diagnose(_domain("s", 0), _domain("t", 1, shifted_class=2), pca_dim=None, umap=False)
    payload = json.loads(json.dumps(report.to_dict(include_scores=True)))
    again = GapReport.from_dict(payload)
    assert again.gap == report.gap and again.settings == report.settings
    assert again.per_class == report.per_class and again.seconds == report.seconds
    assert again.umap is None and len(again.target_foreignness) == 0 and again.novelty is None
    without_scores = {k: v for k, v in payload.items() if k != "target_foreignness"} | {"novelty": None}
    assert json.loads(json.dumps(again.to_dict())) == without_scores
    with pytest.raises(TLError, match="unknown gap report keys: extra"):
        GapReport.from_dict({**payload, "extra": 1})
    with pytest.raises(TLError, match=r"unknown gap report keys: settings\.speed"):
        GapReport.from_dict({**payload, "settings": {**payload["settings"], "speed": 1}})
    with pytest.raises(TLError, match="a gap report needs gap, source"):
        GapReport.from_dict({k: v for k, v in payload.items() if k not in ("gap", "source")})


def test_same_distribution_reads_as_no_gap():
    report = diagnose(
        _domain("s", 0), _domain("t", 1), settings=GapSettings(n_permutations=200), pca_dim=None, umap=False
    )
    assert report.gap.p_value > 0.05
    assert gap_level(report.gap) == "none"
    assert describe_gap(report).startswith("No detectable gap")


def test_gap_level_thresholds():
    report = diagnose(_domain("s", 0), _domain("t", 1, shift=3.0), settings=FEW, pca_dim=None, umap=False)
    gap = report.gap
    assert gap_level(gap) == "large"
    assert gap_level(replace(gap, a_distance=1.0)) == "moderate"
    assert gap_level(replace(gap, a_distance=0.2)) == "small"
    assert gap_level(replace(gap, p_value=0.05)) == "large"  # the domain classifier still tells them apart
    assert gap_level(replace(gap, p_value=0.05, domain_error=0.45)) == "none"  # p = 0.11 against chance
    assert gap_level(replace(gap, p_value=0.05, domain_error=None)) == "none"  # stored before its test
    assert gap_level(replace(gap, domain_error=0.45)) == "large"  # the MMD test alone
    assert describe_gap(report).startswith("Large gap: the domains differ (MMD test p = ")
    # 100% right on 300 samples: the normal tail underflows to 0, and no p-value is 0
    assert "a linear domain classifier tells them apart on 100% of held-out samples (p < 1e-16 against" in (
        describe_gap(report)
    )
    unseen = replace(report, gap=replace(gap, domain_error=0.45))
    assert "; a linear domain classifier does no better than chance (right on 55% of held-out samples" in (
        describe_gap(unseen)
    )


def test_a_gap_in_a_small_scale_feature_is_read_though_the_mmd_test_misses_it():
    # A model's features on different scales (as after Deep CORAL aligned the large ones): the
    # kernel's bandwidth is set by the large ones, so the MMD test misses a shift of a small one; the
    # domain classifier, on standardised features, does not.
    rng = np.random.default_rng(1)
    source, target = rng.normal(size=(200, 20)) * 10, rng.normal(size=(200, 20)) * 10
    source[:, 0], target[:, 0] = rng.normal(size=200) * 0.1, rng.normal(size=200) * 0.1 + 0.1
    report = diagnose(
        Domain(name="s", X=torch.tensor(source, dtype=torch.float32), y=None, classes=CLASSES),
        Domain(name="t", X=torch.tensor(target, dtype=torch.float32), y=None, classes=CLASSES),
        _Linear(),
        settings=GapSettings(n_permutations=200, seed=1),
        umap=False,
        device="cpu",
    )
    gap = report.gap
    assert gap.p_value > 0.5 and gap.domain_p_value < 1e-3, (gap.p_value, gap.domain_p_value, gap.a_distance)
    level = gap_level(gap)
    assert level != "none"
    assert describe_gap(report).startswith(
        f"{level.capitalize()} gap: the MMD test does not tell the domains apart (p = {gap.p_value:.3g}), "
        f"but a linear domain classifier tells them apart on {100 * (1 - gap.domain_error):.0f}% of held-out "
        "samples"
    )


def test_unlabelled_target_uses_model_pseudo_labels_or_skips():
    target = replace(_domain("t", 1, shifted_class=2), y=None)
    raw = diagnose(_domain("s", 0), target, settings=FEW, pca_dim=None, umap=False)
    assert raw.per_class == [] and raw.per_class_labels is None
    assert "no labels" in raw.per_class_note
    model = diagnose(_domain("s", 0), target, _Linear(), settings=FEW, umap=False, device="cpu")
    assert model.feature_space == "model" and model.per_class_labels == "predicted"
    assert len(model.per_class) == 3 and model.label_shift["target_labels"] == "predicted"


def test_a_models_predictions_label_the_target_only_when_it_names_the_sources_classes():
    """Pseudo-labels index the source's classes: a model whose outputs name other classes (as many)
    gives none, and the note says which differ."""
    target = replace(_domain("t", 1, shifted_class=2), y=None)
    torch.manual_seed(0)
    model = build_model("mlp", (6,), 3)
    for classes, labels in ((CLASSES, "predicted"), (("x", "y", "z"), None)):
        model.classes = classes
        report = diagnose(_domain("s", 0), target, model, settings=FEW, umap=False, device="cpu")
        assert report.per_class_labels == labels
    assert report.per_class == [] and report.per_class_note == (
        "the model's predictions are no labels of the source: s names classes a, b, c, the model "
        "predicts x, y, z"
    )


def test_a_model_is_refused_a_pair_of_another_sample_shape_in_one_line():
    source, target = harmonise(_domain("s", 0), _domain("t", 1))
    with pytest.raises(TLError) as refused:
        diagnose(source, target, build_model("mlp", (5,), 3), settings=FEW, umap=False, device="cpu")
    assert str(refused.value) == "the model cannot embed the pair: t has samples of 6, the model takes 5"


def test_a_labelled_target_too_small_for_any_class_gap_says_why():
    report = diagnose(_domain("s", 0), _domain("t", 1, n=12), settings=FEW, pca_dim=None, umap=False)
    assert [g["mmd2"] for g in report.per_class] == [None, None, None]
    assert report.per_class_note == (
        "no class has enough samples on both sides (a: only 4 target samples (fewer than 10); "
        "b: only 4 target samples (fewer than 10); c: only 4 target samples (fewer than 10))"
    )


@pytest.mark.slow  # umap-learn compiles its numba code once per process (~10 s)
def test_umap_is_included_when_asked():
    report = diagnose(
        _domain("s", 0, n=60),
        _domain("t", 1, n=40),
        settings=GapSettings(n_permutations=20),
        pca_dim=None,
        max_umap_per_domain=30,
    )
    assert report.umap is not None and report.umap.coords_source.shape == (30, 2)
    assert "umap" in report.seconds
    assert len(report.to_dict()["umap"]["target"]) == 30


@pytest.mark.slow  # umap-learn's import and first fit take seconds
def test_projection_alone_is_diagnoses_umap_in_raw_and_model_features():
    """The Diagnose page shows the gap first and computes the map apart: the same coordinates."""
    source, target = _domain("s", 0, n=60), _domain("t", 1, n=40)
    for features in ("raw", _Linear()):
        report = diagnose(source, target, features, settings=replace(FEW, seed=3), max_umap_per_domain=30)
        alone = projection(source, target, features, seed=3, max_umap_per_domain=30)
        assert report.umap is not None and alone.coords_source.shape == (30, 2)
        for name in ("coords_source", "coords_target", "index_source", "index_target"):
            assert (getattr(alone, name) == getattr(report.umap, name)).all(), name


def test_mismatched_shapes_and_features_are_refused():
    other = Domain(name="o", X=torch.randn(20, 5), y=None, classes=CLASSES)
    with pytest.raises(TLError, match="harmonise"):
        diagnose(_domain("s", 0), other, umap=False)
    with pytest.raises(TLError, match="feature space"):
        diagnose(_domain("s", 0), _domain("t", 1), "run:abc", umap=False)


def test_no_class_gap_is_named_when_none_is_positive_and_a_handful_of_samples_is_said():
    report = diagnose(_domain("s", 0), _domain("t", 1, shift=3.0), settings=FEW, pca_dim=None, umap=False)
    # QA: "Largest class gap: 3 (MMD² -0.000698)"; a negative MMD² is no gap, and its test says so
    negative = [
        {**g, "mmd2": -0.000698, "p_value": 0.6, "q_value": 0.6, "significant": False}
        for g in report.per_class
    ]
    text = describe_gap(replace(report, per_class=negative))
    assert "Largest class gap" not in text
    assert "No class differs beyond chance on its own (3 classes tested, false discovery rate 5%)." in text
    assert "Only" not in text
    # QA helper-53: an all-blank target read by a run's model voids its per-class gaps, yet the gap
    # summary named a largest class gap from the labels the model predicted for blank images
    assert "Largest class gap" in describe_gap(report)
    void = describe_gap(report, per_class=False)
    assert "class gap" not in void and void.startswith(describe_gap(report).split(" Largest")[0])
    tiny = describe_gap(replace(report, gap=replace(report.gap, n_target=10)))
    assert tiny.endswith(
        "Only 10 target samples: too few for the tests to find any but a gross difference; "
        "collect at least 30 per side and diagnose again."
    )


def test_the_report_carries_what_harmonising_the_pair_dropped():
    target = _domain("t", 1)
    target = replace(target, classes=("a", "b", "new"))  # class 2's 50 samples: a class the source lacks
    report = diagnose(*harmonise(_domain("s", 0), target), settings=FEW, pca_dim=None, umap=False)
    note = (
        "target classes unknown to the source, 50 samples dropped: new (50) "
        "(label=none keeps them, unlabelled)"
    )
    assert report.gap.n_target == 100 and report.pair_notes == (
        note,
        "source classes absent from the target: c",
    )
    payload = json.loads(json.dumps(report.to_dict()))
    assert payload["pair_notes"] == list(report.pair_notes)
    assert GapReport.from_dict(payload).pair_notes == report.pair_notes
    old = {k: v for k, v in payload.items() if k != "pair_notes"}  # a report written before the notes
    assert GapReport.from_dict(old).pair_notes == ()


def _clustered(name: str, counts: tuple[int, ...], seed: int, moved: int | None = None) -> Domain:
    """``counts[c]`` samples of class ``c``: a unit Gaussian around ``4 e_c`` (class ``moved`` by 2)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))
    X = torch.randn(len(y), 6, generator=g) + 4.0 * nn.functional.one_hot(y, 6).float()
    if moved is not None:
        X[y == moved] += 2.0
    return Domain(name=name, X=X, y=y, classes=("a", "b", "c", "d"))


def test_a_class_gap_within_chance_is_not_named():
    # label shift alone: the classes' proportions differ (the whole gap is found), each class's samples
    # are two draws of one distribution, 20 on the smaller side; the largest of the four per-class MMD²
    # is positive by chance and was named "Largest class gap"
    report = diagnose(
        _clustered("s", (60, 20, 20, 20), 0),
        _clustered("t", (20, 20, 20, 60), 1),
        settings=FEW,
        pca_dim=None,
        umap=False,
    )
    assert gap_level(report.gap) != "none" and max(g["mmd2"] for g in report.per_class) > 0
    assert not any(g["significant"] for g in report.per_class)
    assert describe_gap(report).endswith(
        "No class differs beyond chance on its own (4 classes tested, false discovery rate 5%)."
    )
    # one class moved: named, with its q-value, and the only one called
    moved = diagnose(
        _clustered("s", (60, 20, 20, 20), 0),
        _clustered("t", (20, 20, 20, 60), 1, moved=1),
        settings=FEW,
        pca_dim=None,
        umap=False,
    )
    b = moved.per_class[1]
    assert [g["name"] for g in moved.per_class if g["significant"]] == ["b"]
    assert describe_gap(moved).endswith(
        f"Largest class gap beyond chance: b (MMD² {b['mmd2']:.3g}, q = {b['q_value']:.3g}); "
        "1 of 4 classes differ (false discovery rate 5%)."
    )
    payload = json.loads(json.dumps(moved.to_dict()))
    assert payload["class_settings"] == {"n_permutations": 1000, "fdr": 0.05, "min_samples": 10}
    assert {"p_value", "q_value", "significant"} <= set(payload["per_class"][1])
    assert GapReport.from_dict(payload).class_settings == moved.class_settings
    before = {k: v for k, v in payload.items() if k != "class_settings"}  # a report written before them
    assert GapReport.from_dict(before).class_settings == ClassGapSettings()


def test_coral_of_fewer_samples_than_dimensions_is_said_to_be_mostly_noise():
    # two draws of N(0, I) in 50 dimensions differ in CORAL by 0.0131 with 40 samples a side, a
    # variance 1.44 times larger by 0.0234: the noise is over half the signal (0.00012 vs 0.0011 at 4000)
    g = torch.Generator().manual_seed(0)
    a, b, wider = (
        torch.randn(40, 50, generator=g),
        torch.randn(40, 50, generator=g),
        torch.randn(40, 50, generator=g),
    )
    assert coral_distance(a, b) == pytest.approx(0.0131, abs=1e-4)
    assert coral_distance(a, 1.2 * wider) == pytest.approx(0.0234, abs=1e-4)
    # a table of 40 rows x 2000 columns a side: PCA to 50 dimensions, still more than 40 samples
    wide = [
        Domain(name=n, X=torch.randn(40, 2000, generator=g) + shift, y=None, classes=())
        for n, shift in (("s", 0.0), ("t", 0.3))
    ]
    report = diagnose(*wide, settings=FEW, umap=False)
    assert (report.feature_space, report.feature_dim) == ("raw-pca50", 50)
    note = (
        "CORAL compares 50x50 feature covariances estimated from only 40 source and 40 target samples "
        "(no more than the 50 dimensions): they are rank-deficient and CORAL is mostly noise here; read "
        "MMD² and the proxy A-distance."
    )
    assert describe_gap(report).endswith(note) and report.to_dict()["coral_note"] == note
    assert GapReport.from_dict(report.to_dict(include_umap=False)).gap == report.gap  # a derived key
    assert coral_note(40, 400, 50).endswith(
        "only 40 source samples (no more than the 50 dimensions): "
        "they are rank-deficient and CORAL is mostly noise here; read MMD² and the proxy A-distance."
    )
    assert coral_note(51, 51, 50) == "" and "CORAL" not in describe_gap(
        diagnose(_domain("s", 0), _domain("t", 1, shift=3.0), settings=FEW, pca_dim=None, umap=False)
    )
