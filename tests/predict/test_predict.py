"""Predictions for every sample of a domain: formulas, streaming, conforming to the model, writing."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from torch.nn.functional import interpolate

from tests.data.data_formats import digit_image, png_bytes, write_zip
from tests.predict.conftest import DIGITS, seeded_model
from tlcore.data import load_domain, save_upload
from tlcore.data.domain import Domain
from tlcore.errors import TLError
from tlcore.models import build_model
from tlcore.predict import (
    PredictionBatch,
    TrainedModel,
    load_data,
    predict_rows,
)
from tlcore.prediction_files import csv_safe, write_predictions
from tlcore.prediction_summary import summarise
from tlcore.workspace import Workspace

TEXT = {"id": str, "predicted": str, "top1": str, "top2": str, "top3": str, "label": str}


def frame_of(batches: Iterable[PredictionBatch]) -> pd.DataFrame:
    return pd.concat([batch.to_frame() for batch in batches], ignore_index=True)


def read_back(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=TEXT) if path.suffix == ".csv" else pd.read_parquet(path)


def scans_upload(workspace: Workspace, names: list[str]) -> str:
    """An unlabelled zip of 16x16 digit squares (plus a README) stored as an upload; its spec."""
    members = {name: png_bytes(digit_image(i, size=16)) for i, name in enumerate(names)}
    members["export/scans/README.txt"] = b"not an image"
    data = write_zip(workspace.root / "incoming.zip", members).read_bytes()
    return f"upload:{save_upload(workspace, 'scans.zip', data)}"


def test_unlabelled_zip_upload_round_trips_through_csv_and_parquet(workspace: Workspace) -> None:
    names = [f"export/scans/{name}.png" for name in ("b", "a", "c 1", "e", "d")]
    domain = load_domain(scans_upload(workspace, names), workspace)
    predictions = predict_rows(seeded_model("lenet", (1, 28, 28), DIGITS), domain, batch_size=2)
    assert predictions.n_samples == 5 and not predictions.labelled
    assert predictions.notes() == ["data: resized from 16x16 to 28x28"]
    written = {}
    for suffix in (".csv", ".parquet"):
        path = workspace.root / f"predictions{suffix}"
        summary = write_predictions(path, predictions)
        assert summary.n_samples == 5 and sum(summary.counts.values()) == 5
        written[suffix] = read_back(path)
    csv, parquet = written[".csv"], written[".parquet"]
    columns = ["id", "predicted", "confidence", "entropy", "top1", "p1", "top2", "p2", "top3", "p3"]
    assert list(csv.columns) == columns
    # the original file names, in the domain's row order: a zip upload's is a folder's, by name
    assert csv["id"].tolist() == sorted(names)
    pd.testing.assert_frame_equal(csv, parquet)
    pd.testing.assert_frame_equal(csv, frame_of(predictions), check_dtype=False)
    assert sorted(p.name for p in workspace.root.iterdir() if p.suffix in (".csv", ".parquet")) == [
        "predictions.csv",
        "predictions.parquet",
    ]


def test_a_files_prediction_does_not_depend_on_the_sizes_of_the_other_files(workspace: Workspace) -> None:
    """Each file is decoded straight to the model's input: one resize, as the model card's steps do.
    Loaded as a dataset, the 84x84 files would first shrink to the median size, 12x12."""
    big = {f"big{i}.png": png_bytes(np.kron(digit_image(i), np.ones((3, 3), np.uint8))) for i in range(4)}
    small = {f"small{i}.png": png_bytes(digit_image(i, size=12)) for i in range(6)}
    zips = {"alone.zip": big, "mixed.zip": {**big, **small}}
    data = {name: write_zip(workspace.root / name, files).read_bytes() for name, files in zips.items()}
    specs = [f"upload:{save_upload(workspace, name, raw)}" for name, raw in data.items()]
    model = seeded_model("lenet", (1, 28, 28), DIGITS)
    alone, mixed = (load_data(model, spec, workspace) for spec in specs)
    assert alone.shape == mixed.shape == (1, 28, 28)
    assert (alone.meta["n_resized"], mixed.meta["n_resized"]) == (4, 10)
    torch.testing.assert_close(mixed.X[:4], alone.X, rtol=0, atol=0)
    expected = interpolate(  # the model card's resize of the file's own pixels
        torch.from_numpy(np.kron(digit_image(2), np.ones((3, 3), np.uint8))).float()[None, None] / 255,
        size=(28, 28),
        mode="bilinear",
        antialias=True,
        align_corners=False,
    )
    torch.testing.assert_close(mixed.X[2:3], expected.clamp(0, 1), rtol=0, atol=1e-6)
    pd.testing.assert_frame_equal(
        frame_of(predict_rows(model, mixed)).iloc[:4], frame_of(predict_rows(model, alone)), check_exact=True
    )


def test_colour_files_are_read_as_grayscale_for_a_grayscale_model(workspace: Workspace) -> None:
    """Pillow's luma, as the model card says, where a colour tensor would be refused."""
    files = {f"scan{i}.png": png_bytes(digit_image(i, rgb=True)) for i in range(3)}
    upload = save_upload(workspace, "rgb.zip", write_zip(workspace.root / "rgb.zip", files).read_bytes())
    model = seeded_model("lenet", (1, 28, 28), DIGITS)
    domain = load_data(model, f"upload:{upload}", workspace)
    luma = np.stack([np.asarray(Image.fromarray(digit_image(i, rgb=True)).convert("L")) for i in range(3)])
    torch.testing.assert_close(domain.X[:, 0], torch.from_numpy(luma / 255).float(), rtol=0, atol=1e-6)
    assert load_domain(f"upload:{upload}", workspace).shape == (3, 28, 28)  # as a dataset it stays RGB
    assert predict_rows(model, domain).n_samples == 3


def test_data_without_the_shifts_the_model_was_adapted_to_get_a_note() -> None:
    seeded = seeded_model("lenet", (1, 28, 28), DIGITS)
    trained = TrainedModel(seeded.model, DIGITS, target="upload:scans.zip:invert=1,contrast=1,blur=0.5")
    notes = {
        spec: [n for n in predict_rows(trained, load_domain(spec)).notes() if "adapted" in n]
        for spec in ("digits:n=20", "digits:n=20,blur=0.5", "digits:n=20,invert=1,blur=0.5")
    }
    assert notes == {
        "digits:n=20": [
            "data: the model was adapted to upload:scans.zip:invert=1,contrast=1,blur=0.5; these data lack "
            "its shifts invert=1,blur=0.5 (add them to the data's spec if its files need the same)"
        ],
        "digits:n=20,blur=0.5": [
            "data: the model was adapted to upload:scans.zip:invert=1,contrast=1,blur=0.5; these data lack "
            "its shifts invert=1 (add them to the data's spec if its files need the same)"
        ],
        "digits:n=20,invert=1,blur=0.5": [],
    }
    assert not [n for n in predict_rows(seeded, load_domain("digits:n=20")).notes() if "adapted" in n]


def test_top3_and_entropy_match_a_hand_computed_softmax() -> None:
    classes = ("a", "b", "c", "d", "e")
    trained = seeded_model("mlp", (6,), classes, seed=3)
    X = 3 * torch.randn(9, 6, generator=torch.Generator().manual_seed(1))
    y = torch.tensor([0, 1, 2, 3, 4, 0, 1, 2, 3])
    frame = frame_of(predict_rows(trained, Domain("d", X, y, classes), batch_size=4))
    with torch.no_grad():
        logits = trained.model.eval()(X)[0].double().numpy()
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    order = np.argsort(-p, axis=1, kind="stable")
    names = np.array(classes)
    for j in range(3):
        assert frame[f"top{j + 1}"].tolist() == names[order[:, j]].tolist()
        expected = np.take_along_axis(p, order[:, j : j + 1], 1)[:, 0]
        np.testing.assert_allclose(frame[f"p{j + 1}"], expected, rtol=1e-5)  # float32 logits
    np.testing.assert_allclose(frame["entropy"], -(p * np.log(p)).sum(1), rtol=1e-5)
    assert (frame["predicted"] == frame["top1"]).all() and (frame["confidence"] == frame["p1"]).all()
    assert frame["label"].tolist() == names[y.numpy()].tolist()


def test_a_uniform_softmax_has_entropy_ln_k_and_ties_go_to_the_lower_index() -> None:
    trained = seeded_model("mlp", (4,), ("x", "y"))
    with torch.no_grad():
        trained.model.head.weight.zero_()
        trained.model.head.bias.zero_()
    frame = frame_of(predict_rows(trained, Domain("d", torch.rand(3, 4), None, ())))
    assert list(frame.columns) == ["id", "predicted", "confidence", "entropy", "top1", "p1", "top2", "p2"]
    assert frame["top1"].tolist() == ["x"] * 3 and frame["top2"].tolist() == ["y"] * 3
    np.testing.assert_allclose(frame["entropy"], math.log(2))
    np.testing.assert_allclose(frame["confidence"], 0.5)


def test_streaming_in_batches_equals_one_big_batch_and_repeats_exactly() -> None:
    domain = load_domain("mnist5k:n=100")
    trained = seeded_model("lenet", (1, 28, 28), DIGITS)
    small = predict_rows(trained, domain, batch_size=7)
    assert [len(b) for b in small] == [7] * 14 + [2]
    one = frame_of(predict_rows(trained, domain, batch_size=100))
    streamed = frame_of(small)
    pd.testing.assert_frame_equal(streamed, one, atol=1e-6, rtol=0)
    pd.testing.assert_frame_equal(frame_of(small), streamed, check_exact=True)
    assert streamed["id"].tolist() == list(domain.ids)


def test_domains_are_conformed_to_the_model_as_in_training() -> None:
    gray = torch.rand(6, 1, 20, 20, generator=torch.Generator().manual_seed(0))
    rgb_model = seeded_model("lenet", (3, 28, 28), DIGITS)
    conformed = interpolate(gray, size=(28, 28), mode="bilinear", antialias=True, align_corners=False)
    expected = frame_of(
        predict_rows(rgb_model, Domain("ref", conformed.clamp(0, 1).expand(-1, 3, -1, -1), None, ()))
    )
    predictions = predict_rows(rgb_model, Domain("g", gray, None, ()), batch_size=4)
    assert predictions.notes() == [
        "data: grayscale repeated to 3 channels",
        "data: resized from 20x20 to 28x28",
    ]
    pd.testing.assert_frame_equal(frame_of(predictions), expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    ("model", "shape", "domain", "message"),
    [
        (
            "lenet",
            (1, 28, 28),
            Domain("colour", torch.rand(2, 3, 28, 28), None, ()),
            "colour holds RGB images but",
        ),
        (
            "lenet",
            (1, 28, 28),
            Domain("table", torch.rand(2, 6), None, ()),
            "cannot pair images with feature",
        ),
        ("mlp", (6,), Domain("pics", torch.rand(2, 1, 8, 8), None, ()), "cannot pair images with feature"),
        (
            "mlp",
            (6,),
            Domain("narrow", torch.rand(2, 4), None, ()),
            "feature dimensions differ: the test mlp has 6",
        ),
        (
            "mlp",
            (6,),
            Domain("pets", torch.rand(2, 6), torch.tensor([0, 1]), ("cat", "dog")),
            "no class of pets matches the classes of the test mlp",
        ),
    ],
)
def test_domains_that_do_not_fit_are_one_line_errors(
    model: str, shape: tuple[int, ...], domain: Domain, message: str
) -> None:
    with pytest.raises(TLError, match=message) as caught:
        predict_rows(seeded_model(model, shape, DIGITS), domain)
    assert "\n" not in str(caught.value)


def test_labelled_domains_get_a_label_column_and_unknown_classes_are_dropped() -> None:
    X = torch.rand(6, 6, generator=torch.Generator().manual_seed(2))
    y = torch.tensor([0, 1, 2, 1, 0, 2])
    domain = Domain("mixed", X, y, ("3", "zebra", "7 "), ids=tuple("abcdef"))
    predictions = predict_rows(seeded_model("mlp", (6,), DIGITS), domain)
    assert predictions.n_samples == 4 and predictions.labelled
    assert (
        "data classes unknown to the model, 2 samples dropped: zebra (2) (label=none keeps them, unlabelled)"
        in predictions.notes()
    )
    frame = frame_of(predictions)
    assert frame["id"].tolist() == ["a", "c", "e", "f"] and frame["label"].tolist() == ["3", "7", "3", "7"]
    summary = summarise(predictions, least=4)
    assert summary.accuracy == pytest.approx((frame["predicted"] == frame["label"]).mean())
    for uncertain in summary.least_confident:  # rows of the domain as given, not of the file
        assert domain.ids[uncertain.row] == uncertain.id
    assert {u.label for u in summary.least_confident} == {"3", "7"}  # the model's names, not the data's
    assert (
        "label"
        not in summarise(
            predict_rows(seeded_model("mlp", (6,), DIGITS), Domain("u", X, None, ()))
        ).least_confident_rows()[0]
    )


def test_model_classes_a_file_lacks_are_no_note_labelled_or_not() -> None:
    """A file to predict that holds none of some of the model's classes: unsaid, labelled or not (no
    row's prediction, nor the accuracy over its rows, depends on them); a pair's report still says it."""
    X = torch.rand(4, 6, generator=torch.Generator().manual_seed(0))
    model = seeded_model("mlp", (6,), DIGITS)
    labelled = predict_rows(model, Domain("few", X, torch.tensor([0, 1, 0, 1]), ("3", "7")))
    unlabelled = predict_rows(model, Domain("few", X, None, ()))
    assert labelled.labelled and not unlabelled.labelled
    assert labelled.notes() == [] and unlabelled.notes() == []
    report = labelled.plan.report
    assert report.missing_classes == ("0", "1", "2", "4", "5", "6", "8", "9")
    assert report.lines("data", "model") == ["model classes absent from the data: 0, 1, 2, 4, 5, 6, 8, 9"]
    frame = frame_of(labelled)
    assert frame["label"].tolist() == ["3", "7", "3", "7"]
    assert summarise(labelled).accuracy == pytest.approx((frame["predicted"] == frame["label"]).mean())


def test_summary_counts_confidences_and_least_confident_rows() -> None:
    domain = load_domain("digits:n=60")
    predictions = predict_rows(seeded_model("lenet", (1, 28, 28), DIGITS), domain, batch_size=16)
    frame, summary = frame_of(predictions), summarise(predictions, least=5)
    assert summary.counts == {c: int((frame["predicted"] == c).sum()) for c in DIGITS}
    np.testing.assert_array_equal(summary.confidences, frame["confidence"].to_numpy())
    lowest = frame["confidence"].to_numpy().argsort(kind="stable")[:5]
    assert [
        (u.row, u.id, u.confidence, u.predicted, u.runner_up, u.label) for u in summary.least_confident
    ] == [
        (
            int(i),
            domain.ids[i],
            frame["confidence"][i],
            frame["predicted"][i],
            frame["top2"][i],
            frame["label"][i],
        )
        for i in lowest
    ]
    assert summary.least_confident_rows()[0] == {
        "id": domain.ids[lowest[0]],
        "predicted": frame["predicted"][lowest[0]],
        "next": frame["top2"][lowest[0]],
        "label": frame["label"][lowest[0]],
        "confidence": frame["confidence"][lowest[0]],
    }
    assert summary.accuracy == pytest.approx((frame["predicted"] == frame["label"]).mean())
    edges, counts = summary.histogram(4)
    assert edges.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0] and counts.sum() == 60
    payload = json.loads(json.dumps(summary.to_dict(), allow_nan=False))
    assert payload["least_confident"][0] == {
        "row": int(lowest[0]),
        "id": domain.ids[lowest[0]],
        "confidence": frame["confidence"][lowest[0]],
        "predicted": frame["predicted"][lowest[0]],
        "runner_up": frame["top2"][lowest[0]],
        "label": frame["label"][lowest[0]],
    }


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path: Path, suffix: str) -> None:
    predictions = predict_rows(
        seeded_model("mlp", (6,), DIGITS), Domain("d", torch.rand(10, 6), None, ()), batch_size=4
    )

    def broken() -> Iterator[PredictionBatch]:
        batches = iter(predictions)
        yield next(batches)
        raise TLError("the data went away")

    path = tmp_path / f"out{suffix}"
    with pytest.raises(TLError, match="the data went away"):
        write_predictions(path, broken())
    assert list(tmp_path.iterdir()) == []
    path.write_text("old")
    with pytest.raises(TLError, match="the data went away"):
        write_predictions(path, broken())
    assert path.read_text() == "old" and list(tmp_path.iterdir()) == [path]
    with pytest.raises(TLError, match=r"out\.txt: predictions are written as \.csv or \.parquet"):
        write_predictions(tmp_path / "out.txt", predictions)
    with pytest.raises(TLError, match="no folder"):
        write_predictions(tmp_path / "missing" / f"out{suffix}", predictions)
    assert list(tmp_path.iterdir()) == [path]


def test_a_folder_this_user_may_not_look_into_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Export audit: ``export --out`` into a folder the user may not read ended in a PermissionError
    traceback; ``predict --out`` had the same path (Python 3.11's ``is_dir`` lets EACCES through). The
    machine runs as root, so the denial is faked as the export test fakes it."""
    locked = tmp_path / "theirs"
    locked.mkdir()
    stat = Path.stat

    def denied(path: Path, *args: object, **kwargs: object) -> os.stat_result:
        if locked in (path, *path.parents):
            raise PermissionError(13, "Permission denied", str(path))
        return stat(path, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", denied)
    with pytest.raises(TLError) as said:
        write_predictions(locked / "inner" / "out.csv", [])
    assert str(said.value) == f"cannot write {locked / 'inner' / 'out.csv'}: Permission denied"


def test_csv_cells_that_would_run_as_formulas_are_quoted() -> None:
    frame = pd.DataFrame(
        {"id": ["=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2", "scan.png"], "p1": [0.1, 0.2, 0.3, 0.4, 0.5]}
    )
    safe = csv_safe(frame)
    assert safe["id"].tolist() == ["'=cmd|' /C calc'!A0", "'+1+1", "'@SUM(A1)", "-2", "scan.png"]
    assert safe["p1"].tolist() == frame["p1"].tolist()


def test_notes_say_the_side_an_imagenet_network_sees_beside_the_decoded_one(workspace: Workspace) -> None:
    """QA helper-117: Predict said "resized to 128x128" for an efficientnet_lite0 run that trains at
    96 px (the model takes 128x128 images and resizes them itself); the note says both."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = build_model("auto", (3, 128, 128), 10, pretrained=False)
    assert model.spec["name"] == "efficientnet_lite0" and model.spec["options"] == {"image_size": 96}
    trained = TrainedModel(model, DIGITS, "the test efficientnet_lite0")
    spec = scans_upload(workspace, [f"scans/{i}.png" for i in range(3)])
    notes = predict_rows(trained, load_data(trained, spec, workspace)).notes()
    assert notes[0] == (
        "data: 3 image files resized to 128x128 keeping the aspect ratio, centre-cropped; the network "
        "(efficientnet_lite0) sees them at 96x96: it resizes its input itself"
    )
    same = predict_rows(trained, load_domain("mnist5k:n=4", workspace)).notes()
    assert "model: the images go in at 128x128; the network (efficientnet_lite0) sees them at 96x96" in (
        " ".join(same)
    )
    small = seeded_model("lenet", (1, 28, 28), DIGITS)  # its network takes the images as they are
    assert predict_rows(small, load_data(small, spec, workspace)).notes() == [
        "data: 3 image files resized to 28x28 keeping the aspect ratio, centre-cropped"
    ]
