"""Whether a checkpoint's weights fit the network this version builds, said in one line.

torch's ``load_state_dict`` raises a ``RuntimeError`` of several lines for a state that does not fit
the model (a layer whose shape changed, one added or removed since the checkpoint was written):
:func:`load_fitting_state` checks first and raises one :class:`~tlcore.errors.TLError` line instead,
naming the checkpoint and the tensors that do not fit.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from tlcore.errors import TLError
from tlcore.numbers import first_named

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
