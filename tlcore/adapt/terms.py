"""A run's loss terms, built as its adapt stage builds them: the pipeline's and the estimate's probe
(:mod:`tlcore.runs.probe`, which times a paired step with the terms of the composition it estimates)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import torch

from tlcore.data.rng import derive_seed
from tlcore.method_table import Configured
from tlcore.methods import TermContext
from tlcore.methods.registry import MethodSpec, TermBuilder
from tlcore.training import Term


def seeded_build(seed: int, label: str, build: Callable[[], Any]) -> Any:
    """``build()`` with torch's global generator seeded from ``(seed, label)``, restored afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, "init", label))
        return build()


def build_terms(
    seed: int, specs: list[MethodSpec], params: dict[str, Configured], ctx: TermContext
) -> list[Term]:
    """The weighted loss terms of ``specs``, each objective built under its own seed."""
    terms = []
    for spec in specs:
        configured = params[spec.name]
        if isinstance(spec.builder, TermBuilder) and configured.weight is not None:
            objective = seeded_build(seed, spec.name, partial(spec.builder.build, configured.params, ctx))
            terms.append(Term(spec.name, objective, configured.weight, spec.needs_of(configured.params)))
    return terms
