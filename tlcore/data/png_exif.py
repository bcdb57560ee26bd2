"""A PNG's EXIF chunk (``eXIf``) written after its image data (``IDAT``), found without decoding a pixel.

Pillow reads the chunks before the image data on open and the ones after it only when it decodes the
pixels (``Image.load``): ``PIL.ImageOps.exif_transpose`` loads the image, so it turns such a file upright
by that late orientation. Pillow's own files put ``eXIf`` first; other writers may not (the PNG
specification allows either place). Walking the chunk headers (4-byte big-endian length, 4-byte type,
data, 4-byte CRC) skips the compressed image data unread.
"""

from __future__ import annotations

import struct

SIGNATURE = b"\x89PNG\r\n\x1a\n"
EXIF_HEADER = b"Exif\x00\x00"  # how Pillow keeps an eXIf chunk's payload in ``img.info["exif"]``


def late_exif(data: bytes) -> bytes | None:
    """The payload of the ``eXIf`` chunk after the image data of the PNG file ``data``, prefixed with
    ``Exif\\0\\0`` as Pillow stores it on load; ``None`` when there is none, before the end chunk
    (``IEND``) or the next animation frame (``fcTL``, where Pillow stops reading), or the file is
    truncated there."""
    if not data.startswith(SIGNATURE):
        return None
    position, after_image = len(SIGNATURE), False
    while position + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        payload = data[position + 8 : position + 8 + length]
        if kind == b"IEND" or len(payload) < length or (after_image and kind == b"fcTL"):
            return None
        if kind == b"eXIf" and after_image:
            return EXIF_HEADER + payload.removeprefix(EXIF_HEADER)
        after_image = after_image or kind == b"IDAT"
        position += 12 + length
    return None
