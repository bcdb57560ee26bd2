"""Loading the domain a spec names (the spec's grammar, its parser and its canonical text:
:mod:`tlcore.data.spec_text`): read, subsampled, blank images dropped and shifted with a seed; checking
that its files are there and storing an upload without loading it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path

import torch

from tlcore.data import builtin, torchvision_sets
from tlcore.data.catalog import list_uploads, upload_summary
from tlcore.data.domain import Domain
from tlcore.data.fill import MISSING_IMPUTE, drawn_holes
from tlcore.data.harmonise import pair_image_shape
from tlcore.data.ink import drop_blank
from tlcore.data.rng import generator
from tlcore.data.shifts import apply_shifts
from tlcore.data.spec_text import DROP, DomainSpec, expand_path, not_a_file, parse_spec, path_exists
from tlcore.data.table_cells import MissingCellsError
from tlcore.data.table_errors import LabelColumnMissingError, TextFeaturesError
from tlcore.data.upload_order import order_path
from tlcore.data.uploads import (
    LABEL_FLAG,
    MISSING_FLAGS,
    NO_LABELS,
    ONEHOT_FLAG,
    path_labelled,
    read_path,
    read_upload,
    save_upload,
    upload_labelled,
    upload_path,
    without_labels,
)
from tlcore.errors import TLError
from tlcore.limits import Limits
from tlcore.workspace import Workspace

DEFAULT_PAIR = ("mnist5k", "digits")  # the demo pair: MNIST digits -> scanned UCI digits, offline


def check_present(text: str, workspace: Workspace) -> None:
    """A one-line :class:`TLError`, what loading would say, when ``text`` names an upload
    ``workspace`` lacks, a file or folder that is not there, or a torchvision dataset whose files
    are missing without ``download=1`` (built-ins ship with the packages)."""
    spec = parse_spec(text)
    if spec.kind == "upload":
        upload_path(workspace, spec.name)
    elif spec.kind == "file" and not path_exists(str(expand_path(spec.name))):
        raise not_a_file(expand_path(spec.name), "file or folder")  # as loading says
    elif spec.kind == "torchvision" and not spec.download:
        root = torchvision_sets.data_root(workspace, spec.root)
        torchvision_sets.check_files(spec.name, root, spec.split or "all")


def workspace_files(text: str, workspace: Workspace) -> list[Path]:
    """The files inside ``workspace`` that loading ``text`` reads and that are there: an upload (and
    the record of its order, :mod:`tlcore.data.upload_order`: a Ray node reads it as stored), or a
    torchvision set's files under the workspace's default data root. Files named by a path, an
    ``@folder`` or ``$TLSTUDIO_DATA`` elsewhere, and the built-ins, which ship with the packages,
    are not listed."""
    spec = parse_spec(text)
    if spec.kind == "upload":
        stored, order = upload_path(workspace, spec.name), order_path(workspace, spec.name)
        return [stored, *([order] if order.is_file() else [])]
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
    missing: str | None = None,
    name_missing: Mapping[str, str] = MISSING_FLAGS,
    text_onehot: bool = False,
    name_onehot: str = ONEHOT_FLAG,
    source: bool = False,
) -> str:
    """Validate and store an upload (:func:`~tlcore.data.uploads.save_upload`, read with ``label=``
    when given: a table's label column, or ``none``, ``missing=`` when given: ``drop``, ``impute``, and
    ``text=onehot`` with ``text_onehot``; ``name_label``, ``name_missing`` and ``name_onehot`` as
    there, and ``source``: checked as a pair's source); its spec,
    ``upload:NAME[:label=...][,missing=...][,text=onehot]``."""
    if label is not None:
        parse_spec(f"upload:file.csv:label={label}")  # a value the grammar holds (no "," or "=")
    how = {"name_label": name_label, "missing": missing, "name_missing": name_missing}
    how |= {"text_onehot": text_onehot, "name_onehot": name_onehot, "source": source}
    name = save_upload(workspace, filename, data, limits, label, **how)
    return str(DomainSpec("upload", name, label=label, missing=missing, text_onehot=text_onehot))


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
            domain = without_labels(domain)
    if spec.n is not None:
        domain = _subsample(domain, spec.n, seed)
    if spec.drop_blank:
        domain = drop_blank(domain)
    domain = apply_shifts(domain, spec.shifts, seed)
    return replace(domain, name=str(spec))


def load_sides(
    source: str, target: str, workspace: Workspace | None = None, seed: int = 0, allow_paths: bool = True
) -> tuple[Domain, Domain]:
    """A pair's two specs loaded (:func:`load_domain`) with ``seed``, the target's image files decoded
    straight to the source's size (:func:`~tlcore.data.harmonise.pair_image_shape`): what
    :func:`~tlcore.data.harmonise.harmonise` then pairs."""
    loaded = load_domain(source, workspace, seed, allow_paths)
    return loaded, load_domain(target, workspace, seed, allow_paths, image_shape=pair_image_shape(loaded))


def keep_upload_summaries(workspace: Workspace) -> dict[str, str]:
    """Read every stored upload whose summary is not kept (stored before summaries were, or changed
    since) as its plain spec ``upload:NAME``, which keeps it (:func:`~tlcore.data.uploads.read_upload`):
    ``data list --scan``. The specs of those that do not read so, with why (a table that needs
    ``label=``, ``missing=drop`` or ``text=onehot``: the message names the spec that reads it)."""
    unread = {}
    for upload in list_uploads(workspace):
        if upload_summary(workspace, upload["name"]) is None:
            try:
                load_domain(upload["spec"], workspace)
            except TLError as exc:
                unread[upload["spec"]] = str(exc)
    return unread


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
            return path_labelled(expand_path(spec.name), spec.label, text_onehot=spec.text_onehot)
        return upload_labelled(workspace or Workspace.resolve(), spec.name, spec.label, spec.text_onehot)


def _read_file(spec: DomainSpec, workspace: Workspace | None, image_shape: tuple[int, ...] | None) -> Domain:
    """The file or upload ``spec`` names (:func:`_label_hint`)."""
    with _label_hint(spec):
        if spec.kind == "file":
            path, column = expand_path(spec.name), spec.label
            how = {"missing": spec.missing, "text_onehot": spec.text_onehot}
            return read_path(path, column, image_shape=image_shape, **how)
        workspace = workspace or Workspace.resolve()
        return read_upload(
            workspace, spec.name, spec.label, image_shape, spec.missing, text_onehot=spec.text_onehot
        )


@contextlib.contextmanager
def _label_hint(spec: DomainSpec) -> Iterator[None]:
    """A table with text features and no label column, read without ``label=``, refused with the
    spec that names its first text column as the labels and the one that encodes them (with a label
    column: that one alone); one without the label column named with the spec that reads it
    unlabelled; one with missing cells with the specs that drop their rows or fill them."""
    try:
        yield
    except MissingCellsError as exc:
        raise TLError(exc.hint(f"read it as {replace(spec, missing=DROP)}", MISSING_IMPUTE)) from None
    except LabelColumnMissingError as exc:
        raise TLError(exc.hint(f"read it as {replace(spec, label=NO_LABELS)}")) from None
    except TextFeaturesError as exc:
        encode = f"read it as {replace(spec, text_onehot=True)}"
        if exc.label_column or spec.label is not None:
            raise TLError(exc.unhinted(encode)) from None  # its label column is known, or said to be none
        raise TLError(exc.hint(f"read the file as {replace(spec, label=exc.columns[0])}", encode)) from None


def _subsample(domain: Domain, n: int, seed: int) -> Domain:
    if n > domain.n_samples:
        raise TLError(f"n={n} is more than the {domain.n_samples} samples of {domain.name}")
    keep = torch.randperm(domain.n_samples, generator=generator(seed, "subsample"))[:n].sort().values
    drawn = domain.subset(keep)
    held, meta = drawn_holes(drawn.X, drawn.column_names, drawn.meta)
    return replace(drawn, provenance=f"{domain.provenance}; {n} samples drawn (seed {seed}){held}", meta=meta)
