"""A spec rewritten by its parts: taken apart and put back together (the app's spec builder, a fix's
spec: :mod:`tlcore.explain.fixes`), given a run's target shifts (:func:`with_shifts`, a new batch to
label), or given ``blank=drop`` (the blank-images cause's fix). Each
gives the canonical text :func:`tlcore.data.spec_text.parse_spec` reads back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from tlcore.data.shift_table import get_shift, shift_names
from tlcore.data.spec_text import parse_spec
from tlcore.errors import TLError


def spec_parts(text: str) -> tuple[str, int | None, dict[str, float], bool]:
    """A spec taken apart for a spec builder: ``(base spec without n, blank=drop and shifts, n,
    {shift: value}, blank=drop)``; ``compose_spec(*spec_parts(s))`` gives ``s`` back canonical."""
    spec = parse_spec(text)
    base = replace(spec, shifts=(), n=None, drop_blank=False)
    return str(base), spec.n, dict(spec.shifts), spec.drop_blank


def compose_spec(
    base: str, n: int | None, shifts: Mapping[str, float], drop_blank: bool = False, *, in_order: bool = False
) -> str:
    """The canonical spec of ``base`` with a sample count, shift values (identity values dropped,
    shifts in the registry's order, or in ``shifts``' order when ``in_order``: shifts apply in the
    order a spec names them) and ``blank=drop`` when ``drop_blank`` (or ``base`` has it); a one-line
    :class:`TLError` when ``base`` is not a spec."""
    spec = parse_spec(base)
    kept = tuple(
        (name, float(shifts[name]))
        for name in (shifts if in_order else shift_names())
        if name in shifts and float(shifts[name]) != get_shift(name).identity
    )
    return str(replace(spec, shifts=kept, n=n or None, drop_blank=spec.drop_blank or drop_blank))


def with_shifts(text: str, shifts: Sequence[tuple[str, float]]) -> str:
    """The canonical spec of ``text`` with ``shifts`` applied after its own, in their order; a shift
    ``text`` names already keeps its own value (a spec names each shift once)."""
    base, n, own, drop_blank = spec_parts(text)
    added = {name: float(value) for name, value in shifts if name not in own}
    return compose_spec(base, n, {**own, **added}, drop_blank, in_order=True)


def blank_dropped(text: str) -> str | None:
    """The canonical spec of ``text`` with ``blank=drop`` added; ``None`` when ``text`` is not a spec
    or already drops them."""
    try:
        spec = parse_spec(text)
    except TLError:
        return None
    return None if spec.drop_blank else str(replace(spec, drop_blank=True))
