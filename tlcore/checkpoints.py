"""Checkpoints, after nanoGPT's ``train.py``: one file holding the weights, the model spec needed to
rebuild the network (:func:`tlcore.models.build_model`), and the run config as a plain JSON-able dict,
read back with ``torch.load(..., weights_only=True)``.

A checkpoint that cannot be read, lacks what the model is built from, or whose weights do not fit the
network this version builds (a layer whose shape changed since it was written; torch's
``load_state_dict`` raises a ``RuntimeError`` of several lines) gives one :class:`~tlcore.errors.TLError`
line, naming the checkpoint and the tensors that do not fit.
"""

from __future__ import annotations

import copy
import os
import pickle
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from tlcore.errors import TLError
from tlcore.models import Classifier, Standardize, build_model
from tlcore.numbers import first_named

CHECKPOINT_KEYS = ("model_spec", "config", "state_dict")  # what every checkpoint holds (save_checkpoint)
SPEC_KEYS = ("name", "input_shape", "n_classes", "bottleneck_dim", "options")  # build_model's arguments
SHOWN = 3  # tensors named per kind of misfit; the rest are counted


def misfits(network: Mapping[str, torch.Tensor], state: Mapping[str, torch.Tensor]) -> list[str]:
    """What keeps ``state`` (a checkpoint's) from loading into a model whose state is ``network``: a
    phrase for the tensors of another shape, one for those it lacks, one for those the network lacks;
    empty when it fits."""
    reshaped = [
        f"{key} {list(state[key].shape)} (the network's {list(value.shape)})"
        for key, value in network.items()
        if key in state and state[key].shape != value.shape
    ]
    lacking = [key for key in network if key not in state]
    unknown = [key for key in state if key not in network]
    phrases = []
    if reshaped:
        phrases.append(f"tensors of another shape: {first_named(reshaped, SHOWN)}")
    if lacking:
        phrases.append(f"tensors it lacks: {first_named(lacking, SHOWN)}")
    if unknown:
        phrases.append(f"tensors the network lacks: {first_named(unknown, SHOWN)}")
    return phrases


def load_fitting_state(model: nn.Module, state: Mapping[str, torch.Tensor], name: str) -> None:
    """Load ``state`` into ``model``; a :class:`TLError` when it does not fit, naming ``name`` (e.g.
    ``run X's checkpoint``) and the tensors (:func:`misfits`)."""
    phrases = misfits(model.state_dict(), state)
    if phrases:
        raise TLError(f"{name} does not fit the network this version builds: {'; '.join(phrases)}")
    model.load_state_dict(state)


def save_checkpoint(
    path: str | os.PathLike[str],
    model: Classifier,
    config: dict[str, Any],
    classes: Sequence[str] = (),
    source_model: Classifier | None = None,
) -> None:
    """Write weights, the model spec, ``config`` (plain JSON-able values only), the class names of
    the model's outputs (when known), its ``columns``, ``categories``, ``fill``, ``dropped`` and
    ``file_columns`` to
    ``path``; with ``source_model`` (the model that scores source inputs, e.g. AdaBN's source
    statistics) also its ``source_state``: the entries of its state dict that differ from ``model``'s
    (:func:`load_source_model` reads it)."""
    state = model.state_dict()
    payload = {
        "model_spec": dict(model.spec),
        "config": config,
        "classes": [str(c) for c in classes],
        "columns": list(model.columns),
        "categories": {column: list(values) for column, values in model.categories.items()},
        "fill": list(model.fill),
        "dropped": None if model.dropped is None else list(model.dropped),
        "file_columns": list(model.file_columns),
        "state_dict": state,
    }
    if source_model is not None:
        payload["source_state"] = {
            key: value.detach().cpu()
            for key, value in source_model.state_dict().items()
            if not torch.equal(value.cpu(), state[key].cpu())
        }
    torch.save(payload, path)


def load_checkpoint(
    path: str | os.PathLike[str], name: str | None = None
) -> tuple[Classifier, dict[str, Any]]:
    """Rebuild the model saved by :func:`save_checkpoint` (``weights_only=True``) and its config.

    The model's ``classes``, ``columns``, ``categories``, ``fill``, ``dropped`` and ``file_columns``
    come from the checkpoint; older checkpoints without them leave them empty (``dropped``: None, not
    known). Weights
    that do not fit the network this version builds → :class:`TLError` naming the checkpoint ``name``
    (by default its path).
    """
    payload = _read_checkpoint(path)
    spec = payload["model_spec"]
    model = build_model(
        spec["name"],
        tuple(spec["input_shape"]),
        spec["n_classes"],
        pretrained=False,
        bottleneck_dim=spec["bottleneck_dim"],
        **spec["options"],
    )
    state = payload["state_dict"]
    if isinstance(model.standardize, Standardize):  # a checkpoint from before inputs were standardised
        state = {**dict(model.standardize.named_buffers(prefix="standardize")), **state}
    load_fitting_state(model, state, name or f"checkpoint {path}")
    model.classes = tuple(payload.get("classes") or ())
    model.columns = tuple(payload.get("columns") or ())
    model.categories = {column: tuple(values) for column, values in (payload.get("categories") or {}).items()}
    model.fill = tuple(float(v) for v in payload.get("fill") or ())
    dropped = payload.get("dropped")
    model.dropped = None if dropped is None else tuple(str(c) for c in dropped)
    model.file_columns = tuple(int(c) for c in payload.get("file_columns") or ())
    return model, payload["config"]


def load_source_model(
    path: str | os.PathLike[str], model: Classifier, name: str | None = None
) -> Classifier | None:
    """The model that scores source inputs saved with ``model``'s checkpoint ``path``
    (:func:`save_checkpoint`'s ``source_model``): a copy of ``model`` with the checkpoint's
    ``source_state``; None when the checkpoint has none (no transform gave one, or older). A state
    that does not fit → :class:`TLError` naming the checkpoint ``name`` (by default its path)."""
    entries = _read_checkpoint(path).get("source_state")
    if entries is None:
        return None
    source = copy.deepcopy(model)
    load_fitting_state(source, {**model.state_dict(), **entries}, name or f"checkpoint {path}")
    return source


def checkpoint_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``config`` a checkpoint was saved with (:func:`save_checkpoint`), without building its model."""
    return _read_checkpoint(path)["config"]


def _read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The payload :func:`save_checkpoint` wrote (``weights_only`` load); unreadable, or lacking what
    :func:`load_checkpoint` reads → :class:`TLError`."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, pickle.UnpicklingError, EOFError) as exc:
        raise TLError(
            f"cannot read checkpoint {path}: {str(exc).splitlines()[0] if str(exc) else exc!r}"
        ) from exc
    spec = payload.get("model_spec") if isinstance(payload, dict) else None
    lacking = [k for k in CHECKPOINT_KEYS if not isinstance(payload, dict) or k not in payload]
    lacking += [f"model_spec.{k}" for k in SPEC_KEYS if isinstance(spec, dict) and k not in spec]
    if lacking:
        raise TLError(f"cannot read checkpoint {path}: it lacks {', '.join(lacking)}")
    return payload
