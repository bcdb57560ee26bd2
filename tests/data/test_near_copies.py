"""Near copies between two uploads: target images that are source images re-encoded, resized or shifted
by a pixel (the same field photos exported twice), which the exact check by content misses; two sets of
different handwritten digits hold none."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.nn import functional

from tests.data.data_formats import jpeg_bytes, png_bytes, write_zip
from tlcore.cli import main
from tlcore.data import harmonise, load_domain, shifts
from tlcore.data import near_copies as near_copies_module
from tlcore.data.near_copies import EXPORT_SIDES, GRID, _export_matrix, near_copies
from tlcore.views.run_tables import shared_note
from tlcore.workspace import Workspace


def reencoded(images: torch.Tensor, quality: int) -> torch.Tensor:
    """Grey images (N x 1 x H x W in [0, 1]) saved as JPEG at ``quality`` and read back."""
    pixels = (images[:, 0] * 255).round().to(torch.uint8).numpy()
    read = [np.asarray(Image.open(io.BytesIO(jpeg_bytes(p, quality)))) for p in pixels]
    return torch.from_numpy(np.stack(read)).float()[:, None] / 255


def test_reencoded_and_shifted_digits_are_near_copies_of_their_originals_only() -> None:
    source = load_domain("mnist5k").X[:300]
    copies = torch.cat([reencoded(source[:100], 60), torch.roll(source[100:200], (1, -1), (2, 3))])
    found = near_copies(source, torch.cat([copies, load_domain("mnist5k").X[300:400]]))
    right = found[:200] == torch.arange(200)
    assert ((found[:200] >= 0) == right).all()  # a copy found is its own original's
    assert int(right[:100].sum()) == 99  # JPEG at quality 60: 1 of 100 off by more (25%; 20% blurred)
    assert right[100:].all()  # every shifted copy (the pixels moved out are black)
    assert (found[200:] == -1).all()  # 100 other MNIST digits, none a copy
    mnist, digits = harmonise(load_domain("mnist5k"), load_domain("digits"))
    assert int((near_copies(mnist.X, digits.X) >= 0).sum()) == 0  # two sets of other digits


def resized(images: torch.Tensor, side: int) -> torch.Tensor:
    """Grey images (N x 1 x H x W in [0, 1]) resized (PIL, bilinear) to ``side`` px and back."""
    pixels = (images[:, 0] * 255).round().to(torch.uint8).numpy()
    size = images.shape[-1], images.shape[-2]
    images_back = [
        Image.fromarray(p).resize((side, side), Image.BILINEAR).resize(size, Image.BILINEAR) for p in pixels
    ]
    return torch.from_numpy(np.stack([np.asarray(i) for i in images_back])).float()[:, None] / 255


def test_digits_resized_through_32_and_56_px_are_near_copies_of_their_originals() -> None:
    """The same photos exported at another size and decoded back: resampling blurs their edges, which
    then differ from their originals' by more than a JPEG at quality 50 does."""
    source = load_domain("mnist5k").X[:200]
    found = near_copies(source, torch.cat([resized(source[:20], 32), resized(source[20:40], 56)]))
    assert found.tolist() == list(range(40))


def box_exported(images: torch.Tensor, side: int) -> torch.Tensor:
    """Grey images (N x 1 x H x W in [0, 1]) exported at ``side`` px with PIL's box filter and decoded
    back to their size (torch's antialiased bilinear resize, as an upload is decoded)."""
    pixels = (images[:, 0] * 255).round().to(torch.uint8).numpy()
    small = [np.asarray(Image.fromarray(p).resize((side, side), Image.BOX)) for p in pixels]
    exported = torch.from_numpy(np.stack(small)).float()[:, None] / 255
    return functional.interpolate(exported, size=images.shape[-2:], mode="bilinear", antialias=True)


def test_digits_exported_smaller_with_a_box_filter_are_near_copies_of_their_originals() -> None:
    """A box filter at 0.57 to 0.86 of the size aliases (no blur): each size is found by the source
    image exported at that size itself."""
    source = load_domain("mnist5k").X[:300]
    sizes = (16, 20, 24)
    copies = torch.cat([box_exported(source[50 * i : 50 * i + 50], side) for i, side in enumerate(sizes)])
    found = near_copies(source, torch.cat([copies, load_domain("mnist5k").X[300:400]]))
    assert found[:150].tolist() == list(range(150))
    assert (found[150:] == -1).all()  # 100 other MNIST digits, none a copy


def test_a_few_target_images_blur_their_candidates_not_every_source_image(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """QA: 400 uploaded images against the 70,000 of fashion blurred all 70,000 source images 5 times
    (GBs and seconds); the search blurs each target image's :data:`CANDIDATES` candidates."""
    blurred: list[int] = []

    def counting(X: torch.Tensor, sigma: float) -> torch.Tensor:
        blurred.append(len(X))
        return shifts.gaussian_blur(X, sigma)

    monkeypatch.setattr(near_copies_module, "gaussian_blur", counting)
    source = load_domain("mnist5k").X[:1000]
    found = near_copies(source, torch.cat([resized(source[:2], 32), source[500:501]]))
    assert found.tolist() == [0, 1, 500]
    assert blurred == [3 * near_copies_module.CANDIDATES] * len(near_copies_module.BLURS)


def test_alike_images_that_are_not_copies_stay_apart() -> None:
    """Distinct handwritten 1s (250 against 250 others), and two shirts of one catalogue template
    (Fashion-MNIST test/4263 and test/8597, the one with buttons) and two of its trousers (test/838 and
    test/6991): none is a near copy, blurred or not."""
    mnist = load_domain("mnist5k")
    ones = mnist.X[mnist.y == 1][:500]
    assert (near_copies(ones[:250], ones[250:]) == -1).all()
    fashion = load_domain("fashion:split=test").X
    assert near_copies(fashion[[4263, 838]], fashion[[8597, 6991]]).tolist() == [-1, -1]


def test_a_blank_image_is_no_ones_near_copy() -> None:
    source = torch.zeros(3, 1, 8, 8)
    source[1, 0, 2:6, 3] = 1.0
    target = torch.zeros(2, 1, 8, 8)
    target[1, 0, 3:7, 3] = 0.9  # source 1 moved a pixel down, a little darker
    assert near_copies(source, target).tolist() == [-1, 1]


def digit_members(images: dict[str, tuple[int, np.ndarray]], quality: int | None = None) -> dict[str, bytes]:
    """Zip members: class folders of the ``images`` (name → label and pixels), PNGs or JPEGs at
    ``quality``."""
    if quality is None:
        return {f"{label}/{name}.png": png_bytes(pixels) for name, (label, pixels) in images.items()}
    return {f"{label}/{name}.jpg": jpeg_bytes(pixels, quality) for name, (label, pixels) in images.items()}


def test_a_zip_of_the_same_photos_as_jpeg_is_found_as_near_copies(
    tmp_path: Path, workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """The source's 60 PNGs; the target: 10 of them uploaded again as they are, 30 saved as JPEG
    (quality 60) and 20 digits the source lacks."""
    mnist = load_domain("mnist5k")
    pixels = (mnist.X[:, 0] * 255).round().to(torch.uint8).numpy()
    digit = {f"d{i:03d}": (int(mnist.y[i]), pixels[i]) for i in range(120)}
    names = list(digit)
    source = write_zip(tmp_path / "field.zip", digit_members({k: digit[k] for k in names[:60]}))
    kept = digit_members({k: digit[k] for k in names[:10] + names[100:]})
    resaved = digit_members({k: digit[k] for k in names[10:40]}, quality=60)
    target = write_zip(tmp_path / "again.zip", kept | resaved)
    pair = ["--source", str(source), "--target", str(target)]
    code = main(["--workspace", str(workspace.root), "adapt", *pair, "--epochs", "1", "--estimate", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    shared = json.loads(out)["shared_samples"]
    assert (shared["by"], shared["shared"], shared["near_copies"], shared["n_target"]) == (
        "content",
        40,
        30,
        60,
    )
    assert (shared["shared_test"], shared["n_test"]) == (9, 12)
    assert len([i for i in shared["copies"] if i.endswith(".jpg")]) == 10  # the first 20 listed
    assert shared["text"].startswith(
        "the target repeats source images, found by content: 40 of the target's 60 samples are copies of "
        "source samples (10 exact, 30 near copies: re-encoded, resized or shifted), and 9 of the 12 target "
        "test samples a run with seed 0 scores on are copies of source training samples"
    )
    jpegs_only = write_zip(tmp_path / "jpegs.zip", resaved)
    assert (
        main(
            [
                "--workspace",
                str(workspace.root),
                "adapt",
                "--source",
                str(source),
                "--target",
                str(jpegs_only),
                "--epochs",
                "1",
                "--estimate",
            ]
        )
        == 0
    )
    assert (
        "found by content: all 30 of the target's samples are near copies of source samples (re-encoded, "
        "resized or shifted)" in capsys.readouterr().out
    )


def test_a_result_stored_before_near_copies_were_found_still_reads() -> None:
    """A run's ``shared_samples`` without ``near_copies`` (an older tlstudio) reads as exact copies."""
    stored = {"by": "content", "shared": 40, "n_target": 60, "shared_test": 9, "n_test": 12}
    older = shared_note({"shared_samples": stored})
    assert older == (
        "9 of the 12 target test samples it scored on are copies of source training samples, so its target "
        "accuracy reads too high (40 of its target's 60 samples are exact copies of source samples)"
    )
    assert shared_note({"shared_samples": stored | {"near_copies": 30}}) == older.replace(
        "exact copies of source samples",
        "copies of source samples (10 exact, 30 near copies: re-encoded, resized or shifted)",
    )


def test_the_export_matrix_is_pils_box_export_decoded_back_bilinearly() -> None:
    """At every thumbnail side (to GRID) and export size, the matrix equals PIL's BOX resize then a
    bilinear decode, on a random image: ties (an old centre on two new pixels' edge, 11 px at 6) included."""
    rng = np.random.default_rng(0)
    for size in range(2, GRID + 1):
        image = rng.random((size, size), dtype=np.float32)
        for fraction in EXPORT_SIDES:
            small = max(1, round(size * fraction))
            pil = np.array(Image.fromarray(image, mode="F").resize((small, small), Image.BOX))
            decoded = functional.interpolate(torch.from_numpy(pil)[None, None], size=size, mode="bilinear")
            matrix = _export_matrix(size, fraction)
            exported = matrix @ torch.from_numpy(image) @ matrix.T
            assert torch.allclose(exported, decoded[0, 0], atol=1e-5), (size, small)
