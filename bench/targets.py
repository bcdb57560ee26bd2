"""The issue's targets, each judged met / missed / not measured from the measured figures."""

from __future__ import annotations

from typing import Any

from bench.networks import default_tasks, recorded_network
from bench.plan import BASELINE_BUDGET, DEFAULT_PAIR, TASKS_FULL
from bench.spread import difference_se, difference_text

BEST_RECIPE_MIN = 0.985
ORACLE_MARGIN = 0.015
TARGET_SEEDS = 3  # accuracy targets are judged on means over at least this many seeds
CEILING_SHARE_MIN = 0.9
TIME_TO_GOOD_RATIO_MAX = 0.5
ALIBI_RATIO_MIN = 100.0
DIAGNOSE_MAX_S = 10.0
ADAPT_RUN_MAX_S = 60.0
MATMUL_FRACTION_MIN = 0.5
LABEL_SHIFT_TV_MAX = 0.05
SELECTION_REGRET_MAX = 0.015
ALARM_RECALL_MIN = 0.9
CAUSE_FIRST_MIN = 0.9  # share of constructed pairs whose verdict names the true cause first
FIX_HELPS_MIN = 0.9  # share of suggested fixes that must raise source-only target accuracy
BARE_GAIN_MIN = 0.05  # each bare alignment method over source-only on the default pair
BARE_METHODS = ("deep_coral", "dan", "dann", "cdan", "mcc")


def _row(target: str, measured: str, ok: bool | None, setting: str = "") -> dict[str, str]:
    status = "not measured" if ok is None else "met" if ok else "missed"
    return {"target": target, "measured": measured, "status": status, "setting": setting}


def vs_skada(accuracy: dict[str, Any]) -> dict[str, str]:
    """Every method at least as accurate as skada's counterpart (3-seed means, per task). Each cell
    behind shows its difference ± the difference's standard error (:func:`difference_se`), and the
    count of those behind by more than twice it; skada's DANN and CDAN with a working domain
    classifier, when measured, are counted beside it (the status judges skada's defaults)."""
    title = "every method ≥ its skada counterpart on every task"
    pairs = [
        (task["source"], task["target"], name, entry["diff"], difference_se(entry["tlcore"], entry["skada"]))
        for task in default_tasks(accuracy)
        for name, entry in task["methods"].items()
        if entry.get("diff") is not None
    ]
    if not pairs:
        return _row(title, "skada not run", None)
    behind = [pair for pair in pairs if pair[3] < 0]
    cells = [f"{name} on {s} → {t} ({difference_text(d, se)})" for s, t, name, d, se in behind]
    clear = sum(se is not None and -d > 2 * se for *_, d, se in behind)
    measured = f"{len(pairs) - len(behind)} of {len(pairs)} at or above"
    if behind:
        measured += f"; behind: {', '.join(cells)}; {clear} of them by more than twice the standard error"
    working = [
        entry["diff_working"]
        for task in default_tasks(accuracy)
        for entry in task["methods"].values()
        if entry.get("diff_working") is not None
    ]
    if working:  # informative only: the target judges skada as its users get it
        ahead = sum(d >= 0 for d in working)
        measured += (
            f" (beside skada's DANN and CDAN with a working domain classifier: {ahead} of {len(working)} "
            "at or above)"
        )
    return _row(title, measured, not behind, _setting(accuracy))


def _setting(accuracy: dict[str, Any]) -> str:
    return f"{len(accuracy.get('seeds', []))} seed(s), {accuracy.get('epochs')} epochs"


def best_unsupervised(task: dict[str, Any]) -> tuple[str, float] | None:
    """The most accurate recipe or method row of a task that uses no target labels: (name, mean)."""
    candidates = {name: e["mean"] for name, e in task.get("recipes", {}).items() if e.get("mean") is not None}
    candidates |= {
        name: e["tlcore"]["mean"]
        for name, e in task["methods"].items()
        if not e.get("needs_target_labels") and e["tlcore"].get("mean") is not None
    }
    if not candidates:
        return None
    name = max(candidates, key=candidates.__getitem__)
    return name, candidates[name]


def best_recipe(accuracy: dict[str, Any]) -> dict[str, str]:
    """The best unsupervised recipe ≥ 98.5% on mnist5k → digits, mean over at least 3 seeds."""
    title = f"best unsupervised recipe ≥ {100 * BEST_RECIPE_MIN:g}% mean over 3 seeds on mnist5k → digits"
    task = next((t for t in default_tasks(accuracy) if (t["source"], t["target"]) == DEFAULT_PAIR), None)
    if task is None:
        return _row(title, "task not run at full size", None, _setting(accuracy))
    best = best_unsupervised(task)
    if best is None:
        return _row(title, "no unsupervised run", None, _setting(accuracy))
    name, mean = best
    enough = len(accuracy.get("seeds", [])) >= TARGET_SEEDS
    return _row(
        title, f"{name}: {100 * mean:.1f}%", mean >= BEST_RECIPE_MIN if enough else None, _setting(accuracy)
    )


def bare_methods_help(accuracy: dict[str, Any]) -> dict[str, str]:
    """On mnist5k → digits each bare alignment method ≥ 5 points above source-only (3-seed means)."""
    pair = " → ".join(DEFAULT_PAIR)
    title = f"each bare alignment method ≥ {100 * BARE_GAIN_MIN:g} points over source-only on {pair}"
    task = next((t for t in default_tasks(accuracy) if (t["source"], t["target"]) == DEFAULT_PAIR), None)
    means = {name: e["tlcore"].get("mean") for name, e in (task or {}).get("methods", {}).items()}
    base = means.get("source_only")
    gains = {m: means[m] - base for m in BARE_METHODS if base is not None and means.get(m) is not None}
    if not gains:
        return _row(title, "not run on the default pair", None, _setting(accuracy))
    measured = ", ".join(f"{m} {100 * g:+.1f}" for m, g in gains.items())
    enough = len(accuracy.get("seeds", [])) >= TARGET_SEEDS and len(gains) == len(BARE_METHODS)
    ok = min(gains.values()) >= BARE_GAIN_MIN if enough else None
    return _row(title, measured, ok, _setting(accuracy))


def near_oracle(accuracy: dict[str, Any]) -> dict[str, str]:
    """On every task of the suite the best unsupervised recipe within 1.5 points of the strong oracle
    (``target_only`` with the engine's defaults: augmentation, the same epochs)."""
    title = (
        f"best unsupervised recipe within {100 * ORACLE_MARGIN:g} points of the strong oracle on every task"
    )
    gaps = []
    for task in default_tasks(accuracy):
        best, oracle = best_unsupervised(task), (task.get("oracle") or {}).get("mean")
        if best is not None and oracle is not None:
            gaps.append((f"{task['source']} → {task['target']}", best[0], oracle - best[1]))
    if not gaps:
        return _row(title, "no task with the oracle", None, _setting(accuracy))
    measured = "; ".join(f"{task}: {name} {100 * -gap:+.1f}" for task, name, gap in gaps)
    missed = any(gap > ORACLE_MARGIN for *_, gap in gaps)
    suite = {f"{s} → {t}" for s, t in TASKS_FULL} <= {task for task, *_ in gaps}
    ok = None if len(accuracy["seeds"]) < TARGET_SEEDS else False if missed else True if suite else None
    return _row(title, measured, ok, _setting(accuracy) + f", {len(gaps)} of {len(TASKS_FULL)} suite tasks")


def _ceiling_setting(ce: dict[str, Any]) -> str:
    return (
        f"{ce['method']}, {ce['source']} → {ce['target']}, {ce['rounds']} round(s) in one process, "
        f"{ce['threads']} thread(s)"
    )


def ceiling_share(ce: dict[str, Any]) -> dict[str, str]:
    """tlcore's training samples/s at least 90% of the bare PyTorch loop's (same run)."""
    title = f"training throughput ≥ {100 * CEILING_SHARE_MIN:g}% of the micro-benchmark ceiling"
    if ce.get("tlcore_share") is None:
        return _row(title, "not measured", None)
    medians = f"medians {ce['tlcore']:,.0f} of {ce['ceiling']:,.0f} samples/s"
    measured = f"{100 * ce['tlcore_share']:.0f}% ({medians})"
    return _row(title, measured, ce["tlcore_share"] >= CEILING_SHARE_MIN, _ceiling_setting(ce))


def throughput_vs_skada(ce: dict[str, Any]) -> dict[str, str]:
    """tlcore's training samples/s never below skada's (same run, same network and batch)."""
    title = "training throughput never below skada's"
    if ce.get("tlcore_over_skada") is None:
        return _row(title, f"skada {ce['skada_status']}" if ce else "not measured", None)
    medians = f"medians {ce['tlcore']:,.0f} vs {ce['skada']:,.0f}"
    measured = f"tlcore / skada {ce['tlcore_over_skada']:.2f}x ({medians})"
    return _row(title, measured, ce["tlcore_over_skada"] >= 1.0, _ceiling_setting(ce))


def time_to_good(tg: dict[str, Any]) -> dict[str, str]:
    """The recommended recipe within 1 point of its final accuracy in ≤ 0.5x the wall time of today's
    10-epoch budget on mnist5k → digits (means over 3 seeds, measured in one run)."""
    title = (
        f"recommended recipe within 1 point of its final accuracy in ≤ {TIME_TO_GOOD_RATIO_MAX:g}x "
        "today's 10-epoch wall time (3 seeds)"
    )
    if tg.get("ratio") is None:
        return _row(title, "not measured", None)
    per_seed = ", ".join(f"{r:.2f}" for r in tg["ratio_per_seed"])
    recommended, today = tg["budgets"]["recommended"], tg["budgets"]["today"]
    measured = (
        f"{tg['ratio']:.2f}x ({recommended['seconds_to_good']:.0f} s to good vs "
        f"{today['seconds_to_last_epoch']:.0f} s; per seed {per_seed}; final accuracy "
        f"{100 * recommended['final']:.1f}% vs today's {100 * today['final']:.1f}%)"
    )
    full = (tg["source"], tg["target"]) == DEFAULT_PAIR and len(tg["seeds"]) >= TARGET_SEEDS
    epochs = {r["epochs"] for r in today["runs"]}
    full = full and epochs == {BASELINE_BUDGET.epochs}
    setting = f"{tg['source']} → {tg['target']}, seeds {tg['seeds']}"
    return _row(title, measured, tg["ratio"] <= TIME_TO_GOOD_RATIO_MAX if full else None, setting)


def alibi_ratio(mmd: dict[str, Any]) -> dict[str, str]:
    """Permutation test ≥ 100x faster than alibi-detect at n = 1k and 5k per side."""
    title = "permutation test ≥ 100x faster than alibi-detect at n = 1k and 5k"
    ratios = [
        (row["n"], row["d"], row["alibi-detect_over_tlcore"], row["alibi-detect"]["status"] == "extrapolated")
        for row in mmd.get("rows", [])
        if row["n"] in (1000, 5000) and row.get("alibi-detect_over_tlcore")
    ]
    if not ratios:
        return _row(title, "alibi-detect not measured at those sizes", None)
    measured = ", ".join(f"n={n} d={d}: {'≈' if approx else ''}{r:.0f}x" for n, d, r, approx in ratios)
    sizes = {n for n, *_ in ratios}
    ok = min(r for _, _, r, _ in ratios) >= ALIBI_RATIO_MIN if sizes == {1000, 5000} else None
    return _row(title, measured, ok, "" if ok is not None else "only some sizes measured")


def diagnose_time(diag: dict[str, Any]) -> dict[str, str]:
    """Whole diagnose of the default pair ≤ 10 s (first in-process call, data loaded)."""
    title = "diagnose of the default pair ≤ 10 s"
    if "first" not in diag:
        return _row(title, diag.get("note", "not run"), None)
    seconds = diag["first"]["seconds"]
    setting = "" if tuple(diag["pair"]) == DEFAULT_PAIR else f"pair {diag['pair'][0]} → {diag['pair'][1]}"
    ok = seconds <= DIAGNOSE_MAX_S if not setting else None
    return _row(title, f"{seconds:.1f} s first call, {diag['warm']['seconds']:.1f} s warm", ok, setting)


def adapt_run_time(run: dict[str, Any]) -> dict[str, str]:
    """A 5-epoch adaptation run ≤ 60 s."""
    title = "5-epoch adaptation run ≤ 60 s"
    if run.get("seconds") is None:
        return _row(title, run.get("note", "not run"), None)
    setting = f"{run['method']}, {run['epochs']} epochs, {run['source']} → {run['target']}"
    ok = run["seconds"] <= ADAPT_RUN_MAX_S if run["epochs"] == 5 else None
    return _row(title, f"{run['seconds']:.1f} s", ok, setting)


def matmul_fraction(mmd: dict[str, Any]) -> dict[str, str]:
    """The kernel computation reaches ≥ 50% of the machine's matmul rate (worst measured cell)."""
    title = "permutation test ≥ 50% of the matmul rate"
    cells = [(r["n"], r["d"], r["matmul_fraction"]) for r in mmd.get("rows", []) if r.get("matmul_fraction")]
    if not cells:
        return _row(title, "not measured", None)
    n, d, worst = min(cells, key=lambda c: c[2])
    best = max(c[2] for c in cells)
    measured = f"worst {100 * worst:.0f}% (n={n}, d={d}), best {100 * best:.0f}%"
    return _row(title, measured, worst >= MATMUL_FRACTION_MIN)


def _selection_setting(sel: dict[str, Any]) -> str:
    runs = sum(r["n_runs"] for r in sel["rows"])
    return f"{len(sel['pairs'])} pair(s), {len(sel['rows'])} pool(s), {runs} runs, {sel['epochs']} epochs"


def selection_regret(sel: dict[str, Any]) -> dict[str, str]:
    """The default rule's regret, averaged over the pairs, at most 1.5 points."""
    title = f"selection rule: mean regret ≤ {100 * SELECTION_REGRET_MAX:g} points over the pairs' pools"
    if not sel.get("rows"):
        return _row(title, "not run", None)
    per_pair = ", ".join(f"{100 * r['regret']:.1f}" for r in sel["rows"])
    measured = f"{100 * sel['mean_regret']:.1f} points (per pool: {per_pair})"
    return _row(title, measured, sel["mean_regret"] <= SELECTION_REGRET_MAX, _selection_setting(sel))


def selection_never_below(sel: dict[str, Any]) -> dict[str, str]:
    """The rule never chooses a run below its source-only model."""
    title = "selection rule never chooses a run below source-only"
    if not sel.get("rows"):
        return _row(title, "not run", None)
    below = [f"{r['source']} → {r['target']}" for r in sel["rows"] if r["below_source_only"]]
    measured = f"below on {len(below)} of {len(sel['rows'])} pools"
    measured += f": {', '.join(below)}" if below else ""
    return _row(title, measured, not below, _selection_setting(sel))


def alarm_recall(sel: dict[str, Any]) -> dict[str, str]:
    """The alarm catches at least 90% of the truly negative runs of the pools."""
    title = f"negative-transfer alarm catches ≥ {100 * ALARM_RECALL_MIN:g}% of the truly negative runs"
    negative = sum(r["n_negative"] for r in sel.get("rows", []))
    if not negative:
        return _row(title, "no truly negative run" if sel.get("rows") else "not run", None)
    caught = sum(round((r["alarm_recall"] or 0) * r["n_negative"]) for r in sel["rows"])
    alarms = sum(r["n_alarms"] for r in sel["rows"])
    right = sum(round((r["alarm_precision"] or 0) * r["n_alarms"]) for r in sel["rows"])
    measured = f"{caught} of {negative} caught; precision {right} of {alarms} alarms"
    return _row(title, measured, caught >= ALARM_RECALL_MIN * negative, _selection_setting(sel))


def label_shift_tv(ls: dict[str, Any]) -> dict[str, str]:
    """BBSE and EM within TV 0.05 of the true class proportions on every imbalanced digits target
    (means over seeds; digits half -> targets from the other half)."""
    title = "BBSE / EM priors within TV ≤ 0.05 of the truth on imbalanced digits targets"
    rows = [
        r
        for r in ls.get("rows", [])
        if (r["source"], r["target"]) == ("digits", "digits") and not r["profile"].startswith("balanced")
    ]
    if not rows:
        return _row(title, "not run", None)
    worst = {key: max(r[key] for r in rows) for key in ("em_tv_to_truth", "bbse_tv_to_truth")}
    em, bbse = worst["em_tv_to_truth"], worst["bbse_tv_to_truth"]
    measured = f"worst of {len(rows)} targets: EM {em:.3f}, BBSE {bbse:.3f}"
    setting = f"{len(ls['seeds'])} seed(s), {ls['epochs']} epochs"
    return _row(title, measured, max(worst.values()) <= LABEL_SHIFT_TV_MAX, setting)


def _explain_setting(ex: dict[str, Any]) -> str:
    return f"{len(ex['bases'])} base pair(s), {ex['n'] // max(len(ex['bases']), 1)} shifted targets each"


def cause_first(ex: dict[str, Any]) -> dict[str, str]:
    """The verdict names the true cause first in ≥ 90% of the constructed pairs."""
    title = "verdict names the true cause first in ≥ 90% of constructed pairs"
    if not ex.get("n"):
        return _row(title, "not run", None)
    measured = f"{ex['hits']} of {ex['n']} ({100 * ex['hits'] / ex['n']:.0f}%)"
    return _row(title, measured, ex["hits"] >= CAUSE_FIRST_MIN * ex["n"], _explain_setting(ex))


def fix_shrinks_gap(ex: dict[str, Any]) -> dict[str, str]:
    """Every suggested fix shrinks MMD² when re-diagnosed."""
    title = "every suggested fix shrinks MMD²"
    if not ex.get("n_fixes"):
        return _row(title, "no fix suggested" if ex else "not run", None)
    measured = f"{ex['fixes_shrinking']} of {ex['n_fixes']}"
    return _row(title, measured, ex["fixes_shrinking"] == ex["n_fixes"], _explain_setting(ex))


def fix_raises_accuracy(ex: dict[str, Any]) -> dict[str, str]:
    """The suggested fix raises source-only target accuracy in ≥ 90% of the cases with a fix."""
    title = "the suggested fix raises source-only target accuracy (≥ 90% of fixes)"
    if not ex.get("n_scored"):
        return _row(title, "not measured" if ex else "not run", None)
    measured = f"{ex['fixes_raising_accuracy']} of {ex['n_scored']}"
    ok = ex["fixes_raising_accuracy"] >= FIX_HELPS_MIN * ex["n_scored"]
    setting = f"{_explain_setting(ex)}, {recorded_network(ex)} {ex['epochs']} epoch(s)"
    return _row(title, measured, ok, setting)


def judge(results: dict[str, Any]) -> list[dict[str, str]]:
    """Every target's row, in the issue's order."""
    accuracy, mmd = results.get("accuracy", {}), results.get("mmd_speed", {})
    ceiling = results.get("ceiling", {})
    return [
        vs_skada(accuracy),
        best_recipe(accuracy),
        near_oracle(accuracy),
        bare_methods_help(accuracy),
        ceiling_share(ceiling),
        throughput_vs_skada(ceiling),
        time_to_good(results.get("time_to_good", {})),
        alibi_ratio(mmd),
        diagnose_time(results.get("diagnose", {})),
        adapt_run_time(results.get("adapt_run", {})),
        matmul_fraction(mmd),
        selection_regret(results.get("selection", {})),
        selection_never_below(results.get("selection", {})),
        alarm_recall(results.get("selection", {})),
        label_shift_tv(results.get("label_shift", {})),
        cause_first(results.get("explain", {})),
        fix_shrinks_gap(results.get("explain", {})),
        fix_raises_accuracy(results.get("explain", {})),
    ]
