"""What the label-free checks cannot see, said beside the ranking's choice (pure): a collapsed choice,
a shift every run gets wrong alike, an outvoted ensemble; once per pool of several setups. The Compare
page, the HTML report and ``runs rank`` say them."""

from __future__ import annotations

from tlcore.commands import command_line
from tlcore.selection.pool import makeup_words, outvoted
from tlcore.selection.ranking import Ranking
from tlcore.selection.settings import VALIDATORS


def blind_spot(ranking: Ranking, *, shell: bool = False, workspace: str | None = None) -> str | None:
    """What the label-free checks cannot see, said beside the ranking's choice: that the model it
    recommends predicts collapsed classes on the target (:meth:`Ranking.collapsed_choice`; a kept
    source-only model that does is said in the reason: :func:`~tlcore.selection.collapse.kept_collapsed`),
    and, beside a run recommended without target labels, that a shift on which every run goes wrong the
    same way passes the checks (with labels the accuracies are shown), and that EnsV's ensemble was
    outvoted (:func:`~tlcore.selection.pool.outvoted`: how the runs were ranked then). None when none
    applies. In a
    pool of several setups, a caveat every setup says once (:func:`shared_caveats`), then each setup's
    others after its name. Where to check on labelled samples: the Predict page, or for the ``shell``
    (``runs rank``) the ``predict`` command, with ``--workspace workspace`` when given
    (:func:`check_where`)."""
    if not ranking.parts:
        return " ".join(_caveats(ranking, check_where(shell, workspace, ranking.recommended))) or None
    shared, own = shared_caveats(ranking, shell=shell, workspace=workspace)
    said = [*shared, *(f"{setup}: {' '.join(caveats)}" for setup, caveats in own.items() if caveats)]
    return " ".join(said) or None


def shared_caveats(
    ranking: Ranking, *, shell: bool = False, workspace: str | None = None
) -> tuple[list[str], dict[str, list[str]]]:
    """A pool of several setups' caveats: those every setup says (said once: on an unlabelled target each
    recommendation repeated the same sentence), and ``{setup: its other caveats}``; a pool of one setup's
    are its own, under ``""``; ``shell`` and ``workspace`` as :func:`blind_spot` takes them."""
    where = check_where(shell, workspace, None if ranking.parts else ranking.recommended)
    each = {part.setup: _caveats(part, where) for part in ranking.parts or (ranking,)}
    lists = list(each.values())
    shared = [c for c in lists[0] if all(c in other for other in lists[1:])] if len(lists) > 1 else []
    return shared, {setup: [c for c in caveats if c not in shared] for setup, caveats in each.items()}


def check_where(shell: bool, workspace: str | None, run_id: str | None = None) -> str:
    """Where to check a recommended run on labelled target samples, as the surface names it: the app's
    Predict page (QA: ``runs rank`` pointed the shell to it), or for the ``shell`` the ``predict``
    command (:func:`~tlcore.commands.command_line`, with ``--workspace workspace`` when given) of
    ``run_id``, the one recommended run of a setup (audit helper-275: ``RUN_ID`` left the user to copy it
    from the line above), else ``RUN_ID`` (a pool of several setups says it once for all of them)."""
    if not shell:
        return "the Predict page"
    return f"`{command_line('predict', run_id or 'RUN_ID', '--data', 'upload:FILE', workspace=workspace)}`"


def _caveats(ranking: Ranking, where: str) -> list[str]:
    """:func:`blind_spot`'s sentences for a ranking of one setup; ``where``: :func:`check_where`."""
    parts = []
    collapsed = ranking.collapsed_choice()
    if collapsed is not None and collapsed[0] == "recommended":  # a kept one: the reason says it
        parts.append(
            f"The recommended model predicts {collapsed[1]:.1f} effective classes of {ranking.n_classes} on "
            "the target: its predictions are collapsed onto a few classes, and the guardrails compare each "
            "run with its own source-only model, so a run whose source-only model collapsed too passes "
            "them; check it on a few labelled target samples per class before using it."
        )
    unlabelled = all(e.alarm.target_accuracy is None for e in ranking.entries)
    if ranking.recommended is not None and unlabelled:
        parts.append(
            "The checks compare each run with the others and with its source-only model, so a shift on "
            "which every run goes wrong the same way passes them all: before relying on the "
            "recommendation, label a few target samples per class and check its accuracy on them "
            f"({where})."
        )
    if outvoted(ranking.ensemble) and len(ranking.entries) > 1:  # docs/defaults.md, Small pools
        instead = (
            f"ranked by {VALIDATORS[ranking.settings.validator].label} in EnsV's place and "
            if ranking.asked
            else ""
        )
        parts.append(
            f"The ensemble that EnsV compares each model with holds {makeup_words(ranking.ensemble)}: "
            "with no more adapted models than source-only ones, "
            "agreeing with it mostly means agreeing with the source-only models, so the runs are "
            f"{instead}not held to ensemble agreement (a run that collapsed or forgot the source is still "
            "flagged; one that is confidently wrong is not); rank more configurations (a sweep) for the "
            "ensemble's checks."
        )
    return parts
