"""What a page's numbers are, read in the order a user reads them (QA helper-58 in a real browser).

The verdict before the gap's cards; a run's curve ending at the final model the card scores; each
accuracy named with what it is measured on; captions that say a thing once and only when it applies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from streamlit.testing.v1 import AppTest

from tlcore.data import save_upload
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]


def page_order(node: Any) -> Iterator[tuple[str, str]]:
    """``(element type, its text or label)`` of every element under ``node``, top to bottom."""
    children = getattr(node, "children", None)
    if children is None:
        yield node.type, str(getattr(node, "label", None) or getattr(node, "value", ""))
        return
    for key in sorted(children):
        yield from page_order(children[key])


def plain(text: str) -> str:
    """Markdown text as a reader sees it (escapes removed)."""
    return re.sub(r"\\(.)", r"\1", text)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def test_diagnose_reads_the_verdict_before_the_gaps_cards(app: OpenApp) -> None:
    """README: the verdict (what differs, what to do) first, the MMD²/p/CORAL/A-distance cards after."""
    at = app("diagnose", source="mnist5k:n=120", target="digits:n=120")
    assert_clean(at)
    order = list(page_order(at.main))
    verdict = next(i for i, (kind, text) in enumerate(order) if kind == "markdown" and "Verdict" in text)
    cards = next(i for i, (kind, text) in enumerate(order) if kind == "metric" and text == "MMD²")
    assert verdict < cards
    assert ("subheader", "How big the gap is") in order[verdict:cards]


def test_an_all_blank_target_shows_no_note_on_shares_it_does_not_show(app: OpenApp, workspace: Path) -> None:
    np.savez(workspace.parent / "blank.npz", X=np.zeros((24, 1, 28, 28), dtype=np.float32))
    name = save_upload(
        Workspace.resolve(workspace), "blank.npz", (workspace.parent / "blank.npz").read_bytes()
    )
    at = app("diagnose", source="mnist5k:n=120", target=f"upload:{name}")
    assert_clean(at)
    markdown = [m.value for m in at.markdown]
    assert any("Every target image is blank" in m for m in markdown), markdown
    assert not [c.value for c in at.caption if c.value.startswith("Shares of the gap")]
