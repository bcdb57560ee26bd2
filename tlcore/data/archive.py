"""Safe, read-only access to the members of an uploaded zip archive or folder.

Nothing is ever extracted to disk: members are read into memory one at a time, each read bounded by
the sizes the headers declared. Refused outright (:class:`TLError`): a file that is not a zip,
absolute or ``..`` member paths, symlink members, more than ``max_members`` entries, more than
``max_uncompressed_bytes`` in total, a member over 1 MiB compressing better than
``max_compression_ratio``, a member larger than its header says. Skipped quietly: directories,
``__MACOSX``, ``.DS_Store``/``Thumbs.db``/``desktop.ini`` and any path with a hidden (dot) part.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tlcore.errors import TLError
from tlcore.limits import MIB, Limits

JUNK_NAMES = frozenset({"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"})
RATIO_MIN_BYTES = MIB  # smaller members may compress arbitrarily well (blank images, text)
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class Member:
    """One file inside an archive or folder: its path parts and a bounded reader."""

    parts: tuple[str, ...]
    read: Callable[[], bytes]

    @property
    def suffix(self) -> str:
        return Path(self.parts[-1]).suffix.lower()


def is_junk(parts: tuple[str, ...]) -> bool:
    """OS clutter and hidden files, skipped without comment."""
    return any(p in JUNK_NAMES or p.startswith(".") for p in parts)


@contextmanager
def open_members(path: Path, limits: Limits) -> Iterator[list[Member]]:
    """The non-junk file members of a zip archive or a folder (readable inside the ``with``)."""
    if path.is_dir():
        yield _folder_members(path, limits)
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise TLError(
            f"{path.name} is not a valid zip archive (empty, truncated or another format)"
        ) from None
    with archive:
        yield _zip_members(archive, path.name, limits)


def check_zip(archive: zipfile.ZipFile, label: str, limits: Limits) -> list[zipfile.ZipInfo]:
    """The archive's entries after the safety checks on paths, types, counts and sizes."""
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise TLError(f"{label} has {len(infos)} entries, more than the limit of {limits.max_members}")
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_bytes:
        raise TLError(
            f"{label} unpacks to {total / MIB:.0f} MiB, more than the limit of "
            f"{limits.max_uncompressed_bytes / MIB:.0f} MiB"
        )
    for info in infos:
        name = info.filename
        parts = re.split(r"[/\\]", name)
        if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in parts:
            raise TLError(f"{label} contains an unsafe path {name!r} (absolute or with '..')")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise TLError(f"{label} contains a symbolic link {name!r}, which is refused")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_MIN_BYTES and ratio > limits.max_compression_ratio:
            raise TLError(
                f"{label}: member {name!r} expands {ratio:.0f}x, above the limit of "
                f"{limits.max_compression_ratio:g}x (decompression bomb?)"
            )
    return infos


def _zip_members(archive: zipfile.ZipFile, label: str, limits: Limits) -> list[Member]:
    members = []
    for info in check_zip(archive, label, limits):
        parts = tuple(p for p in re.split(r"[/\\]", info.filename) if p)
        if info.is_dir() or not parts or is_junk(parts):
            continue
        members.append(Member(parts, _zip_reader(archive, info, label)))
    return members


def _zip_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            with archive.open(info) as fh:
                data = fh.read(info.file_size + 1)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
            raise TLError(
                f"{label}: cannot read member {info.filename!r} ({exc}); truncated archive?"
            ) from None
        if len(data) != info.file_size:
            raise TLError(f"{label}: member {info.filename!r} does not match the size in its header")
        return data

    return read


def _folder_members(root: Path, limits: Limits) -> list[Member]:
    members: list[Member] = []
    total = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not is_junk((d,)))
        for name in sorted(files):
            path = Path(folder) / name
            parts = path.relative_to(root).parts
            if is_junk(parts) or path.is_symlink() or not path.is_file():
                continue
            size = path.stat().st_size
            total += size
            if len(members) >= limits.max_members or total > limits.max_uncompressed_bytes:
                raise TLError(
                    f"{root.name} holds more than {limits.max_members} files or "
                    f"{limits.max_uncompressed_bytes / MIB:.0f} MiB"
                )
            members.append(Member(parts, _file_reader(path, size)))
    return members


def _file_reader(path: Path, size: int) -> Callable[[], bytes]:
    def read() -> bytes:
        with path.open("rb") as fh:
            return fh.read(size)

    return read
