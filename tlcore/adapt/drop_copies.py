"""A target without its copies of source samples: the fix the ``shared:`` line names when two uploads
(a file and a built-in, two files) share samples by content (:mod:`tlcore.data.overlap`).

The copies are the ones :func:`tlcore.adapt.pair.target_copies` finds (exact and near copies, each
target sample found once, as :func:`~tlcore.adapt.pair.pair_shared` finds them but without a run's
split); the target's file less them (:func:`tlcore.data.kept_samples.without_samples`)
is stored as a new upload, validated and written atomically as every upload is
(:func:`tlcore.data.uploads.save_upload`). ``python -m tlcore data drop-copies`` and the app's button
on the shared-samples warning call :func:`drop_copies`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.copy_search import cache_folder
from tlcore.adapt.pair import target_copies
from tlcore.data import harmonise
from tlcore.data.catalog import SUFFIXES
from tlcore.data.images import IMAGE_SUFFIXES
from tlcore.data.kept_samples import without_samples
from tlcore.data.overlap import base_dataset, copies_words, fix_text, of_target, split_fix
from tlcore.data.spec import load_sides
from tlcore.data.spec_text import DomainSpec, expand_path, parse_spec
from tlcore.data.uploads import NUMBERED, STEM_CHARS, numbered, safe_name, save_upload, upload_path
from tlcore.errors import TLError
from tlcore.limits import Limits
from tlcore.workspace import Workspace

NAMED = "-no-copies"  # what the proposed name adds to the target's


@dataclass(frozen=True)
class DroppedCopies:
    """The upload written: its name, the spec reading it as the target was read, the samples of the
    target's file kept (``other_classes`` of them of classes the source lacks, which a pair's counts
    leave out) and dropped (``near`` of them near copies)."""

    name: str
    spec: str
    kept: int
    dropped: int
    near: int
    other_classes: int = 0

    def line(self) -> str:
        """One line: what was written, what it kept and dropped, how to use it."""
        kept = of_target(self.kept, self.kept + self.dropped)
        if self.other_classes:
            kept += f" kept ({self.other_classes} of them in classes the source lacks)"
        else:
            kept += " kept"
        use = f"; use it as {self.spec}" if self.spec != f"upload:{self.name}" else ""
        return (
            f"stored as upload:{self.name}: {kept}, {self.dropped} dropped as "
            f"{copies_words(self.dropped, self.near)}{use}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "spec": self.spec,
            "kept": self.kept,
            "dropped": self.dropped,
            "near_copies": self.near,
            "other_classes": self.other_classes,
            "text": self.line(),
        }


def proposed_name(workspace: Workspace, target: str) -> str:
    """The first free upload name ``<target's stem>-no-copies[-N]<its suffix>`` for ``target``'s copy
    (:func:`~tlcore.data.uploads.numbered`), a long stem cut so that every tail fits the stored names'
    length (:data:`~tlcore.data.uploads.STEM_CHARS`)."""
    file = PurePosixPath(safe_name(Path(parse_spec(target).name).name))
    stem = file.stem[: STEM_CHARS - len(f"{NAMED}-{NUMBERED}")]
    wanted = f"{stem}{NAMED}{file.suffix}"
    free = (name for name in numbered(wanted) if not workspace.inside("uploads", name).exists())
    name = next(free, None)
    if name is None:
        raise TLError(f"too many uploads named {wanted}")
    return name


def drop_copies(
    workspace: Workspace,
    source: str,
    target: str,
    name: str | None = None,
    *,
    allow_paths: bool = True,
    limits: Limits | None = None,
) -> DroppedCopies:
    """Store ``target`` (an upload or a file) less its samples that are copies of ``source``'s as the
    upload ``name`` (blank or none: :func:`proposed_name`; without a suffix, the target's). Refused (a
    :class:`TLError`, nothing written): a built-in target, a pair of one base dataset (found by ids:
    other splits are the fix), a subsampled target (``n=``), a folder, a name taken, with a folder or of
    another format than the target's, a pair sharing no samples, a target all copies. The copies are
    searched without a run's split, so a pair too small for one has them too."""
    spec = _droppable(source, target)
    name = _free_name(workspace, target, spec, name)
    cfg = AdaptConfig(source=source, target=target)
    src, tgt = load_sides(source, target, workspace, cfg.seed, allow_paths)
    paired = harmonise(src, tgt)
    copies, near = target_copies(*paired, cache_folder(workspace))
    if not copies:
        raise TLError(f"{target} shares no samples with {source}: nothing to drop")
    if len(copies) >= tgt.n_samples:
        raise TLError(
            f"all {tgt.n_samples} of {target}'s samples are copies of {source}'s: none would be left"
        )
    limits = limits or Limits.from_env()
    path = upload_path(workspace, spec.name) if spec.kind == "upload" else expand_path(spec.name)
    data = without_samples(path, set(copies), limits, target, spec.label)
    how = {"missing": spec.missing, "text_onehot": spec.text_onehot}
    stored = save_upload(workspace, name, data, limits, spec.label, **how)
    written = str(replace(spec, kind="upload", name=stored, root=None))
    other = tgt.n_samples - paired[1].n_samples  # of classes the source lacks (:func:`harmonise`)
    return DroppedCopies(stored, written, tgt.n_samples - len(copies), len(copies), near, other)


def _droppable(source: str, target: str) -> DomainSpec:
    """``target`` parsed, once it is a file or an upload read whole, of another base dataset than
    ``source``."""
    spec = parse_spec(target)
    if base_dataset(source) == base_dataset(target):
        other = fix_text("ids", split_fix(source, target), (), 0)
        raise TLError(
            f"{source} and {target} read the same data, their shared samples found by id: no copy to "
            f"drop; {other}"
        )
    if spec.kind in ("builtin", "torchvision"):
        raise TLError(f"{target} is a built-in data set: its copies are not dropped; take another target")
    if spec.kind == "file" and expand_path(spec.name).is_dir():
        raise TLError(
            f"{target} is a folder: its copies are dropped from a stored file; zip the folder and give "
            "the .zip as the target"
        )
    if spec.n is not None:
        raise TLError(
            f"{target} reads a subsample (n={spec.n}): give the target without n= to drop its copies"
        )
    return spec


def _free_name(workspace: Workspace, target: str, spec: DomainSpec, name: str | None) -> str:
    """The upload name to write: ``name`` given the target's suffix when it has none, else
    :func:`proposed_name`; a name with a folder, one of another format than the target's (a data file's
    or an image's suffix), or one taken, is refused."""
    if name is None or not name.strip():
        return proposed_name(workspace, target)
    if PurePosixPath(name.replace("\\", "/")).name != name or name.strip(".") == "":
        raise TLError(
            f"{name}: a name with a folder; give the copy a file name alone (it is stored among the uploads)"
        )
    suffix = Path(spec.name).suffix.lower()
    given = PurePosixPath(name).suffix.lower()
    if given not in (*SUFFIXES, *IMAGE_SUFFIXES):
        name, given = f"{name}{suffix}", suffix
    if given != suffix:
        raise TLError(
            f"{name}: the target is a {suffix} file; name its copy {PurePosixPath(name).stem}{suffix}"
        )
    stored = safe_name(name)
    if workspace.inside("uploads", stored).exists():
        raise TLError(f"upload:{stored} exists already: give another name")
    return stored
