"""The shared-samples box's fix for a target copying source samples (found by content): a button that
stores the target less its copies as a new upload, says so, and makes it the target on a second click."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.helpers import plain
from tlcore.data.spec import store_upload
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
SAVE = "Save the target without its copies"


def copied_tables(workspace: Path) -> list[str]:
    """Two uploads, the second repeating 8 of the first's rows among 12 new ones."""
    rows = [f"{i / 7:.4f},{i % 5 + 10},{'ab'[i % 2]}" for i in range(40)]
    new = [f"{100 + i}.25,{i % 5},{'ab'[i % 2]}" for i in range(12)]
    return [
        store_upload(Workspace.resolve(workspace), name, ("temp,flow,label\n" + "\n".join(lines)).encode())
        for name, lines in (("sensors.csv", rows), ("later.csv", rows[:8] + new))
    ]


def alike_tables(workspace: Path) -> list[str]:
    """Two uploads of one distribution, the second repeating 8 of the first's rows among 12 new ones
    (no detectable gap between them)."""
    rows = [f"{i / 7:.4f},{i % 5 + 10},{'ab'[i % 2]}" for i in range(40)]
    new = [f"{(i + 0.5) / 7:.4f},{i % 5 + 10},{'ab'[i % 2]}" for i in range(1, 37, 3)]
    return [
        store_upload(Workspace.resolve(workspace), name, ("temp,flow,label\n" + "\n".join(lines)).encode())
        for name, lines in (("sensors.csv", rows), ("later.csv", rows[:8] + new))
    ]


def test_the_data_page_saves_the_target_without_its_copies_and_uses_it(app: OpenApp, workspace: Path) -> None:
    at = app("data", *copied_tables(workspace))
    assert not at.exception, [e.message for e in at.exception]
    (name,) = [t for t in at.text_input if t.label == "Name of the target without its copies"]
    assert name.value == "later-no-copies.csv"
    name.set_value("later-clean").run()
    next(b for b in at.button if b.label == SAVE).click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert (workspace / "uploads" / "later-clean.csv").read_text().splitlines()[:2] == [
        "id,temp,flow,label",
        "8,100.25,0,a",
    ]
    (said,) = [plain(s.value) for s in at.success if "later-clean" in plain(s.value)]
    assert said == (
        "Stored as upload:later-clean.csv: 12 of the target's 20 samples kept, 8 dropped as exact copies of "
        "source samples."
    )
    next(b for b in at.button if b.label == "Use upload:later-clean.csv as the target").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["pair_target"] == "upload:later-clean.csv"
    assert not [w for w in at.warning if "found by content" in w.value]  # the new pair shares none
    assert not [b for b in at.button if b.label == SAVE]


def test_the_diagnose_page_offers_it_and_says_why_nothing_was_written(app: OpenApp, workspace: Path) -> None:
    """A taken name, then a name with a folder: each refused under the field, nothing written. With no
    detectable gap, the gap box leads with the copies as the verdict does, a warning (it read "No
    detectable gap" in green beside them)."""
    specs = alike_tables(workspace)
    (workspace / "uploads" / "taken.csv").write_text("temp,flow,label\n1,2,a\n")
    at = app("diagnose", *specs)
    assert not at.exception, [e.message for e in at.exception]
    (box,) = [plain(w.value) for w in at.warning if w.icon == ":material/insights:"]
    assert box.startswith(
        "8 of the target's 20 samples are copies of source samples: the gap measured here is smaller than "
        "the real target's; remove them first. No detectable gap: neither the MMD test"
    )
    lead = box.split(". No detectable gap")[0]  # the verdict's lead, word for word
    assert [m for m in at.markdown if plain(m.value).startswith(lead)]
    for name, refusal in (
        ("taken", "upload:taken.csv exists already: give another name"),
        (
            "../taken",
            "../taken: a name with a folder; give the copy a file name alone (it is stored among the "
            "uploads)",
        ),
    ):
        field = next(t for t in at.text_input if t.label == "Name of the target without its copies")
        field.set_value(name).run()
        next(b for b in at.button if b.label == SAVE).click().run()
        assert [plain(e.value) for e in at.error] == [refusal]
        assert sorted(p.name for p in (workspace / "uploads").glob("*.csv")) == [
            "later.csv",
            "sensors.csv",
            "taken.csv",
        ]
