"""Display helpers shared by the pages: escaping user text, reading chart selections, error boxes,
reports built on a download's click, a text column's width in a table, the row height that wraps its
cells and the table's height that shows every row, a table's numbers rounded to their column's step,
the pair's shared samples."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import streamlit as st

from app_support import engine
from tlcore.data.overlap import SharedSamples
from tlcore.errors import TLError
from tlcore.numbers import SHARE_DECIMALS
from tlcore.views.report import render_report

STATUS_COLOURS = {
    "queued": "gray",
    "running": "blue",
    "done": "green",
    "failed": "red",
    "cancelled": "orange",
    "interrupted": "orange",
}
"""The badge colour of a run's or a sweep's status."""

CELL_CHAR_PX = 7  # a character's width in st.dataframe's 14 px font, at most (Source Sans: about 6)
CELL_PADDING_PX = 24  # a cell's padding, both sides
CELL_LINE_PX = 20  # a wrapped line's height in st.dataframe's 14 px font
WRAPPING_ROW_PX = 65  # st.dataframe wraps a text cell only in rows taller than 4rem (64 px)
# Diagnose's text mix, wrapped (:func:`wrapped_row_height`): in two lines its largest changes; beside the
# column, severity and share (234 px) it fits a 1024 px window's 562 px table (at 480 px it was cut there)
MIX_PX = 300
# Diagnose's findings: the columns wrapped narrow so that the deciding ones (these and severity, SDs) fit
# a 1024 px window's 562 px table (QA helper-217: at 240 px each, 1024 px showed up to the fix only)
FINDING_PX = {"statistic": 140, "fix": 190, "change": 100}
# the Data page's saved uploads: what each is, wrapped, beside its spec, samples and shape in a 1024 px
# window's 562 px table (in one line, "uploaded images, unlabelled, 66899 bytes, 2026-…" was cut)
DESCRIPTION_PX = 200
ROW_PX = 35  # st.dataframe's header and default row height
# a percent column's step: SHARE_DECIMALS decimals in every row (QA: Streamlit's "percent" wrote 28.8%
# above 21.37%), as `runs changes` and the HTML report write a share (tlcore.numbers.percent); a table
# with such a column goes through :func:`stepped`
SHARE_STEP = 10.0 ** -(SHARE_DECIMALS + 2)
PERCENT = st.column_config.NumberColumn(format="percent", step=SHARE_STEP)


def text_width(cells: Iterable[object]) -> int:
    """The pixels an ``st.dataframe`` text column needs to show its longest cell whole: the table sizes
    a column by the rows it draws first, so a longer cell further down (a false alarm ranked 23rd) was
    cut; :data:`CELL_CHAR_PX` a character plus :data:`CELL_PADDING_PX`."""
    return max((len(str(c)) for c in cells if c is not None), default=0) * CELL_CHAR_PX + CELL_PADDING_PX


def wrapped_row_height(cells: Iterable[object], width: int) -> int | None:
    """The row height (pixels) that shows an ``st.dataframe`` text column's longest cell whole, wrapped
    in its ``width`` pixels (a long text column's mix of values, Diagnose's What differs): the table
    wraps text in rows taller than :data:`WRAPPING_ROW_PX` only, and otherwise cuts a cell at the
    column's edge; None (one line, the default) when every cell fits on one line."""
    per_line = max(1, (width - CELL_PADDING_PX) // CELL_CHAR_PX)
    lines = max((-(-len(str(c)) // per_line) for c in cells if c is not None), default=1)
    return None if lines <= 1 else max(WRAPPING_ROW_PX, lines * CELL_LINE_PX + CELL_PADDING_PX)


def wrapped_rows(rows: Sequence[Mapping[str, Any]], widths: Mapping[str, int]) -> int | None:
    """The row height (:func:`wrapped_row_height`) that shows each of ``widths``' columns whole,
    wrapped in its pixels; None when every cell fits on one line."""
    heights = [wrapped_row_height((row.get(name) for row in rows), px) for name, px in widths.items()]
    return max((h for h in heights if h is not None), default=None)


def table_height(rows: int, row_height: int | None) -> int:
    """The height (pixels) that shows an ``st.dataframe``'s header and its ``rows`` rows whole, each
    ``row_height`` px (None: :data:`ROW_PX`), with no scroll bar inside (its default stops at 10 rows
    of the default height, and at fewer wrapped ones)."""
    return ROW_PX + rows * (row_height or ROW_PX) + 3  # 3: the frame's borders


def stepped(rows: Iterable[Mapping[str, Any]], config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``rows`` with the numbers of each column that ``config`` gives a ``step`` rounded to the step's
    decimals: ``st.dataframe`` cuts a value off there (47 of 79 right, 0.59494, read 59.4% on Compare
    where ``runs rank`` and the report write 59.5%)."""
    decimals = {
        name: max(0, -int(Decimal(str(step)).as_tuple().exponent))
        for name, column in config.items()
        if isinstance(column, Mapping) and (step := (column.get("type_config") or {}).get("step"))
    }
    return [
        {k: round(v, decimals[k]) if k in decimals and isinstance(v, float) else v for k, v in row.items()}
        for row in rows
    ]


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~:])")


def esc(text: object) -> str:
    """``text`` with Markdown syntax escaped, for user-supplied strings inside Markdown (``st.markdown``,
    captions, alerts). Never for plain-text labels (select box options, ``format_func``): those show
    the backslashes."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


_BREAKS = re.compile(r"(\\?[+:,])")  # a spec's "+", ":" and ",", escaped by :func:`esc` or not


def breakable(text: object) -> str:
    """``text`` escaped (:func:`esc`), with an HTML ``<wbr>`` after each "+", ":" and ",", so a long
    composition or spec wraps there (QA at 1024 px: "fixmatc h+shot_pl", "upload:source_table.csv:text=o
    nehot"), not mid-word: a line break opportunity that is no character, so the text copied from the
    page reads as shown (a zero-width space there was copied too). For ``st.markdown`` with
    ``unsafe_allow_html``: only ``<wbr>`` is HTML, the escaped ``<`` of a text is not."""
    return _BREAKS.sub(r"\1<wbr>", esc(text))


def breakable_title(text: object) -> None:
    """``text`` in bold, wrapping at its "+", ":" and "," (:func:`breakable`)."""
    st.markdown(f"**{breakable(text)}**", unsafe_allow_html=True)


def selected_values(event: Any) -> list[Any]:
    """The (first) ``customdata`` value of each point selected in an ``st.plotly_chart`` selection event."""
    points = (event or {}).get("selection", {}).get("points", [])
    values = []
    for point in points:
        value = point.get("customdata")
        value = value[0] if isinstance(value, list) and value else value
        if value is not None:
            values.append(value)
    return values


def selected_points(event: Any) -> list[int]:
    """The ``customdata`` ids of the points selected in an ``st.plotly_chart`` selection event."""
    return [int(value) for value in selected_values(event) if isinstance(value, int | float)]


@contextlib.contextmanager
def errors_shown() -> Iterator[None]:
    """Show a :class:`TLError` raised in the block as an error box instead of a traceback."""
    try:
        yield
    except TLError as exc:
        st.error(esc_code(exc), icon=":material/error:")  # a command it names as code


def report_on_click(build: Callable[[], str], what: str) -> Callable[[], str]:
    """``build`` (an HTML report) for a download button to run on its click, where Streamlit runs it
    outside the page: an exception there reaches no one (the button flashes a generic "Failed to
    generate file" for a few seconds). Instead the download is a page that says ``what`` could not be
    built and why, and the server log holds the traceback."""

    def run() -> str:
        try:
            return build()
        except Exception as exc:  # every failure: the user reads it in the downloaded file
            logging.getLogger(__name__).exception("building %s failed", what)
            return render_report(f"{what}: not built", f"tlstudio could not build {what}: {exc}", [])

    return run


def sentence(text: str) -> str:
    """``text`` as a sentence, escaped but for the commands it names as code (:func:`esc_code`): its first
    letter capitalised, a full stop after it."""
    return esc_code(f"{text[0].upper()}{text[1:]}.")


def shared_warning(shared: SharedSamples | None, *, split_by_defaults: bool = False) -> None:
    """A warning when a pair shares samples (:func:`app_support.engine.shared_samples`), with the fix;
    ``split_by_defaults`` (the Data and Diagnose pages, which split the pair as a run with the engine's
    defaults, whatever seed a run takes later) says which split its test-split counts are of. Its
    command carries the app's ``--workspace`` (:func:`app_support.engine.command_workspace`)."""
    if not shared:
        return
    text = sentence(shared.line(workspace=engine.command_workspace()))
    if split_by_defaults:
        text += " " + sentence(
            f"the test-split counts are for the default seed {shared.seed} (a test split of "
            f"{shared.test_fraction:.0%} of the target), as this page splits the pair; a run with another "
            "seed scores on other target test samples: the Adapt page counts them for its form's seed"
        )
    st.warning(text, icon=":material/content_copy:")


_CODE_SPAN = re.compile(r"(`[^`\n]+`)")  # a sentence's `code`: a command it names


def esc_code(text: object) -> str:
    """``text`` escaped (:func:`esc`) but for its ```code``` spans, kept as Markdown code: the engine's
    sentences name commands so (``runs rank``'s text prints them as written), and escaped, a caption
    showed their backticks (QA helper-246, "`python -m tlcore predict RUN_ID --data upload:FILE`").
    A code span shows its text as it is, so nothing in it needs escaping."""
    return "".join(part if _CODE_SPAN.fullmatch(part) else esc(part) for part in _CODE_SPAN.split(str(text)))
