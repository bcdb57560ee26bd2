"""The candidates of one pair, read from a run store for :mod:`tlcore.selection` (reads only),
one run's alarm within them, and the command that makes a mixed pool's kept source-only model a run.
Reading them loads no torch (``runs show``'s alarm, ``runs rank``): only the kept model's command does.

A candidate is a ``done`` run of ``source -> target`` (the specs as the runs were launched with)
whose ``result.json`` holds ``validators`` and whose ``predictions.npz`` is readable (a run whose
result file is damaged is excluded, with the reason, like one without them). Candidates must
cover the same target samples (:class:`~tlcore.selection.predictions.TargetFingerprint`); when the
pair's runs fall into several groups, the pool is the group of ``run_id`` if given, else the largest
(ties: the one with the newest run), and the other runs are listed as excluded with the reason;
:func:`load_pools` gives every group as a pool of its own.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tlcore.adapt.config import METHOD_ONLY_FIELDS, AdaptConfig
from tlcore.adapt.source_only_run import source_only_command, source_only_config
from tlcore.adapt.stored_params import params_note
from tlcore.errors import TLError
from tlcore.metrics.mcnemar import PairedChange
from tlcore.runs.record import RunRecord
from tlcore.runs.result_file import UnreadableResultError
from tlcore.runs.run_files import PREDICTIONS_FILE
from tlcore.runs.search import point_key
from tlcore.runs.store import RunStore
from tlcore.selection.alarm import Alarm
from tlcore.selection.pool import Candidate, Pool
from tlcore.selection.predictions import TargetPredictions
from tlcore.selection.ranking import Ranking, rank
from tlcore.selection.scores import RunValidators

OLD_RUN = "stored without validator scores or predictions (finished before they existed); rerun it"
OTHER_SAMPLES = "its predictions cover other target samples (another load seed or changed data)"
UNKNOWN_NETWORK = "network not recorded"  # an old run of model auto: which one it built is unknown
# config fields that name no config of the source-only model: the pair, the replicate's seed, the model
# (its resolved name leads the label instead: ``auto`` and the backbone it builds are one config)
_NOT_A_CONFIG = frozenset(METHOD_ONLY_FIELDS) | {"source", "target", "seed", "model"}


def baseline_label(config: dict[str, Any], result: dict[str, Any]) -> str:
    """The config of a run's source-only model in words (:mod:`tlcore.selection.baselines`): the
    backbone it built, then the baseline fields that differ from :class:`AdaptConfig`'s defaults,
    e.g. ``efficientnet_lite0, image_size 64, epochs 1``. A run stored before results recorded the
    network (``info.model``) names the model it asked for by name, and :data:`UNKNOWN_NETWORK` for
    ``auto`` or none: which network ``auto`` built then is not known (its rule has changed since)."""
    model = (result.get("info") or {}).get("model") or {}
    name = model.get("name") if isinstance(model, dict) else None
    asked = config.get("model")
    words = [str(name or (asked if asked and asked != "auto" else UNKNOWN_NETWORK))]
    for field, default in AdaptConfig.defaults().items():
        if field not in _NOT_A_CONFIG and field in config and config[field] != default:
            words.append(f"{field} {config[field]}")
    return ", ".join(words)


def setup_label(config: dict[str, Any], result: dict[str, Any]) -> str:
    """A run's setup as a sweep names it (:data:`tlcore.runs.sweep_selection.SETUP_KEYS`): the network it
    built, as :func:`baseline_label` names it, and its target labels when it fine-tuned on some,
    ``model=cnn|target_labels=10`` (:mod:`tlcore.selection.setups`)."""
    network = baseline_label({"model": config.get("model")}, result)
    return point_key(
        {"model": network} | ({"target_labels": k} if (k := config.get("target_labels")) else {})
    )


def _candidate(store: RunStore, record: RunRecord) -> Candidate | str:
    """The run as a candidate, or why it is not one (it lacks what selection needs)."""
    try:
        result = store.result_of(record)
        validators = RunValidators.from_dict(result["validators"])
        predictions = TargetPredictions.load(record.folder / PREDICTIONS_FILE)
    except UnreadableResultError as exc:
        return exc.why
    except (TLError, KeyError, TypeError):
        return OLD_RUN
    if predictions.before.shape[0] != validators.target.n_samples:
        return OLD_RUN
    return Candidate(
        record.id,
        record.method,
        validators,
        predictions,
        result.get("target_accuracy"),
        result.get("source_only_accuracy"),
        PairedChange.from_dict(result.get("paired")),
        baseline_label(record.config, result),
        setup_label(record.config, result),
        params_note(record.config, record.resolved_params) or "",
    )


def load_pool(store: RunStore, source: str, target: str, *, run_id: str | None = None) -> Pool:
    """The pool of ``source -> target`` (module docstring); no done run → :class:`TLError`."""
    groups, excluded = _groups(store, source, target)
    chosen: list[Candidate] = []
    if groups:
        wanted = [g for g in groups if any(c.run_id == run_id for c in g)]
        # on equal sizes, the first group holds the newest run
        chosen = wanted[0] if wanted else max(groups, key=len)
    for group in groups:
        if group is not chosen:
            excluded += [(c.run_id, OTHER_SAMPLES) for c in group]
    return Pool(source, target, tuple(chosen), tuple(excluded))


def load_pools(store: RunStore, source: str, target: str) -> tuple[Pool, ...]:
    """Every group of ``source -> target``'s candidates as a pool of its own (runs that cover the same
    target samples: a sweep's seeds load different ``n=`` samples), newest first; each lists the runs
    that lack what selection needs as excluded. No done run → :class:`TLError`."""
    groups, excluded = _groups(store, source, target)
    return tuple(Pool(source, target, tuple(group), tuple(excluded)) for group in groups)


def _groups(store: RunStore, source: str, target: str) -> tuple[list[list[Candidate]], list[tuple[str, str]]]:
    """The pair's candidates grouped by the target samples they cover (the group of the newest run
    first), and the done runs that are not candidates, with the reason."""
    records = store.done_runs(source, target)  # newest first
    if not records:
        raise TLError(f"no done runs of {source} -> {target} in {store.workspace.root}")
    excluded: list[tuple[str, str]] = []
    groups: dict[tuple[str, tuple[int, ...]], list[Candidate]] = defaultdict(list)
    for record in records:
        candidate = _candidate(store, record)
        if isinstance(candidate, str):
            excluded.append((record.id, candidate))
            continue
        groups[(candidate.validators.target.sha256, candidate.predictions.before.shape)].append(candidate)
    return list(groups.values()), excluded


def run_alarm(store: RunStore, record: RunRecord) -> tuple[Alarm | None, str]:
    """The negative-transfer alarm of one run, judged within its pair's pool under the default
    :class:`~tlcore.selection.alarm.SelectionSettings`, and a note; ``(None, why)`` when the run is
    not done or not a candidate."""
    if record.status != "done":
        return None, f"the run is {record.status}"
    pool = load_pool(store, record.source, record.target, run_id=record.id)
    why = dict(pool.excluded).get(record.id)
    if why is not None:
        return None, why
    ranking = rank(pool)
    entry = next(e for e in ranking.entries if e.run_id == record.id)
    return entry.alarm, ranking.pool_note


def kept_config(store: RunStore, ranking: Ranking) -> AdaptConfig | None:
    """The source-only model a mixed pool's ranking keeps (:attr:`~tlcore.selection.ranking.Ranking.kept`)
    as a run config of its own, to label data with or export: that run's config as a plain
    ``source_only`` run (:func:`~tlcore.adapt.source_only_run.source_only_config`), whose baseline is
    cached, so nothing trains; None when the ranking keeps none."""
    if ranking.kept is None:
        return None
    return source_only_config(AdaptConfig.from_dict(store.get(ranking.kept).config))


def kept_command(store: RunStore, ranking: Ranking, *, workspace: str | None = None) -> str | None:
    """The ``adapt`` command that launches :func:`kept_config` (None when nothing is kept), with
    ``--workspace workspace`` when given (:mod:`tlcore.commands`)."""
    config = kept_config(store, ranking)
    return None if config is None else source_only_command(config, workspace=workspace)
