"""One height for a wrapped title's line (:data:`tlcore.views.figures.TITLE_LINE`) in every figure
that wraps its title: a third line at 20 px touched the plot (QA)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from tlcore.explain.mean_images import MeanImages
from tlcore.views import class_figures, explain_figures, figures

LONG = "upload:scans_from_the_archive.zip:invert=1"


def test_finish_and_the_mean_images_give_each_title_line_the_one_height() -> None:
    """A title of three lines takes two :data:`TITLE_LINE` more than one, in the top margin and the
    height, in :func:`finish` and in the mean images (which wraps at 48 characters)."""
    images = MeanImages(np.zeros((4, 4, 1)), np.zeros((4, 4, 1)), np.zeros((4, 4)), 10, 10)
    short, long = (explain_figures.mean_images_figure(images, spec, "digits") for spec in ("a", LONG))
    assert short.layout.title.text.count("<br>") == 0 and long.layout.title.text.count("<br>") == 2
    assert long.layout.margin.t - short.layout.margin.t == 2 * figures.TITLE_LINE == 48
    assert long.layout.height - short.layout.height == 2 * figures.TITLE_LINE
    # written from the top down: centred in its margin, a third line touched the panels' titles
    assert (long.layout.title.yref, long.layout.title.yanchor) == ("container", "top")
    plain = figures.finish(go.Figure(), f"Mean images: {LONG} (source)", 380, wrap=48)
    assert plain.layout.title.text.count("<br>") == 2
    assert plain.layout.margin.t - figures.LAYOUT["margin"]["t"] == 2 * figures.TITLE_LINE


def test_a_confusion_matrix_gives_its_three_title_lines_at_least_what_finish_gives() -> None:
    """A title of :data:`~tlcore.views.class_figures.TITLE_LINES` lines (the most it takes): a top
    margin at least that of :func:`finish` for a title of as many lines."""
    fig = class_figures.confusion_heatmap(np.eye(2), ["a", "b"], f"Confusion: {LONG} · d3b677")
    assert fig.layout.title.text.count("<br>") == class_figures.TITLE_LINES - 1 == 2
    three = figures.LAYOUT["margin"]["t"] + figures.TITLE_LINE * (class_figures.TITLE_LINES - 1)
    assert fig.layout.margin.t >= three == 108
    assert fig.layout.margin.t == class_figures.TITLE_PAD + figures.TITLE_LINE * class_figures.TITLE_LINES


def test_a_confusion_matrix_keeps_the_lines_its_title_takes_not_three() -> None:
    """QA helper-256 (Compare, 1024 and 1280 px): each matrix kept three title lines for a title of one,
    84 px empty between its title and its plot. A title of one line keeps one: a top margin of 64 px, as
    :func:`finish` gives a title of one line and a little more, and the figure 48 px shorter; a matrix
    sharing a row with a longer title keeps that one's lines (``lines``), so their plots line up."""
    classes = ["a", "b"]
    one = class_figures.confusion_heatmap(np.eye(2), classes, "Confusion: dann · 123456")
    assert "<br>" not in one.layout.title.text
    assert one.layout.margin.t == class_figures.TITLE_PAD + figures.TITLE_LINE == 64  # before: 112
    assert one.layout.margin.t >= figures.LAYOUT["margin"]["t"]
    assert one.layout.height == 200 + 2 * class_figures.CELL + 64 - 60 == 248  # before: 296
    two = class_figures.confusion_heatmap(np.eye(2), classes, "Confusion: dann · 123456", lines=2)
    assert two.layout.margin.t == 88 and two.layout.height == 272
    twenty = class_figures.confusion_heatmap(np.eye(20), [str(c) for c in range(20)], "Confusion: dann · 1")
    assert twenty.layout.margin.t == 64 and twenty.layout.height == 200 + 20 * class_figures.CELL + 4
