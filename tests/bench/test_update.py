"""``--update``: a run's parts replace the earlier ones, the accuracy part row by row."""

import json

from bench.report import _updates
from bench.update import merge_into

MACHINE = {"date": "2026-12-01 01:00 UTC", "load_start": [1.0, 1.0, 1.0], "cpu": "AMD EPYC"}


def _run(command: str, **parts: object) -> dict:
    head = {"command": command, "mode": "full", "seconds": 5.0, "machine": MACHINE}
    return head | {"load_end": [2.0, 2.0, 2.0]} | parts


def test_update_keeps_the_other_parts_and_lists_itself(tmp_path):
    earlier = {"command": "python -m bench --seeds 3", "mode": "full", "seconds": 100.0, "accuracy": {"x": 1}}
    earlier |= {"diagnose": {"note": "old"}, "updates": []}
    path = tmp_path / "benchmarks.json"
    path.write_text(json.dumps(earlier))
    new = _run("python -m bench --only label_shift --update", label_shift={"rows": []}, diagnose={"n": 2})
    merged = merge_into(path, new, {"label_shift"})
    assert merged["command"] == earlier["command"] and merged["accuracy"] == {"x": 1}
    assert merged["diagnose"] == {"note": "old"}  # not among this run's parts
    assert merged["label_shift"] == {"rows": []}
    assert merged["updates"] == [
        {
            "command": new["command"],
            "parts": ["label_shift"],
            "date": MACHINE["date"],
            "seconds": 5.0,
            "load": [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]],
            "cpu": "AMD EPYC",
        }
    ]
    assert merge_into(tmp_path / "none.json", new, {"label_shift"}) is new
    again = merge_into(path, new, {"label_shift"})  # a later update of the same part replaces the line
    path.write_text(json.dumps(again))
    assert len(merge_into(path, new, {"label_shift"})["updates"]) == 1


def _accuracy(seeds: list[int], *tasks: tuple[str, str, float], model: str = "lenet") -> dict:
    settings = {"seeds": seeds, "epochs": 10, "batch_size": 32, "lr": 1e-3, "skada": "not installed"}
    rows = [
        {"source": s, "target": t, "model": model, "methods": {}, "recipes": {"r": {"mean": m}}}
        for s, t, m in tasks
    ]
    return settings | {"tasks": rows}


def test_an_accuracy_update_replaces_its_tasks_and_keeps_the_others(tmp_path):
    path = tmp_path / "benchmarks.json"
    seeds = [0, 1, 2]
    first = _run("bench --task a->b --task c->d", accuracy=_accuracy(seeds, ("a", "b", 0.9), ("c", "d", 0.5)))
    first["updates"] = [{"command": first["command"], "parts": ["accuracy"]}]
    path.write_text(json.dumps(first))
    second = _run("bench --task c->d,e->f", accuracy=_accuracy(seeds, ("c", "d", 0.6), ("e", "f", 0.7)))
    merged = merge_into(path, second, {"accuracy"})
    tasks = [(t["source"], t["target"], t["recipes"]["r"]["mean"]) for t in merged["accuracy"]["tasks"]]
    assert tasks == [("a", "b", 0.9), ("c", "d", 0.6), ("e", "f", 0.7)]  # earlier order, then new tasks
    assert [u["command"] for u in merged["updates"]] == [first["command"], second["command"]]

    path.write_text(json.dumps(merged))  # a new row of a task joins its earlier rows
    rows = _accuracy(seeds, ("a", "b", 0.95))
    rows["tasks"][0]["recipes"] = {"new": {"mean": 0.95}}
    rows["tasks"][0]["methods"] = {"m": {"tlcore": {"runs": []}}}
    joined = merge_into(path, _run("bench --task a->b --recipes new", accuracy=rows), {"accuracy"})
    (task,) = [t for t in joined["accuracy"]["tasks"] if t["source"] == "a"]
    assert task["recipes"] == {"r": {"mean": 0.9}, "new": {"mean": 0.95}} and list(task["methods"]) == ["m"]

    path.write_text(json.dumps(joined))  # a row measured again keeps its place in the task
    rows["tasks"][0]["recipes"] = {"r": {"mean": 0.97}}
    redone = merge_into(path, _run("bench --task a->b --recipes r", accuracy=rows), {"accuracy"})
    (task,) = [t for t in redone["accuracy"]["tasks"] if t["source"] == "a"]
    assert list(task["recipes"].items()) == [("r", {"mean": 0.97}), ("new", {"mean": 0.95})]

    # other seeds: nothing of the earlier accuracy is kept
    third = _run("bench --task a->b --seeds 1", accuracy=_accuracy([0], ("a", "b", 0.8)))
    again = merge_into(path, third, {"accuracy"})
    assert [t["source"] for t in again["accuracy"]["tasks"]] == ["a"]
    assert [u["command"] for u in again["updates"]] == [third["command"]]


def test_rows_on_another_network_sit_beside_the_default_networks(tmp_path):
    """``bench --model``: the same pair on another network is another task, merged by its own rows."""
    path = tmp_path / "benchmarks.json"
    path.write_text(json.dumps(_run("bench", accuracy=_accuracy([0], ("a", "b", 0.9)))))
    other = _run("bench --model lenet_bn", accuracy=_accuracy([0], ("a", "b", 0.95), model="lenet_bn"))
    merged = merge_into(path, other, {"accuracy"})
    tasks = [(t["model"], t["recipes"]["r"]["mean"]) for t in merged["accuracy"]["tasks"]]
    assert tasks == [("lenet", 0.9), ("lenet_bn", 0.95)]
    path.write_text(json.dumps(merged))
    again = _run("bench --model lenet_bn", accuracy=_accuracy([0], ("a", "b", 0.96), model="lenet_bn"))
    tasks = [
        (t["model"], t["recipes"]["r"]["mean"])
        for t in merge_into(path, again, {"accuracy"})["accuracy"]["tasks"]
    ]
    assert tasks == [("lenet", 0.9), ("lenet_bn", 0.96)]


def test_an_update_line_stays_while_the_report_holds_something_it_measured(tmp_path):
    """Each line lists the accuracy rows it measured; rows measured again are struck off, and a line
    with no row and no other part left is dropped (a line from before rows were recorded stays while
    any earlier accuracy row is kept)."""
    path = tmp_path / "benchmarks.json"
    seeds = [0, 1, 2]
    legacy = {"command": "bench (before rows)", "parts": ["accuracy"]}
    path.write_text(
        json.dumps(_run("bench", accuracy=_accuracy(seeds, ("e", "f", 0.7))) | {"updates": [legacy]})
    )
    both = merge_into(path, _run("bench --only diagnose,app", diagnose={}, app_start={}), {"diagnose", "app"})
    path.write_text(json.dumps(both))
    measured = _accuracy(seeds, ("a", "b", 0.9), ("c", "d", 0.5))
    measured["tasks"][0]["oracle"] = {"name": "target_only", "mean": 0.99}
    recorded = merge_into(path, _run("bench --recorded", accuracy=measured), {"accuracy"})
    assert recorded["updates"][-1]["rows"] == [
        ["a", "b", "lenet", "recipes", "r"],
        ["a", "b", "lenet", "oracle", "target_only"],
        ["c", "d", "lenet", "recipes", "r"],
    ]
    path.write_text(json.dumps(recorded))

    a_again = _run("bench --task a->b", accuracy=_accuracy(seeds, ("a", "b", 0.91)), diagnose={})  # no oracle
    lines = {u["command"]: u for u in merge_into(path, a_again, {"accuracy", "diagnose"})["updates"]}
    assert list(lines) == [
        "bench (before rows)",
        "bench --only diagnose,app",
        "bench --recorded",
        "bench --task a->b",
    ]
    assert lines["bench --only diagnose,app"]["parts"] == ["app"]  # its diagnose was measured again
    assert lines["bench --recorded"]["rows"] == [
        ["a", "b", "lenet", "oracle", "target_only"],
        ["c", "d", "lenet", "recipes", "r"],
    ]
    path.write_text(json.dumps(merge_into(path, a_again, {"accuracy", "diagnose"})))

    rest = _accuracy(seeds, ("a", "b", 0.92), ("c", "d", 0.6))
    rest["tasks"][0]["oracle"] = {"name": "target_only", "mean": 0.98}
    done = merge_into(path, _run("bench --rest", accuracy=rest, app_start={}), {"accuracy", "app"})
    assert [u["command"] for u in done["updates"]] == [
        "bench (before rows)",
        "bench --task a->b",
        "bench --rest",
    ]
    assert done["updates"][1]["parts"] == ["diagnose"]  # its one row was measured again, its diagnose not


def test_a_report_line_says_how_many_accuracy_rows_it_stands_behind():
    line = {"command": "c", "date": "d", "seconds": 1.0, "load": [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]}
    rows = [["a", "b", "lenet", "recipes", "r"], ["a", "b", "lenet", "oracle", "target_only"]]
    text = _updates({"updates": [line | {"parts": ["accuracy", "diagnose"], "rows": rows}]})
    assert text == [
        "Updated by `c` (parts accuracy: 2 rows, diagnose; d; 1.00 s; "
        "load average 1.00 / 1.00 / 1.00 at start).\n"
    ]
    assert "(parts accuracy; d;" in _updates({"updates": [line | {"parts": ["accuracy"]}]})[0]  # before rows
    on = _updates({"updates": [line | {"parts": ["diagnose"], "cpu": "AMD EPYC"}]})[0]
    assert on.endswith("at start; CPU AMD EPYC).\n")  # results differ across CPUs: which one ran it
