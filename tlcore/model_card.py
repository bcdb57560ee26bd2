"""The sidecar of an exported model (``model.json``): what goes in, what comes out, as data.

The preprocessing steps are the data layer's own, in its order, for one image file as
:func:`tlcore.predict.load_data` reads it: decode with Pillow (:mod:`tlcore.data.images`; a large JPEG
at a reduced DCT scale, ``Image.draft``), turn it upright by its EXIF orientation, convert to
the model's channels ("L", or "RGB", which repeats a grayscale channel as :mod:`tlcore.data.harmonise`
does), scale 8-bit values by 1/255 to [0, 1], show transparent pixels on white (``x * a + 1 - a``
with the upright image's alpha ``a``), resize to cover the model's ``W x H`` keeping the aspect
ratio and crop its centre (:func:`tlcore.data.images.cover_size`; bilinear, antialiased:
``torch.nn.functional.interpolate`` as the data layer calls it, the same filter as Pillow's
``Image.resize(..., BILINEAR)``), apply the target spec's shifts at that size, as training did on
a target of the model's size (:mod:`tlcore.data.shifts`; e.g. ``invert=1`` in
``upload:scans.zip:invert=1``: the model was adapted to inverted scans, so new scans are inverted
too), then stack as ``N x C x H x W`` float32. Feature-vector models take ``D`` values per row as
they are (the ``features`` step says which of a file's columns, in order, and which it skips: the
training file's columns empty in every row, by name or, without a header, by place, ``feature 1``,
the training file's column of each place in ``training_file_columns``, 0-based ``training_file_indexes``), a
table's text columns read with ``text=onehot`` encoded first as the ``onehot`` step lists
(:mod:`tlcore.data.categories`: a 0/1 column per value the source had; a missing text cell 0 in all)
and, after the target's shifts, a missing numeric cell filled as the ``fill`` step lists (the training
source's column medians, :mod:`tlcore.data.fill`): the fill is per numeric column, so it follows the
encoding, which makes the numeric columns the fill names. What the network does
itself (an ImageNet backbone's resize and normalisation, a vector model's ``(x - mean) / scale``
with the source training split's statistics) is listed apart, so nobody applies it twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import PurePath
from typing import Any

import tlcore
from tlcore.data.categories import category_columns, place_columns
from tlcore.data.domain import PLACE, shown_name
from tlcore.data.images import draft_side
from tlcore.data.place_match import trained_places
from tlcore.data.shift_table import get_shift
from tlcore.data.shifts import effective
from tlcore.data.spec_text import parse_spec
from tlcore.methods.context import SOURCE_MODEL_TRANSFORMS
from tlcore.models import Classifier, Standardize
from tlcore.pretrained import ImageNetFeatures

CARD_FILE = "model.json"
RANDOM_NOTE = (  # on a shift step that draws per sample: training simulated a shift, nothing to repeat
    "drawn at random per sample in training (a simulated shift): new data need not repeat it, and "
    "cannot sample for sample"
)
TARGET_MODEL_NOTE = (  # a run of a transform that scored its source with a model of its own (AdaBN)
    "the model normalises every input with the target's batch-normalisation statistics, as the run's "
    "target predictions and predict do; the run scored its source data with the source's, not exported"
)
BY_NAME = (  # how a model that names its columns reads a table's (predict matches them by name)
    "the columns named in columns, in that order, whatever their order in the file (predict matches a "
    "table's columns by name)"
)
BY_PLACE = (  # how a model that names none reads a file's, when it skips none (or says none)
    "the feature columns of the training file in their order, the label column left out (an .npz file: "
    "the columns of X)"
)
Step = dict[str, Any]  # {"op": ..., its parameters}: heterogeneous by nature, written as JSON


@dataclass(frozen=True)
class Provenance:
    """Where an exported model comes from."""

    run_id: str
    source: str  # the run's domain specs
    target: str
    methods: tuple[str, ...]


@dataclass(frozen=True)
class Parity:
    """How the written model was checked against torch."""

    runtime: str
    batch_sizes: tuple[int, ...]
    max_abs_diff: float  # max |logit(exported) - logit(torch)| over every checked batch
    tolerance: float
    seed: int  # of the inputs: uniform [0, 1) images, standard normal feature vectors


@dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple[int | str, ...]  # "batch" marks the free axis
    dtype: str
    meaning: str


@dataclass(frozen=True, kw_only=True)
class ModelCard:
    """Everything ``model.json`` holds; :meth:`to_dict` is its JSON."""

    format: str  # onnx | torchscript
    file: str
    onnx_opset: int | None = None  # the ai.onnx opset the ONNX file imports (export reads it back from it)
    tlstudio_version: str
    run_id: str
    model: dict[str, Any]  # the checkpoint's model spec: name, input_shape, n_classes, options, ...
    classes: tuple[str, ...]  # in output order
    input: TensorSpec
    outputs: tuple[TensorSpec, ...]
    preprocessing: tuple[Step, ...]
    inside_model: tuple[Step, ...]
    postprocessing: tuple[Step, ...]
    training: dict[str, Any]  # source, target, methods, source_shifts, target_shifts (note: AdaBN)
    parity: Parity

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self)))  # tuples as lists: exactly what model.json holds

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


def model_card(
    model: Classifier,
    classes: tuple[str, ...],
    provenance: Provenance,
    *,
    fmt: str,
    file: str,
    parity: Parity,
) -> ModelCard:
    """The card of ``model`` exported as ``file`` in format ``fmt``."""
    shape = tuple(int(s) for s in model.spec["input_shape"])
    image = len(shape) == 3
    source, target = _shared(provenance.source), _shared(provenance.target)
    target_shifts = _shifts(target)
    note = f"the run's target spec {target} applies it: the model was adapted to data shifted so"
    shift_steps = [{**step, "note": note} for step in target_shifts]
    return ModelCard(
        format=fmt,
        file=file,
        tlstudio_version=tlcore.__version__,
        run_id=provenance.run_id,
        model=dict(model.spec),
        classes=tuple(classes),
        input=TensorSpec(
            "input",
            ("batch", *shape),
            "float32",
            "images N x C x H x W in [0, 1] (NCHW)" if image else "feature vectors N x D",
        ),
        outputs=(
            TensorSpec(
                "logits",
                ("batch", len(classes)),
                "float32",
                "unnormalised class scores in the order of classes; softmax over axis 1 gives the "
                "probabilities (the penultimate features are not exported)",
            ),
        ),
        preprocessing=_image_steps(shape, shift_steps) if image else _vector_steps(shape, shift_steps, model),
        inside_model=_inside(model),
        postprocessing=(
            {"op": "softmax", "axis": 1, "gives": "class probabilities in the order of classes"},
            {"op": "argmax", "axis": 1, "gives": "the index of the predicted class in classes"},
        ),
        training={
            "source": source,
            "target": target,
            "methods": list(provenance.methods),
            "source_shifts": _shifts(source),
            "target_shifts": target_shifts,
            **({"note": TARGET_MODEL_NOTE} if set(provenance.methods) & set(SOURCE_MODEL_TRANSFORMS) else {}),
        },
        parity=parity,
    )


def _shared(spec: str) -> str:
    """``spec`` as a card that leaves the machine shows it: a file by its name, a dataset without its
    ``@folder`` (no local path, no user name, in a file that travels)."""
    parsed = parse_spec(spec)
    if parsed.kind == "file":
        parsed = replace(parsed, name=PurePath(parsed.name).name)
    return str(replace(parsed, root=None))


def _shifts(spec: str) -> list[Step]:
    """The shifts a spec applies, in order, each with its meaning and its complete computation, step by
    step as registered with the shift (identity values skip, as in training)."""
    out = []
    for name, value in effective(parse_spec(spec).shifts):
        shift = get_shift(name)
        step = {
            "op": "shift",
            "name": name,
            "value": value,
            "meaning": shift.param,
            "steps": list(shift.steps),
        }
        if shift.random(value):
            step["random"] = RANDOM_NOTE
        out.append(step)
    return out


def _image_steps(shape: tuple[int, ...], shift_steps: list[Step]) -> tuple[Step, ...]:
    channels, height, width = shape
    mode = "L" if channels == 1 else "RGB"
    side = draft_side((height, width))
    return (
        {
            "op": "decode",
            "library": "Pillow",
            "call": "PIL.Image.open(path)",
            "draft": {
                "size": [side, side],
                "call": f"image.draft(None, ({side}, {side}))",
                "note": "before any pixel is read: a JPEG at least twice as large on both sides decodes at "
                f"the coarsest DCT scale (1/2, 1/4 or 1/8) keeping both sides >= {side}; other formats "
                "ignore it",
            },
        },
        {
            "op": "upright",
            "call": "PIL.ImageOps.exif_transpose(image)",
            "note": "a photo stored sideways is turned as its EXIF orientation says, as a viewer shows it",
        },
        {
            "op": "convert",
            "mode": mode,
            "call": f"image.convert({mode!r})",
            "note": (
                "a grayscale file becomes RGB by repeating its channel"
                if channels == 3
                else "a colour file becomes grayscale by Pillow's luma weights (training saw grayscale only)"
            )
            + "; keep the upright image: the flatten step reads its alpha",
        },
        {
            "op": "scale",
            "factor": 1 / 255,
            "dtype": "float32",
            "range": [0.0, 1.0],
            "note": "16-bit grayscale files (mode I;16) are divided by 65535 instead",
        },
        {
            "op": "flatten",
            "when": "image.has_transparency_data (the upright image: an alpha channel, or a transparency "
            "entry of a palette, grayscale or RGB image)",
            "alpha": "np.asarray(image.convert('RGBA').getchannel('A'), np.float32) / 255, H x W x 1",
            "formula": "x * alpha + (1 - alpha): transparent pixels shown on white, as a viewer shows them",
            "note": "Image.alpha_composite(Image.new('RGBA', image.size, 'white'), image.convert('RGBA')) "
            "before the convert step gives it within 1/255",
        },
        {
            "op": "resize",
            "width": width,
            "height": height,
            "interpolation": "bilinear",
            "antialias": True,
            "align_corners": False,
            "clip": [0.0, 1.0],
            "keep_aspect": True,
            "cover": "s = max(W / w, H / h) for an image of w x h; resize it to w' = max(W, round(w * s)) "
            "by h' = max(H, round(h * s)) (Python's round)",
            "crop": "then the centre W x H: left = (w' - W) // 2, top = (h' - H) // 2",
            "call": "torch.nn.functional.interpolate(x, size=(h', w'), mode='bilinear', antialias=True)",
            "note": "Pillow's Image.resize((W, H), Image.Resampling.BILINEAR) is the same filter: per "
            "channel in mode 'F' it gives the same values; on the 8-bit image before scaling, within 1/255",
        },
        *shift_steps,
        {"op": "layout", "from": "HWC", "to": "NCHW", "note": "channels first; images stacked on axis 0"},
    )


def _vector_steps(shape: tuple[int, ...], shift_steps: list[Step], model: Classifier) -> tuple[Step, ...]:
    """A feature-vector model's steps, from its ``columns``, ``categories``, ``fill`` and ``dropped``."""
    columns, categories, dropped = model.columns, model.categories, model.dropped
    encoded = (
        {
            "op": "onehot",
            "categories": {column: list(values) for column, values in categories.items()},
            "gives": "for each text column listed, one 0/1 column per value, named column=value (in "
            "columns): 1 in the column of the row's value, 0 in the others; a value not listed, or a "
            "missing cell (missing=impute), 0 in all",
        },
    )
    return (
        *(encoded if categories else ()),
        {
            "op": "features",
            "dimension": shape[0],
            "dtype": "float32",
            "columns": list(columns) or None,
            **_file_columns(shape[0], columns, dropped, categories),
            **_training_file(shape[0], model),
            "scaling": "none here: the network standardises its input itself (inside_model)",
        },
        *shift_steps,
        *_fill_step(columns or place_columns(shape[0], categories, dropped or ()), model.fill, categories),
        {"op": "layout", "from": "D", "to": "ND", "note": "rows stacked on axis 0"},
    )


def _file_columns(
    width: int,
    columns: tuple[str, ...],
    dropped: tuple[str, ...] | None,
    categories: Mapping[str, Sequence[str]],
) -> Step:
    """Which columns of a file the model reads, in order, and which it skips (``dropped``: the training
    file's columns empty in every row; None, a model trained before they were stored, says neither): a
    table with a header by name, any other file by place (:func:`~tlcore.data.domain.place_name`, a text
    column's 0/1 columns by its place and value, ``feature 1=north``: ``categories``; only a table
    without a header skips one: an .npz holds no empty column)."""
    why = "empty in every row of the training file"
    if columns:
        order = BY_NAME + (f"; the file's columns in skips are not read ({why})" if dropped else "")
        return {"order": order} | ({} if dropped is None else {"skips": list(dropped)})
    if dropped is None:
        return {"order": BY_PLACE}
    values = trained_places(width, categories, dropped)  # a row's feature values in the file
    order = (
        "a file without a header is read by the place of each column, feature 0 its first feature column "
        f"(the label column left out): of a row's {values} feature values the model reads "
        f"those in reads, in that order, and not those in skips ({why})"
    )
    reads = list(place_columns(width, categories, dropped))
    return {"reads": reads, "skips": list(dropped), "order": order if dropped else BY_PLACE}


def _training_file(width: int, model: Classifier) -> Step:
    """Where the training file (without a header) held each place the model reads, a text column's
    once: as the studio names it to a user, ``{"feature 0": "column 2 of the file"}``
    (:func:`~tlcore.data.domain.shown_name`), and as pandas numbers the columns of a file read with
    ``header=None``, ``{"feature 0": 1}`` (what a script renames them by); nothing for any other model,
    nor one trained before these were stored (nor its places: ``dropped`` None)."""
    if model.columns or not model.file_columns or model.dropped is None:
        return {}
    places = place_columns(width, model.categories, model.dropped)
    kept = dict.fromkeys(p.partition("=")[0] for p in places)
    return {
        "training_file_columns": {p: shown_name(p, model.file_columns) for p in kept},
        "training_file_indexes": {p: model.file_columns[int(PLACE.fullmatch(p)[1])] for p in kept},
    }


def _fill_step(
    columns: tuple[str, ...], fill: tuple[float, ...], categories: Mapping[str, Sequence[str]]
) -> tuple[Step, ...]:
    """The values of missing cells per numeric column (none stored: no step; :mod:`tlcore.data.fill`);
    a text column's 0/1 columns take none (the ``onehot`` step, before, reads a missing text cell as 0
    in all)."""
    if not fill:
        return ()
    encoded = category_columns(categories)
    return (
        {
            "op": "fill",
            "values": {c: v for c, v in zip(columns, fill, strict=True) if c not in encoded},
            "note": "a missing, non-numeric or infinite cell takes its column's value: the column median "
            "of the training source, as predict does for data read with missing=impute",
        },
    )


def _inside(model: Classifier) -> tuple[Step, ...]:
    """What the exported network does to its input itself (do not repeat it)."""
    if isinstance(model.standardize, Standardize):
        return (
            {
                "op": "standardize",
                "formula": "(x - mean) / scale, per feature column",
                "mean": [float(f"{float(v):.7g}") for v in model.standardize.mean],  # float32's digits
                "scale": [float(f"{float(v):.7g}") for v in model.standardize.scale],
                "note": "the source training split's statistics; scale is 1 for a constant column",
            },
        )
    backbone = model.backbone
    if not isinstance(backbone, ImageNetFeatures):
        return ()
    size = backbone.size
    return (
        {"op": "repeat_channels", "to": 3, "when": "the input has 1 channel"},
        {
            "op": "resize",
            "width": size,
            "height": size,
            "interpolation": "bilinear",
            "antialias": False,
            "align_corners": False,
            "when": f"H x W is not {size} x {size}",
        },
        {
            "op": "normalize",
            "formula": "(x - mean) / std, per channel",
            "mean": [round(float(v), 6) for v in backbone.mean.flatten()],
            "std": [round(float(v), 6) for v in backbone.std.flatten()],
        },
    )
