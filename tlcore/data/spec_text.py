"""The domain spec's text, without torch: one string that names a dataset, how to load it and how to
shift it; :func:`parse_spec` reads it, :func:`anchored` gives its one canonical text
(:mod:`tlcore.data.spec` loads the domain it names).

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
- ``missing=drop``: a table's rows holding a missing, non-numeric or infinite feature cell dropped
  (with their labels and ids; the provenance names them), before ``n=``; ``missing=impute``: the rows
  kept, such cells filled with the source's column medians when paired, a model's stored ones when
  predicted (:mod:`tlcore.data.fill`); without either they are refused
  (:mod:`tlcore.data.table_cells`). Tables only;
- ``text=onehot``: a table's text feature columns (a region, a device) each read as a 0/1 column per
  value, named ``column=value`` (:mod:`tlcore.data.categories`); without it they are refused. A missing
  text cell is a missing cell (refused, or its row dropped with ``missing=drop``; with
  ``missing=impute`` none of its column's values: its 0/1 columns all 0). Tables only;
- ``download=1|0``: torchvision sets may download missing files;
- ``label=COLUMN``: the label column of a table file (in a file without a header its number counted
  from 0, as pandas numbers the columns: ``label=0`` is its first column; messages name it by its
  place counted from 1 and this option, ``column 1 of the file (label=0)``); ``label=none``: any file
  read unlabelled (a zip's folders that are not classes, dates or batches say; a table's column named
  as a label column left out, every other column a feature: the text column a file without a header
  otherwise takes as its labels too).

Examples: ``mnist5k``, ``fashion:split=test,rotate=30,noise=0.2``, ``usps@~/datasets:download=1``,
``./scans.zip:n=500``, ``upload:scans.zip:colour=1``, ``upload:scans.npz:blank=drop``. A ``:``
between options (``fashion:split=train:n=2000``) is refused with the spec written with commas.
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from tlcore.data import builtin, torchvision_sets
from tlcore.data.catalog import SUFFIXES
from tlcore.data.shift_table import format_shifts, get_shift, shift_names
from tlcore.errors import TLError

SPECIAL_FILES = (  # what a path that is not a regular file is, in words (stat's tests)
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
)

SourceKind = Literal["builtin", "torchvision", "file", "upload"]
OPTIONS = ("split", "n", "download", "label", "blank", "missing", "text")
DROP = "drop"  # the one value of blank=, a value of missing=
IMPUTE = "impute"  # missing='s other value: fill the cells (:mod:`tlcore.data.fill`)
ONEHOT = "onehot"  # the one value of text=
NO_LABELS = "none"  # label=none: the file is read without labels (a table: no label column)
MISSING_VALUES = (DROP, IMPUTE)
MISSING_DEFAULT: str | None = None  # a table's missing cells refused unless the spec says otherwise

ALIASES = {"color": "colour"}
UPLOAD_PREFIX = "upload:"


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
    missing: str | None = MISSING_DEFAULT  # a table's missing cells: refused (None), DROP or IMPUTE
    text_onehot: bool = False

    def __str__(self) -> str:
        head = UPLOAD_PREFIX + self.name if self.kind == "upload" else self.name
        head += f"@{self.root}" if self.root else ""
        options = [f"split={self.split}"] if self.split else []
        options += [f"n={self.n}"] if self.n is not None else []
        options += ["download=1"] if self.download else []
        options += [f"label={self.label}"] if self.label else []
        options += [f"blank={DROP}"] if self.drop_blank else []
        options += [f"missing={self.missing}"] if self.missing else []
        options += [f"text={ONEHOT}"] if self.text_onehot else []
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
        spec = replace(spec, name=str(expand_path(spec.name).resolve()))
    if spec.root is not None:
        spec = replace(spec, root=str(expand_path(spec.root).resolve()))
    return str(spec)


def _looks_like_options(text: str) -> bool:
    return bool(text) and all("=" in part for part in text.split(","))


def _looks_like_path(text: str) -> bool:
    return (
        "/" in text
        or text.startswith(("~", "."))
        or Path(text).suffix.lower() in SUFFIXES
        or path_exists(text)
    )


def path_exists(text: str) -> bool:
    try:
        return Path(text).exists()
    except (OSError, ValueError):  # too long a name, a NUL byte: not a file
        return False


def not_a_file(path: Path, wanted: str = "file") -> TLError:
    """The one-line error for ``path``, where a ``wanted`` (``file``, ``file or folder``) was looked for
    and none is: missing, or there but not a regular file (``/dev/zero``, a pipe: reading it would never
    end, or read what is not kept anywhere)."""
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):  # missing, too long a name, a NUL byte
        return TLError(f"no such {wanted}: {path}")
    kind = next((words for test, words in SPECIAL_FILES if test(mode)), "something else")
    return TLError(f"{path} is {kind}, not a regular file: name a {wanted}")


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
        field = {"blank": "drop_blank", "text": "text_onehot"}.get(key, key)
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


# an option of named values: key -> ({value: what it does}, whether tables alone take it); one of a
# single value is a flag (True), one of several keeps its value (missing=)
_CHOICES = {
    "blank": ({DROP: "drop the blank images: no ink or foreground"}, False),
    "missing": (
        {
            DROP: "drop the rows holding a missing or non-numeric cell",
            IMPUTE: "fill such cells with the source's medians",
        },
        True,
    ),
    "text": ({ONEHOT: "each text feature column read as a 0/1 column per value"}, True),
}


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
    if key in _CHOICES:
        values, tables_only = _CHOICES[key]
        if value.lower() not in values or (dataset and tables_only):
            choices = " or ".join(f"{key}={v} ({what})" for v, what in values.items())
            raise TLError(f"{key}={_shown(value)}: use {choices}{' on a table file' if tables_only else ''}")
        return value.lower() if len(values) > 1 else True
    if dataset:
        raise TLError("label= applies to files only (label=COLUMN to a table, label=none to any file)")
    return value


def _splits(spec: DomainSpec) -> tuple[str, ...]:
    if spec.kind == "builtin":
        return builtin.BUILTINS[spec.name].splits
    return torchvision_sets.SETS[spec.name].splits


def expand_path(path: str) -> Path:
    try:
        return Path(path).expanduser()
    except RuntimeError:  # ~name of a user that does not exist
        raise TLError(f"cannot expand {path!r}: no such user's home folder") from None
