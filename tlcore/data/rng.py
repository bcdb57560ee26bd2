"""Seeded random generators for the data layer: never the global RNG.

Every random choice (a shift's noise, a split, a batch order) draws from its own
``torch.Generator`` seeded from the user's seed plus a purpose label, so adding one random step
never changes another's draws.
"""

from __future__ import annotations

import hashlib

import torch


def derive_seed(seed: int, *parts: object) -> int:
    """A stable 63-bit seed from ``seed`` and labels (same inputs, same seed, on every platform)."""
    text = "\x1f".join([str(int(seed)), *(str(p) for p in parts)])
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def generator(seed: int, *parts: object) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with :func:`derive_seed`."""
    gen = torch.Generator()
    gen.manual_seed(derive_seed(seed, *parts))
    return gen
