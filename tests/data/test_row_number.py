"""A column that counts rows (tlcore.data.values.looks_like_row_number)."""

from __future__ import annotations

import numpy as np

from tlcore.data.values import looks_like_row_number


def test_running_numbers_in_any_order_from_any_start_count_rows() -> None:
    assert looks_like_row_number(np.arange(400))
    assert looks_like_row_number(
        np.random.default_rng(0).permutation(np.arange(1000, 1300)).astype(np.float32)
    )
    assert looks_like_row_number(np.array([*range(3, 20), 25, 1, 30]))  # some rows left out


def test_measurements_repeats_fractions_and_few_rows_do_not() -> None:
    assert not looks_like_row_number(np.arange(400) + 0.5)
    assert not looks_like_row_number(np.random.default_rng(0).normal(20.0, 5.0, 400))
    assert not looks_like_row_number(np.repeat(np.arange(200), 2))  # a batch number: repeated
    assert not looks_like_row_number(np.arange(19))  # too few to tell
    assert not looks_like_row_number(1_700_000_000 + 60 * np.arange(400))  # a timestamp a minute apart
    assert not looks_like_row_number(np.array([*range(3, 20), 90, 1, 60]))  # sparse: a count
    assert not looks_like_row_number(np.array([*range(20), np.nan]))
    assert not looks_like_row_number(np.array([f"T{i}" for i in range(30)], dtype=object))  # text ids
