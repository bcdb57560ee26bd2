"""The report's speed sections: training throughput (and its ceiling), time to a good model, parts."""

from __future__ import annotations

from typing import Any

from bench.report_format import load_text, num, pct, secs, table


def training_section(res: dict[str, Any]) -> list[str]:
    rows = [
        [
            r["task"],
            r.get("network") or "—",
            r["method"],
            num(r["tlcore"]),
            r["skada_name"] or "—",
            num(r["skada"]) if r["skada_status"] == "ok" else (r["skada_status"] or "—"),
            num(r["ratio"], 2, "x"),
        ]
        for r in res.get("throughput", [])
    ]
    out = ["## Training speed", ""]
    if rows:
        acc = res.get("accuracy", {})
        jobs, threads = acc.get("jobs", 1), acc.get("threads_per_job")
        setting = (
            f"{jobs} worker processes side by side, {threads} torch thread(s) each"
            if jobs > 1
            else f"one process, {threads} torch thread(s)"
        )
        out += [
            f"Samples the network sees per second while training, in the accuracy runs (median over "
            f"seeds; {setting}).",
            "",
        ]
        out += [
            *table(
                [
                    "task",
                    "network",
                    "method",
                    "tlcore samples/s",
                    "skada",
                    "skada samples/s",
                    "tlcore / skada",
                ],
                rows,
            )
        ]
        out += [""]
    out += ceiling_section(res.get("ceiling", {}))
    run = res.get("adapt_run", {})
    if run.get("seconds") is not None:
        stages = ", ".join(f"{k} {secs(v)}" for k, v in run["stages"].items())
        out += [
            f"One whole `{run['method']}` run, {run['epochs']} epochs, {run['source']} → {run['target']} "
            f"(empty baseline cache): **{secs(run['seconds'])}** ({stages}); target accuracy "
            f"{pct(run['target_accuracy'])}%.",
            "",
        ]
    return out


def _rounds(values: list[float | None], ceilings: list[float | None] | None = None) -> str:
    """Each round's samples/s, with its share of that round's ceiling when ``ceilings`` are given."""
    if ceilings is None or len(ceilings) != len(values):
        return ", ".join(num(v) for v in values) or "—"
    return ", ".join(
        f"{num(v)} ({num(_percent(v / c), 0, '%')})" if v and c else num(v)
        for v, c in zip(values, ceilings, strict=True)
    )


def _ceiling_optimizer(ce: dict[str, Any]) -> str:
    """The ceiling's optimizer; results from before it was recorded ran torch's default Adam."""
    if ce.get("optimizer") != "fused Adam":
        return "Adam"
    return (
        "Adam in torch's fused kernel, as tlcore's loop; skada is given `torch.optim.Adam` as its "
        "users pass it"
    )


def _share_rule(ce: dict[str, Any]) -> str:
    """How the shares were taken; results from before the rule was recorded divided the medians."""
    if ce.get("share") == "per-round ratios":
        return (
            "Samples/s are medians over the rounds; each share is the median of the per-round ratios "
            "(the machine's speed drifts between rounds, a ratio within a round cancels that)"
        )
    return "Medians over the rounds, shares of the medians"


def ceiling_section(ce: dict[str, Any]) -> list[str]:
    """The micro-benchmark's samples/s beside tlcore's and skada's, measured in turn in one process."""
    if not ce:
        return []
    runs = ce["runs"]
    skada = (
        [num(ce["skada"]), num(_percent(ce["skada_share"]), 0, "%"), _rounds(runs["skada"], runs["ceiling"])]
        if ce["skada_status"] == "ok"
        else [ce["skada_status"], "—", "—"]
    )
    rows = [
        ["bare PyTorch loop (the ceiling)", num(ce["ceiling"]), "100%", _rounds(runs["ceiling"])],
        [
            f"tlcore `{ce['method']}`",
            num(ce["tlcore"]),
            num(_percent(ce["tlcore_share"]), 0, "%"),
            _rounds(runs["tlcore"], runs["ceiling"]),
        ],
        [f"skada `{ce['skada_name'] or '—'}`", *skada],
    ]
    return [
        "### Throughput ceiling",
        "",
        f"A bare PyTorch loop over the same network ({ce['network']}) and batch ({ce['batch_size']} source + "
        f"{ce['batch_size']} target samples in one forward pass, source cross-entropy, backward, "
        f"{_ceiling_optimizer(ce)}) on batches already in memory is the machine's ceiling. It, tlcore "
        "and skada train on "
        f"{ce['source']} → {ce['target']} ({ce['epochs']} epoch(s) each, augmentation off) in turn, "
        f"{ce['rounds']} round(s) in one process with {ce['threads']} torch thread(s); load average "
        f"{load_text(ce['load_start'])} at the start, {load_text(ce['load_end'])} at the end. "
        f"{_share_rule(ce)}; tlcore / skada: **{num(ce['tlcore_over_skada'], 2, 'x')}**.",
        "",
        *table(["", "samples/s", "share of the ceiling", "per round (share of its ceiling)"], rows),
        "",
    ]


def _percent(share: float | None) -> float | None:
    return None if share is None else 100 * share


def time_to_good_section(tg: dict[str, Any]) -> list[str]:
    """Per budget and seed: final accuracy, when it was reached, the whole run; the ratio."""
    if not tg:
        return []
    labels = {
        "recommended": "recommended recipe's own",
        "today": "today's",
        "settled": "recipe's own, stopping once settled",
    }
    rows = []
    for name, budget in tg["budgets"].items():
        for r in budget["runs"]:
            rows.append(
                [
                    labels.get(name, name),
                    str(r["seed"]),
                    r["budget"] + (f", network {r['network']}" if r.get("network") else ""),
                    pct(r["final"]),
                    pct(r["accuracy"]),
                    num(r["epoch_to_good"]),
                    secs(r["seconds_to_good"]),
                    secs(r["seconds_to_last_epoch"]),
                    secs(r["seconds"]),
                    load_text(r["load"]),
                ]
            )
        rows.append(
            [
                f"**{labels.get(name, name)}, mean**",
                "",
                "",
                pct(budget["final"]),
                pct(budget.get("accuracy")),
                "",
                secs(budget["seconds_to_good"]),
                secs(budget["seconds_to_last_epoch"]),
                "",
                "",
            ]
        )
    per_seed = ", ".join(f"{v:.2f}" for v in tg["ratio_per_seed"]) or "—"
    settled = ""
    if tg.get("settled_ratio") is not None:
        runs = tg["budgets"]["settled"]["runs"]
        epochs = ", ".join(str(r["epochs_trained"]) for r in runs)
        settled = (
            " Stopping once at most "
            f"{100 * tg['settle_tol']:g}% of the target predictions change from one epoch to the next, two "
            f"epochs running (`--settle-tol {tg['settle_tol']:g}`; no target labels), the recipe's "
            f"adapt stage ended after {epochs} of its epochs: time to the last epoch "
            f"**{num(tg['settled_ratio'], 2, 'x')}** the full budget's, accuracy of the whole run "
            f"{100 * tg['settled_accuracy_change']:+.1f} points (means over seeds)."
        )
    header = [
        "budget",
        "seed",
        "settings",
        "last-epoch accuracy %",
        "run's accuracy %",
        "good at epoch",
        "time to good",
        "time to last epoch",
        "whole run",
        "load (1 min) start / end",
    ]
    return [
        "## Time to a good model",
        "",
        f"The recommended recipe (`{tg['recipe']}`) on {tg['source']} → {tg['target']}, seeds {tg['seeds']}, "
        "on its own budget and on today's (the same methods with AdaptConfig's former defaults). Wall time "
        "from the start of a first run (empty baseline cache: data, source-only baseline, adaptation) "
        f"until the target test accuracy reaches, and stays within, {100 * tg['margin']:g} point of its "
        "final (last-epoch) value; a run's epochs are timed as their progress events arrive. The "
        f"budgets of a seed run back to back in one process ({tg['threads']} torch thread(s)). Recommended "
        "recipe's time to a good model / today's time to its last epoch (means over seeds): "
        f"**{num(tg['ratio'], 2, 'x')}** (per seed: {per_seed}).{settled}",
        "",
        *table(header, rows),
        "",
    ]


def parts_section(res: dict[str, Any]) -> list[str]:
    """How long each part of the benchmark took (the original time of a part reused on resume)."""
    timings = res.get("part_seconds", {})
    if not timings:
        return []
    rows = [
        [name, secs(t["seconds"]), "from the state folder (`--resume`)" if t["reused"] else "this run"]
        for name, t in timings.items()
    ]
    return [
        "## Parts",
        "",
        "Wall time of each part (`--only PART`). Parts that keep a cell per training run (accuracy, "
        "time_to_good, selection, user_pools) count only what this run computed; the others are one "
        "cell each.",
        "",
        *table(["part", "wall time", "measured in"], rows),
        "",
    ]
