"""Compare at narrow widths (QA: five runs at a 1000 px window, sidebar open, each chart 262 px wide):
the accuracy chart's labels ran into each other and CORAL's ticks touched MMD²'s bars. Each figure now
records the px it reads at, and the page lays the two side by side only where both fit at it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from tests.app.test_compare import result
from tlcore.adapt.config import AdaptConfig
from tlcore.runs.store import RunStore
from tlcore.views import chart_text, compare, figures, gap_figure, gaps
from tlcore.views.chart_text import TEXT_GAP, text_px
from tlcore.workspace import Workspace

OLD_COLUMN = 262  # px of each chart of the row at a 1000 px window with the sidebar open (QA)
QA_RUNS = (
    "deep_coral+im · 00e56c",
    "deep_coral+im+fixmatch+shot_pl+adabn · dd69a5",
    "mcc · 1fc497",
    "dann · 02fc9f",
    "source_only · 3c6543",
)
SIDES = figures.SIDES  # 70 px of margins


def five_runs() -> dict[str, dict[str, Any]]:
    """The QA tester's five runs of mnist5k → digits on 359 target test samples; the last, source-only
    against itself, unchanged and within chance."""
    accuracies = ((0.563, 0.209), (0.501, 0.209), (0.446, 0.209), (0.549, 0.209), (0.209, 0.209))
    runs = {}
    for label, (target, source_only) in zip(QA_RUNS, accuracies, strict=True):
        paired = {"b": 0, "c": 0, "n": 359, "p_value": 1.0} if target == source_only else None
        runs[label] = result(target, source_only) | {"info": {"n_target_test": 359}, "paired": paired}
    return runs


def test_each_run_of_the_accuracy_chart_has_room_for_its_change_and_its_tick() -> None:
    """At its recorded width each run's slot holds its widest text, ``within chance`` (12 px) here,
    plus a gap to the next run's: 70 px of margins and 5 slots of 78 + 10 px. At 262 px a slot was 38."""
    chart = compare.accuracy_figure(five_runs())
    (labels,) = [t for t in chart.data if isinstance(t, go.Scatter)]
    assert labels.text[-1] == "unchanged<br>within chance"
    widest = text_px("within chance", figures.LABEL_SIZE)
    assert widest == 78.0 and all(
        text_px(tick, chart_text.TICK_SIZE) < widest for tick in chart.layout.xaxis.ticktext
    )
    width = chart_text.min_width(chart)
    assert width == SIDES + 5 * (78 + TEXT_GAP) == 510
    assert (width - SIDES) / 5 >= widest + TEXT_GAP > (OLD_COLUMN - SIDES) / 5


def test_the_gap_panels_leave_their_tick_labels_room_at_the_width_they_read_at() -> None:
    """Between two panels lie the next panel's y ticks ("0.005", 13 px: 32.5 px) and a gap: 42.5 px at
    the figure's width, set in px (before: 14% of the plot, 27 px at 262 px, and CORAL's ticks touched
    MMD²'s bars). A long run label's legend entry reads as the ranking table's (helper-241)."""
    gap = gaps.gap_figure(five_runs())
    width = chart_text.min_width(gap)
    assert width == 437  # 3 panels x 5 runs x 2 bars of 8 px, over 85% of the slot, + 2 x 42.5 + 70
    plot = width - SIDES
    for left, right in (("xaxis", "xaxis2"), ("xaxis2", "xaxis3")):
        space = (gap.layout[right].domain[0] - gap.layout[left].domain[1]) * plot
        ticks = text_px(gap_figure.GAP_TICK, figures.LAYOUT["font"]["size"]) + TEXT_GAP
        assert ticks == 42.5 and space == pytest.approx(ticks, abs=0.1)  # the width is rounded to a px
    names = [t.name for t in gap.data if t.x == (None,)]
    assert names[2] == "deep_coral+… · dd69a5"
    assert all(text_px(name, 13) + figures.LEGEND_SYMBOL <= plot for name in names)


def test_few_runs_share_a_row_at_the_narrowest_width_a_chart_is_drawn() -> None:
    """Two runs need less than :data:`chart_text.MIN_WIDTH`: their figures record that, so two charts
    of the default four runs sit side by side in a 1280 px window's 820 px column."""
    two = dict(list(five_runs().items())[:2])
    assert chart_text.min_width(compare.accuracy_figure(two)) == chart_text.MIN_WIDTH == 380
    assert chart_text.min_width(gaps.gap_figure(two)) == 380
    assert chart_text.min_width(go.Figure()) == 380  # a figure that recorded nothing


def pixel_width(block: Block) -> int:
    """A block's fixed width in px, 0 where it stretches (a column's proto has no width)."""
    return getattr(getattr(block.proto, "width_config", None), "pixel_width", 0)


def cells(block: Block) -> list[list[int]]:
    """The px widths of the fixed-width cells of every wrapping horizontal container under ``block``."""
    rows = []
    for child in block.children.values():
        if isinstance(child, Block):
            widths = [
                pixel_width(c) for c in child.children.values() if isinstance(c, Block) and pixel_width(c)
            ]
            flex = getattr(child.proto, "flex_container", None)
            if flex is not None and flex.wrap and widths:
                rows.append(widths)
            rows += cells(child)
    return rows


def test_the_page_lays_the_charts_in_a_row_that_wraps_at_their_width(
    app: Callable[..., AppTest], workspace: Path
) -> None:
    """The accuracy and gap charts are cells of a wrapping row, both as wide as the wider figure
    reads at: side by side where two fit, one under the other where not (1000 px: one column)."""
    store = RunStore(Workspace.resolve(workspace))
    config = AdaptConfig(source="mnist5k:n=200", target="digits:n=200", methods=("dann",), epochs=1)
    ids = []
    for stored in five_runs().values():
        ids.append(store.create(config))
        assert store.start(ids[-1], os.getpid()) and store.finish(
            ids[-1], stored | {"config": config.to_dict()}
        )
    at = app("compare")
    (picker,) = [m for m in at.multiselect if m.label == "Runs"]
    at = picker.set_value(ids).run()
    assert not at.exception, [e.message for e in at.exception]
    # five runs, the last's label "unchanged<br>within chance": 70 + 5 x 88 px; the gap figure 437 px
    assert [w for w in cells(at.main) if len(w) == 2] == [[510, 510]]
