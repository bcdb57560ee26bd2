"""torchvision's own readers load tiny files written in the real on-disk formats."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torch
from data_formats import write_idx, write_mnist_like, write_usps
from torchvision.datasets import SVHN

from tlcore.data.spec import load_domain
from tlcore.data.torchvision_sets import load_torchvision, missing_files
from tlcore.errors import TLError


@pytest.mark.parametrize(
    ("name", "cls_name"), [("mnist", "MNIST"), ("kmnist", "KMNIST"), ("fashionmnist", "FashionMNIST")]
)
def test_mnist_like_idx_files(tmp_path: Path, name: str, cls_name: str) -> None:
    arrays = write_mnist_like(tmp_path, cls_name, n_train=6, n_test=4)
    train = load_torchvision(name, tmp_path, "train")
    assert train.shape == (1, 28, 28) and train.n_samples == 6
    images, labels = arrays["train"]
    torch.testing.assert_close(train.X[:, 0], torch.as_tensor(images).float() / 255)
    assert train.y.tolist() == labels.tolist()
    both = load_torchvision(name, tmp_path, "all")
    assert both.n_samples == 10
    torch.testing.assert_close(both.X[6:, 0], torch.as_tensor(arrays["t10k"][0]).float() / 255)
    assert len(both.classes) == 10
    if name == "mnist":
        assert both.classes == tuple("0123456789")  # matched by name with mnist5k, digits, usps, svhn


def test_usps_bz2_libsvm(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    values = rng.integers(-8, 9, size=(3, 16, 16)) / 8  # exact in binary and in the text file
    write_usps(tmp_path, "usps.bz2", values, [1, 10, 5])
    write_usps(tmp_path, "usps.t.bz2", values[:2], [2, 3])
    usps = load_domain(f"usps@{tmp_path}:split=train")
    assert usps.name == f"usps@{tmp_path}:split=train"
    assert usps.shape == (1, 16, 16)
    assert usps.y.tolist() == [0, 9, 4]  # libsvm labels 1..10 are digits 0..9
    expected = ((values.astype(np.float32) + 1) / 2 * 255).astype(np.uint8) / 255
    torch.testing.assert_close(usps.X[:, 0], torch.as_tensor(expected, dtype=torch.float32))
    assert load_domain(f"usps@{tmp_path}").n_samples == 5


def test_svhn_mat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(32, 32, 3, 4), dtype=np.uint8)  # H x W x C x N, as SVHN ships it
    y = np.array([[10], [1], [2], [10]], dtype=np.uint8)  # 10 is the digit 0
    path = tmp_path / "train_32x32.mat"
    scipy.io.savemat(path, {"X": X, "y": y})
    # torchvision checks the md5 of the real file; register the tiny file's own checksum
    url, filename, _ = SVHN.split_list["train"]
    monkeypatch.setitem(SVHN.split_list, "train", [url, filename, hashlib.md5(path.read_bytes()).hexdigest()])
    svhn = load_torchvision("svhn", tmp_path, "train")
    assert svhn.shape == (3, 32, 32)
    assert svhn.y.tolist() == [0, 1, 2, 0]
    torch.testing.assert_close(svhn.X[1], torch.as_tensor(X[..., 1]).permute(2, 0, 1).float() / 255)


def test_missing_files_name_where_they_are_expected(tmp_path: Path) -> None:
    assert missing_files("usps", tmp_path, "test") == [tmp_path / "usps.t.bz2"]
    with pytest.raises(TLError, match=r"files not found: .*MNIST/raw/train-images-idx3-ubyte") as info:
        load_torchvision("mnist", tmp_path, "train")
    assert "download=1" in str(info.value) and "\n" not in str(info.value)


def test_corrupt_files_are_user_errors(tmp_path: Path) -> None:
    write_mnist_like(tmp_path, "KMNIST")
    write_idx(tmp_path / "KMNIST" / "raw" / "train-labels-idx1-ubyte", np.zeros((2, 2), dtype=np.uint8))
    with pytest.raises(TLError, match="could not read the train files"):
        load_torchvision("kmnist", tmp_path, "train")
    (tmp_path / "usps.bz2").write_bytes(b"not bz2 at all")
    with pytest.raises(TLError, match="usps: could not read"):
        load_torchvision("usps", tmp_path, "train")
