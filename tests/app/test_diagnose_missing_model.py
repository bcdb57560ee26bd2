"""QA on Diagnose, a first visit: the label-shift box read "no source-only model of mnist5k:n=600 ->
digits:n=400 in this workspace: label shift is read from the pair's source-only model.", a sentence
in lower case that named the missing model as where the shift is read. It now says what is missing,
what it is for and how to get it."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from tests.app.helpers import plain

SOURCE, TARGET = "mnist5k:n=120", "digits:n=120"


def test_the_missing_source_only_model_is_named_with_what_it_reads_and_how_to_train_it(
    app: Callable[..., AppTest],
) -> None:
    at = app("diagnose", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    (box,) = [text for text in (plain(i.value) for i in at.info) if "source-only model" in text]
    assert box == (
        "Not estimated yet: the target's class proportions are read by the pair's source-only model, and "
        f"there is no source-only model of {SOURCE} -> {TARGET} in this workspace. Train it with the button "
        "or the command below."
    )
    assert [b.label for b in at.button if b.label == "Train the source-only model"]
    assert any("--method source_only" in c.value for c in at.code)
    # QA helper-246 at 1024 px: in half the page the command read "python -m tlcore adapt --source upl"
    (command,) = [c for c in at.code if "--method source_only" in c.value]
    assert command.proto.wrap_lines
