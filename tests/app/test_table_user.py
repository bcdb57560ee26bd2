"""The pages for a table user: previews headed by the column names, the target's in the source's
order; what the recipe does to feature vectors, that its evidence is from image benchmarks, and that
predictions come one row per table row (an image pair keeps the image wording); hints of the
page's own; Enter in the Methods field picks one method."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app_support.benchmarks import recipe_quote
from tests.app.helpers import assert_clean, plain, texts
from tlcore.adapt.recipe import RECOMMENDED
from tlcore.data import save_upload
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]


def _captions(at: AppTest) -> list[str]:
    return [plain(str(c.value)) for c in at.caption]


def _table_pair(workspace: Path) -> tuple[str, str]:
    ws = Workspace.resolve(workspace)
    rows = "".join(f"{i % 5},{i / 7:.3f},{'ab'[i % 2]}\n" for i in range(20))
    source = save_upload(ws, "last_year.csv", ("f1,f2,label\n" + rows).encode())
    target = save_upload(
        ws, "this_year.csv", ("f2,f1\n" + "".join(f"{i / 3:.3f},{i % 4}\n" for i in range(20))).encode()
    )
    return f"upload:{source}", f"upload:{target}"


def test_a_table_pair_reads_the_feature_vector_wording(app: OpenApp, workspace: Path) -> None:
    source, target = _table_pair(workspace)
    at = app("adapt", source=source, target=target)
    assert not at.exception, [e.message for e in at.exception]
    text = " ".join(_captions(at))
    assert "image network" not in text
    assert "AdaBN then gives the bottleneck's BatchNorm layer (the feature-vector network, an MLP" in text
    assert "(on feature vectors: noise of 0.1 times each column's spread in the batch" in text
    augment = next(w for w in at.checkbox if w.label == "Augment source")  # QA helper-218: read ticked
    assert augment.disabled and "tables are not augmented" in augment.help
    quotes = recipe_quote(RECOMMENDED)
    assert quotes  # the committed benchmark quotes the recipe (image pairs only)
    evidence = [c for c in _captions(at) if c.startswith("Measured with exactly these settings")]
    assert evidence == [  # said once, before every quoted pair
        "Measured with exactly these settings on 28 px digit and clothing benchmarks (none on tables; "
        "this pair trains mlp): "
        f"{'; '.join(quotes)}."
    ]
    at.switch_page("app_pages/predict.py").run()
    assert any("download one row per row of the table" in c for c in _captions(at))


def test_an_image_pair_keeps_the_image_wording(app: OpenApp) -> None:
    at = app("adapt")
    text = " ".join(_captions(at))
    assert "AdaBN then gives every BatchNorm layer (the image network's convolutions" in text
    assert "feature vectors" not in text
    assert not next(w for w in at.checkbox if w.label == "Augment source").disabled
    assert [c for c in _captions(at) if c.startswith("Measured")] == [
        f"Measured with exactly these settings: {'; '.join(recipe_quote(RECOMMENDED))}."
    ]
    at.switch_page("app_pages/predict.py").run()
    assert any("download one row per image (per file of an upload)" in c for c in _captions(at))


def test_table_previews_are_headed_by_column_names_the_target_in_the_sources_order(app: OpenApp) -> None:
    """A target table whose columns are in another order is previewed as paired (the source's order,
    the values moved with their names), and the page says which order it shows."""
    source = "f1,f2,f3,label\n" + "".join(f"{i},{10 + i},{20 + i},{'ab'[i % 2]}\n" for i in range(12))
    target = "f3,f1,f2\n" + "".join(f"{20 + i},{i},{10 + i}\n" for i in range(12))
    at = app("data")
    for role, table in (("source", source), ("target", target)):
        at.file_uploader(key="upload_file").upload(f"{role}.csv", table.encode(), "text/csv")
        at.button[[b.label for b in at.button].index(f"Use as {role}")].click().run()
    assert_clean(at)
    shown_source, shown_target = (frame.value for frame in at.dataframe[1:3])  # after the saved uploads
    assert list(shown_source.columns) == ["f1", "f2", "f3", "label"]  # its labels last (QA helper-142)
    assert list(shown_target.columns) == ["f1", "f2", "f3"]  # unlabelled
    assert shown_source["label"].tolist() == ["a", "b"] * 4
    assert shown_target.iloc[0].tolist() == [0.0, 10.0, 20.0]  # f1's values under f1
    # named as Diagnose's most foreign rows name it (QA helper-246: "row" here, "sample id" there)
    assert shown_source.index.name == "sample id" and list(shown_source.index) == [str(i) for i in range(8)]
    assert "The first rows, in the source's column order, as paired." in texts(at)
    assert [m.value for m in at.metric][2::3] == ["2", "none"]  # short enough not to be cut off
    assert any(
        t.endswith("12 rows x 3 features · unlabelled") for t in texts(at)
    )  # QA: "features Unlabelled."


def test_a_text_column_is_hinted_the_pages_way(app: OpenApp) -> None:
    """The Data page names its own Label column field, never the CLI's flag, and only when the table has no
    label column; beside a label column the text column is to be dropped or encoded."""
    at = app("data")
    hinted = [
        (
            "species.csv",
            "x1,species\n0.1,a\n0.2,b\n",
            "(the label column? name it on upload: type species in the Label column field; a feature, such "
            "as a region? tick Encode text columns as 0/1 columns (the spec option text=onehot))",
        ),
        (
            "visits.csv",
            "x1,hospital,label\n0.1,n,a\n0.2,s,b\n",
            "(only the label column, label, may hold text: drop it, or encode it as a 0/1 column per value: "
            "tick Encode text columns as 0/1 columns (the spec option text=onehot))",
        ),
    ]
    for name, table, hint in hinted:
        at.file_uploader(key="upload_file").upload(name, table.encode(), "text/csv")
        at.button[[b.label for b in at.button].index("Use as source")].click().run()
        assert_clean(at)
        (error,) = at.error
        assert error.value.replace("\\", "").endswith(hint), error.value
    assert at.session_state["pair_source"] == "mnist5k:n=200"  # neither was stored nor used


def test_the_upload_help_says_what_a_table_user_brings(app: OpenApp) -> None:
    """QA helper-195: the help read 'numeric feature columns and an optional label column'; a table user's
    export has text categories, a label column of its own name and an id column."""
    at = app("data")
    (tables,) = [m.value for m in at.markdown if "CSV / Parquet" in m.value]
    assert tables.endswith(
        "- **CSV / Parquet**: numeric feature columns (text columns such as a region: tick *Encode text "
        "columns as 0/1 columns* below), an optional `label` column (another name: the *Label column* field "
        "below) and an optional `id` column naming the rows"
    ), tables


def test_an_unlabelled_target_saved_with_the_sources_label_column_is_told_to_type_none(app: OpenApp) -> None:
    """QA helper-195: the Label column field still held the source's `outcome` when the unlabelled target
    was saved ('has no column outcome' only); the error now says how the page reads it unlabelled."""
    at = app("data")
    at.file_uploader(key="upload_file").upload("target.csv", b"f1,f2\n0.1,2\n0.2,3\n", "text/csv")
    at.text_input(key="upload_label").input("outcome")
    at.button[[b.label for b in at.button].index("Use as target")].click().run()
    assert_clean(at)
    (error,) = at.error
    assert error.value.replace("\\", "") == (
        "target.csv has no column 'outcome' (columns: f1, f2); a table without labels (an unlabelled "
        "target): read it so on upload: type none in the Label column field"
    )


def test_a_bad_cell_is_named_and_the_choice_drops_its_row(app: OpenApp) -> None:
    """A '#DIV/0!' in a numeric column is named by cell with the page's own ways forward (QA helper-142:
    it read as a label column to name); choosing "drop rows" stores the upload with missing=drop."""
    rows = "".join(f"T{i},{i % 5}.5,{'#DIV/0!' if i == 3 else i / 7},{'ab'[i % 2]}\n" for i in range(12))
    at = app("data")
    at.file_uploader(key="upload_file").upload("gaps.csv", f"id,f1,flow,label\n{rows}".encode(), "text/csv")
    at.button[[b.label for b in at.button].index("Use as source")].click().run()
    assert_clean(at)
    (error,) = at.error
    assert plain(error.value).replace("\\", "") == (
        "gaps.csv: 1 cell is missing, infinite or not a number: '#DIV/0!' in column 'flow' on line 5 of the "
        "file (id T3); fix it in the file, or drop its row: choose Missing cells: drop rows (the spec "
        "option missing=drop); or fill it with the source's column medians: choose Missing cells: "
        "fill in (the spec option missing=impute)"
    )
    (choice,) = [r for r in at.radio if r.key == "upload_label_missing"]
    assert choice.label == "Missing cells" and choice.options == ["refuse", "drop rows", "fill in"]
    assert choice.value == ""  # refuse: the engine's default
    choice.set_value("drop").run()
    at.button[[b.label for b in at.button].index("Use as source")].click().run()
    assert_clean(at)
    assert at.session_state["pair_source"] == "upload:gaps.csv:missing=drop"
    assert at.radio(key="upload_label_missing").value == ""  # for the next save only


def _filled_in_source(app: OpenApp, hole: str) -> AppTest:
    """The Data page after a 12-row CSV whose 'flow' cell on line 5 is ``hole`` was used as the source
    with "fill in" chosen (missing=impute), checked clean."""
    rows = "".join(f"T{i},{i % 5}.5,{hole if i == 3 else i / 7},{'ab'[i % 2]}\n" for i in range(12))
    at = app("data")
    at.file_uploader(key="upload_file").upload("gaps.csv", f"id,f1,flow,label\n{rows}".encode(), "text/csv")
    at.radio(key="upload_label_missing").set_value("impute").run()
    at.button[[b.label for b in at.button].index("Use as source")].click().run()
    assert_clean(at)
    return at


def test_fill_in_keeps_every_row_and_says_so(app: OpenApp) -> None:
    """Choosing "fill in" stores the upload with missing=impute: all 12 rows kept, the provenance
    counts the cell filled with the source's medians when paired; the choice resets after the save."""
    at = _filled_in_source(app, "#DIV/0!")
    assert at.session_state["pair_source"] == "upload:gaps.csv:missing=impute"
    assert at.radio(key="upload_label_missing").value == ""
    shown = " ".join(plain(str(c.value)) for c in at.caption)
    assert "12 rows x 2 features" in shown
    assert (
        "1 cell of 1 column missing, filled with the source's medians when paired (missing=impute)" in shown
    )


def test_saved_uploads_show_the_spec_each_was_read_as(app: OpenApp) -> None:
    """The Saved uploads table names an upload by the spec it was read as (its options), the one to
    use, not its bare upload:NAME; the description no longer repeats it."""
    at = _filled_in_source(app, "")
    (saved,) = [d.value for d in at.dataframe if "spec" in d.value.columns]
    assert saved["spec"].tolist() == ["upload:gaps.csv:missing=impute"]
    assert (saved["samples"].tolist(), saved["shape"].tolist()) == ([12], ["2 features"])
    assert saved["description"][0].startswith("uploaded feature vectors, 2 classes, ")
    assert "read as" not in saved["description"][0]


def test_enter_in_the_methods_picks_one_match_not_all(app: OpenApp) -> None:
    """Streamlit's "Select N matches" row comes first in a multiselect, so typing "dann" and Enter
    added dann, domain_weights and pseudo_label: the Methods field hides that row."""
    at = app("adapt")
    (methods,) = [m for m in at.multiselect if m.label == "Methods"]
    assert methods.proto.select_all == 0


def test_a_table_pair_offers_no_drop_blank_box_and_its_size_still_applies(
    app: OpenApp, workspace: Path
) -> None:
    """QA: ticking "Drop blank images" on a table made the pair's spec fail to load."""
    source, target = _table_pair(workspace)
    at = app("data", source=source, target=target)
    assert not at.exception, [e.message for e in at.exception]
    assert not [c for c in at.checkbox if c.key == "builder_source_blank"]
    at.number_input(key="builder_source_n").set_value(50).run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["pair_source"] == f"{source}:n=50"


def test_a_table_preview_is_indexed_by_the_files_ids(app: OpenApp) -> None:
    """QA helper-142: a file's id column (S00000, ...) was previewed as row numbers 0..7."""
    source = "id,f1,status\n" + "".join(f"S{i:05d},{i / 4},{'ab'[i % 2]}\n" for i in range(10))
    target = "id,f1\n" + "".join(f"T{i:05d},{i / 3}\n" for i in range(10))
    at = app("data")
    for role, table in (("source", source), ("target", target)):
        at.file_uploader(key="upload_file").upload(f"{role}.csv", table.encode(), "text/csv")
        if role == "source":
            at.text_input(key="upload_label").set_value("status")
        at.button[[b.label for b in at.button].index(f"Use as {role}")].click().run()
    assert_clean(at)
    shown_source, shown_target = (frame.value for frame in at.dataframe[1:3])  # after the saved uploads
    assert shown_source.index.name == shown_target.index.name == "sample id"
    assert list(shown_source.index[:3]) == ["S00000", "S00001", "S00002"]
    assert list(shown_target.index[:2]) == ["T00000", "T00001"]
    assert list(shown_source.columns) == ["f1", "label"] and shown_source["label"].tolist()[:3] == [
        "a",
        "b",
        "a",
    ]


def test_a_column_empty_in_every_row_is_dropped_from_a_source_and_kept_as_a_target(
    app: OpenApp,
) -> None:
    """ "fill in" with a column empty in every row: "Use as source" stores the file (it was refused: the
    pair drops the column, saying so); "Use as target" keeps it, its provenance warning what a pair does
    with the column."""
    rows = "".join(f"{i % 5}.5,,{'ab'[i % 2]}\n" for i in range(12))
    data = f"f1,empty,label\n{rows}".encode()
    at = app("data")
    for role in ("source", "target"):
        at.file_uploader(key="upload_file").upload("holes.csv", data, "text/csv")
        at.radio(key="upload_label_missing").set_value("impute").run()
        at.button[[b.label for b in at.button].index(f"Use as {role}")].click().run()
        assert not [e for e in at.error if "empty" in plain(e.value)]  # with the images target: unpaired
    assert [plain(e.value) for e in at.error] == []
    assert (
        at.session_state["pair_source"]
        == at.session_state["pair_target"]
        == "upload:holes.csv:missing=impute"
    )
    shown = " ".join(plain(str(c.value)) for c in at.caption).replace("\\", "")
    assert "WARNING: column 'empty' is empty in every row: a pair drops it from its source" in shown
    notes = [plain(i.value).replace("\\", "") for i in at.info]
    assert (
        "WARNING: column 'empty' is empty in every row of the source: dropped from the source and the target "
        "(it carries no value to learn from)"
    ) in notes, notes
