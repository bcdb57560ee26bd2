"""Custom datasets: read a file or folder as a :class:`Domain`, store uploads in the workspace.

Supported: ``.zip`` of images (class folders or loose images), a folder of images, ``.npz``,
``.csv``/``.tsv``/``.parquet`` (``.pq``) feature tables. An upload is validated by parsing it
before it is stored, atomically, under ``<workspace>/uploads/<safe name>``; refer to it as the spec
``upload:<name>``.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from tlcore.commands import command_in
from tlcore.data.catalog import SUFFIXES, list_uploads, upload_summary, write_upload_summary
from tlcore.data.categories import TEXT_ONEHOT
from tlcore.data.domain import Domain
from tlcore.data.fill import without_empty
from tlcore.data.images import AS_STORED, IMAGES_FROM, LABELLED, images_labelled, read_images
from tlcore.data.npz import npz_labelled, read_npz
from tlcore.data.spec_text import DROP, IMPUTE, NO_LABELS, DomainSpec, not_a_file
from tlcore.data.table_cells import MissingCellsError
from tlcore.data.table_errors import LabelColumnMissingError, TextFeaturesError
from tlcore.data.tables import read_table, table_labelled
from tlcore.data.upload_order import BY_NAME, record_order, upload_order
from tlcore.errors import TLError
from tlcore.limits import Limits, format_bytes, shown_limit
from tlcore.numbers import first_named
from tlcore.workspace import Workspace

LABEL_FLAG = "--label {column}"  # how the CLI names a table's label column on upload
# how the CLI drops a table's rows with missing cells on upload, and how it fills them
MISSING_FLAGS = {value: f"upload with --missing {value}" for value in (DROP, IMPUTE)}
ONEHOT_FLAG = "upload with --text onehot"  # how the CLI encodes a table's text columns on upload
LABELS_IGNORED = "labels ignored"  # what a label=none domain's provenance adds
_UNSAFE = re.compile(r"[^\w.-]+")
NUMBERED = 10_000  # names an upload tries (``name``, then ``stem-2`` ...) before it is refused
NAMED_UPLOADS = 10  # uploads a "no upload named" refusal names before "and N more"
STEM_CHARS = 80  # the longest stem a stored upload's name keeps
INCOMING = ".incoming-"  # the prefix of a file being uploaded (hidden: data list skips it)
STALE_INCOMING_S = 86_400  # an incoming file this old was left by an upload killed before it ended
FileKind = Literal["images", "npz", "table"]


def labels_ignored(provenance: str) -> str:
    """A ``label=none`` domain's provenance: ``150 images from upload:x.zip; labels ignored
    (label=none)``, no longer "150 labelled images" beside it (QA helper-126)."""
    unlabelled = provenance.replace(f"{LABELLED}{IMAGES_FROM}", IMAGES_FROM, 1)
    return f"{unlabelled}; {LABELS_IGNORED} (label={NO_LABELS})"


def without_labels(domain: Domain) -> Domain:
    """``domain`` read with the spec option ``label=none``: no labels, its provenance saying so."""
    return replace(domain, y=None, classes=(), provenance=labels_ignored(domain.provenance))


def read_path(
    path: Path,
    label_column: str | None = None,
    limits: Limits | None = None,
    label: str | None = None,
    image_shape: tuple[int, ...] | None = None,
    *,
    missing: str | None = None,
    text_onehot: bool = False,
    by_name: bool = False,
) -> Domain:
    """Load a supported file or an image folder (``label_column``: the spec's ``label=``, a table's label
    column or ``none``, the caller drops the labels: :func:`without_labels`); ``label`` names it in
    messages (default: file name),
    ``image_shape`` the ``C x H x W`` (or ``H x W``) image files are decoded to
    (:func:`tlcore.data.images.read_images`), ``missing`` how a table's missing cells are read (the
    spec's ``missing=``), ``text_onehot`` its text columns encoded (:func:`tlcore.data.tables.read_table`),
    ``by_name`` a zip's images read in a folder's order, not in its entry order (as an upload stored
    since that order was recorded: :func:`read_upload`)."""
    limits = limits or Limits.from_env()
    label = label or path.name
    kind = _file_kind(path, label_column, limits, label)
    if missing and kind != "table":
        raise TLError(f"{label}: missing={missing} applies to tables only (CSV, TSV, Parquet)")
    if text_onehot and kind != "table":
        raise TLError(f"{label}: {TEXT_ONEHOT} applies to tables only (CSV, TSV, Parquet)")
    if kind == "images":
        return read_images(path, limits, label, image_shape, by_name)
    if kind == "npz":
        return read_npz(path, limits, label)
    return read_table(path, label, limits, label_column, missing, text_onehot=text_onehot)


def path_labelled(
    path: Path,
    label_column: str | None = None,
    limits: Limits | None = None,
    label: str | None = None,
    text_onehot: bool = False,
) -> bool:
    """Whether :func:`read_path` reads ``path`` with labels, told without decoding its samples: images
    by their layout (member names), an ``.npz`` by its members, a table by its label column (its text
    columns encoded with ``text_onehot``)."""
    limits = limits or Limits.from_env()
    label = label or path.name
    kind = _file_kind(path, label_column, limits, label)
    if kind == "images":
        return images_labelled(path, limits, label)
    if kind == "npz":
        return npz_labelled(path, limits, label)
    return table_labelled(path, label, limits, label_column, text_onehot)


def _file_kind(path: Path, label_column: str | None, limits: Limits, label: str) -> FileKind:
    """``images`` (a folder or ``.zip``), ``npz`` or ``table``, once ``path`` passed the checks before
    reading: it is there, of a supported type, within the upload size, ``label_column`` for a table."""
    try:
        is_dir, is_file = path.is_dir(), path.is_file()
    except OSError as exc:  # a name too long for the file system, say
        raise TLError(f"cannot read {label}: {exc.strerror}") from None
    if is_dir:
        return "images"
    if not is_file:
        raise not_a_file(path, "file or folder")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise TLError(
            f"{label}: unsupported file type {suffix or '(none)'!r}; supported: {', '.join(SUFFIXES)}"
        )
    check_upload_size(label, path.stat().st_size, limits)
    if label_column not in (None, NO_LABELS) and suffix in {".zip", ".npz"}:
        raise TLError(f"{label}: label=COLUMN applies to tables only (label=none reads any file unlabelled)")
    if suffix == ".zip":
        return "images"
    return "npz" if suffix == ".npz" else "table"


def safe_name(filename: str) -> str:
    """A plain file name from an uploaded one: no folders, no leading dot, only word characters, ``.-``."""
    base = PurePosixPath(unicodedata.normalize("NFKC", filename).replace("\\", "/").rsplit("/", 1)[-1])
    stem, suffix = base.stem, base.suffix.lower()
    if suffix not in SUFFIXES:
        raise TLError(f"{filename!r}: unsupported file type; supported: {', '.join(SUFFIXES)}")
    stem = _UNSAFE.sub("_", stem).strip("._-")[:STEM_CHARS] or "upload"
    return f"{stem}{suffix}"


def numbered(name: str) -> Iterator[str]:
    """``name``, then ``stem-2.suffix``, ``stem-3.suffix`` ...: the names a new upload tries in turn."""
    stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix
    yield name
    yield from (f"{stem}-{attempt}{suffix}" for attempt in range(2, NUMBERED))


def save_upload(
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
    """Validate ``data`` by parsing it, once (with the spec option ``label=``: a table's label column,
    or ``none``; ``missing``, the spec's ``missing=``; with ``text_onehot``, ``text=onehot``), store it
    atomically with what that read gave (:func:`_keep_summary`), return the name for ``upload:<name>``.
    ``name_label`` says how the caller names a label column (``{column}`` in it), for a table whose
    label column is not found; ``name_missing`` how it drops a table's rows with missing cells and how
    it fills them (by the values of ``missing=``: ``drop``, ``impute``); ``name_onehot`` how it encodes
    text columns (``text=onehot``). A zip's images are read in a folder's order, sorted by name (its
    entry order depends on the tool that wrote it), as recorded beside it
    (:mod:`tlcore.data.upload_order`); the same file stored before keeps the order it was stored with.
    With ``source`` (the file is to be a pair's source) it is checked as a source is where the pair is
    made (:func:`~tlcore.data.fill.without_empty`: one whose every column is empty in every row), so it
    is refused now, not when paired."""
    limits = limits or Limits.from_env()
    name = safe_name(filename)
    check_upload_size(filename, len(data), limits)
    folder = workspace.uploads
    _drop_stale_incoming(folder)
    suffix = PurePosixPath(name).suffix
    with tempfile.NamedTemporaryFile(dir=folder, prefix=INCOMING, suffix=suffix, delete=False) as tmp:
        tmp.write(data)
        tmp.flush()
        os.fsync(tmp.fileno())
    temp = Path(tmp.name)
    try:
        names = (name_label, name_missing, name_onehot)
        how = {"missing": missing, "text_onehot": text_onehot}
        for candidate in numbered(name):
            final = workspace.inside("uploads", candidate)
            if final.exists() and final.read_bytes() != data:
                continue  # another file of that name
            stored_before = final.exists()  # the same file was uploaded before: its order stays
            zipped = BY_NAME if suffix == ".zip" else None  # a table's rows, an npz's arrays: as written
            order = upload_order(workspace, final.name) if stored_before else zipped
            domain = _check_readable(temp, filename, limits, label, names, **how, by_name=order == BY_NAME)
            if source:
                without_empty(domain)
            if not stored_before:
                if order:  # first: the file is never there without it
                    record_order(workspace, final.name, order)
                if not _claim(temp, final, data):
                    continue  # another upload took the name meanwhile, with other bytes
            _keep_summary(workspace, final.name, filename, domain, label, **how)
            return final.name
        raise TLError(f"too many uploads named {name}")
    finally:
        temp.unlink(missing_ok=True)


def _claim(temp: Path, final: Path, data: bytes) -> bool:
    """Store ``temp`` as ``final`` unless that name was taken since it was found free (another session
    or the CLI uploading a file of that name at the same time): a hard link never replaces a file; on a
    file system without hard links (FAT, some network shares) the name is claimed by creating it empty
    (``O_EXCL``), then filled. True when ``final`` now holds ``data`` (stored here, or the same bytes
    stored by the other upload)."""
    try:
        os.link(temp, final)
    except FileExistsError:
        return final.read_bytes() == data
    except OSError:  # no hard links here: claim the name, then move the file onto it
        try:
            os.close(os.open(final, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return final.read_bytes() == data
        temp.replace(final)
    return True


def _drop_stale_incoming(folder: Path) -> None:
    """Remove the incoming files of uploads killed before they ended (kill -9, a power cut: up to the
    upload limit each, never listed), those older than :data:`STALE_INCOMING_S` (an upload still being
    read keeps its own)."""
    cutoff = time.time() - STALE_INCOMING_S
    for path in folder.glob(f"{INCOMING}*"):
        with contextlib.suppress(OSError):  # another upload removed it first
            if path.stat().st_mtime < cutoff:
                path.unlink()


def _keep_summary(
    workspace: Workspace,
    name: str,
    filename: str,
    domain: Domain,
    label: str | None,
    *,
    missing: str | None,
    text_onehot: bool,
    alone: Mapping[str, Any] | None = None,
) -> None:
    """Keep the summary of ``domain``, the stored upload ``name`` as read on upload from ``filename``,
    under the spec that reads it so (:func:`tlcore.data.catalog.write_upload_summary`): what
    ``data upload`` prints and ``data list`` shows without reading the file again. Its provenance names
    the stored upload where reading it named the file (the first mention: every reader starts with it);
    ``alone``: the shape and provenance of the files read alone, where ``domain`` was decoded to
    another shape (:data:`tlcore.data.images.AS_STORED`)."""
    spec = str(DomainSpec("upload", name, label=label, missing=missing, text_onehot=text_onehot))
    provenance = alone["provenance"] if alone else domain.provenance
    stored = replace(domain, provenance=provenance.replace(filename, f"upload:{name}", 1))
    stored = without_labels(stored) if label == NO_LABELS else stored
    shape = {"shape": alone["shape"]} if alone else {}
    write_upload_summary(workspace, name, {**stored.summary(), **shape, "name": spec})


def _check_readable(
    path: Path,
    filename: str,
    limits: Limits,
    label: str | None,
    names: tuple[str, Mapping[str, str], str],
    *,
    missing: str | None,
    text_onehot: bool,
    by_name: bool,
) -> Domain:
    """Parse the incoming file as it will be read (``by_name``: :func:`read_path`), and return it; a
    table with text features and no label column, uploaded without ``label``, is refused saying how to
    name its first text column as the labels (``names[0]``, with ``{column}``) or encode them
    (``names[2]``), one without the label column named saying how to read it unlabelled (``names[0]``
    with ``none``); one with missing cells saying how to drop their rows or fill them (``names[1]``)."""
    name_label, name_missing, name_onehot = names
    encode = f"{name_onehot} (the spec option {TEXT_ONEHOT})"
    how = {"missing": missing, "text_onehot": text_onehot, "by_name": by_name}
    try:
        return read_path(path, label, limits, filename, **how)
    except MissingCellsError as exc:
        drop, fill = (f"{name_missing[v]} (the spec option missing={v})" for v in (DROP, IMPUTE))
        raise TLError(exc.hint(drop, fill)) from None
    except LabelColumnMissingError as exc:
        raise TLError(exc.hint(f"read it so on upload: {name_label.format(column=NO_LABELS)}")) from None
    except TextFeaturesError as exc:
        if exc.label_column or label is not None:
            raise TLError(exc.unhinted(encode)) from None  # its label column is known, or said to be none
        how = f"name it on upload: {name_label.format(column=exc.columns[0])}"
        raise TLError(exc.hint(how, encode)) from None


def check_upload_size(label: str, size: int, limits: Limits) -> None:
    """Refuse an upload of ``size`` bytes above ``max_upload_bytes`` (before reading it, where possible)."""
    if size > limits.max_upload_bytes:
        limit = shown_limit(limits, "max_upload_bytes")
        raise TLError(f"{label} is {format_bytes(size)}, above the upload limit of {limit}")


def upload_path(workspace: Workspace, name: str) -> Path:
    """The stored file for ``upload:<name>``."""
    if not name or name != PurePosixPath(name).name or name.startswith("."):
        raise TLError(f"bad upload name {name!r}")
    path = workspace.inside("uploads", name)
    if not path.is_file():
        names = [u["name"] for u in list_uploads(workspace)]
        known = first_named(names, NAMED_UPLOADS) if names else "none yet"
        listed = command_in(workspace.root, "data", "list")  # a CLI's or a worker's error, or the app's
        more = f"; `{listed}` lists them all" if len(names) > NAMED_UPLOADS else ""
        raise TLError(f"no upload named {name!r} in {workspace.uploads} (available: {known}{more})")
    return path


def read_upload(
    workspace: Workspace,
    name: str,
    label: str | None = None,
    image_shape: tuple[int, ...] | None = None,
    missing: str | None = None,
    *,
    text_onehot: bool = False,
) -> Domain:
    """Load the stored upload ``name`` as the spec option ``label=`` says (a table's label column; ``none``:
    read without a label column, the caller drops its labels: :func:`without_labels`), ``image_shape``,
    ``missing`` and ``text_onehot`` as in :func:`read_path`. A read keeps the file's summary when
    none is kept (an upload stored before summaries were, or changed since), so ``data list`` shows its
    samples and shape; a zip decoded to ``image_shape`` keeps what its files give read alone
    (``meta["as_stored"]`` of :func:`tlcore.data.images.read_images`: their shape and provenance, from
    the same decode). One kept, of this spec or another, stays. A zip's images come in the order
    recorded on upload (:func:`tlcore.data.upload_order.upload_order`): sorted by name, or, for an
    upload stored before that order was recorded, the zip's entry order, as it was then read (its
    splits stay)."""
    path = upload_path(workspace, name)
    how = {"missing": missing, "text_onehot": text_onehot}
    by_name = upload_order(workspace, name) == BY_NAME
    domain = read_path(path, label, None, f"upload:{name}", image_shape, **how, by_name=by_name)
    alone = domain.meta.pop(AS_STORED, None)  # a zip decoded to image_shape: its files read alone
    decoded = image_shape is not None and path.suffix.lower() == ".zip"
    if (alone or not decoded) and upload_summary(workspace, name) is None:
        with contextlib.suppress(OSError):  # a cache: the read stands without it (a read-only workspace)
            _keep_summary(workspace, name, f"upload:{name}", domain, label, **how, alone=alone)
    return domain


def upload_labelled(
    workspace: Workspace, name: str, label_column: str | None = None, text_onehot: bool = False
) -> bool:
    """Whether :func:`read_upload` reads the stored upload ``name`` with labels (:func:`path_labelled`)."""
    path = upload_path(workspace, name)
    return path_labelled(path, label_column, label=f"upload:{name}", text_onehot=text_onehot)
