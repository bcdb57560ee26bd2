"""docs/benchmarks.md from the results dict (the same dict is written as docs/benchmarks.json)."""

from __future__ import annotations

from typing import Any

from bench.networks import recorded_network
from bench.report_accuracy import accuracy_section
from bench.report_format import load_text, num, pct, secs, table
from bench.report_selection import selection_section
from bench.report_speed import parts_section, time_to_good_section, training_section
from bench.report_user_pools import user_pools_section
from tlcore.data.overlap import base_dataset
from tlcore.data.spec_text import parse_spec

IMPLS = ("tlcore", "alibi-detect", "numpy")


def machine_section(res: dict[str, Any]) -> list[str]:
    m, v = res["machine"], res["machine"]["versions"]
    mem = m.get("memory_gib", {})
    rows = [
        ["CPU", f"{m['cpu']}, {m['cores']} cores"],
        ["torch", f"{v['torch']}, {m['torch_threads']} threads, BLAS {m['blas']}, CUDA {m['cuda']}"],
        ["Python / NumPy / scikit-learn", f"{m['python']} / {v['numpy']} / {v['scikit-learn']}"],
        ["skada / skorch / alibi-detect", f"{v['skada']} / {v['skorch']} / {v['alibi-detect']}"],
        ["memory", f"{mem.get('total', 0):.1f} GiB, {mem.get('available', 0):.1f} GiB available at start"],
        [
            "load average (1/5/15 min)",
            f"start {load_text(m['load_start'])}, end {load_text(res['load_end'])}",
        ],
        ["date", m["date"]],
    ]
    return ["## Machine", "", *table(["", ""], rows), ""]


def targets_section(res: dict[str, Any]) -> list[str]:
    rows = [[t["target"], t["measured"], f"**{t['status']}**", t["setting"] or ""] for t in res["targets"]]
    return ["## Targets", "", *table(["target", "measured", "status", "setting"], rows), ""]


def _cell(entry: dict[str, Any]) -> str:
    if "seconds" not in entry:
        return entry.get("status", "—") + (f" ({entry['note']})" if entry.get("note") else "")
    return ("≈" if entry["status"] == "extrapolated" else "") + secs(entry["seconds"])


def mmd_section(mmd: dict[str, Any]) -> list[str]:
    if not mmd:
        return []
    rows = []
    for r in mmd["rows"]:
        ratios = [num(r.get(f"{i}_over_tlcore"), 0, "x") for i in IMPLS[1:]]
        memory = " / ".join(num(r[i].get("peak_rss_mib"), 0) for i in IMPLS)
        rows.append(
            [
                str(r["n"]),
                str(r["d"]),
                *(_cell(r[i]) for i in IMPLS),
                *ratios,
                memory,
                secs(r.get("matmul_seconds")),
                num(100 * r["matmul_fraction"], 0, "%") if r.get("matmul_fraction") else "—",
            ]
        )
    header = [
        "n per side",
        "d",
        "tlcore",
        "alibi-detect",
        "NumPy",
        "alibi / tlcore",
        "NumPy / tlcore",
        "peak MiB (tlcore / alibi / NumPy)",
        "matmul-only time",
        "tlcore at matmul rate",
    ]
    growth = [
        [impl, str(d), ", ".join(f"{g['from']}→{g['to']}: n^{g['exponent']:.2f}" for g in steps) or "—"]
        for impl, per_d in mmd["growth"].items()
        for d, steps in per_d.items()
    ]
    return [
        "## MMD² permutation test",
        "",
        f"Unbiased MMD² with a Gaussian kernel (same bandwidth for all) and a {mmd['permutations']}-"
        "permutation test, float32 Gaussian samples. Cells marked ≈ were timed on a few permutations and "
        f"extrapolated (predicted over the {mmd['budget_s']:.0f} s budget). Peak memory: RSS growth "
        "during one call in a fresh process. Matmul-only time: `torch.mm` on the test's matrix shapes "
        "(one N x d by d x N product, then N x N by N x block products); the last column is that time "
        "over tlcore's.",
        "",
        *table(header, rows),
        "",
        "Growth of the time with n:",
        "",
        *table(["implementation", "d", "exponent"], growth),
        "",
    ]


def diagnose_section(diag: dict[str, Any]) -> list[str]:
    if "first" not in diag:
        return ["## Diagnose", "", diag.get("note", "not measured"), ""] if diag else []
    steps = list(diag["first"]["steps"])
    rows = [
        [label, *(secs(diag[key]["steps"].get(s)) for s in steps)]
        for label, key in (("first call", "first"), ("warm call", "warm"))
    ]
    cli = diag["cli"]
    cli_text = secs(cli["seconds"]) if "seconds" in cli else f"{cli['status']} ({cli.get('note', '')})"
    umap = f", UMAP of {diag['umap_points']} points per domain" if "umap_points" in diag else ""
    return [
        "## Diagnose",
        "",
        f"`diagnose` of {diag['pair'][0]} → {diag['pair'][1]} ({diag['n_source']} + {diag['n_target']} "
        f"samples, {diag['feature_space']} features, {diag['permutations']} permutations{umap}): p = "
        f"{diag['p_value']:.4f}, MMD² {diag['mmd2']:.4g}, A-distance {diag['a_distance']:.2f}. Loading and "
        f"harmonising the pair: {secs(diag['load_seconds'])}. CLI in a fresh process "
        f"(`python -m tlcore diagnose ... --json --no-cache`, imports included): {cli_text}.",
        "",
        *table(["", *steps], rows),
        "",
    ]


def inside(source: str, target: str) -> bool:
    """Whether every image ``target`` draws is one of ``source``'s, from the specs: one dataset, the
    source all of it (no ``n=``, no dropped blanks) on the target's split or on every split."""
    src, tgt = parse_spec(source), parse_spec(target)
    whole = src.n is None and not src.drop_blank and src.split in (None, "all", tgt.split)
    return whole and base_dataset(source) == base_dataset(target)


def _shares_all(source: str, target: str) -> str:
    """The sentence saying that a base pair shares all its images by design."""
    return (
        f"`{source}` → `{target}` shares all its images by design: its targets are source images shifted, "
        "so the shift is all that tells the two sides apart and a model trained on the source has seen "
        "every target image (`adapt` and `diagnose` warn of the shared samples for this pair)."
    )


def explain_section(ex: dict[str, Any]) -> list[str]:
    """Constructed pairs with a known cause: is it named first, does the fix shrink MMD² and help accuracy."""
    if not ex:
        return []
    rows = []
    for r in ex["rows"]:
        accuracy = (
            f"{pct(r['accuracy_before'])} → {pct(r['accuracy_after'])}"
            if r.get("accuracy_after") is not None
            else "—"
        )
        mmd = (
            f"{r['mmd2_before']:.3g} → {r['mmd2_after']:.3g} ({100 * r['relative_change']:+.0f}%)"
            if r.get("mmd2_after") is not None
            else "—"
        )
        rows.append(
            [
                f"`{r['target']}`",
                f"**{r['first']}**" if r["hit"] else f"{r['first']} (missed)",
                f"`{r['fix_spec']}` ({r.get('fix_side', '')})" if r.get("fix_spec") else "—",
                mmd,
                accuracy,
                secs(r["seconds"]),
            ]
        )
    bases = "; ".join(f"`{s}` → `{t}`" for s, t in ex["bases"])
    model = (
        f"Source-only accuracy: {recorded_network(ex)} trained {ex['epochs']} epoch(s) on the source "
        "(no augmentation, seed 0), scored on the whole target; a source-side fix retrains it on the "
        "fixed source."
        if ex["epochs"]
        else "Source-only accuracy not measured (explain_epochs 0)."
    )
    missing = ex.get("shifts_without_severities") or []
    return [
        "## Diagnosis explained",
        "",
        f"Each registered shift alone on the target of a base pair ({bases}); `explain` with its default "
        "settings names the causes (first cause shown) and checks each fix by loading its spec and "
        "re-measuring MMD² on raw features. "
        f"True cause first: **{ex['hits']} of {ex['n']}**; fixes shrinking MMD²: "
        f"**{ex['fixes_shrinking']} of {ex['n_fixes']}**; fixes raising source-only accuracy: "
        f"**{ex['fixes_raising_accuracy']} of {ex['n_scored']}**. {model}"
        + "".join(
            f" {_shares_all(source, target)}" for source, target in ex["bases"] if inside(source, target)
        )
        + (f" Shifts without benchmark severities: {', '.join(missing)}." if missing else ""),
        "",
        *table(
            [
                "target",
                "first cause",
                "suggested fix",
                "MMD² before → after",
                "accuracy before → after (%)",
                "explain",
            ],
            rows,
        ),
        "",
    ]


def app_section(app: dict[str, Any]) -> list[str]:
    if not app:
        return []
    if app.get("status") != "measured":
        text = f"{app.get('status')}: {app.get('note', '')}"
    else:
        text = (
            f"**{secs(app['seconds'])}** from `streamlit run app.py` to a rendered `{app['url_path']}` page "
            "in headless Chromium (fresh workspace, page idle for 1 s)."
        )
    return ["## App cold start", "", text, ""]


def photos_section(ph: dict[str, Any]) -> list[str]:
    if not ph:
        return []
    height, width = ph["size"]
    lines = [
        "## Loading photos",
        "",
        f"{ph['count']} JPEGs of {width}x{height} per kind (quality 90, in a zip) read by tlcore "
        "(`tlcore.data.images`: a large JPEG decoded at a reduced DCT scale) and by a full decode with the "
        f"same float resize; best of {ph['rounds']} reads each. Difference: between the two tensors, in "
        "8-bit levels (1/255).",
        "",
        "| kind | output | scale | tlcore | full decode | speed-up | max difference | mean difference |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, row in ph["kinds"].items():
        out_h, out_w = row["output"]
        times = f"{secs(row['tlcore_s'])} | {secs(row['full_s'])} | {row['speedup']:.1f}x"
        lines.append(
            f"| {kind} | {out_w}x{out_h} | 1/{row['scale']} | {times} "
            f"| {row['max_levels']:.2f} | {row['mean_levels']:.3f} |"
        )
    return [*lines, ""]


def sweep_section(sw: dict[str, Any]) -> list[str]:
    if not sw:
        return []
    ways = {"sequential": "sequential, one process", "local": "`local` executor", "ray": "`ray` executor"}
    fields = ("wall_s", "start_s", "per_trial_s", "pipeline_s", "overhead_s")
    rows = [
        [label, *(secs(sw[key][f] or None) for f in fields), f"{sw[key]['done']}/{sw['trials']}"]
        for key, label in ways.items()
    ]
    ray = sw["ray"]
    grid = ", ".join(f"`{k}` {'/'.join(f'{v:g}' for v in d['choice'])}" for k, d in sw["grid"].items())
    marks = {sw["best_in_hindsight"]: "best in hindsight", sw["recommended"]: "recommended"}
    if sw["recommended"] == sw["best_in_hindsight"]:
        marks[sw["recommended"]] = "recommended, best in hindsight"
    scores = ("target_accuracy", "source_accuracy")
    configs = [
        [f"`{_cell_text(c['key'])}`", *(_mean_std(c[k]) for k in scores), marks.get(c["key"], "")]
        for c in sw["configs"]
    ]
    projection = [[str(p["nodes"]), secs(p["seconds"])] for p in sw["projection"]]
    return [
        "## Sweeps",
        "",
        f"`{sw['command']}` ({sw['date']}; load {load_text(sw['load_start'])} at the start, "
        f"{load_text(sw['load_end'])} at the end): {sw['trials']} trials, {', '.join(sw['compositions'])} x "
        f"{grid} x seeds {sw['seeds']}, {sw['epochs']} epochs, {sw['pair'][0]} → {sw['pair'][1]}. One trial "
        "at a time with every core and the same thread settings, each way in an empty workspace. Per trial: "
        "(wall - start-up) / trials; overhead = that minus the pipeline's own time (`result.seconds`).",
        "",
        *table(["way", "wall", "start-up", "per trial", "pipeline", "overhead per trial", "done"], rows),
        "",
        f"A fresh worker process importing torch and the pipeline: {secs(sw['torch_import_s'])} (paid per "
        f"trial by `local`). `ray`: start-up = `ray.init` + the progress actor; "
        f"per trial {num(ray.get('payload_mib'), 2)} MiB back to the driver, "
        f"{secs(ray.get('transfer_s'))} to fetch and write it. Same target accuracy for every trial "
        f"all three ways: {'yes' if sw['same_numbers'] else 'no'}.",
        "",
        "Projected wall time of this sweep on N nodes like this machine, one trial per node at a time "
        "(start-up + ⌈trials / N⌉ x the `ray` per-trial time):",
        "",
        *table(["nodes", "projected wall time"], projection),
        "",
        "Per configuration (mean ± std over seeds, %; recommended without target labels by the selection "
        "rule):",
        "",
        *table(["configuration", "target accuracy", "source accuracy", ""], configs),
        "",
    ]


def _updates(res: dict[str, Any]) -> list[str]:
    """One line per later ``--update`` run whose numbers the report still shows: its command, the
    parts (and accuracy rows) it stands behind, when and how long."""
    return [
        f"Updated by `{u['command']}` (parts {', '.join(_part(p, u) for p in u['parts'])}; {u['date']}; "
        f"{secs(u['seconds'])}; load average {load_text(u['load'][0])} at start"
        + (f"; CPU {u['cpu']}" if u.get("cpu") else "")
        + ").\n"
        for u in res.get("updates", [])
    ]


def _part(part: str, update: dict[str, Any]) -> str:
    rows = update.get("rows") if part == "accuracy" else None
    return part if rows is None else f"{part}: {len(rows)} row{'s' * (len(rows) != 1)}"


def label_shift_section(ls: dict[str, Any]) -> list[str]:
    if not ls:
        return []
    rows = [
        [
            f"{r['source']} → {r['target']}",
            r["profile"],
            num(r["n_target"]),
            num(r["true_tv"], 3),
            num(r["em_tv_to_truth"], 3),
            num(r["bbse_tv_to_truth"], 3),
            f"{sum(bool(run['consistent']) for run in r['runs'])} of {len(r['runs'])}",
            pct(r["source_only_accuracy"]),
            pct(r["corrected_accuracy"]),
        ]
        for r in ls["rows"]
    ]
    header = [
        "source half → targets from",
        "target class proportions",
        "target samples",
        "true TV from source",
        "EM: TV to truth",
        "BBSE: TV to truth",
        "EM and BBSE agree",
        "source-only accuracy %",
        "+ prior_correction %",
    ]
    return [
        "## Label shift",
        "",
        "Targets drawn with known class proportions from the other half of a dataset split 50/50 "
        "(stratified; the source is the balanced half, uploaded as a user's file). One `source_only` "
        f"run per source half (the engine's defaults, {ls['epochs']} epochs, network "
        f"{recorded_network(ls)}) trains the source-only "
        "model; it estimates each target's class proportions without target labels "
        "(`tlcore.adapt.source_model.label_shift_of` on every target sample: EM with bias-corrected "
        "temperature scaling, and BBSE), scored by total variation (TV) to the true proportions; the "
        "`prior_correction` transform, fed the unlabelled target train split as in a run, is scored on "
        f"the target test split. Means over seeds {ls['seeds']}. The `mnist5k → digits` rows (the "
        "mnist5k half's model) add a covariate shift, where the label-shift premise does not hold; "
        '"agree" counts the seeds where EM and BBSE lie within TV 0.1 of each other, the check that '
        "flags such estimates as untrustworthy.",
        "",
        *table(header, rows),
        "",
    ]


def _cell_text(text: str) -> str:
    """``|`` escaped: a trial key's separator would split the table cell."""
    return text.replace("|", "\\|")


def _mean_std(stat: dict[str, Any] | None) -> str:
    return "—" if stat is None else pct(stat["mean"], stat["std"])


def render(res: dict[str, Any]) -> str:
    """The whole markdown document."""
    head = [
        "# Benchmarks",
        "",
        f"Generated by `{res['command']}` (mode: {res['mode']}; {secs(res['seconds'])} in all). Do not edit: "
        "rerun the command. Raw figures: `benchmarks.json` beside this file. Timings depend on the load "
        "of the machine, given below.",
        "",
        *_updates(res),
    ]
    sections = (
        machine_section(res),
        targets_section(res),
        accuracy_section(res.get("accuracy", {})),
        training_section(res),
        time_to_good_section(res.get("time_to_good", {})),
        mmd_section(res.get("mmd_speed", {})),
        diagnose_section(res.get("diagnose", {})),
        explain_section(res.get("explain", {})),
        app_section(res.get("app_start", {})),
        photos_section(res.get("photos", {})),
        sweep_section(res.get("sweep", {})),
        selection_section(res.get("selection", {})),
        user_pools_section(res.get("user_pools", {})),
        label_shift_section(res.get("label_shift", {})),
        parts_section(res),
    )
    return "\n".join(head + [line for section in sections for line in section]).rstrip() + "\n"
