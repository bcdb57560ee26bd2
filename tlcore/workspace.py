"""The workspace: the one folder where tlstudio writes (uploads, runs, the run index, caches).

Resolved from an explicit path, else the ``TLSTUDIO_WORKSPACE`` environment variable, else
``./workspace``. Every path handed out is checked to stay inside it; :func:`atomic_write` puts a file
there all at once (readers never see half of it).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tlcore.ellipsis import keep_start
from tlcore.errors import TLError

ENV_VAR = "TLSTUDIO_WORKSPACE"
DEFAULT = "workspace"
NAME_MAX = 255  # the longest file name, in bytes, of ext4, XFS, APFS and NTFS (255 UTF-16 units)
SHOWN_CHARS = 60  # the characters of such a name a message shows


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def resolve(cls, path: str | os.PathLike[str] | None = None, *, create: bool = True) -> Workspace:
        """Workspace from ``path``, else ``$TLSTUDIO_WORKSPACE``, else ``./workspace``; the folder is
        created unless ``create`` is false (then it may be missing: nothing is there yet)."""
        chosen = path if path is not None else os.environ.get(ENV_VAR) or DEFAULT
        if not str(chosen).strip():  # "" would be the current folder
            raise TLError("the workspace path is empty; name a folder (--workspace DIR)")
        root = Path(chosen).expanduser().resolve()
        if create:
            try:
                root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # a file in the way said "File exists" (QA helper-266)
                raise TLError(f"cannot create workspace {root}: {_why_not(root, exc)}") from exc
        return cls(root)

    @classmethod
    def existing(cls, path: str | os.PathLike[str] | None = None) -> Workspace:
        """:meth:`resolve` for a command about what a workspace holds (runs, sweeps): a missing folder is
        an error, not created, so a mistyped ``--workspace`` says so instead of "no runs yet"."""
        workspace = cls.resolve(path, create=False)
        if not workspace.root.is_dir():
            blocker = _file_in_the_way(workspace.root)
            why = "nothing was saved there" if blocker is None else f"{blocker} is a file, not a folder"
            raise TLError(f"no workspace at {workspace.root}: {why} (check --workspace or ${ENV_VAR})")
        return workspace

    def subdir(self, name: str) -> Path:
        """A folder directly under the workspace (``uploads``, ``runs``, ``cache``), created."""
        path = self.inside(name)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a workspace this user may not write to, a file in the way
            raise TLError(f"cannot create {path}: {_why_not(path, exc)}") from None
        return path

    def inside(self, *parts: str) -> Path:
        """``root / parts``, refusing anything that would resolve outside the workspace, or a name longer
        than a file system takes (:data:`NAME_MAX` bytes: the system's error would come later)."""
        if any(len(os.fsencode(name)) > NAME_MAX for part in parts for name in Path(part).parts):
            shown = keep_start("/".join(parts), SHOWN_CHARS)
            raise TLError(f"path {shown!r} holds a name longer than the {NAME_MAX} bytes a file system takes")
        path = self.root.joinpath(*parts).resolve()
        if path != self.root and self.root not in path.parents:
            raise TLError(f"path {'/'.join(parts)!r} leaves the workspace")
        return path

    @property
    def uploads(self) -> Path:
        return self.subdir("uploads")

    @property
    def runs(self) -> Path:
        return self.subdir("runs")

    @property
    def index_path(self) -> Path:
        return self.root / "runs.sqlite"


def _file_in_the_way(path: Path) -> Path | None:
    """The first of ``path`` and the folders above it that is there but not a folder (a file where a
    folder is wanted); None when none is."""
    for place in (path, *path.parents):
        try:
            if place.exists() and not place.is_dir():
                return place
        except OSError:  # a name too long, a folder this user may not look into: not a file in the way
            return None
    return None


def _why_not(folder: Path, exc: OSError) -> str:
    """Why ``folder`` could not be made, in words: a file in the way, else the system's reason."""
    blocker = _file_in_the_way(folder)
    return f"{blocker} is a file, not a folder" if blocker is not None else str(exc.strerror or exc)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Create ``path`` through ``write(temp)`` and one ``os.replace``: readers see all or nothing."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        write(temp)
        with temp.open("rb") as handle:
            os.fsync(handle.fileno())
        temp.replace(path)
    finally:
        temp.unlink(missing_ok=True)
