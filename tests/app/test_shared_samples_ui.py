"""The pages say when source and target share samples (QA helper-143), and the Data page's catalog
splits one dataset with train and test splits between the two sides."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import torch
from streamlit.testing.v1 import AppTest

from app_support import adapt_form
from tests.app.helpers import plain
from tests.data.data_formats import jpeg_bytes, png_bytes, write_zip
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import load_run_pair
from tlcore.commands import command_line
from tlcore.data import load_domain
from tlcore.data.spec import store_upload
from tlcore.runs.result_file import RESULT_FILE
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
SHARED = "mnist5k:n=400", "mnist5k:n=200"  # the target is inside the source


def shared_warnings(at: AppTest) -> list[str]:
    return [plain(w.value) for w in at.warning if "share images of" in w.value]


def test_data_diagnose_and_adapt_warn_of_shared_samples(app: OpenApp) -> None:
    for page in ("data", "diagnose", "adapt"):
        at = app(page, *SHARED)
        assert not at.exception, [e.message for e in at.exception]
        (warning,) = shared_warnings(at)
        assert (
            "all 200 of the target's samples are source samples (the target is part of the source" in warning
        )
        assert "35 of the 40 target test samples a run with seed 0 scores on are source training" in warning
        assert warning.startswith("Source and target share images of mnist5k: ")  # a sentence in a box
        assert "take the target from other data." in warning
    assert not shared_warnings(app("data", "mnist5k:n=400", "digits:n=200"))


def test_the_data_and_diagnose_boxes_say_their_test_counts_are_for_the_default_seed(app: OpenApp) -> None:
    """They split the pair as a run with the engine's defaults, whatever seed a run takes later (QA:
    their test-split counts read as every run's); the Adapt page's box follows its form's seed."""
    defaults = AdaptConfig.defaults()
    for page in ("data", "diagnose", "adapt"):
        (warning,) = shared_warnings(app(page, *SHARED))
        note = (
            f"The test-split counts are for the default seed {defaults['seed']} (a test split of "
            f"{defaults['test_fraction']:.0%} of the target), as this page splits the pair; a run with "
            "another seed scores on other target test samples: the Adapt page counts them for its form's "
            "seed."
        )
        assert warning.endswith("take the target from other data." + (f" {note}" if page != "adapt" else ""))
        assert warning.index("all 200 of the target's samples") < warning.index("35 of the 40 target test")


def test_the_adapt_pages_warning_follows_the_forms_seed(app: OpenApp, workspace: Path) -> None:
    """As ``adapt --seed 3`` splits the pair, not as the default seed does (QA: the pages assumed 0)."""
    config = AdaptConfig(source=SHARED[0], target=SHARED[1], seed=3)
    expected = load_run_pair(config, Workspace.resolve(workspace)).shared(config)
    assert expected is not None and (expected.shared_test, expected.n_test) != (35, 40)  # seed 0's
    at = app("adapt", *SHARED)
    at.number_input(key=adapt_form.field_key("seed")).set_value(3).run()
    assert not at.exception, [e.message for e in at.exception]
    line = expected.line()
    assert shared_warnings(at) == [f"{line[0].upper()}{line[1:]}."]
    tested = (
        f"{expected.shared_test} of the {expected.n_test} target test samples a run with seed 3 scores on"
    )
    assert tested in expected.line()


def test_picking_one_split_dataset_on_both_sides_takes_train_and_test(app: OpenApp) -> None:
    at = app("data", "fashion:n=300", "digits:n=200")
    at.selectbox(key="builder_target_dataset").select("fashion").run()
    assert not at.exception, [e.message for e in at.exception]
    pair = at.session_state["pair_source"], at.session_state["pair_target"]
    assert pair == ("fashion:split=train,n=300", "fashion:split=test,n=200")
    assert not shared_warnings(at)
    assert at.selectbox(key="builder_source_dataset").value == "fashion:split=train"


def test_a_pair_too_small_for_a_runs_split_is_still_diagnosed(app: OpenApp) -> None:
    """Two target samples: too few for a run's test split, so no run scores on shared samples; the
    page diagnoses the pair, as ``diagnose`` does, instead of an error box in the verdict's place."""
    for page in ("data", "diagnose", "adapt"):
        at = app(page, "mnist5k:n=40", "mnist5k:n=2")
        assert not at.exception, [e.message for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        assert not shared_warnings(at)
        assert page != "diagnose" or at.metric  # the gap's cards


def test_the_pages_warn_of_a_target_copying_source_samples_under_another_name(
    app: OpenApp, workspace: Path
) -> None:
    """Two uploads of other names, the second repeating 8 of the first's rows: found by content."""
    rows = [f"{i / 7:.4f},{i % 5 + 10},{'ab'[i % 2]}" for i in range(40)]  # no row of one value
    new = [f"{100 + i}.25,{i % 5},{'ab'[i % 2]}" for i in range(12)]
    specs = [
        store_upload(Workspace.resolve(workspace), name, ("temp,flow,label\n" + "\n".join(lines)).encode())
        for name, lines in (("sensors.csv", rows), ("later.csv", rows[:8] + new))
    ]
    for page in ("data", "diagnose"):
        at = app(page, *specs)
        assert not at.exception, [e.message for e in at.exception]
        (warning,) = [plain(w.value) for w in at.warning if "found by content" in w.value]
        assert warning.startswith(
            "The target repeats source samples, found by content: 8 of the target's 20 samples are exact "
            "copies of source samples"
        )
        drop = command_line("data", "drop-copies", workspace=str(workspace))  # the app's: not ./workspace
        assert f"from the target (sample ids 0, 1, 2 and 5 more; {drop} drops them)." in warning


def test_the_pages_warn_of_a_target_of_the_source_photos_saved_again_as_jpeg(
    app: OpenApp, workspace: Path
) -> None:
    """Two zip uploads: the second holds 12 of the first's digits saved again as JPEG (quality 60)
    beside 8 the first lacks: near copies, which the exact check missed."""
    mnist = load_domain("mnist5k")
    pixels = (mnist.X[:, 0] * 255).round().to(torch.uint8).numpy()
    source = {f"{int(mnist.y[i])}/d{i:02d}.png": png_bytes(pixels[i]) for i in range(60)}
    target = {f"{int(mnist.y[i])}/d{i:02d}.jpg": jpeg_bytes(pixels[i], 60) for i in range(12)}
    target |= {f"{int(mnist.y[i])}/d{i:02d}.png": png_bytes(pixels[i]) for i in range(60, 68)}
    root = Workspace.resolve(workspace)
    specs = [
        store_upload(root, name, write_zip(workspace / name, members).read_bytes())
        for name, members in (("field.zip", source), ("again.zip", target))
    ]
    at = app("data", *specs)
    assert not at.exception, [e.message for e in at.exception]
    (warning,) = [plain(w.value) for w in at.warning if "found by content" in w.value]
    assert warning.startswith(
        "The target repeats source images, found by content: 12 of the target's 20 samples are near "
        "copies of source samples (re-encoded, resized or shifted)"
    )


def test_a_runs_card_and_compare_flag_a_run_scored_on_source_training_samples(
    app: OpenApp, trained_run: Callable[[AdaptConfig], str]
) -> None:
    """The run keeps its finding (QA: the card and Compare said nothing, recomputing needs the data)."""
    config = AdaptConfig(*SHARED, methods=("source_only",), epochs=1, steps_per_epoch=2)
    run_id = trained_run(config)
    label = f"source_only · {run_id[-6:]}"
    at = app("adapt", *SHARED)
    assert not at.exception, [e.message for e in at.exception]
    assert [plain(w.value) for w in at.warning if "it scored on" in w.value] == [
        "35 of the 40 target test samples it scored on are source training samples, so its target accuracy "
        "reads too high (all 200 of its target's samples are source samples)."
    ]
    at = app("compare", *SHARED)
    assert not at.exception, [e.message for e in at.exception]
    assert [plain(w.value) for w in at.warning if w.value.startswith("Target accuracy reads")] == [
        f"Target accuracy reads too high for {label} (run {run_id}: 35 of its 40 target test samples are "
        "source training samples): its target test split holds samples its model trained on; to score "
        "transfer, take the target from other data."
    ]


def test_the_card_and_compare_warn_of_an_unlabelled_targets_run_that_adapted_to_source_samples(
    app: OpenApp, workspace: Path, trained_run: Callable[[AdaptConfig], str]
) -> None:
    """QA: a run of an unlabelled target whose shared samples lie in the training split it adapted to
    alone was said on its card (a caption) and ``runs show``, not on Compare (it read the test split
    alone): both warn now, by one rule (:func:`tlcore.views.run_tables.swayed`)."""
    run_id = trained_run(AdaptConfig(*SHARED, methods=("source_only",), epochs=1, steps_per_epoch=2, seed=5))
    path = RunStore(Workspace.resolve(workspace)).folder(run_id) / RESULT_FILE
    result = json.loads(path.read_text())
    unlabelled = {"target_labelled": False, "shared_train": 30, "n_train": 160, "shared_test": 0}
    path.write_text(json.dumps(result | {"shared_samples": result["shared_samples"] | unlabelled}))
    at = app("adapt", *SHARED)
    assert not at.exception, [e.message for e in at.exception]
    assert [plain(w.value) for w in at.warning if "it adapted to" in w.value] == [
        "30 of the 160 target samples it adapted to and 0 of the 40 it measured its gap and validators on "
        "are source training samples, so it adapts to source samples it trained on (target unlabelled) (all "
        "200 of its target's samples are source samples)."
    ]
    at = app("compare", *SHARED)
    assert not at.exception, [e.message for e in at.exception]
    assert [plain(w.value) for w in at.warning if "swayed" in w.value] == [
        f"Adaptation is swayed for source_only · {run_id[-6:]} (run {run_id}: 30 of the 160 target samples "
        "it adapted to and 0 of the 40 it measured its gap and validators on are source training samples): "
        "its target training split holds samples its model trained on (the target is unlabelled); to "
        "measure transfer, take the target from other data."
    ]


def test_compare_says_an_older_run_of_one_dataset_was_not_checked_for_shared_samples(
    app: OpenApp, workspace: Path, trained_run: Callable[[AdaptConfig], str]
) -> None:
    """QA helper-167: an older tlstudio's run, whose result never recorded the check, sat beside today's
    flagged run of its config with no word."""
    run_id = trained_run(AdaptConfig(*SHARED, methods=("source_only",), epochs=1, steps_per_epoch=2, seed=4))
    path = RunStore(Workspace.resolve(workspace)).folder(run_id) / RESULT_FILE
    path.write_text(
        json.dumps({k: v for k, v in json.loads(path.read_text()).items() if k != "shared_samples"})
    )
    at = app("compare", *SHARED)
    assert not at.exception, [e.message for e in at.exception]
    assert [plain(w.value) for w in at.warning if "shared samples" in w.value] == [
        f"Not checked for shared samples: source_only · {run_id[-6:]} (run {run_id}), stored by an older "
        "tlstudio (before shared_samples), reads its source and target from one dataset (mnist5k): its "
        "target test split may hold samples its model trained on, and its target accuracy read too high; "
        "a launch of its config today checks it."
    ]
    assert not [w for w in at.warning if w.value.startswith("Target accuracy reads")]
