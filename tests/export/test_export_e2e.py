"""From a PNG file to a class outside the studio: the sidecar's steps (Pillow + NumPy) give the
tensor the data layer makes from the same file, and the README's snippet labels it like torch does."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import onnxruntime
import pandas as pd
import pytest
import torch
from PIL import Image, ImageFilter, ImageOps

from tlcore.checkpoints import load_checkpoint
from tlcore.export import export_model, export_run
from tlcore.model_card import Provenance
from tlcore.models import Classifier, build_model
from tlcore.predict import TrainedModel, load_data, predict_rows

README = Path(__file__).resolve().parents[2] / "README.md"
SIZE = (40, 36)  # W x H of the test images: the steps must resize them to the model's 28 x 28


def write_pngs(folder: Path, mode: str, n: int = 2) -> list[Path]:
    """``n`` smooth seeded images in ``mode`` ("L" or "RGB"), and a zip archive ``images.zip`` of them."""
    rng = np.random.default_rng(0)
    bands = 1 if mode == "L" else 3
    paths = []
    for i in range(n):
        pixels = rng.integers(0, 256, (SIZE[1], SIZE[0], bands), dtype=np.uint8)
        image = Image.fromarray(pixels.squeeze(-1) if bands == 1 else pixels)
        paths.append(folder / f"image{i}.png")
        image.filter(ImageFilter.GaussianBlur(2)).save(paths[-1])
    with zipfile.ZipFile(folder / "images.zip", "w") as archive:
        for path in paths:
            archive.write(path, path.name)
    return paths


def follow_steps(card: dict, path: Path) -> np.ndarray:
    """The sidecar's preprocessing, step by step, with Pillow and NumPy only: ``1 x C x H x W``."""
    image, upright, x = None, None, None
    for step in card["preprocessing"]:
        op = step["op"]
        if op == "decode":
            image = Image.open(path)
            image.draft(None, tuple(step["draft"]["size"]))
        elif op == "upright":
            image = upright = ImageOps.exif_transpose(image)
        elif op == "convert":
            image = image.convert(step["mode"])
        elif op == "scale":
            x = np.asarray(image, np.float32).reshape(image.height, image.width, -1) * step["factor"]
        elif op == "flatten":  # on the upright image's alpha
            if upright.has_transparency_data:
                alpha = np.asarray(upright.convert("RGBA").getchannel("A"), np.float32)[..., None] / 255
                x = x * alpha + (1 - alpha)
        elif op == "shift":
            assert (step["name"], step["value"]) == ("invert", 1.0)
            x = 1 - x
        elif op == "resize":
            assert (step["interpolation"], step["antialias"]) == ("bilinear", True)
            width, height = step["width"], step["height"]
            s = max(width / x.shape[1], height / x.shape[0])  # the step's cover rule, then its crop
            cover = (max(width, round(x.shape[1] * s)), max(height, round(x.shape[0] * s)))
            left, top = (cover[0] - width) // 2, (cover[1] - height) // 2
            channels = [Image.fromarray(x[..., c]) for c in range(x.shape[2])]  # float32: mode "F"
            bands = [band.resize(cover, Image.Resampling.BILINEAR) for band in channels]
            x = np.stack([np.asarray(band) for band in bands], axis=-1).clip(*step["clip"])
            x = x[top : top + height, left : left + width]
        elif op == "layout":
            assert (step["from"], step["to"]) == ("HWC", "NCHW")
            x = x.transpose(2, 0, 1)[None]
        else:
            raise AssertionError(f"a step this reader does not know: {op}")
    return x.astype(np.float32)


def data_layer_tensor(spec: str, model: Classifier, classes: tuple[str, ...]) -> torch.Tensor:
    """What ``predict`` feeds the model for the images of ``spec``: loaded for it, shifted, conformed."""
    trained = TrainedModel(model, classes)
    domain = load_data(trained, spec)
    return predict_rows(trained, domain).plan.samples(domain.X)


def readme_snippet(index: int = 0) -> str:
    """The ``index``-th Python block of the README's Export section: 0 labels an image, 1 a table."""
    export_section = README.read_text(encoding="utf-8").split("## Export", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", export_section, re.DOTALL)[index]


def run_readme_block(tmp_path: Path, index: int, folder: Path, data: Path, needs: set[str]) -> str:
    """The README's block in a fresh interpreter, its stdout; the modules it imported are checked too."""
    script = tmp_path / f"block{index}.py"
    script.write_text(readme_snippet(index), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-I", "-X", "importtime", str(script), str(folder), str(data)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
    assert needs <= imported
    assert not imported & {"torch", "tlcore", "onnx", "onnxscript"}
    return done.stdout


def run_snippet(tmp_path: Path, folder: Path, image: Path) -> tuple[str, float]:
    """The README's image snippet: the class it prints and its probability."""
    stdout = run_readme_block(tmp_path, 0, folder, image, {"onnxruntime", "PIL", "numpy"})
    name, probability = stdout.strip().rsplit(" ", 1)
    return name, float(probability.rstrip("%")) / 100


@pytest.mark.parametrize(
    ("mode", "model_name", "shift"),
    [("L", "lenet", ""), ("RGB", "cnn", ":invert=1")],
)
def test_sidecar_steps_and_readme_snippet_follow_the_data_layer(tmp_path, mode, model_name, shift):
    paths = write_pngs(tmp_path, mode)
    classes = tuple("abcd")
    torch.manual_seed(3)
    model = build_model(model_name, (1 if mode == "L" else 3, 28, 28), len(classes)).eval()
    target = f"{tmp_path / 'images.zip'}{shift}"
    out = tmp_path / "exported"
    card = export_model(model, classes, Provenance("run", "mnist5k", target, ("im",)), "onnx", out).card
    studio = data_layer_tensor(target, model, classes)  # 2 x C x 28 x 28, in file order
    session = onnxruntime.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    for i, path in enumerate(paths):
        x = follow_steps(card.to_dict(), path)
        assert x.shape == (1, *model.spec["input_shape"])
        assert np.abs(x - studio[i : i + 1].numpy()).max() < 1e-5  # the same tensor
        with torch.no_grad():
            expected = torch.softmax(model(studio[i : i + 1])[0], 1)[0].numpy()
        logits = session.run(["logits"], {"input": x})[0][0]
        assert np.abs(logits - model(studio[i : i + 1])[0][0].detach().numpy()).max() < 1e-4
        name, probability = run_snippet(tmp_path, out, path)  # 8-bit resize: pixels within 1/255
        assert name == classes[int(expected.argmax())]
        assert probability == pytest.approx(expected.max(), abs=0.002)


def test_sidecar_steps_follow_the_data_layer_on_a_large_jpeg(tmp_path):
    rows, cols = np.mgrid[0:360, 0:400] / 400
    pixels = np.dstack([128 + 100 * np.sin(19 * rows), 128 + 100 * np.cos(23 * cols), 255 * rows * cols])
    path = tmp_path / "photo.jpg"  # 400 x 360: decoded at 1/2, both sides still >= 4 x 28
    Image.fromarray(pixels.astype(np.uint8)).save(path, quality=95)
    with zipfile.ZipFile(tmp_path / "images.zip", "w") as archive:
        archive.write(path, path.name)
    torch.manual_seed(3)
    model = build_model("cnn", (3, 28, 28), 2).eval()
    provenance = Provenance("run", "mnist5k", "digits", ("im",))
    card = export_model(model, ("a", "b"), provenance, "onnx", tmp_path / "out").card.to_dict()
    assert card["preprocessing"][0]["draft"]["size"] == [112, 112]
    studio = data_layer_tensor(str(tmp_path / "images.zip"), model, ("a", "b")).numpy()
    assert np.abs(follow_steps(card, path) - studio).max() < 1e-5
    no_draft = {"op": "decode", "draft": {"size": [4096, 4096]}}  # asks for more than the file: full size
    full = {"preprocessing": [no_draft, *card["preprocessing"][1:]]}
    assert np.abs(follow_steps(full, path) - studio).max() > 1e-4  # the draft step is not a no-op


def test_readme_snippet_labels_an_image_with_a_real_run_export(done_run, tmp_path):
    workspace, run_id = done_run
    result = export_run(workspace, run_id, "onnx", tmp_path / "exported")
    card = json.loads((tmp_path / "exported" / "model.json").read_text())
    assert card["classes"] == [str(d) for d in range(10)]
    assert card["training"] == {
        "source": "mnist5k:n=120",
        "target": "digits:n=120",
        "methods": ["source_only"],
        "source_shifts": [],
        "target_shifts": [],
    }
    (path,) = write_pngs(tmp_path, "L", n=1)
    image = torch.from_numpy(follow_steps(card, path))
    model = load_checkpoint(workspace.runs / run_id / "model.pt")[0]
    with torch.no_grad():
        expected = torch.softmax(model.eval()(image)[0], 1)[0]
    name, probability = run_snippet(tmp_path, result.folder, path)
    assert name == card["classes"][int(expected.argmax())]
    assert probability == pytest.approx(float(expected.max()), abs=0.002)


def test_sidecar_steps_and_readme_snippet_turn_a_sideways_photo_upright_and_show_transparency_on_white(
    tmp_path,
):
    """A phone photo stored sideways (EXIF orientation 6) and a PNG with transparent parts: the card's
    steps give the data layer's tensor, and the README's snippet labels them as torch does."""
    rows, cols = np.mgrid[0:36, 0:60] / 60
    sideways = np.dstack([255 * rows, 128 + 120 * np.sin(9 * cols), 255 * (cols > 0.3)]).astype(np.uint8)
    photo = tmp_path / "photo.jpg"  # 60 x 36 as stored, 36 x 60 (portrait) as a viewer shows it
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(sideways).save(photo, quality=95, exif=exif)
    rgba = np.dstack([40 + 0 * rows, 200 * cols, 90 + 0 * rows, 255 * (rows > 0.3) * (cols > 0.4)])
    transparent = tmp_path / "transparent.png"  # dark ink on a transparent (black) background
    Image.fromarray(rgba.astype(np.uint8), "RGBA").save(transparent)
    with zipfile.ZipFile(tmp_path / "images.zip", "w") as archive:
        for path in (photo, transparent):
            archive.write(path, path.name)
    classes = tuple("abcd")
    torch.manual_seed(3)
    model = build_model("cnn", (3, 28, 28), len(classes)).eval()
    with torch.no_grad():
        model.head.weight.mul_(30)  # confident: a wrong tensor moves the printed probability
    provenance = Provenance("run", "mnist5k", "digits", ("im",))
    out = tmp_path / "exported"
    card = export_model(model, classes, provenance, "onnx", out).card.to_dict()
    studio = data_layer_tensor(str(tmp_path / "images.zip"), model, classes)  # in the zip's order
    for i, path in enumerate((photo, transparent)):
        assert np.abs(follow_steps(card, path) - studio[i : i + 1].numpy()).max() < 1e-5
        with torch.no_grad():
            expected = torch.softmax(model(studio[i : i + 1])[0], 1)[0].numpy()
        name, probability = run_snippet(tmp_path, out, path)
        assert name == classes[int(expected.argmax())]
        assert probability == pytest.approx(expected.max(), abs=0.002)


def test_readme_table_snippet_labels_rows_as_predict_does(tmp_path):
    """A table in another column order, with an id and a column the model does not know: the README's
    block takes model.json's columns and gives predict's class and probability for every row."""
    columns = ("temp", "pressure", "flow", "ph")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal([20, 1000, 3, 7], [5, 50, 1, 0.5], (12, 4)), columns=list(columns))
    table = frame[["flow", "ph", "temp", "pressure"]].assign(id=[f"r{i}" for i in range(12)], notes=1.0)
    path = tmp_path / "new.csv"
    table.to_csv(path, index=False)
    classes = ("low", "mid", "high")
    torch.manual_seed(3)
    model = build_model("mlp", (4,), len(classes)).eval()
    model.standardize.fit(torch.tensor(frame.to_numpy(np.float32)))  # the units differ by 1000s
    model.columns = columns
    with torch.no_grad():
        model.head.weight.mul_(30)  # confident: a column out of place moves the printed probability
    out = tmp_path / "exported"
    export_model(model, classes, Provenance("run", "source.csv", "target.csv", ("im",)), "onnx", out)
    with torch.no_grad():
        expected = torch.softmax(model(data_layer_tensor(str(path), model, classes))[0], 1).numpy()
    stdout = run_readme_block(tmp_path, 1, out, path, {"onnxruntime", "pandas", "numpy"})
    rows = [line.split(" ") for line in stdout.splitlines()]
    assert [(int(row), name) for row, name, _ in rows] == [
        (i, classes[k]) for i, k in enumerate(expected.argmax(1))
    ]
    printed = np.array([float(share.rstrip("%")) / 100 for _, _, share in rows])
    assert np.abs(printed - expected.max(1)).max() <= 0.0005 + 1e-6  # printed to 0.1%
    assert len(set(expected.argmax(1))) > 1  # rows that could be told apart
