"""torchvision datasets (MNIST, USPS, SVHN, FashionMNIST, KMNIST) as :class:`Domain` objects.

Files are read by torchvision's own dataset classes under a data root: the spec's ``@root``, else
``$TLSTUDIO_DATA``, else ``<workspace>/datasets``. The layout is torchvision's:
``<root>/MNIST/raw/train-images-idx3-ubyte`` (likewise ``FashionMNIST``, ``KMNIST``),
``<root>/usps.bz2`` and ``<root>/usps.t.bz2``, ``<root>/train_32x32.mat`` (SVHN). With
``download=True`` torchvision's real download code fetches missing files; offline, a missing file is
a one-line :class:`TLError` naming the files and where they are expected.

Splits: ``train``, ``test`` or ``all`` (train then test); SVHN also has ``extra``. A sample's id is
its native split and index in it (``test/123``), whichever split was loaded.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tlcore.errors import TLError
from tlcore.workspace import Workspace

if TYPE_CHECKING:
    from tlcore.data.domain import Domain

DATA_ENV = "TLSTUDIO_DATA"
DIGITS = tuple(str(d) for d in range(10))
MNIST_FILES = ("{part}-images-idx3-ubyte", "{part}-labels-idx1-ubyte")
# exceptions torchvision raises on missing, corrupt or undownloadable files
READ_ERRORS = (RuntimeError, ValueError, TypeError, KeyError, AssertionError, OSError, EOFError)


@dataclass(frozen=True)
class TorchvisionSet:
    """One torchvision dataset: how to find, build and describe it."""

    name: str
    cls_name: str  # class in torchvision.datasets
    description: str
    n_samples: dict[str, int]  # per native split
    shape: tuple[int, int, int]
    classes: tuple[str, ...] | None  # None: use the dataset's own ``.classes``

    @property
    def splits(self) -> tuple[str, ...]:
        return (*self.n_samples, "all")

    def parts(self, split: str) -> tuple[str, ...]:
        """The native splits that make up ``split`` (``all`` is train then test)."""
        if split not in self.splits:
            raise TLError(f"{self.name}: unknown split {split!r}; choose from {', '.join(self.splits)}")
        return ("train", "test") if split == "all" else (split,)

    def files(self, root: Path, part: str) -> list[Path]:
        """The files torchvision checks for before reading ``part``."""
        if self.cls_name == "USPS":
            return [root / ("usps.bz2" if part == "train" else "usps.t.bz2")]
        if self.cls_name == "SVHN":
            return [root / f"{part}_32x32.mat"]
        raw = root / self.cls_name / "raw"  # MNIST-like: all four files, whatever the split
        return [raw / f.format(part=p) for p in ("train", "t10k") for f in MNIST_FILES]

    def build(self, root: Path, part: str, download: bool) -> Any:
        """The torchvision dataset object for one native split."""
        from torchvision import datasets  # noqa: PLC0415 - heavy import, only when reading

        cls = getattr(datasets, self.cls_name)
        if self.cls_name == "SVHN":
            return cls(str(root), split=part, download=download)
        return cls(str(root), train=part == "train", download=download)


SETS: dict[str, TorchvisionSet] = {
    s.name: s
    for s in (
        TorchvisionSet(
            "mnist", "MNIST", "MNIST handwritten digits", {"train": 60000, "test": 10000}, (1, 28, 28), DIGITS
        ),
        TorchvisionSet(
            "usps",
            "USPS",
            "USPS scanned zip-code digits, 16x16",
            {"train": 7291, "test": 2007},
            (1, 16, 16),
            DIGITS,
        ),
        TorchvisionSet(
            "svhn",
            "SVHN",
            "Street View House Numbers, RGB 32x32",
            {"train": 73257, "test": 26032, "extra": 531131},
            (3, 32, 32),
            DIGITS,
        ),
        TorchvisionSet(
            "fashionmnist",
            "FashionMNIST",
            "Fashion-MNIST clothing images",
            {"train": 60000, "test": 10000},
            (1, 28, 28),
            None,
        ),
        TorchvisionSet(
            "kmnist",
            "KMNIST",
            "Kuzushiji-MNIST cursive Japanese characters",
            {"train": 60000, "test": 10000},
            (1, 28, 28),
            None,
        ),
    )
}


def data_root(workspace: Workspace | None = None, root: str | os.PathLike[str] | None = None) -> Path:
    """Where datasets live: ``root``, else ``$TLSTUDIO_DATA``, else ``<workspace>/datasets``."""
    chosen = root or os.environ.get(DATA_ENV)
    if chosen:
        return Path(chosen).expanduser().resolve()
    return (workspace or Workspace.resolve()).root / "datasets"


def dataset_files(name: str, root: Path, split: str) -> list[Path]:
    """The files under ``root`` that loading ``split`` of ``name`` reads (present or not)."""
    spec = get_set(name)
    return list(dict.fromkeys(f for part in spec.parts(split) for f in spec.files(root, part)))


def missing_files(name: str, root: Path, split: str) -> list[Path]:
    """Files of ``split`` not present under ``root`` (empty when the set can load offline)."""
    return [f for f in dataset_files(name, root, split) if not f.is_file()]


def check_files(name: str, root: Path, split: str) -> None:
    """A one-line :class:`TLError` naming the files of ``split`` missing under ``root``."""
    missing = missing_files(name, root, split)
    if missing:
        listed = ", ".join(str(f) for f in missing)
        raise TLError(
            f"{name}: files not found: {listed} (add download=1 to fetch them, or give the folder "
            f"as {name}@DIR)"
        )


def get_set(name: str) -> TorchvisionSet:
    try:
        return SETS[name]
    except KeyError:
        raise TLError(f"unknown torchvision dataset {name!r}; known: {', '.join(SETS)}") from None


def load_torchvision(name: str, root: Path, split: str = "all", download: bool = False) -> Domain:
    """Load ``name`` from ``root`` (cached per process); ``download`` fetches missing files first."""
    spec = get_set(name)
    parts = spec.parts(split)
    if download:
        for part in parts:
            if any(not f.is_file() for f in spec.files(root, part)):
                root.mkdir(parents=True, exist_ok=True)
                _build(spec, root, part, download=True)
    check_files(name, root, split)
    domain = _load_cached(name, str(root), split)
    return replace(domain, meta=dict(domain.meta))


@functools.lru_cache(maxsize=8)
def _load_cached(name: str, root: str, split: str) -> Domain:
    import torch  # noqa: PLC0415 - the sets' facts (`data list`) load without torch

    from tlcore.data.domain import Domain  # noqa: PLC0415 - imports torch

    spec = SETS[name]
    images, labels, ids, classes = [], [], [], spec.classes
    for part in spec.parts(split):
        dataset = _build(spec, Path(root), part, download=False)
        data = torch.as_tensor(np.asarray(dataset.data))  # uint8, N x H x W or N x C x H x W
        images.append(data.unsqueeze(1) if data.ndim == 3 else data)
        targets = dataset.labels if spec.cls_name == "SVHN" else dataset.targets
        labels.append(torch.as_tensor(np.asarray(targets), dtype=torch.int64))
        ids += [f"{part}/{i}" for i in range(len(data))]
        classes = classes or tuple(dataset.classes)
    X = torch.cat(images).float().div_(255.0)
    return Domain(
        name=name,
        X=X,
        y=torch.cat(labels),
        classes=tuple(classes or ()),
        provenance=f"torchvision.datasets.{spec.cls_name} ({split}) from {root}",
        meta={"split": split, "root": root},
        ids=tuple(ids),
    )


def _build(spec: TorchvisionSet, root: Path, part: str, download: bool) -> Any:
    try:
        return spec.build(root, part, download)
    except READ_ERRORS as exc:
        action = "download" if download else "read"
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise TLError(f"{spec.name}: could not {action} the {part} files in {root}: {reason}") from exc
