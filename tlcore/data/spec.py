"""The domain spec: one string that names a dataset, how to load it and how to shift it.

Grammar::

    spec    := "upload:" NAME [":" options]        a file stored in <workspace>/uploads
             | DATASET ["@" ROOT] [":" options]    a built-in or torchvision dataset
             | PATH [":" options]                  a file or folder on disk
    options := key "=" value ("," key "=" value)*

``DATASET`` (any case): built-ins ``mnist5k``, ``digits``, ``fashion``; torchvision sets ``mnist``,
``usps``, ``svhn``, ``fashionmnist``, ``kmnist``. ``ROOT`` is the folder holding the dataset files
(default ``$TLSTUDIO_DATA``, else ``<workspace>/datasets``). A name that is not a dataset is a
``PATH`` when it contains ``/``, starts with ``~`` or ``.``, ends in a supported suffix (``.zip``,
``.npz``, ``.csv``, ``.tsv``, ``.parquet``, ``.pq``) or exists; its options follow its last ``:``.

Keys, each at most once:

- a shift name (``rotate``, ``scale``, ``noise``, ``blur``, ``contrast``, ``invert``, ``colour`` or
  ``color``, ``occlusion``, ``standardise``) with a number; shifts apply in the order written (see
  ``list_shifts()``);
- ``split=train|test|all`` (``extra`` for svhn): datasets only, default ``all``;
- ``n=INT``: a random subsample of ``INT`` samples (drawn with the load seed, before shifting);
- ``blank=drop``: drop the blank images (no ink, as :mod:`tlcore.data.ink` defines it for a diagnosis
  too) with their labels and ids, after ``n=`` and before the shifts: ``n=500,blank=drop`` is the
  draw of ``n=500`` less its blank images (the ones a diagnosis of it counted), and the shifts, a
  fix's included, never decide which are kept (a rotation's black corners would make a white empty
  scan pass for ink). Refused on feature vectors and when every image is blank;
- ``download=1|0``: torchvision sets may download missing files;
- ``label=COLUMN``: the label column of a table file; ``label=none``: any file read unlabelled (a
  zip's folders that are not classes, dates or batches say; a table's label column left out).

Examples: ``mnist5k``, ``fashion:split=test,rotate=30,noise=0.2``, ``usps@~/datasets:download=1``,
``./scans.zip:n=500``, ``upload:scans.zip:colour=1``, ``upload:scans.npz:blank=drop``. A ``:``
between options (``fashion:split=train:n=2000``) is refused with the spec written with commas.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import torch

from tlcore.data import builtin, torchvision_sets
from tlcore.data.domain import Domain
from tlcore.data.images import IMAGES_FROM, LABELLED
from tlcore.data.ink import drop_blank
from tlcore.data.rng import generator
from tlcore.data.shift_table import get_shift, shift_names
from tlcore.data.shifts import apply_shifts, format_shifts
from tlcore.data.tables import TextFeaturesError
from tlcore.data.uploads import (
    LABEL_FLAG,
    NO_LABELS,
    SUFFIXES,
    path_labelled,
    read_path,
    read_upload,
    save_upload,
    upload_labelled,
    upload_path,
)
from tlcore.errors import TLError
from tlcore.limits import Limits
from tlcore.workspace import Workspace

SourceKind = Literal["builtin", "torchvision", "file", "upload"]
OPTIONS = ("split", "n", "download", "label", "blank")
DROP = "drop"  # the one value of blank=
LABELS_IGNORED = "labels ignored"  # what a label=none domain's provenance adds


def labels_ignored(provenance: str) -> str:
    """A ``label=none`` domain's provenance: ``150 images from upload:x.zip; labels ignored
    (label=none)``, no longer "150 labelled images" beside it (QA helper-126)."""
    unlabelled = provenance.replace(f"{LABELLED}{IMAGES_FROM}", IMAGES_FROM, 1)
    return f"{unlabelled}; {LABELS_IGNORED} (label={NO_LABELS})"


ALIASES = {"color": "colour"}
UPLOAD_PREFIX = "upload:"
DEFAULT_PAIR = ("mnist5k", "digits")  # the demo pair: MNIST digits -> scanned UCI digits, offline


@dataclass(frozen=True)
class DomainSpec:
    """A parsed spec; ``str(spec)`` gives its canonical text (parsing that text gives it back)."""

    kind: SourceKind
    name: str  # dataset name, file path or upload name
    root: str | None = None
    split: str | None = None
    shifts: tuple[tuple[str, float], ...] = ()
    n: int | None = None
    download: bool = False
    label: str | None = None
    drop_blank: bool = False

    def __str__(self) -> str:
        head = UPLOAD_PREFIX + self.name if self.kind == "upload" else self.name
        head += f"@{self.root}" if self.root else ""
        options = [f"split={self.split}"] if self.split else []
        options += [f"n={self.n}"] if self.n is not None else []
        options += ["download=1"] if self.download else []
        options += [f"label={self.label}"] if self.label else []
        options += [f"blank={DROP}"] if self.drop_blank else []
        options += [format_shifts(self.shifts)] if self.shifts else []
        return f"{head}:{','.join(options)}" if options else head


def known_names() -> list[str]:
    return [*builtin.BUILTINS, *torchvision_sets.SETS]


def parse_spec(text: str) -> DomainSpec:
    """Parse a spec string (grammar in the module docstring); errors are one-line :class:`TLError`."""
    text = text.strip()
    if not text:
        raise TLError("empty domain spec")
    if text.startswith(UPLOAD_PREFIX):
        name, colon, options = text[len(UPLOAD_PREFIX) :].partition(":")
        if not name:
            raise TLError(f"{text!r}: no upload name after 'upload:'")
        if colon and not options:
            raise TLError(f"{text!r}: nothing after ':'")
        return _with_options(DomainSpec("upload", name), options, text)
    head, colon, options = text.partition(":")
    name, at, root = head.partition("@")
    if name.lower() in known_names():
        if colon and not options:
            raise TLError(f"{text!r}: nothing after ':'")
        kind: SourceKind = "builtin" if name.lower() in builtin.BUILTINS else "torchvision"
        if at and not root:
            raise TLError(f"{text!r}: no folder after '@'")
        if at and kind == "builtin" and not builtin.BUILTINS[name.lower()].needs_root:
            raise TLError(f"{name} is built in and takes no @folder")
        return _with_options(DomainSpec(kind, name.lower(), root=root or None), options, text)
    path, colon, options = text.rpartition(":")
    if not colon or not _looks_like_options(options):
        path, options = text, ""
    while (cut := path.rpartition(":"))[1] and _looks_like_options(cut[2]):  # options split by ':'
        path, options = cut[0], f"{cut[2]}:{options}"
    if not _looks_like_path(path):
        raise TLError(
            f"unknown domain {path!r}; known: {', '.join(known_names())} (or a file path, or upload:NAME)"
        )
    return _with_options(DomainSpec("file", path), options, text)


def anchored(text: str) -> str:
    """``text`` as one text per data: its canonical form (``str`` of its :class:`DomainSpec`), with a
    relative file path or ``@folder`` made absolute against this process's working folder (``~``
    expanded), so that it names the same data for a worker that runs elsewhere (a detached run works
    in its workspace) and the same runs for every spelling. A one-line :class:`TLError` when ``text``
    is not a spec."""
    spec = parse_spec(text)
    if spec.kind == "file":
        spec = replace(spec, name=str(_expand(spec.name).resolve()))
    if spec.root is not None:
        spec = replace(spec, root=str(_expand(spec.root).resolve()))
    return str(spec)


def check_present(text: str, workspace: Workspace) -> None:
    """A one-line :class:`TLError`, what loading would say, when ``text`` names an upload
    ``workspace`` lacks, a file or folder that is not there, or a torchvision dataset whose files
    are missing without ``download=1`` (built-ins ship with the packages)."""
    spec = parse_spec(text)
    if spec.kind == "upload":
        upload_path(workspace, spec.name)
    elif spec.kind == "file" and not _exists(str(_expand(spec.name))):
        raise TLError(f"no such file or folder: {_expand(spec.name)}")
    elif spec.kind == "torchvision" and not spec.download:
        root = torchvision_sets.data_root(workspace, spec.root)
        torchvision_sets.check_files(spec.name, root, spec.split or "all")


def workspace_files(text: str, workspace: Workspace) -> list[Path]:
    """The files inside ``workspace`` that loading ``text`` reads and that are there: an upload, or a
    torchvision set's files under the workspace's default data root. Files named by a path, an
    ``@folder`` or ``$TLSTUDIO_DATA`` elsewhere, and the built-ins, which ship with the packages,
    are not listed."""
    spec = parse_spec(text)
    if spec.kind == "upload":
        return [upload_path(workspace, spec.name)]
    if spec.kind != "torchvision" or spec.root is not None:
        return []
    root = torchvision_sets.data_root(workspace)
    if workspace.root not in root.parents:
        return []
    return [f for f in torchvision_sets.dataset_files(spec.name, root, spec.split or "all") if f.is_file()]


def store_upload(
    workspace: Workspace,
    filename: str,
    data: bytes,
    limits: Limits | None = None,
    label: str | None = None,
    *,
    name_label: str = LABEL_FLAG,
) -> str:
    """Validate and store an upload (:func:`~tlcore.data.uploads.save_upload`, read with ``label=``
    when given: a table's label column, or ``none``; ``name_label`` as there); its spec,
    ``upload:NAME[:label=...]``."""
    if label is not None:
        parse_spec(f"upload:file.csv:label={label}")  # a value the grammar holds (no "," or "=")
    name = save_upload(workspace, filename, data, limits, label, name_label=name_label)
    return str(DomainSpec("upload", name, label=label))


def _looks_like_options(text: str) -> bool:
    return bool(text) and all("=" in part for part in text.split(","))


def _looks_like_path(text: str) -> bool:
    return (
        "/" in text or text.startswith(("~", ".")) or Path(text).suffix.lower() in SUFFIXES or _exists(text)
    )


def _exists(text: str) -> bool:
    try:
        return Path(text).exists()
    except (OSError, ValueError):  # too long a name, a NUL byte: not a file
        return False


def _with_options(spec: DomainSpec, text: str, full: str) -> DomainSpec:
    if not text:
        return spec
    commas = re.sub(r":(?=[^:,=]+=)", ",", text)  # a ':' before a key=value: meant as a ','
    if commas != text:
        raise TLError(
            f"{full!r}: options are separated by commas, not ':'; write {full[: -len(text)] + commas}"
        )
    seen: set[str] = set()
    fields: dict[str, Any] = {}
    shifts = []
    for part in text.split(","):
        key, eq, value = (s.strip() for s in part.partition("="))
        key = ALIASES.get(key.lower(), key.lower())
        field = "drop_blank" if key == "blank" else key
        if not eq or not key or not value:
            raise TLError(f"{full!r}: bad option {part!r} (expected key=value)")
        if key in seen:
            raise TLError(f"{full!r}: {key} given twice")
        seen.add(key)
        if key in shift_names():
            shifts.append((key, get_shift(key).check(_number(key, value))))
        elif key in OPTIONS:
            fields[field] = _option(spec, key, value)
        else:
            known = ", ".join((*OPTIONS, *shift_names()))
            raise TLError(f"{full!r}: unknown option {key!r}; known: {known}")
    return replace(spec, shifts=tuple(shifts), **fields)


def _number(key: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise TLError(f"{key}={_shown(value)}: the value must be a number") from None


def _shown(value: str) -> str:
    """``value`` as typed, or quoted with escapes when it holds a line break or another control."""
    return value if value.isprintable() else repr(value)


def _option(spec: DomainSpec, key: str, value: str) -> Any:
    """The typed value of a loading option, checked against the spec's kind."""
    dataset = spec.kind in ("builtin", "torchvision")
    if key == "split":
        splits = _splits(spec) if dataset else ()
        if value not in splits:
            where = f"choose from {', '.join(splits)}" if splits else "files have no splits"
            raise TLError(f"split={_shown(value)}: {where}")
        return value
    if key == "n":
        if not (value.isascii() and value.isdigit()) or int(value) < 1:
            raise TLError(f"n={_shown(value)}: must be a positive whole number")
        return int(value)
    if key == "download":
        if spec.kind != "torchvision":
            raise TLError(
                "download= applies to torchvision datasets only (mnist, usps, svhn, fashionmnist, kmnist)"
            )
        if value.lower() not in {"1", "0", "true", "false", "yes", "no"}:
            raise TLError(f"download={_shown(value)}: use 1 or 0")
        return value.lower() in {"1", "true", "yes"}
    if key == "blank":
        if value.lower() != DROP:
            raise TLError(
                f"blank={_shown(value)}: use blank={DROP} (drop the blank images: no ink or foreground)"
            )
        return True
    if dataset:
        raise TLError("label= applies to files only (label=COLUMN to a table, label=none to any file)")
    return value


def _splits(spec: DomainSpec) -> tuple[str, ...]:
    if spec.kind == "builtin":
        return builtin.BUILTINS[spec.name].splits
    return torchvision_sets.SETS[spec.name].splits


def load_domain(
    spec: str | DomainSpec,
    workspace: Workspace | None = None,
    seed: int = 0,
    allow_paths: bool = True,
    image_shape: tuple[int, ...] | None = None,
) -> Domain:
    """Load the domain a spec names, subsampled and shifted with ``seed``, named by its canonical text.

    ``allow_paths=False`` refuses file paths and ``@folder`` roots (for a shared server: only
    built-ins, the default data root and workspace uploads). ``image_shape`` (a model's ``C x H x W``,
    or a paired source's: :func:`tlcore.data.harmonise.pair_image_shape`) decodes image files (a zip
    or folder) straight to it, before ``n=``, ``blank=drop`` and the shifts: one resize per file, so a
    file's pixels do not depend on the other files' sizes.
    """
    spec = parse_spec(spec) if isinstance(spec, str) else spec
    if not allow_paths and (spec.kind == "file" or spec.root):
        raise TLError(f"{spec}: file paths and @folders are not allowed here; upload the file instead")
    if spec.kind == "builtin":
        needs_root = builtin.BUILTINS[spec.name].needs_root
        root = torchvision_sets.data_root(workspace, spec.root) if needs_root else None
        domain = builtin.load_builtin(spec.name, spec.split or "all", root)
    elif spec.kind == "torchvision":
        root = torchvision_sets.data_root(workspace, spec.root)
        domain = torchvision_sets.load_torchvision(spec.name, root, spec.split or "all", spec.download)
    else:
        domain = _read_file(spec, workspace, image_shape)
        if spec.label == NO_LABELS:
            domain = replace(domain, y=None, classes=(), provenance=labels_ignored(domain.provenance))
    if spec.n is not None:
        domain = _subsample(domain, spec.n, seed)
    if spec.drop_blank:
        domain = drop_blank(domain)
    domain = apply_shifts(domain, spec.shifts, seed)
    return replace(domain, name=str(spec))


def spec_labelled(spec: str | DomainSpec, workspace: Workspace | None = None) -> bool:
    """Whether :func:`load_domain` gives ``spec``'s domain labels, told without loading it: a dataset
    always has them, ``label=none`` never, a file or upload as its layout, members or label column
    say (:func:`~tlcore.data.uploads.path_labelled`)."""
    spec = parse_spec(spec) if isinstance(spec, str) else spec
    if spec.kind in ("builtin", "torchvision"):
        return True
    if spec.label == NO_LABELS:
        return False
    with _label_hint(spec):
        if spec.kind == "file":
            return path_labelled(_expand(spec.name), spec.label)
        return upload_labelled(workspace or Workspace.resolve(), spec.name, spec.label)


def _read_file(spec: DomainSpec, workspace: Workspace | None, image_shape: tuple[int, ...] | None) -> Domain:
    """The file or upload ``spec`` names (:func:`_label_hint`)."""
    column = None if spec.label == NO_LABELS else spec.label
    with _label_hint(spec):
        if spec.kind == "file":
            return read_path(_expand(spec.name), label_column=column, image_shape=image_shape)
        workspace = workspace or Workspace.resolve()
        return read_upload(workspace, spec.name, label_column=column, image_shape=image_shape)


@contextlib.contextmanager
def _label_hint(spec: DomainSpec) -> Iterator[None]:
    """A table with text features and no label column, read without ``label=``, refused with the
    spec that names its first text column as the labels."""
    try:
        yield
    except TextFeaturesError as exc:
        if exc.label_column or spec.label is not None:
            raise TLError(exc.unhinted()) from None  # its label column is known, or said to be none
        raise TLError(exc.hint(f"read the file as {replace(spec, label=exc.columns[0])}")) from None


def _expand(path: str) -> Path:
    try:
        return Path(path).expanduser()
    except RuntimeError:  # ~name of a user that does not exist
        raise TLError(f"cannot expand {path!r}: no such user's home folder") from None


def _subsample(domain: Domain, n: int, seed: int) -> Domain:
    if n > domain.n_samples:
        raise TLError(f"n={n} is more than the {domain.n_samples} samples of {domain.name}")
    keep = torch.randperm(domain.n_samples, generator=generator(seed, "subsample"))[:n].sort().values
    return replace(domain.subset(keep), provenance=f"{domain.provenance}; {n} samples drawn (seed {seed})")
