"""Compare's ranking fits a 1024 px window ranked by DEV with a run recommended, and in a pool of two
networks (helper-245, Chromium at 1024x768, sidebar open, scrollWidth / clientWidth of the table: by DEV
565 / 562 and by IWCV 574 / 562 with the source accuracy headed "source acc"; a pool of lenet and
lenet_bn runs with its setup column 628 / 562 by EnsV, 678 by DEV, 687 by IWCV; each 562 / 562 now)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.app.helpers import plain
from tests.app.test_diagnose_findings_table import TABLE_1024_PX
from tests.app.test_ranking_fit import AUTO_PX
from tests.app.test_ranking_ui import COLLAPSED, GOOD, SOURCE, TARGET, OpenApp, Y, store_run
from tests.selection.helpers import probabilities
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

DEV_ORDER = ["rank", "run", "status", "DEV", "ESS", "classes", "source acc"]


def test_ranked_by_dev_with_a_run_recommended_the_table_fits_a_1024_px_window(
    app: OpenApp, workspace: Path
) -> None:
    store = RunStore(Workspace.resolve(workspace))
    store_run(store, ("deep_coral", "im"), GOOD, ess=80.0)
    store_run(store, ("dann",), probabilities(Y, 0.8), ess=80.0)
    at = app("compare", source=SOURCE, target=TARGET)
    next(s for s in at.selectbox if s.label == "Rank by").set_value("dev").run()
    assert not at.exception, [e.message for e in at.exception]
    assert " the highest DEV (" in plain(at.success[0].value)  # a run recommended by DEV
    table = at.dataframe[0]
    assert table.value["status"].tolist() == ["recommended", "passes"]
    assert list(table.proto.column_order) == DEV_ORDER
    columns = json.loads(table.proto.columns)
    source = columns["source acc"]
    assert source["label"] == "src acc"  # "source acc" was the 3 px too many
    assert source["help"] == "src acc (source accuracy): accuracy on the source validation split"
    widths = {name: columns[name]["width"] for name in ("run", "status")}
    assert widths == {"run": 22 * 7 + 24, "status": 11 * 7 + 24}  # "deep_coral+im · 9c55e7", "recommended"
    assert sum((AUTO_PX | widths)[c] for c in DEV_ORDER) == 544 <= TABLE_1024_PX


def test_a_pool_of_two_networks_is_a_ranking_table_per_network_without_a_setup_column(
    app: OpenApp, workspace: Path
) -> None:
    store = RunStore(Workspace.resolve(workspace))
    made = {
        "lenet": store_run(store, ("deep_coral",), GOOD, model="lenet_bn"),
        "cnn": store_run(store, ("deep_coral", "im"), GOOD, model="cnn"),
        "collapsed": store_run(store, ("dann",), COLLAPSED, model="cnn"),
    }
    at = app("compare", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    captions = [plain(c.value) for c in at.caption]
    headings = [c for c in captions if c.endswith("ranked on their own:")]
    assert headings == [
        "The runs of model=cnn, ranked on their own:",
        "The runs of model=lenet_bn, ranked on their own:",
    ]
    cnn, lenet = at.dataframe[0], at.dataframe[1]
    order = ["rank", "run", "status", "BNM", "classes", "source acc"]  # outvoted EnsV: by BNM
    assert list(cnn.proto.column_order) == list(lenet.proto.column_order) == order  # no setup column
    ids = {run_id[-6:]: name for name, run_id in made.items()}
    assert [ids[r[-6:]] for r in cnn.value["run"]] == ["cnn", "collapsed"]
    assert cnn.value["status"].tolist() == ["recommended", "alarm"]
    assert [ids[r[-6:]] for r in lenet.value["run"]] == ["lenet"]
    assert lenet.value["rank"].tolist() == [3]  # ranked as `runs rank` numbers the pool
    for table in (cnn, lenet):
        columns = json.loads(table.proto.columns)
        widths = {name: columns[name]["width"] for name in ("run", "status")}
        assert sum((AUTO_PX | widths)[c] for c in order) <= TABLE_1024_PX
