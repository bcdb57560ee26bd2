"""The report's diagnosis sections: `diagnose` timed on one pair, constructed shifts explained (the true
cause named first, each fix checked), label-shift estimates against known class proportions."""

from __future__ import annotations

from typing import Any

from bench.networks import recorded_network
from bench.report_format import num, pct, secs, table
from tlcore.data.overlap import base_dataset
from tlcore.data.spec_text import parse_spec


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
