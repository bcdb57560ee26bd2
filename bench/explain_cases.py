"""Does Diagnose name the cause? Constructed pairs with a known cause, explained as a user would see them.

For each base pair (a source spec and a target spec of the same data) and each registered shift at
its benchmark severities (:data:`SEVERITIES`), the target is the base target with that one shift.
:func:`tlcore.explain.explanation.explain` runs with its default settings on the harmonised pair;
recorded per case: the verdict's first cause, whether it names the true shift, the first cause's fix
spec and its checked MMD² before / after. With ``epochs > 0`` a source-only model on the engine's
default network (``auto``; the engine's training loop, no augmentation, seed 0) is trained once per
source spec and scored on the target before and after the fix: a target-side fix changes the
target, a source-side fix the source (so the model is trained on the fixed source).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from bench.plan import Plan
from tlcore.data import harmonise, load_domain
from tlcore.data.domain import Domain
from tlcore.data.shift_table import shift_names
from tlcore.explain.explanation import explain
from tlcore.models import Classifier, build_model, resolve_model_name
from tlcore.training import TrainSettings, evaluate, train
from tlcore.workspace import Workspace

Log = Callable[[str], None]
SEVERITIES: dict[str, tuple[float, float]] = {
    "rotate": (30, 60),
    "scale": (0.7, 1.5),
    "noise": (0.1, 0.3),
    "blur": (1, 2),
    "contrast": (0.5, 0.3),
    "invert": (1, 0.8),
    "colour": (0.5, 1),
    "occlusion": (0.2, 0.4),
}
"""Two severities per registered shift, inside the registry's ranges (:func:`tlcore.data.list_shifts`)."""


def with_shift(spec: str, shift: str, value: float) -> str:
    return f"{spec}{',' if ':' in spec else ':'}{shift}={value:g}"


class SourceOnly:
    """Source-only models on the engine's default network, trained once per source spec, scoring targets."""

    def __init__(self, workspace: Workspace, epochs: int) -> None:
        self.workspace, self.epochs = workspace, epochs
        self.models: dict[tuple[str, int], Classifier] = {}
        self.networks: set[str] = set()  # the registered names ``auto`` built

    def accuracy(self, source: Domain, target: Domain) -> float:
        """Target accuracy of the model of ``source`` (trained on first use) on harmonised ``target``."""
        key = (source.name, source.X.shape[1])
        if key not in self.models:
            torch.manual_seed(0)
            shape = tuple(source.X.shape[1:])
            model = build_model("auto", shape, source.n_classes)
            self.networks.add(resolve_model_name("auto", shape))
            train(
                model,
                source,
                settings=TrainSettings(epochs=self.epochs, batch_size=64, seed=0, stage="bench"),
            )
            self.models[key] = model
        return evaluate(self.models[key], target)["accuracy"]


def _case(
    source_spec: str,
    target_spec: str,
    shift: str,
    value: float,
    *,
    workspace: Workspace,
    models: SourceOnly | None,
) -> dict[str, Any]:
    def load(spec: str) -> Domain:
        return load_domain(spec, workspace, seed=0)

    source, target = harmonise(load(source_spec), load(target_spec))
    began = time.perf_counter()
    explanation = explain(
        source, target, source_spec=source_spec, target_spec=target_spec, workspace=workspace
    )
    row: dict[str, Any] = {
        "source": source_spec,
        "target": target_spec,
        "shift": shift,
        "value": value,
        "seconds": time.perf_counter() - began,
        "causes": [c.shift or c.kind for c in explanation.verdict.causes],
        "first": None,
        "hit": False,
    }
    if not explanation.verdict.causes:
        return row
    first = explanation.verdict.causes[0]
    row |= {"first": first.shift or first.kind, "hit": first.shift == shift, "fix_spec": first.fix_spec}
    finding = next((f for f in explanation.findings if f.statistic == first.statistic), None)
    check = finding.fix.check if finding is not None and finding.fix is not None else None
    if first.fix_spec is None or check is None:
        return row
    row |= {
        "fix_side": first.fix_side,
        "mmd2_before": check.mmd2_before,
        "mmd2_after": check.mmd2_after,
        "relative_change": check.relative_change,
        "shrinks": check.mmd2_after < check.mmd2_before,
    }
    if models is not None:
        fixed = load(first.fix_spec)
        fixed_source, fixed_target = (
            harmonise(fixed, target) if first.fix_side == "source" else harmonise(source, fixed)
        )
        row["accuracy_before"] = models.accuracy(source, target)
        row["accuracy_after"] = models.accuracy(fixed_source, fixed_target)
    return row


def run_explain_cases(plan: Plan, workspace_dir: Path, log: Log) -> dict[str, Any]:
    """Every case of the plan and the totals the targets are judged on."""
    workspace = Workspace.resolve(workspace_dir)
    models = SourceOnly(workspace, plan.explain_epochs) if plan.explain_epochs > 0 else None
    rows = []
    for source_spec, target_base in plan.explain_bases:
        for shift in plan.explain_shifts or shift_names():
            for value in SEVERITIES.get(shift, ())[: plan.explain_severities]:
                target_spec = with_shift(target_base, shift, value)
                log(f"explain {source_spec} -> {target_spec}")
                rows.append(_case(source_spec, target_spec, shift, value, workspace=workspace, models=models))
    missing = [s for s in shift_names() if s not in SEVERITIES]
    fixed = [r for r in rows if r.get("mmd2_after") is not None]
    scored = [r for r in fixed if r.get("accuracy_after") is not None]
    return {
        "bases": [list(b) for b in plan.explain_bases],
        "epochs": plan.explain_epochs,
        "network": ", ".join(sorted(models.networks)) if models is not None else None,
        "rows": rows,
        "n": len(rows),
        "hits": sum(r["hit"] for r in rows),
        "n_fixes": len(fixed),
        "fixes_shrinking": sum(r["shrinks"] for r in fixed),
        "n_scored": len(scored),
        "fixes_raising_accuracy": sum(r["accuracy_after"] > r["accuracy_before"] for r in scored),
        "shifts_without_severities": missing,
    }
