"""Cached calls for the Diagnose page's explanation: what differs (with checked fixes), how the labels
moved and the verdict. ``python -m tlcore diagnose`` on the same pair prints the same numbers."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from app_support import diagnosis, engine, state
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.source_model import NeedsSourceOnlyModel, label_shift_of
from tlcore.commands import app_workspace
from tlcore.diagnosis import GapReport
from tlcore.diagnosis_cache import Cached, DiagnosisCache, explanation_of
from tlcore.diagnosis_settings import GapSettings
from tlcore.explain.evidence import LabelShiftSummary, NoveltySummary
from tlcore.explain.result import Explanation
from tlcore.explain.settings import ExplainSettings
from tlcore.metrics.prior_shift_estimate import LabelShiftEstimate
from tlcore.runs.source_only import source_only_model_for
from tlcore.workspace import Workspace


def label_shift(source: str, target: str, features: str = "raw") -> LabelShiftEstimate | NeedsSourceOnlyModel:
    """The target's class proportions read by the source-only model the CLI picks for ``features``
    (``"raw"`` or a run id: :func:`~tlcore.runs.source_only.source_only_model_for`), or what is missing
    (with the command / config that trains one); recomputed when a run finishes (a new baseline may
    exist)."""
    done = tuple(r.id for r in engine.store().list(status="done", limit=1000))
    return _label_shift(str(engine.workspace().root), source, target, features, done)


@st.cache_data(max_entries=8, show_spinner="Reading the target's class proportions…")
def _label_shift(
    root: str, source: str, target: str, features: str, done: tuple[str, ...]
) -> LabelShiftEstimate | NeedsSourceOnlyModel:
    workspace = Workspace.resolve(root)
    run_id = None if features == "raw" else features
    found = source_only_model_for(
        engine.store(), source, target, run_id, workspace=app_workspace(workspace.root)
    )
    if isinstance(found, NeedsSourceOnlyModel):
        return found
    return label_shift_of(found, workspace, engine.load_pair(source, target)[1])


def explanation(
    source: str,
    target: str,
    features: str,
    report: GapReport,
    shift: LabelShiftEstimate | NeedsSourceOnlyModel,
    *,
    reuse: bool = True,
) -> Cached[Explanation]:
    """Why the pair differs and what to try, with the label shift and the novel share ranked in;
    ``report`` is the page's diagnosis in ``features`` (its gap level is the verdict's); cached like
    it (``reuse`` False computes it again); its ``adapt`` command carries the app's ``--workspace``."""
    summary = LabelShiftSummary.of(shift) if isinstance(shift, LabelShiftEstimate) else None
    novel = None if report.novelty is None else NoveltySummary.of(report.novelty)
    root = str(engine.workspace().root)
    key = (source, target, features, report.settings, diagnosis.cleared_at())
    shared = engine.shared_samples(AdaptConfig(source=source, target=target))
    told = _explanation(
        root,
        key,
        _report=report,
        label_shift=summary,
        novelty=novel,
        copied=None if shared is None else shared.copied,
        _reuse=reuse,
    )
    return replace(told, value=told.value.for_workspace(engine.command_workspace()))


@st.cache_data(max_entries=8, show_spinner="Explaining the gap: image statistics, checking fixes…")
def _explanation(
    root: str,
    key: tuple[str, str, str, GapSettings, int],  # source, target, feature space, gap settings (what made
    # _report), when the workspace's cache was cleared
    *,
    _report: GapReport,
    label_shift: LabelShiftSummary | None,
    novelty: NoveltySummary | None,
    copied: tuple[int, int] | None,
    _reuse: bool,
) -> Cached[Explanation]:
    workspace = Workspace.resolve(root)
    return explanation_of(
        DiagnosisCache.of_workspace(workspace),
        *engine.load_pair(key[0], key[1]),
        specs=(key[0], key[1]),
        workspace=workspace,
        settings=ExplainSettings(seed=_report.settings.seed),
        gap=_report.gap,
        label_shift=label_shift,
        novelty=novelty,
        copied=copied,
        reuse=_reuse,
    )


def recompute() -> None:
    """Callback of the Diagnose page's "Recompute": this server's cached diagnoses are dropped and the
    page's next run computes its diagnosis, explanation and UMAP again, replacing the workspace's."""
    diagnosis.forget()
    _explanation.clear()
    st.session_state[state.DIAGNOSE_RECOMPUTE] = True


def train_source_only(missing: NeedsSourceOnlyModel) -> str:
    """Launch the run that trains the pair's source-only model; its id."""
    return engine.launch([missing.config])[0]
