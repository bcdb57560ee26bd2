"""The report's accuracy section: tlcore's methods beside skada's counterparts, recipes, the oracle,
fine-tuning on a few target labels."""

from __future__ import annotations

from typing import Any

from bench.networks import is_engine_default
from bench.report_format import pct, table
from bench.spread import difference_se, difference_text
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.recipe import RECIPES, RECOMMENDED


def _skada_cell(entry: dict[str, Any]) -> tuple[str, str]:
    skada = entry.get("skada")
    if skada is None:
        return "—", "—"
    if "status" in skada:
        return skada["name"], skada["status"]
    return skada["name"], pct(skada["mean"], skada["std"])


def _recipe_label(name: str, entry: dict[str, Any]) -> str:
    """``recipe `a+b```, or for a named recipe its methods and budget too."""
    config = entry.get("config")
    if name not in RECIPES or not config:
        return f"recipe `{name}`"
    cfg = AdaptConfig.from_dict(config)
    params = f" ({cfg.params_text})" if cfg.params else ""
    return f"recipe `{name}`: {cfg.method_label}{params}, {cfg.budget_text}"


def _inert_discriminator(probe: dict[str, Any] | None) -> list[str]:
    """A paragraph when skada's default domain classifier was found to output a constant."""
    if not probe or not probe.get("constant_output"):
        return []
    working = probe.get("working")
    repaired = (
        " Below each task's table, skada's DANN and CDAN run again with that classifier's softmax "
        "replaced by a sigmoid (`bench.skada_methods.working_domain_classifier`: on the same probe it "
        f"outputs {'a constant' if working['constant_output'] else 'varying values'} and sends a "
        f"gradient of norm {working['feature_gradient_norm']:.3g} back)."
        if working
        else ""
    )
    return [
        f"skada {probe['version']}'s default domain classifier (the one its DANN and CDAN build) "
        f"outputs {probe['output']:g} for every input of the benchmark's probe and sends a gradient of "
        f"norm {probe['feature_gradient_norm']:g} back to the features: its DANN and CDAN rows train "
        f"no discriminator (the network's BatchNorm layers still see the target batches).{repaired}",
        "",
    ]


def _difference_cell(entry: dict[str, Any], side: str, diff: str) -> str:
    """tlcore's mean minus ``entry[side]``'s (stored under ``diff``) ± its standard error, or a dash."""
    if entry.get(diff) is None:
        return "—"
    return difference_text(entry[diff], difference_se(entry["tlcore"], entry[side]))


def _working_classifier_rows(methods: dict[str, Any]) -> list[str]:
    """The table of tlcore's DANN / CDAN beside skada's run with a working domain classifier."""
    rows = [
        [
            name,
            pct(entry["tlcore"]["mean"], entry["tlcore"]["std"]),
            entry["skada_working"]["name"],
            pct(entry["skada_working"]["mean"], entry["skada_working"]["std"]),
            _difference_cell(entry, "skada_working", "diff_working"),
        ]
        for name, entry in methods.items()
        if "skada_working" in entry
    ]
    header = [
        "method",
        "tlcore",
        "skada counterpart",
        "skada, working domain classifier",
        "tlcore - skada (± se)",
    ]
    return [*table(header, rows), ""] if rows else []


def accuracy_section(acc: dict[str, Any]) -> list[str]:
    if not acc:
        return []
    out = [
        "## Target accuracy",
        "",
        f"Target test accuracy in %, mean ± std over seeds {acc['seeds']}; {acc['epochs']} epochs, batch "
        f"{acc['batch_size']} per domain, Adam lr {acc['lr']}, the engine's default network for the "
        "input unless a task names another (the targets judge the default network's rows). "
        f"skada: {acc['skada']}. Method rows train without "
        "augmentation on both sides, on the same arrays and network; skada's shallow CORAL and "
        "KMMReweight fit a logistic regression on 64 PCA components of the pixels, tlcore's CORAL "
        "and KMM work on the source-only network's features. A named recipe runs with its own budget "
        "(given in its row); composed recipes, the oracle (trained on the labelled target train split) "
        "and fine-tuning of the source-only model on k labelled target samples per class use the "
        "engine's defaults (source augmentation on), with the same epochs; `recipe + k` is the "
        "recommended recipe, its budget and all, trained on k labelled target samples per class "
        "too (its `labelled_target` term). tlcore - skada: the "
        "difference of the means ± its standard error over the seeds, sqrt(s1²/n1 + s2²/n2) "
        "(`bench.spread.difference_se`).",
        "",
        *_inert_discriminator(acc.get("skada_domain_classifier")),
    ]
    for task in sorted(acc["tasks"], key=lambda task: not is_engine_default(task)):  # the default's first
        which = (
            "the engine's default for this input" if is_engine_default(task) else "not the engine's default"
        )
        out += [
            f"### {task['source']} → {task['target']}",
            "",
            f"Network: {task.get('model') or '—'} ({which}).",
            "",
        ]
        rows = []
        for name, entry in task["methods"].items():
            label = name + (" (uses target labels)" if entry.get("needs_target_labels") else "")
            skada_name, skada_value = _skada_cell(entry)
            rows.append(
                [
                    label,
                    pct(entry["tlcore"]["mean"], entry["tlcore"]["std"]),
                    skada_name,
                    skada_value,
                    _difference_cell(entry, "skada", "diff"),
                ]
            )
        header = ["method", "tlcore", "skada counterpart", "skada", "tlcore - skada (± se)"]
        out += [*table(header, rows), "", *_working_classifier_rows(task["methods"])]
        extra = [[_recipe_label(r, e), pct(e["mean"], e["std"])] for r, e in task["recipes"].items()]
        if task.get("oracle"):
            extra.append(
                [
                    f"oracle `{task['oracle']['name']}` (target labels)",
                    pct(task["oracle"]["mean"], task["oracle"]["std"]),
                ]
            )
        extra += [
            [f"finetune k={k} (target labels)", pct(e["mean"], e["std"])]
            for k, e in sorted(task.get("few_shot", {}).items(), key=lambda item: int(item[0]))
        ]
        extra += [
            [
                f"recipe `{RECOMMENDED.name}` + k={k} (target labels: `labelled_target`)",
                pct(e["mean"], e["std"]),
            ]
            for k, e in sorted(task.get("recipe_labels", {}).items(), key=lambda item: int(item[0]))
        ]
        if extra:
            out += [*table(["engine defaults", "tlcore"], extra), ""]
        failed = [
            f"{n} seed {r['seed']}: {r.get('note', r.get('status'))}"
            for n, e in task["methods"].items()
            for r in e["tlcore"]["runs"]
            + e.get("skada", {}).get("runs", [])
            + e.get("skada_working", {}).get("runs", [])
            if r.get("status") not in ("done", "stopped_early", None)
        ]
        out += [f"Failed runs: {'; '.join(failed)}", ""] if failed else []
        other = [n for n, e in task["methods"].items() if e.get("same_network") is False]
        out += (
            [f"Networks differ on the two sides (see tlcore.adapt.stages.network): {', '.join(other)}", ""]
            if other
            else []
        )
    return out
