"""docs/benchmarks.md from the results dict (the same dict is written as docs/benchmarks.json)."""

from __future__ import annotations

from typing import Any

from bench.report_accuracy import accuracy_section
from bench.report_diagnosis import diagnose_section, explain_section, label_shift_section
from bench.report_format import load_text, num, pct, secs, table
from bench.report_selection import selection_section
from bench.report_speed import parts_section, time_to_good_section, training_section
from bench.report_user_pools import user_pools_section

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
