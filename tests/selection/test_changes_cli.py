"""``runs changes`` on a real table run: each flow shows what the Compare page shows of it."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pandas as pd
import pytest

from tests.app.test_moved_predictions import SOURCE, TARGET, store_run, tipped
from tests.explain.test_columns_cli import wine_csvs
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.data import harmonise, load_domain
from tlcore.data.domain import Domain
from tlcore.numbers import significant
from tlcore.runs import jobs
from tlcore.runs.changes import RunChanges, moved_runs, predicted_samples, run_changes
from tlcore.runs.store import RunStore
from tlcore.selection.predictions import TargetFingerprint
from tlcore.views.changes import TEXT_COLUMNS, flow_note
from tlcore.workspace import Workspace


def test_runs_changes_lists_a_tables_flows_with_their_most_different_columns(tmp_path: Path, capsys) -> None:
    # QA: for a table pair the CLI printed only the row ids of each flow, the Compare page its columns
    source, target = wine_csvs(tmp_path)
    lots = pd.read_csv(target)
    lots.insert(0, "id", [f"lot-{500 + row}" for row in range(len(lots))])
    lots.to_csv(target, index=False)
    workspace = Workspace.resolve(tmp_path / "ws")
    for path in (source, target):
        assert main(["--workspace", str(workspace.root), "data", "upload", path]) == 0
    pair = {"source": "upload:wine_src.csv", "target": "upload:wine_tgt.csv"}
    record = jobs.run_inline(workspace, AdaptConfig(**pair, methods=("deep_coral",), epochs=2))
    assert record.status == "done", record.error
    store = RunStore(workspace)
    run = run_changes(store, record.id)
    domain = predicted_samples(store, run)
    capsys.readouterr()
    base = ["--workspace", str(workspace.root), "runs", "changes", record.id]

    assert main([*base, "--json", "--samples", "2"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["flows"], "the adapted model changed no prediction: nothing to show"
    by_id = lots.set_index("id")
    features = by_id.columns
    for flow in payload["flows"]:
        assert [row["sample id"] for row in flow["rows"]] == flow["ids"]
        names = [c["column"] for c in flow["columns"]]
        assert len(names) == min(TEXT_COLUMNS, len(features)) and all(
            list(r)[1:] == names for r in flow["rows"]
        )
        for row in flow["rows"]:  # the values are the file's, found by the id the user knows
            assert [row[n] for n in names] == pytest.approx(
                by_id.loc[row["sample id"], names].tolist(), rel=1e-6
            )
        # the shifts by hand: the flow's mean against the rest's, in the rest's population SDs
        members = [lots.index[lots["id"] == i][0] for i in _all_ids(run, domain, flow)]
        inside, rest = lots.loc[members, features], lots.drop(index=members)[features]
        shift = (inside.mean() - rest.mean()) / rest.std(ddof=0)
        assert [c["shift"] for c in flow["columns"]] == pytest.approx(
            shift[names].tolist(), rel=1e-3, abs=1e-4
        )
        assert list(shift.abs().sort_values(ascending=False).index[: len(names)]) == names

    assert main([*base, "--samples", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    first = payload["flows"][0]
    assert lines[3] == f"      {flow_note(run, domain, run.changes.flows()[0])}"
    assert lines[3].endswith(
        ", ".join(f"{c['column']} {significant(c['shift'], 3, sign=True)}" for c in first["columns"][:3])
        + "."
    )
    assert lines[4].split() == ["sample", "id", *[c["column"] for c in first["columns"]]]
    values = [significant(float(by_id.loc[first["ids"][0], c["column"]])) for c in first["columns"]]
    assert lines[5].split() == [first["ids"][0], *values]


def _all_ids(run: RunChanges, domain: Domain, flow: dict) -> list[str]:
    """Every sample id of the JSON ``flow`` (the JSON lists only the first few)."""
    (match,) = [
        f
        for f in run.changes.flows()
        if (run.changes.classes[f.before], run.changes.classes[f.after]) == (flow["from"], flow["to"])
    ]
    return [domain.ids[i] for i in run.changes.samples(match).tolist()]


def test_a_source_only_run_alone_has_no_changes_to_show(tmp_path: Path, capsys) -> None:
    """A source-only run's model is its own source-only model: ``runs changes`` on it alone says so in
    one line and exits non-zero (it read "0 of 120 ... changed class from source_only's source-only
    model to its adapted model"), with ``--against`` it shows the flows, and the comparison report
    leaves it out of where the predictions moved."""
    workspace = Workspace.resolve(tmp_path / "ws")
    target = harmonise(load_domain(SOURCE, workspace, 0), load_domain(TARGET, workspace, 0))[1]
    fingerprint = TargetFingerprint.of(target.X.numpy())
    store = RunStore(workspace)
    alone = store_run(store, tipped(0), fingerprint, ("source_only",))
    five = store_run(store, tipped(5), fingerprint)
    base = ["--workspace", str(workspace.root), "runs", "changes", alone]
    assert main(base) != 0
    out, err = capsys.readouterr()
    assert out == "" and err.strip().splitlines() == [
        f"error: run {alone} is a source-only run: its model is its own source-only model, so none of "
        "its predictions moved; set it against another run of its target (--against ID)"
    ]
    assert main([*base, "--against", five]) == 0
    assert capsys.readouterr().out.startswith(
        f"5 of 120 target predictions (4.2%) changed class between {alone} and {five}."
    )
    moved = moved_runs([alone, five], partial(run_changes, store), lambda _: None)
    assert [(run.run_id, run.changes.changed) for run, _ in moved] == [(five, 5)]


@pytest.mark.parametrize("option", ["--top", "--samples"])
def test_a_negative_count_is_one_error_line(tmp_path: Path, option: str, capsys) -> None:
    """QA helper-266: ``--top -1`` and ``--samples -1`` were taken and listed nothing."""
    assert main(["--workspace", str(tmp_path / "ws"), "runs", "changes", "some-run", option, "-1"]) == 2
    assert capsys.readouterr().err == f"error: {option} must be at least 0, got -1\n"
