"""Image collections (a zip archive or a folder) as a :class:`Domain`.

Layout: wrapping top folders (one folder holding everything, at any depth) are stripped; then
either every image sits in a class folder (``cat/1.png``, deeper files count for their top
folder, like ImageFolder; classes sorted by name) or every image is loose (unlabelled). Mixing
both is an error. Files of other types are ignored: the provenance counts them by extension
(``15 files of other types ignored: .heic (10), .txt (5)``), ``meta["n_ignored"]`` holds their number
(OS junk such as ``__MACOSX`` or ``.DS_Store`` is not counted, see :mod:`tlcore.data.archive`).

Decoding runs in two passes: headers first (size, mode, EXIF orientation; the per-image and total
pixel limits are enforced before any pixel is decoded), then pixels. A JPEG whose sides are both at
least 8 times the output's longer side is decoded at the coarsest DCT scale (1/2, 1/4 or 1/8: Pillow's
``Image.draft``) that keeps both at least ``DRAFT_MARGIN`` times that side, and the antialiased resize
does the rest: a 12-megapixel phone photo for a 128-pixel output decodes at 1008 x 756, not
4032 x 3024. The pixel limits count the pixels decoded. Each image is turned upright as
its EXIF orientation says (phone photos are stored sideways) and shown on opaque white where it is
transparent, as image viewers show it (an alpha channel, or a ``transparency`` entry of a palette,
grayscale or RGB image; dark ink on a transparent background stays dark ink on white). All images
are brought to one size, the domain's: the median upright height by the median width (the lower
median over all images, each side on its own; scaled down to ``max_image_side``; an upload of one size
keeps it), each image keeping its aspect ratio: resized until it covers that size, then centre-cropped
to it (:func:`cover_size`, torchvision's ``Resize`` of the shorter side and ``CenterCrop``, what ImageNet
backbones are trained on; a letterbox would add bars no photo has). And to one channel
count: grayscale when every image is grayscale, else RGB. Given a ``shape`` (a model's ``C x H x W``,
for its predictions, or a run's source for its target: :func:`tlcore.data.harmonise.pair_image_shape`)
every file is decoded straight to it instead: one resize per file, whatever the other files' sizes, and a
colour file becomes grayscale by Pillow's luma for a 1-channel shape (an ``H x W`` shape fixes the size
only: the channels follow the files' rule; ``meta["n_resized"]`` counts the files resized). Images
that fail to decode are skipped: the provenance counts them, ``meta["unreadable"]`` names them
(``meta["n_corrupt"]`` their number); if none decodes the upload is refused. Decoded to a given
shape, ``meta["as_stored"]`` holds the sample shape and provenance the files give read alone (an
upload's kept summary: :func:`tlcore.data.uploads.read_upload`), from their headers, unless the limits
would refuse that read.

Each sample's id is its path inside the archive or folder as the user sees it (``scans/img_001.png``,
wrapping folders included), in the archive's entry order, or with ``by_name`` in a folder's (sorted:
:func:`tlcore.data.archive.walk_key`), as a stored upload is read (:func:`tlcore.data.uploads.read_upload`).
"""

from __future__ import annotations

import functools
import io
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from PIL import ExifTags, Image
from torch.nn.functional import interpolate

from tlcore.data.archive import Member, open_members
from tlcore.data.domain import Domain
from tlcore.data.image_words import file_kind, kinds_text, resized_note, skipped_note
from tlcore.data.png_exif import late_exif
from tlcore.errors import TLError
from tlcore.limits import Limits, format_bytes, shown_limit

LABELLED, IMAGES_FROM = " labelled", " images from "  # the provenance's words: "150 labelled images from"

IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}
)
# decoders PIL may use: content decides the decoder, so a file named .png could be EPS (Ghostscript)
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP", "PPM")
GRAY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "F"})
DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError)
UNREADABLE = "corrupt or truncated files, or not images"
# EXIF orientation -> the transposition that turns the image upright (as PIL.ImageOps.exif_transpose)
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
SIDEWAYS = frozenset({5, 6, 7, 8})  # orientations stored with width and height swapped
JPEG_SCALES = (8, 4, 2)  # the reduced DCT scales 1/s libjpeg decodes at (Pillow's Image.draft)
DRAFT_MARGIN = 4  # a reduced JPEG keeps this many pixels per output pixel on its shorter side, at least
DECODED_ZIPS = 4  # zip archives whose decoded images the process keeps (read_images)
AS_STORED = "as_stored"  # meta of files decoded to a given shape: their shape and provenance read alone


class Header(NamedTuple):
    """What an image's header says, before any pixel is decoded."""

    size: tuple[int, int]  # upright (height, width)
    gray: bool  # grayscale, or a gray palette (transparent pixels are shown on white: gray)
    jpeg: bool  # decodable at a reduced DCT scale


def read_images(
    path: Path, limits: Limits, label: str, shape: tuple[int, ...] | None = None, by_name: bool = False
) -> Domain:
    """Load the images under ``path`` (a zip archive or a folder); ``label`` names it in messages,
    ``shape`` (``C x H x W``) is the geometry to decode every file to (module docstring), ``by_name``
    reads a zip's files in a folder's order, not its entry order. A zip archive's decode is kept for
    the process (:data:`DECODED_ZIPS` archives, least recently used out), keyed on its path, size,
    modification time and these settings: a run's estimate and the run itself decode once."""
    if not path.is_file():  # a folder: its files may change without its own size or time changing
        return _read_images(path, limits, label, shape, by_name)
    stat = path.stat()
    file = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    domain = _decoded_zip(file, limits, label, shape, by_name)
    return replace(domain, meta=dict(domain.meta))  # the tensors shared, as the built-ins' loads


@functools.lru_cache(maxsize=DECODED_ZIPS)
def _decoded_zip(
    file: tuple[str, int, int], limits: Limits, label: str, shape: tuple[int, ...] | None, by_name: bool
) -> Domain:
    """:func:`_read_images` of the zip archive ``file``: its path, size and modification time (ns)."""
    return _read_images(Path(file[0]), limits, label, shape, by_name)


def _read_images(
    path: Path, limits: Limits, label: str, shape: tuple[int, ...] | None, by_name: bool
) -> Domain:
    with open_members(path, limits, label, by_name) as members:
        images, ignored = _images(members, label)
        names, classes = _layout([m.parts for m in images], label)
        headers = {i: h for i, m in enumerate(images) if (h := _header(m, label)) is not None}
        if not headers:
            raise TLError(f"{label}: none of its {len(images)} images could be decoded ({UNREADABLE})")
        size, channels = _target_geometry(list(headers.values()), limits, shape)
        named = {images[i].name: h for i, h in headers.items()}
        _check_geometry(named, size, channels, limits, label)
        X = torch.empty(len(headers), channels, *size)
        kept = []
        for i in headers:
            pixels = _decode(images[i], size, channels)
            if pixels is not None:
                X[len(kept)] = pixels
                kept.append(i)
    if not kept:
        raise TLError(f"{label}: none of its {len(images)} images could be decoded ({UNREADABLE})")
    decoded = set(kept)
    unreadable = tuple(m.name for i, m in enumerate(images) if i not in decoded)
    n_resized = sum(headers[i].size != size for i in kept)
    index = {name: i for i, name in enumerate(classes)}
    y = None if names is None else torch.tensor([index[names[i]] for i in kept], dtype=torch.int64)
    head = f"{len(kept)}{LABELLED if y is not None else ' unlabelled'}{IMAGES_FROM}{label}"
    skipped = skipped_note(unreadable, ignored)
    meta = {"n_corrupt": len(unreadable), "n_ignored": ignored.total(), "unreadable": unreadable}
    if shape is not None and (own := _own_geometry(named, limits, label)) is not None:
        resized = resized_note(own[0], sum(headers[i].size != own[0] for i in kept))
        meta[AS_STORED] = {"shape": [own[1], *own[0]], "provenance": head + resized + skipped}
    return Domain(
        name=label,
        X=X[: len(kept)].contiguous(),
        y=y,
        classes=tuple(classes),
        provenance=head + resized_note(size, n_resized) + skipped,
        meta=meta | {"n_resized": n_resized},
        ids=tuple(images[i].name for i in kept),
    )


def _check_geometry(
    headers: dict[str, Header], size: tuple[int, int], channels: int, limits: Limits, label: str
) -> None:
    """Refuse images that decode to ``size`` x ``channels`` past the pixel or tensor limits."""
    _check_pixels(headers, draft_side(size), limits, label)
    need = len(headers) * channels * size[0] * size[1] * 4
    if need > limits.max_tensor_bytes:
        raise TLError(
            f"{label}: {len(headers)} images need {format_bytes(need)}, above the tensor limit of "
            + shown_limit(limits, "max_tensor_bytes")
        )


def _own_geometry(
    headers: dict[str, Header], limits: Limits, label: str
) -> tuple[tuple[int, int], int] | None:
    """The size and channels the files decode to when read alone (no shape given); None when that
    read would be refused by the limits."""
    size, channels = _target_geometry(list(headers.values()), limits, None)
    try:
        _check_geometry(headers, size, channels, limits, label)
    except TLError:
        return None
    return size, channels


def images_labelled(path: Path, limits: Limits, label: str) -> bool:
    """Whether :func:`read_images` reads ``path`` with labels (class folders), told from the member
    names alone: no image is opened."""
    with open_members(path, limits, label) as members:
        images, _ = _images(members, label)
        return _layout([m.parts for m in images], label)[0] is not None


def _images(members: list[Member], label: str) -> tuple[list[Member], Counter[str]]:
    """The image members, and the other members counted by extension; none: a :class:`TLError`."""
    images = [m for m in members if m.suffix in IMAGE_SUFFIXES]
    ignored = Counter(file_kind(m) for m in members if m.suffix not in IMAGE_SUFFIXES)
    if not images:
        kinds = ", ".join(sorted(IMAGE_SUFFIXES))
        found = f"; found {kinds_text(ignored)}" if ignored else ""
        raise TLError(f"{label} contains no images (looked for {kinds}{found})")
    return images, ignored


def _layout(paths: list[tuple[str, ...]], label: str) -> tuple[list[str] | None, list[str]]:
    """Per-image class names (or ``None`` when unlabelled) and the sorted class list."""
    while all(len(p) > 1 for p in paths) and len({p[0] for p in paths}) == 1:
        paths = [p[1:] for p in paths]  # a wrapping folder
    depths = {len(p) > 1 for p in paths}
    if depths == {False}:
        return None, []
    if depths == {True, False}:
        raise TLError(f"{label} mixes loose images with class folders; use one layout")
    names = [unicodedata.normalize("NFC", p[0]) for p in paths]
    return names, sorted(set(names))


@contextmanager
def _opened(member: Member) -> Iterator[Image.Image]:
    """The member as a PIL image, pixels decoded on demand, by one of ``FORMATS`` only; a PNG's EXIF
    chunk after its image data in its ``info`` as decoding would put it there
    (:func:`tlcore.data.png_exif.late_exif`), so that its orientation is read as
    ``PIL.ImageOps.exif_transpose`` reads it."""
    data = member.read()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PIL warns on odd-but-readable files (a corrupt EXIF block)
        with Image.open(io.BytesIO(data), formats=FORMATS) as img:
            if img.format == "PNG" and "exif" not in img.info and (exif := late_exif(data)) is not None:
                img.info["exif"] = exif
            yield img


def _header(member: Member, label: str) -> Header | None:
    """The upright image's :class:`Header`, ``None`` when it is not an image."""
    try:
        with _opened(member) as img:
            width, height = img.size
            if _orientation(img) in SIDEWAYS:
                width, height = height, width
            gray = img.mode in GRAY_MODES or (img.mode in {"P", "PA"} and _gray_palette(img))
            return Header((height, width), gray, img.format == "JPEG")
    except Image.DecompressionBombError:  # PIL's own backstop, far above ours: a gigantic canvas
        raise TLError(
            f"{label}: image {member.name!r} claims over {2 * Image.MAX_IMAGE_PIXELS} pixels, "
            "above the decoder's hard limit (a pixel bomb?)"
        ) from None
    except DECODE_ERRORS:
        return None


def draft_side(size: tuple[int, int]) -> int:
    """The side both sides of a reduced JPEG keep for an output of ``size``: ``Image.draft(None,
    (side, side))`` picks the coarsest DCT scale that keeps them at least that long."""
    return DRAFT_MARGIN * max(size)


def jpeg_scale(size: tuple[int, int], side: int) -> int:
    """``s`` of the DCT scale 1/s ``Image.draft(None, (side, side))`` picks for a JPEG of ``size``."""
    fit = min(size) // side
    return next((s for s in JPEG_SCALES if s <= fit), 1)


def _decoded_size(header: Header, side: int) -> tuple[int, int]:
    """``(height, width)`` the image decodes to for a draft ``side`` (:func:`draft_side`)."""
    s = jpeg_scale(header.size, side) if header.jpeg else 1
    height, width = header.size
    return -(-height // s), -(-width // s)


def _check_pixels(headers: dict[str, Header], side: int, limits: Limits, label: str) -> None:
    """Refuse an image, or all of them, that would decode to more pixels than the limits allow."""
    total = 0
    for name, header in headers.items():
        height, width = _decoded_size(header, side)
        total += height * width
        if height * width > limits.max_image_pixels:
            stored = "x".join(map(str, header.size[::-1]))
            reduced = f" (decoded at {width}x{height})" if (height, width) != header.size else ""
            raise TLError(
                f"{label}: image {name!r} claims {stored} pixels{reduced}, above the limit of "
                + shown_limit(limits, "max_image_pixels")
            )
    if total > limits.max_total_pixels:
        raise TLError(
            f"{label}: its {len(headers)} images decode to {total} pixels in total, above the limit of "
            + shown_limit(limits, "max_total_pixels")
        )


def _orientation(img: Image.Image) -> int:
    """The EXIF orientation (a key of ``UPRIGHT``, or 1: upright), read without decoding any pixel."""
    # a PNG's own getexif() decodes the pixels to look for an eXIf chunk after them (_opened put it in
    # info); the base one reads the rest as it does: eXIf, else a "Raw profile type exif" text, else XMP
    exif = Image.Image.getexif(img) if img.format == "PNG" else img.getexif()
    value = exif.get(ExifTags.Base.Orientation, 1)
    return value if value in UPRIGHT else 1


def _gray_palette(img: Image.Image) -> bool:
    palette = np.asarray(img.getpalette() or [], dtype=np.int32).reshape(-1, 3)
    return bool((palette == palette[:, :1]).all())


def _target_geometry(
    headers: list[Header], limits: Limits, shape: tuple[int, ...] | None
) -> tuple[tuple[int, int], int]:
    """``shape``'s ``(H, W)`` and channels when given (an ``H x W`` shape leaves the channels to the
    files); else the (lower) median upright height and width, each over every image, scaled to
    ``max_image_side`` (an upload of one size keeps it); channels: 1 when every image is grayscale,
    else 3."""
    channels = 1 if all(h.gray for h in headers) else 3
    if shape is not None:
        height, width = shape[-2:]
        return (height, width), shape[0] if len(shape) == 3 else channels
    height, width = (_lower_median([h.size[axis] for h in headers]) for axis in (0, 1))
    factor = min(1.0, limits.max_image_side / max(height, width))
    size = (max(1, round(height * factor)), max(1, round(width * factor)))
    return size, channels


def _lower_median(values: list[int]) -> int:
    """The middle value, the lower of the two middle ones for an even count: a side some image has."""
    return sorted(values)[(len(values) - 1) // 2]


def _decode(member: Member, size: tuple[int, int], channels: int) -> torch.Tensor | None:
    """``channels x H x W`` float32 in [0, 1], or ``None`` when the pixels cannot be decoded."""
    try:
        with _opened(member) as img:
            if img.format == "JPEG":
                img.draft(None, (draft_side(size),) * 2)  # a reduced DCT scale: see jpeg_scale
            array = _to_array(_upright(img), channels)
    except DECODE_ERRORS:
        return None
    pixels = torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0)  # 1 x C x h x w
    cover = cover_size(array.shape[:2], size)
    if tuple(pixels.shape[-2:]) != cover:
        pixels = interpolate(pixels, size=cover, mode="bilinear", antialias=True, align_corners=False)
    top, left = ((c - s) // 2 for c, s in zip(cover, size, strict=True))
    return pixels[0, :, top : top + size[0], left : left + size[1]].clamp(0.0, 1.0)


def cover_size(image: tuple[int, int], size: tuple[int, int]) -> tuple[int, int]:
    """``(h', w')`` an image of ``image`` ``(h, w)`` is resized to before the centre ``size`` ``(H, W)``
    is cropped from it, its aspect ratio kept: s = max(H / h, W / w), h' = max(H, round(h s)),
    w' = max(W, round(w s)) (torchvision's ``Resize`` of the shorter side then ``CenterCrop``, which
    ImageNet models expect; an image of ``size``'s aspect ratio is only resized)."""
    (h, w), (height, width) = image, size
    scale = max(height / h, width / w)
    return max(height, round(h * scale)), max(width, round(w * scale))


def _upright(img: Image.Image) -> Image.Image:
    """``img`` turned as its EXIF orientation says (the same orientation :func:`_header` reads)."""
    method = UPRIGHT.get(_orientation(img))
    return img if method is None else img.transpose(method)


def _to_array(img: Image.Image, channels: int) -> np.ndarray:
    """H x W x C float32 in [0, 1] from any PIL mode, transparent pixels composited onto white."""
    array = _opaque_array(img, channels)
    if img.has_transparency_data:
        alpha = np.asarray(img.convert("RGBA").getchannel("A"), dtype=np.float32)[..., None] / 255.0
        array = array * alpha + (1.0 - alpha)
    return array


def _opaque_array(img: Image.Image, channels: int) -> np.ndarray:
    """H x W x C float32 in [0, 1] from any PIL mode (16-bit and float grayscale included), alpha dropped."""
    if img.mode in {"I", "I;16", "I;16L", "I;16B"}:
        gray = np.asarray(img, dtype=np.float32) / 65535.0
    elif img.mode == "F":
        gray = np.asarray(img, dtype=np.float32)
    elif channels == 1:
        gray = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
    else:
        return np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    gray = np.nan_to_num(gray, nan=0.0, posinf=1.0, neginf=0.0).clip(0.0, 1.0)[..., None]
    return np.repeat(gray, channels, axis=2)
