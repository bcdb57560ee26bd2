"""What a read of image files says of them, in words: the provenance's notes of the files resized,
skipped and ignored, and the file names and kinds messages list (:mod:`tlcore.data.images`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from tlcore.data.archive import Member
from tlcore.numbers import first_named

SHOWN_KINDS = 5  # file extensions listed in a message, most common first
NAMED_FILES = 5  # files a message names before "and N more"


def resized_note(size: tuple[int, int], n_resized: int) -> str:
    """The provenance's ``, 3 resized to 28x28 keeping the aspect ratio, centre-cropped`` (or nothing)."""
    if not n_resized:
        return ""
    return f", {n_resized} resized to {size[0]}x{size[1]} keeping the aspect ratio, centre-cropped"


def named_files(names: Sequence[str]) -> str:
    """``a.png, b/c.jpg`` (the first :data:`NAMED_FILES`, then ``and 3 more``)."""
    return first_named(names, NAMED_FILES)


def skipped_note(unreadable: Sequence[str], ignored: Counter[str]) -> str:
    """``, 2 unreadable skipped (a/broken.png, b/eps.png), 15 files of other types ignored: .heic (10),
    .txt (5)`` (or less; QA: the unreadable files were counted, not named)."""
    note = f", {len(unreadable)} unreadable skipped ({named_files(unreadable)})" if unreadable else ""
    n = ignored.total()
    if n:
        files = "file of another type" if n == 1 else "files of other types"
        note += f", {n} {files} ignored: {kinds_text(ignored)}"
    return note


def file_kind(member: Member) -> str:
    """A file's extension as messages show it: ``.heic``, or ``no extension`` (none, or not a word)."""
    return member.suffix if re.fullmatch(r"\.\w{1,10}", member.suffix) else "no extension"


def kinds_text(counts: Counter[str]) -> str:
    """``.heic (10), .txt (5)``: the most common extensions first, the rest counted (``and 2 more``)."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return first_named([f"{kind} ({n})" for kind, n in ranked], SHOWN_KINDS)
