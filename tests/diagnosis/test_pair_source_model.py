"""The pair's source-only model for the label-shift estimate is chosen by a label-free rule (the highest
source validation accuracy), not by which run finished last."""

from tlcore.adapt.cache import BaselineCache, CachedBaseline, baseline_key
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.source_model import NeedsSourceOnlyModel, SourceOnlyModel, find_source_only_model
from tlcore.device import pick_device
from tlcore.models import build_model
from tlcore.runs.source_only import pair_source_only_model, source_only_model_for
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

SOURCE, TARGET = "mnist5k", "digits"


def _config(seed: int) -> AdaptConfig:
    return AdaptConfig(source=SOURCE, target=TARGET, seed=seed, methods=("dann",))


def _cache(workspace: Workspace, config: AdaptConfig, accuracy: float | None) -> None:
    """A cached baseline of ``config`` whose evaluation read ``accuracy`` on the source validation split
    (None: never evaluated), cached before thread counts were kept: it serves every count."""
    before = None if accuracy is None else {"validators": {"source_accuracy": accuracy}}
    entry = CachedBaseline(build_model("mlp", (4,), 3), [{"epoch": 1.0}], "done", "", before)
    BaselineCache.of_workspace(workspace).put(
        baseline_key(config, pick_device(config.device).type, None), entry
    )


def _seed(found: SourceOnlyModel | NeedsSourceOnlyModel) -> int:
    assert isinstance(found, SourceOnlyModel)
    return found.config.seed


def test_the_best_source_validation_accuracy_wins_whatever_the_order(tmp_path):
    workspace = Workspace(tmp_path)
    default = AdaptConfig(source=SOURCE, target=TARGET)
    for seed, accuracy in ((1, 0.90), (2, 0.97), (3, 0.97), (4, None)):
        _cache(workspace, _config(seed), accuracy)
    configs = [(_config(seed), None) for seed in (1, 2, 3, 4)]
    assert (
        _seed(find_source_only_model(default, workspace, configs, threads=1)) == 2
    )  # old: 1, the first cached
    assert (
        _seed(find_source_only_model(default, workspace, configs[::-1], threads=1)) == 3
    )  # a tie: the first given
    assert (
        _seed(find_source_only_model(default, workspace, [configs[3], configs[0]], threads=1)) == 1
    )  # evaluated first
    _cache(workspace, default, 0.5)  # the default config's baseline takes no precedence of its own
    assert _seed(find_source_only_model(default, workspace, configs, threads=1)) == 2  # old: 0
    assert (
        _seed(find_source_only_model(_config(1), workspace, threads=1)) == 1
    )  # one config: its own baseline


def test_the_pairs_model_does_not_change_with_the_run_that_finished_last(tmp_path):
    """QA: the Diagnose page's estimate came from the newest finished run's baseline (one that reached
    68% on the target), so it changed as runs finished. Three runs; the newest is not the best."""
    workspace = Workspace(tmp_path)
    store = RunStore(workspace)
    assert isinstance(pair_source_only_model(store, SOURCE, TARGET), NeedsSourceOnlyModel)

    def finish(seed: int, accuracy: float) -> None:
        config = _config(seed)
        _cache(workspace, config, accuracy)
        run_id = store.create(config)
        assert store.start(run_id, 1) and store.finish(run_id, {})

    finish(1, 0.95)
    finish(2, 0.98)
    finish(3, 0.96)
    assert _seed(pair_source_only_model(store, SOURCE, TARGET)) == 2  # old: 3, the newest
    finish(4, 0.98)  # a newer run as good: the older keeps its place
    assert _seed(pair_source_only_model(store, SOURCE, TARGET)) == 2


def test_the_pairs_model_is_named_by_a_run_its_accuracy_and_how_it_was_picked(tmp_path):
    """QA: the estimate changed as the workspace grew without naming the model that read it; then it
    named a config ("the config epochs=4, lr=0.003"), which no command looks up. Two runs share one
    baseline (counted once); the estimate names the older of them, the command that shows it, and says
    a later run can displace it."""
    workspace = Workspace(tmp_path)
    store = RunStore(workspace)
    runs = []
    for seed, accuracy in ((1, 0.95), (2, 0.975), (2, 0.975)):
        config = _config(seed)
        _cache(workspace, config, accuracy)
        runs.append(store.create(config))
        assert store.start(runs[-1], 1) and store.finish(runs[-1], {})
    found = pair_source_only_model(store, SOURCE, TARGET)
    assert isinstance(found, SourceOnlyModel) and found.source_accuracy == 0.975 and found.run_id == runs[1]
    assert found.describe() == (
        f"Read by the cached source-only baseline of run {runs[1]} (source validation accuracy "
        "97.5%), the most accurate on source validation of the pair's 2 cached baselines (a later run "
        f"can displace it); see that run with: python -m tlcore runs show {runs[1]}."
    )
    alone = find_source_only_model(_config(1), workspace, threads=1)  # no run searched: named by its config
    assert alone.describe() == (
        "Read by the cached source-only baseline of the config seed=1 (source validation accuracy 95.0%)."
    )


def test_a_runs_baseline_is_named_by_that_run_and_one_without_a_run_by_its_config(tmp_path):
    """A dann run's features read by its cached baseline name the run (its JSON ``model_run``); the
    default config's baseline, no run of it left, is named by its config."""
    workspace = Workspace(tmp_path)
    store = RunStore(workspace)
    _cache(workspace, AdaptConfig(source=SOURCE, target=TARGET), 0.9)
    found = pair_source_only_model(store, SOURCE, TARGET)
    assert isinstance(found, SourceOnlyModel) and found.run_id == ""
    assert found.describe() == (
        "Read by the cached source-only baseline of the default config (source validation accuracy 90.0%)."
    )
    _cache(workspace, _config(7), 0.8)
    run_id = store.create(_config(7))
    for kind in ("run", "baseline"):
        named = source_only_model_for(store, SOURCE, TARGET, run_id, kind)  # type: ignore[arg-type]
        assert isinstance(named, SourceOnlyModel) and named.run_id == run_id
        assert named.describe() == (
            f"Read by the cached source-only baseline of run {run_id} (source validation accuracy 80.0%); "
            f"see that run with: python -m tlcore runs show {run_id}."
        )


def test_runs_whose_baselines_are_not_cached_are_said_so(tmp_path):
    """QA (a workspace of an older version): the pair had finished runs, their baselines cached under
    the older CACHE_VERSION, and the Diagnose page said "no source-only model of mnist5k -> digits in
    this workspace". The reason now says the runs' baselines are not in this version's cache."""
    workspace = Workspace(tmp_path)
    store = RunStore(workspace)
    assert pair_source_only_model(store, SOURCE, TARGET).reason == (
        f"no source-only model of {SOURCE} -> {TARGET} in this workspace"  # no run: nothing more to say
    )
    runs = [store.create(_config(seed)) for seed in (1, 2)]  # no baseline cached: an older version's runs
    assert store.start(runs[0], 1) and store.finish(runs[0], {})
    found = pair_source_only_model(store, SOURCE, TARGET)
    assert isinstance(found, NeedsSourceOnlyModel)
    assert found.reason == (
        f"no source-only model of {SOURCE} -> {TARGET} in this workspace: the source-only baseline of its "
        "done run is not in the baseline cache of this tlstudio version (trained by an older version, "
        "on another device type or torch thread count, or the cache was cleared)"
    )
    assert store.start(runs[1], 1) and store.finish(runs[1], {})
    assert ": the source-only baselines of its 2 done runs are not in the baseline cache" in (
        pair_source_only_model(store, SOURCE, TARGET).message
    )
    found = source_only_model_for(store, SOURCE, TARGET, runs[1])
    assert isinstance(found, NeedsSourceOnlyModel)
    assert f": the source-only baseline of run {runs[1]} is not in the baseline cache of this" in found.reason
    assert found.message.endswith(f"; train one with: {found.command}")
