"""Every page through ``streamlit.testing.v1.AppTest``, driving the real engine on tiny data."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import (
    APP,
    EVIL,
    SMALL_SOURCE,
    SMALL_TARGET,
    assert_clean,
    errors,
    image_zip,
    metric_rows,
    npz_bytes,
    pair_field,
    texts,
)
from tlcore.data.spec import DEFAULT_PAIR
from tlcore.method_table import FAMILIES
from tlcore.methods import list_methods

OpenApp = Callable[..., AppTest]


@pytest.mark.parametrize("page", ["home", "data", "diagnose", "adapt", "compare", "predict", "sweep"])
def test_every_page_renders(app: OpenApp, page: str) -> None:
    at = app(page)
    assert_clean(at)
    assert not at.error, [e.value for e in at.error]
    assert at.title


def test_pair_survives_page_changes(app: OpenApp) -> None:
    at = app("data")
    at.slider(key="builder_target_rotate").set_value(30.0).run()
    assert at.session_state["pair_target"] == f"{SMALL_TARGET},rotate=30"
    at.switch_page("app_pages/adapt.py").run()
    at.switch_page("app_pages/data.py").run()
    assert_clean(at)
    assert pair_field(at).value == f"{SMALL_TARGET},rotate=30"
    assert at.slider(key="builder_target_rotate").value == 30.0


def test_the_data_pages_cards_are_rows_that_wrap(app: OpenApp) -> None:
    """QA: in three columns of a half page at 1000 px, "5,000" and "1x28x28" read "5,…" and "1x…";
    each domain's cards are now a row as wide as their numbers that wraps, as Diagnose's."""
    at = app("data")
    assert_clean(at)
    assert [m.label for m in at.metric] == ["Samples", "Shape", "Classes"] * 2
    rows = metric_rows(at._tree)
    assert len(rows) == 2  # one per domain, each holding its three cards
    for row in rows:
        assert row.flex_container.direction == row.flex_container.Direction.HORIZONTAL
        assert row.flex_container.wrap


def test_the_drop_blank_box_sets_and_reads_blank_drop(app: OpenApp) -> None:
    at = app("data", target=f"{SMALL_TARGET},blank=drop,rotate=30")
    assert at.checkbox(key="builder_target_blank").value is True
    assert at.selectbox(key="builder_target_dataset").value == "digits"  # the option is not the dataset
    assert any("0 blank images dropped (no ink)" in re.sub(r"\\(.)", r"\1", t) for t in texts(at))
    at.checkbox(key="builder_target_blank").uncheck().run()
    assert at.session_state["pair_target"] == f"{SMALL_TARGET},rotate=30"
    at.checkbox(key="builder_target_blank").check().run()
    assert_clean(at)
    assert at.session_state["pair_target"] == f"{SMALL_TARGET},blank=drop,rotate=30"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nonsense", "unknown domain 'nonsense'"),
        ("/etc/hosts.csv", "file paths and @folders are not allowed"),
    ],
)
def test_bad_or_unsafe_spec_is_an_error_box(app: OpenApp, spec: str, message: str) -> None:
    at = app("data", target=spec)
    assert_clean(at)
    assert any(message in e for e in errors(at)), errors(at)


def address(at: AppTest, name: str) -> str:
    """A query parameter of the page's address (AppTest gives one value, or a list of them)."""
    value = at.query_params[name]
    return value[-1] if isinstance(value, list) else value


def test_the_pair_lives_in_the_address_so_a_reload_keeps_it(workspace: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["source"], at.query_params["target"] = SMALL_SOURCE, "digits:n=60"
    at.run()  # a reload, or a shared link, of a page showing that pair
    assert_clean(at)
    assert (at.session_state["pair_source"], at.session_state["pair_target"]) == (SMALL_SOURCE, "digits:n=60")
    pair_field(at).set_value("digits:n=70,rotate=30").run()
    assert address(at, "target") == "digits:n=70,rotate=30"
    fresh = AppTest.from_file(str(APP), default_timeout=120)
    fresh.run()  # no address: the default pair, written into the address
    assert (address(fresh, "source"), address(fresh, "target")) == DEFAULT_PAIR


def test_zip_upload_becomes_the_target(app: OpenApp, workspace: Path) -> None:
    at = app("data")
    at.file_uploader(key="upload_file").upload("my digits.zip", image_zip(("0", "1"), 6), "application/zip")
    at.button[[b.label for b in at.button].index("Use as target")].click().run()
    assert_clean(at)
    assert at.session_state["pair_target"] == "upload:my_digits.zip"
    assert (workspace / "uploads" / "my_digits.zip").is_file()
    assert [m.value for m in at.metric][3] == "12"  # target samples
    assert any("absent from the target" in t for t in texts(at))


def test_feature_table_upload_shows_rows_not_thumbnails(app: OpenApp) -> None:
    table = "f1,f2,f3,label\n" + "".join(f"{i % 3},{i % 5},{i / 7:.3f},{'ab'[i % 2]}\n" for i in range(20))
    at = app("data")
    for role in ("source", "target"):
        at.file_uploader(key="upload_file").upload("table.csv", table.encode(), "text/csv")
        at.button[[b.label for b in at.button].index(f"Use as {role}")].click().run()
    assert_clean(at)
    assert not at.error, [e.value for e in at.error]
    assert at.session_state["pair_source"] == at.session_state["pair_target"] == "upload:table.csv"
    assert len(at.dataframe) == 3 and not at.get("image")  # the saved uploads, then each side's rows
    saved = at.dataframe[0].value  # as data list gives them: read on upload, not parsed again
    assert saved[["spec", "samples", "shape"]].values.tolist() == [["upload:table.csv", 20, "3 features"]]
    renamed = table.replace(",label", ",species").encode()
    at.file_uploader(key="upload_file").upload("species.csv", renamed, "text/csv")
    at.text_input(key="upload_label").input("species")
    at.button[[b.label for b in at.button].index("Use as target")].click().run()
    assert_clean(at)
    assert not at.error, [e.value for e in at.error]
    assert at.session_state["pair_target"] == "upload:species.csv:label=species"


def test_labels_none_reads_a_zip_of_folders_unlabelled(app: OpenApp) -> None:
    at = app("data")
    at.file_uploader(key="upload_file").upload("batches.zip", image_zip(("0", "1"), 6), "application/zip")
    at.text_input(key="upload_label").input("none")
    at.button[[b.label for b in at.button].index("Use as target")].click().run()
    assert_clean(at)
    assert not at.error, [e.value for e in at.error]
    assert at.session_state["pair_target"] == "upload:batches.zip:label=none"
    assert [m.value for m in at.metric][3:6] == ["12", "1x28x28", "none"]  # target: folders not classes
    assert any("The target is unlabelled" in t for t in texts(at))


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("broken.zip", b"this is not a zip archive", "broken.zip is not a valid zip archive"),
        ("table.csv", b"a,b\n1,x\n", "non-numeric"),
    ],
)
def test_bad_upload_shows_an_error(
    app: OpenApp, workspace: Path, name: str, data: bytes, message: str
) -> None:
    at = app("data")
    at.file_uploader(key="upload_file").upload(name, data)
    at.button[[b.label for b in at.button].index("Use as source")].click().run()
    assert_clean(at)
    assert any(message in e for e in errors(at)), errors(at)
    assert at.session_state["pair_source"] == SMALL_SOURCE
    assert not list((workspace / "uploads").iterdir())


def test_user_class_names_are_escaped(app: OpenApp) -> None:
    at = app("data")
    at.file_uploader(key="upload_file").upload("evil.npz", npz_bytes(["0", EVIL]))
    at.button[[b.label for b in at.button].index("Use as target")].click().run()
    assert_clean(at)
    notes = [t for t in texts(at) if "onerror" in t]
    assert notes, texts(at)
    assert all(EVIL not in t for t in notes)  # escaped for Markdown: shown as text
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert "<img" not in json.dumps(chart)


def test_unsaved_upload_stays_in_its_session(app: OpenApp, workspace: Path) -> None:
    first, second = app("data"), app("data")
    first.file_uploader(key="upload_file").upload("private.zip", image_zip())
    first.run()
    second.run()
    assert not (workspace / "uploads").exists() or not list((workspace / "uploads").iterdir())
    assert all("private" not in str(o) for o in second.selectbox(key="builder_source_dataset").options)
    first.button[[b.label for b in first.button].index("Use as target")].click().run()
    second.run()
    assert first.session_state["pair_target"] == "upload:private.zip"
    assert second.session_state["pair_target"] == SMALL_TARGET


def test_diagnose_shows_cards_map_and_foreign_samples(app: OpenApp) -> None:
    at = app("diagnose", source="mnist5k:n=120", target="digits:n=120")
    assert_clean(at)
    assert [m.label for m in at.metric][:5] == [
        "MMD²",
        "MMD p-value",
        "CORAL",
        "Proxy A-distance",
        "Classifier p-value",
    ]
    cards = metric_rows(at._tree)[
        0
    ]  # the gap's cards: a row that wraps, so a narrow page shows whole numbers
    assert cards.flex_container.direction == cards.flex_container.Direction.HORIZONTAL
    assert cards.flex_container.wrap
    assert [m.label for m in at.metric][5:] == ["Target samples without source neighbours"]
    assert len(at.get("plotly_chart")) >= 3  # UMAP, per-class gaps, findings / mean images
    tested = [c.value for c in at.caption if "Each class's MMD² is tested" in c.value]
    assert len(tested) == 1 and "classes measured" in tested[0]  # how the per-class bars were tested
    assert len(at.get("image")) >= 1  # the most foreign; the most novel only on a new target
    at.get("segmented_control")[0].set_value("label").run()
    assert_clean(at)


def test_app_file_registers_pages_once() -> None:
    assert APP.read_text().count("st.navigation(") == 1


def test_home_shows_every_family_of_the_registry_with_its_methods(app: OpenApp) -> None:
    at = app("home")
    shown = " ".join(texts(at))
    for spec in list_methods():
        assert f"`{spec.name}`" in shown, spec.name
    for family, sentence in FAMILIES.items():
        assert sentence in shown, family
    headings = [m.value for m in at.markdown if str(m.value).startswith("#### ")]
    assert any("Self-training" in h for h in headings) and any("Model-based" in h for h in headings)


def test_the_labels_field_clears_after_a_save_and_an_unlabelled_source_is_named(app: OpenApp) -> None:
    """ "Labels" applies to one upload: the next one reads its own labels. A source saved unlabelled
    gets a warning (runs need its labels), and the sidebar never calls the source labelled."""
    table = "f1,f2,label\n" + "".join(f"{i % 3},{i / 7:.3f},{'ab'[i % 2]}\n" for i in range(20))
    at = app("data")
    at.file_uploader(key="upload_file").upload("src.csv", table.encode(), "text/csv")
    at.text_input(key="upload_label").input("none")
    at.button[[b.label for b in at.button].index("Use as source")].click().run()
    assert_clean(at)
    assert at.session_state["pair_source"] == "upload:src.csv:label=none"
    assert at.text_input(key="upload_label").value == ""
    assert any("source is unlabelled" in w.value for w in at.warning), [w.value for w in at.warning]
    assert "labelled" not in pair_field(at, "pair_source").label
    at.file_uploader(key="upload_file").upload("tgt.csv", table.encode(), "text/csv")
    at.button[[b.label for b in at.button].index("Use as target")].click().run()
    assert_clean(at)
    assert at.session_state["pair_target"] == "upload:tgt.csv"  # its label column read, not "none"
    at.file_uploader(key="upload_file").upload("src2.csv", table.encode(), "text/csv")
    at.button[[b.label for b in at.button].index("Use as source")].click().run()
    assert at.session_state["pair_source"] == "upload:src2.csv"
    assert not any("source is unlabelled" in w.value for w in at.warning)


def test_two_unlabelled_domains_draw_no_class_balance(app: OpenApp) -> None:
    table = "f1,f2\n" + "".join(f"{i % 3},{i / 7:.3f}\n" for i in range(20))
    at = app("data")
    for role in ("source", "target"):
        at.file_uploader(key="upload_file").upload(f"{role}.csv", table.encode(), "text/csv")
        at.button[[b.label for b in at.button].index(f"Use as {role}")].click().run()
    assert_clean(at)
    assert [m.value for m in at.metric][2::3] == ["none", "none"]
    assert not at.get("plotly_chart")
    assert any("The target is unlabelled" in t for t in texts(at))
