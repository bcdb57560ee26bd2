"""Safe, read-only access to the members of an uploaded zip archive or folder.

Nothing is ever extracted to disk: members are read into memory one at a time, each read bounded by
the sizes the headers declared. Refused outright (:class:`TLError`): a file that is not a zip,
more than ``max_members`` entries (counted in the central directory before :mod:`zipfile` parses
it), absolute or ``..`` member paths, symlink members, encrypted members, unknown compression
methods, more than ``max_uncompressed_bytes`` in total, a member over 1 MiB compressing better than
``max_compression_ratio``, a member that is corrupt or does not match its header. Skipped quietly:
directories, ``__MACOSX``, ``.DS_Store``/``Thumbs.db``/``desktop.ini`` and any path with a hidden
(dot) part.

Members come in the archive's entry order, or with ``by_name`` in a folder's order whatever order the
archive was written in (:func:`walk_key`: a re-zipped folder reads the same); a folder's are sorted.

Member names: ``.`` parts are dropped (bsdtar, the ``tar`` of macOS and Windows, writes
``./cat/1.png``); a name stored as UTF-8 without the zip's UTF-8 flag (macOS Archive Utility) is
read as UTF-8, not as the cp437 the format assumes.
"""

from __future__ import annotations

import os
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tlcore.errors import TLError
from tlcore.limits import MIB, Limits, format_bytes, shown_limit

UTF8_FLAG = 0x800  # general purpose bit 11: the name is UTF-8
JUNK_NAMES = frozenset({"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"})
RATIO_MIN_BYTES = MIB  # smaller members may compress arbitrarily well (blank images, text)
METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})
READ_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError)
_DRIVE = re.compile(r"^[A-Za-z]:")
# zip records (APPNOTE 4.3): end of central directory, its zip64 locator and record, a directory entry
_END = struct.Struct("<4s4H2LH")
_END64_LOCATOR, _END64_SIZE = 20, 56
_ENTRY_SIZE = 46


@dataclass(frozen=True)
class Member:
    """One file inside an archive or folder: its path parts and a bounded reader."""

    parts: tuple[str, ...]
    read: Callable[[], bytes]

    @property
    def name(self) -> str:
        """The path as the user sees it (``scans/img_001.png``)."""
        return "/".join(self.parts)

    @property
    def suffix(self) -> str:
        return Path(self.parts[-1]).suffix.lower()


def is_junk(parts: tuple[str, ...]) -> bool:
    """OS clutter and hidden files, skipped without comment."""
    return any(p in JUNK_NAMES or p.startswith(".") for p in parts)


def member_parts(name: str) -> tuple[str, ...]:
    """The parts of a member's path (``/`` or ``\\`` separated), without empty and ``.`` parts."""
    return tuple(p for p in re.split(r"[/\\]", name) if p not in {"", "."})


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name, decoded as UTF-8 when the writer left the UTF-8 flag unset but it decodes."""
    name = info.filename
    if info.flag_bits & UTF8_FLAG or name.isascii():
        return name
    try:
        return name.encode("cp437").decode("utf-8")  # zipfile read the bytes as cp437
    except UnicodeError:
        return name


def walk_key(parts: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    """Where a member comes in a folder's order (:func:`_folder_members`): each folder's files by name,
    then its subfolders by name, each in turn; names compared in Unicode's NFC (macOS zips in NFD)."""
    *folders, file = (unicodedata.normalize("NFC", p) for p in parts)
    return (*((1, f) for f in folders), (0, file))


@contextmanager
def open_members(path: Path, limits: Limits, label: str, by_name: bool = False) -> Iterator[list[Member]]:
    """The non-junk file members of a zip archive or a folder (readable inside the ``with``); a zip's in
    its entry order, or with ``by_name`` in a folder's (:func:`walk_key`)."""
    if path.is_dir():
        yield _folder_members(path, limits)
        return
    with open_zip(path, label, limits) as archive:
        members = _zip_members(archive, label, limits)
        yield sorted(members, key=lambda m: walk_key(m.parts)) if by_name else members


@contextmanager
def open_zip(path: Path, label: str, limits: Limits, kind: str = "zip archive") -> Iterator[zipfile.ZipFile]:
    """A zip archive that passed :func:`check_zip`; its entries are counted before it is parsed."""
    try:
        with path.open("rb") as fh:
            if _count_entries(fh, limits.max_members) > limits.max_members:
                limit = shown_limit(limits, "max_members")
                raise TLError(f"{label} has too many entries, more than the limit of {limit}")
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error):
        raise TLError(f"{label} is not a valid {kind} (empty, truncated or another format)") from None
    with archive:
        check_zip(archive, label, limits)
        yield archive


def _count_entries(fh: BinaryIO, limit: int) -> int:
    """Central-directory entries, walked as :mod:`zipfile` will walk them, counted up to ``limit + 1``.

    ``zipfile`` builds an object per entry before anything can be checked: a small archive holding
    millions of empty entries would cost seconds and gigabytes. Returns 0 when the end record is
    missing (``zipfile`` then refuses the file).
    """
    size = fh.seek(0, os.SEEK_END)
    tail_start = max(0, size - _END.size - 0xFFFF)  # the end record, then a comment of up to 64 KiB
    fh.seek(tail_start)
    tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _END.size:
        return 0
    end, directory_size = tail_start + at, _END.unpack_from(tail, at)[5]
    if at >= _END64_LOCATOR and tail[at - _END64_LOCATOR : at - _END64_LOCATOR + 4] == b"PK\x06\x07":
        end -= _END64_LOCATOR + _END64_SIZE  # zip64 record, right before its locator
        fh.seek(max(end, 0))
        record = fh.read(_END64_SIZE)
        if record[:4] != b"PK\x06\x06":
            return 0
        directory_size = struct.unpack_from("<Q", record, 40)[0]
    fh.seek(max(end - directory_size, 0))
    directory = fh.read(min(directory_size, size))
    count = pos = 0
    while count <= limit and directory[pos : pos + 4] == b"PK\x01\x02":
        name, extra, comment = struct.unpack_from("<3H", directory, pos + 28)
        pos += _ENTRY_SIZE + name + extra + comment
        count += 1
    return count


def check_zip(archive: zipfile.ZipFile, label: str, limits: Limits) -> list[zipfile.ZipInfo]:
    """The archive's entries after the safety checks on paths, types, counts and sizes."""
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        limit = shown_limit(limits, "max_members")
        raise TLError(f"{label} has too many entries, {len(infos)}, more than the limit of {limit}")
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_bytes:
        raise TLError(
            f"{label} unpacks to {format_bytes(total)} uncompressed, more than the limit of "
            + shown_limit(limits, "max_uncompressed_bytes")
        )
    for info in infos:
        name = member_name(info)
        if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in member_parts(name):
            raise TLError(f"{label} contains an unsafe path {name!r} (absolute or with '..')")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise TLError(f"{label} contains a symbolic link {name!r}, which is refused")
        if info.flag_bits & 0x1:
            raise TLError(f"{label}: member {name!r} is encrypted; upload an archive without a password")
        if info.compress_type not in METHODS:
            raise TLError(f"{label}: member {name!r} uses an unsupported compression method")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_MIN_BYTES and ratio > limits.max_compression_ratio:
            raise TLError(
                f"{label}: member {name!r} expands {ratio:.0f}x, above the limit of "
                f"{shown_limit(limits, 'max_compression_ratio')}: a decompression bomb?"
            )
    return infos


def _zip_members(archive: zipfile.ZipFile, label: str, limits: Limits) -> list[Member]:
    members = []
    for info in check_zip(archive, label, limits):
        parts = member_parts(member_name(info))
        if info.is_dir() or not parts or is_junk(parts):
            continue
        members.append(Member(parts, _zip_reader(archive, info, label)))
    return members


def _zip_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> Callable[[], bytes]:
    name = member_name(info)

    def read() -> bytes:
        try:
            with archive.open(info) as fh:
                data = fh.read(info.file_size + 1)
        except READ_ERRORS as exc:
            reason = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise TLError(f"{label}: member {name!r} is corrupt or truncated ({reason})") from None
        if len(data) != info.file_size:
            raise TLError(f"{label}: member {name!r} is corrupt (its size differs from its header)")
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
            if len(members) >= limits.max_members:
                limit = shown_limit(limits, "max_members")
                raise TLError(f"{root.name} holds too many files, more than the limit of {limit}")
            if total > limits.max_uncompressed_bytes:
                raise TLError(
                    f"{root.name} holds too many bytes, more than the limit of "
                    + shown_limit(limits, "max_uncompressed_bytes")
                )
            members.append(Member(parts, _file_reader(path, size)))
    return members


def _file_reader(path: Path, size: int) -> Callable[[], bytes]:
    def read() -> bytes:
        with path.open("rb") as fh:
            return fh.read(size)

    return read
