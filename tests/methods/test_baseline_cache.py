"""The baseline cache: which config fields key a baseline, and checkpoints written all at once."""

import hashlib
import json
from dataclasses import fields, replace
from pathlib import Path

import pytest
import torch

from tlcore.adapt import cache as cache_module
from tlcore.adapt.cache import (
    CACHE_VERSION,
    METHOD_ONLY_FIELDS,
    BaselineCache,
    BaselineKey,
    CachedBaseline,
    baseline_key,
)
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pipeline import run_adaptation
from tlcore.cache_files import BASELINES, kept_files
from tlcore.checkpoints import save_checkpoint
from tlcore.cli.diagnose import feature_space
from tlcore.errors import TLError
from tlcore.models import build_model
from tlcore.runs import jobs
from tlcore.runs.source_only import run_baseline
from tlcore.runs.store import RunStore
from tlcore.runs.thread_count import trained_threads
from tlcore.workspace import Workspace

K1 = BaselineKey("k1", None)  # a key of no thread count: its checkpoint is k1.pt
BASE = AdaptConfig(source="mnist5k", target="digits", model="resnet18")  # a model that takes image_size
ALTERED = {  # one changed value per AdaptConfig field: a new field must be added here (and classified)
    "source": "usps",
    "target": "mnist5k",
    "methods": ("dann",),
    "params": {"dann": {"weight": 0.3}},
    "model": "lenet",
    "image_size": 64,
    "bottleneck": 128,
    "epochs": 3,
    "adapt_epochs": 2,
    "warm_start": True,
    "batch_size": 16,
    "lr": 0.01,
    "seed": 1,
    "augment": False,
    "target_labels": 5,
    "test_fraction": 0.3,
    "patience": 2,
    "steps_per_epoch": 5,
    "ema_decay": 0.9,
    "settle_tol": 0.01,
    "device": "cpu",
}


def test_every_config_field_keys_the_baseline_unless_it_is_method_only():
    assert set(ALTERED) == {f.name for f in fields(AdaptConfig)}, "classify the new AdaptConfig field"
    assert set(METHOD_ONLY_FIELDS) < set(ALTERED)
    key = baseline_key(BASE, "cpu", 1)
    for name, value in ALTERED.items():
        assert getattr(BASE, name) != value, name
        same = baseline_key(replace(BASE, **{name: value}), "cpu", 1) == key
        assert same == (name in METHOD_ONLY_FIELDS), name
    assert baseline_key(BASE, "cuda", 1) != key  # the device type is in the key, cfg.device is not
    assert baseline_key(BASE, "cpu", 2) != key and baseline_key(BASE, "cpu", 2).digest == key.digest
    assert (key.name, key.at(None).name) == (f"{key.digest}-t1", key.digest)  # the checkpoint's stem


def test_a_field_added_later_keeps_the_keys_of_baselines_cached_before_it():
    """image_size unset: the key as computed before the field existed (at today's CACHE_VERSION; of no
    thread count, the name of a baseline cached before counts were kept)."""
    values = {f.name: getattr(BASE, f.name) for f in fields(BASE) if f.name not in METHOD_ONLY_FIELDS}
    del values["image_size"]
    before = hashlib.sha256(
        json.dumps(values | {"device": "cpu", "version": CACHE_VERSION}, sort_keys=True).encode()
    )
    assert baseline_key(BASE, "cpu", None).name == before.hexdigest()


def _entry(seed: int, threads: int | None = None) -> CachedBaseline:
    torch.manual_seed(seed)
    model = build_model("mlp", (4,), 3)
    return CachedBaseline(model, [{"epoch": 1.0, "loss": 0.5}], "done", "", threads=threads)


def test_put_writes_a_checkpoint_all_at_once(tmp_path, monkeypatch):
    folder = tmp_path / "baselines"
    entry = _entry(0)
    BaselineCache(folder).put(K1, entry)
    assert [p.name for p in folder.iterdir()] == ["k1.pt"]
    reloaded = BaselineCache(folder).get(K1)
    assert reloaded.history == entry.history and reloaded.status == "done"
    for name, value in entry.model.state_dict().items():
        assert torch.equal(reloaded.model.state_dict()[name], value), name

    def fail_halfway(path, model, meta):
        path.write_bytes(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(cache_module, "save_checkpoint", fail_halfway)
    with pytest.raises(OSError, match="disk full"):
        BaselineCache(folder).put(K1, _entry(1))
    assert [p.name for p in folder.iterdir()] == ["k1.pt"]  # no temporary file left, old one intact
    assert torch.equal(BaselineCache(folder).get(K1).model.head.weight, entry.model.head.weight)


def test_a_checkpoint_removed_while_it_is_read_is_not_cached(tmp_path, monkeypatch):
    """``cache --clear --baselines`` may remove a checkpoint between ``get``'s check that it is there
    and its read: it reads as not cached (the run trains the baseline), no FileNotFoundError."""
    folder = tmp_path / "baselines"
    BaselineCache(folder).put(K1, _entry(0))
    read = cache_module.load_checkpoint

    def removed_first(path):
        Path(path).unlink()
        return read(path)

    monkeypatch.setattr(cache_module, "load_checkpoint", removed_first)
    cache = BaselineCache(folder)
    assert cache.get(K1) is None and not cache.stored(K1) and cache.checkpoints() == set()
    cache.put(K1, _entry(1))  # the run's retrained baseline is stored again
    monkeypatch.setattr(cache_module, "load_checkpoint", read)
    assert torch.equal(BaselineCache(folder).get(K1).model.head.weight, _entry(1).model.head.weight)


def test_adopt_takes_another_caches_checkpoint_unless_it_has_one(tmp_path):
    key, other = baseline_key(BASE, "cpu", 2), baseline_key(replace(BASE, seed=BASE.seed + 1), "cpu", None)
    node, driver = BaselineCache(tmp_path / "node"), BaselineCache(tmp_path / "driver")
    assert driver.checkpoints() == set()
    node.put(key, _entry(0, threads=2))
    node.put(other, _entry(1))
    assert node.checkpoints() == {f"{key.digest}-t2.pt", f"{other.digest}.pt"}
    driver.put(other, _entry(2))
    for name in node.checkpoints():
        driver.adopt(name, (tmp_path / "node" / name).read_bytes())
    assert torch.equal(driver.get(key).model.head.weight, _entry(0).model.head.weight)
    assert torch.equal(driver.get(other).model.head.weight, _entry(2).model.head.weight)  # kept its own
    for name in ("../escape.pt", "k1.pt", f"{key.name}.pt.tmp", f"{key.digest}-tx.pt"):
        with pytest.raises(TLError, match="not a baseline checkpoint name"):
            driver.adopt(name, b"")
    assert driver.checkpoints() == {f"{key.name}.pt", f"{other.name}.pt"}


def test_checkpoints_are_named_by_the_cache_files_list_and_old_ones_still_read(tmp_path, monkeypatch):
    """The cache names its checkpoints as :data:`tlcore.cache_files.BASELINES` does (what ``cache``
    lists and clears), one implementation: a checkpoint an earlier tlstudio wrote (``<key>.pt``) is
    read back as it was, and a changed suffix is what every method of the cache uses."""
    key, folder = baseline_key(BASE, "cpu", 2), tmp_path / "baselines"
    folder.mkdir()
    meta = {"history": [{"epoch": 1.0, "loss": 0.5}], "status": "done", "reason": ""}
    save_checkpoint(folder / f"{key.digest}.pt", _entry(3).model, meta)  # as the cache wrote it before
    cache = BaselineCache(folder)
    assert cache.stored(key) == meta and cache.checkpoints() == {BASELINES.file_name(key.digest)}
    assert {p.name for p in kept_files(folder, BASELINES.suffix)} == cache.checkpoints()
    assert torch.equal(cache.get(key).model.head.weight, _entry(3).model.head.weight)  # at any count
    assert cache.get(key.at(1)).history == meta["history"] and cache.get(key.at(None)).threads is None
    monkeypatch.setattr(cache_module, "BASELINES", replace(BASELINES, suffix=".ckpt"))
    other = BaselineCache(tmp_path / "other")
    other.put(key, _entry(0, threads=2))
    assert [p.name for p in other.folder.iterdir()] == [f"{key.name}.ckpt"] and other.stored(key)
    assert other.checkpoints() == {f"{key.name}.ckpt"} and BaselineCache(other.folder).get(key) is not None
    other.adopt(f"{'0' * 64}.ckpt", (other.folder / f"{key.name}.ckpt").read_bytes())
    with pytest.raises(TLError, match="not a baseline checkpoint name"):
        other.adopt(f"{'1' * 64}.pt", b"")
    assert other.checkpoints() == {f"{key.name}.ckpt", f"{'0' * 64}.ckpt"}


def test_a_cached_baseline_that_no_longer_fits_its_network_is_trained_again(tmp_path):
    """A checkpoint whose weights do not fit the network this version builds (a layer's shape changed)
    reads as not cached: the run trains the baseline again and stores it anew, no RuntimeError."""
    workspace = Workspace.resolve(tmp_path / "ws")
    cfg = AdaptConfig("mnist5k:n=120", "digits:n=120", model="lenet", epochs=1, seed=2)
    first = run_adaptation(cfg, workspace)
    (path,) = kept_files(workspace.inside(*BASELINES.parts), BASELINES.suffix)
    payload = torch.load(path, weights_only=True)
    shape = payload["state_dict"]["head.weight"].shape
    payload["state_dict"]["head.weight"] = torch.zeros(shape[0], shape[1] + 1)  # as if the head had changed
    torch.save(payload, path)
    key = baseline_key(cfg, "cpu", torch.get_num_threads())
    assert path.stem == key.name and BaselineCache(path.parent).get(key) is None
    second = run_adaptation(cfg, workspace)
    assert (first.info["baseline_cached"], second.info["baseline_cached"]) == (False, False)
    assert second.source_only_accuracy == first.source_only_accuracy  # the same seed trains it alike
    assert BaselineCache(path.parent).get(key).model.head.weight.shape == shape  # stored anew


def _at_threads(threads: int, cfg: AdaptConfig, workspace: Workspace):
    """``run_adaptation(cfg, workspace)`` computed on ``threads`` torch threads."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return run_adaptation(cfg, workspace)
    finally:
        torch.set_num_threads(before)


def test_runs_on_1_and_2_threads_in_one_workspace_each_reuse_their_own_baseline(tmp_path):
    """helper-265: the thread count splits torch's sums, so a run on 2 threads that reused the baseline
    a 1-thread run had cached differed from the same run in a fresh workspace (a loss by 0.013); then
    each count's run replaced the other's baseline, so runs alternating 1 and 2 threads trained it each
    time. The key holds the count: the third run, on 1 thread again, reuses the first's."""
    cfg = AdaptConfig("mnist5k:n=120", "digits:n=120", model="lenet_bn", epochs=1, seed=2)
    mixed = Workspace.resolve(tmp_path / "mixed")
    one = _at_threads(1, cfg, mixed)
    two = _at_threads(2, cfg, mixed)
    fresh = _at_threads(2, cfg, Workspace.resolve(tmp_path / "fresh"))
    runs = (one, two, fresh, _at_threads(1, cfg, mixed), _at_threads(2, cfg, mixed))
    assert [r.info["baseline_cached"] for r in runs] == [False, False, False, True, True]  # old: 4th False
    assert one.history == runs[3].history != two.history == fresh.history == runs[4].history
    cache = BaselineCache.of_workspace(mixed)
    key = baseline_key(cfg, "cpu", 1)
    assert cache.checkpoints() == {f"{key.digest}-t1.pt", f"{key.digest}-t2.pt"}
    assert (cache.get(key).threads, cache.get(key.at(2)).threads) == (1, 2)


def test_a_baseline_cached_before_counts_were_kept_serves_every_count_where_it_is(tmp_path):
    """A checkpoint of no count (``<digest>.pt``, cached by an older tlstudio) is reused at any count,
    as then, and a run's evaluation goes back into it (no copy); one that records another count (the
    first release that kept counts named it by the digest too) serves that count only."""
    cfg = AdaptConfig("mnist5k:n=120", "digits:n=120", model="lenet_bn", epochs=1, seed=2)
    workspace = Workspace.resolve(tmp_path / "ws")
    first = _at_threads(1, cfg, workspace)
    cache = BaselineCache.of_workspace(workspace)
    key = baseline_key(cfg, "cpu", 1)
    assert cache.folder is not None
    (cache.folder / f"{key.name}.pt").rename(cache.folder / f"{key.digest}.pt")  # as an older one wrote it
    payload = torch.load(cache.folder / f"{key.digest}.pt", weights_only=True)
    payload["config"] |= {"threads": None, "before": None}
    torch.save(payload, cache.folder / f"{key.digest}.pt")
    second = _at_threads(2, cfg, workspace)
    assert second.info["baseline_cached"] and second.history[0] == first.history[0]  # its epoch, replayed
    assert cache.checkpoints() == {f"{key.digest}.pt"} and cache.stored(key.at(2))["before"] is not None
    payload["config"]["threads"] = 1  # the count's first release: the digest's name, a count kept
    torch.save(payload, cache.folder / f"{key.digest}.pt")
    assert (
        BaselineCache(cache.folder).get(key) is not None
        and BaselineCache(cache.folder).get(key.at(2)) is None
    )
    assert BaselineCache(cache.folder).get(key.at(None)) is not None  # a run that records no count: as then


def test_baseline_of_a_run_is_the_one_it_trained_on_its_thread_count(tmp_path):
    """``diagnose --features baseline:ID`` read the workspace's newest cached copy: a 2-thread run's
    baseline, once a 1-thread run had replaced it, was the 1-thread one. Now each run's, by its
    ``info.torch_threads``; its baseline epochs are the ones the run's history stored."""
    cfg = AdaptConfig("mnist5k:n=120", "digits:n=120", model="lenet_bn", epochs=1, seed=2)
    workspace = Workspace.resolve(tmp_path / "ws")
    store = RunStore(workspace)
    runs = {}
    for threads in (2, 1):
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            record = jobs.run_inline(workspace, cfg)
        finally:
            torch.set_num_threads(before)
        assert record.status == "done" and trained_threads(record) == threads
        runs[threads] = record.id
    for threads, run_id in runs.items():
        result = store.result(run_id)
        stored = [r for r in result["history"] if r["stage"] == "baseline"]
        baseline = run_baseline(store, run_id)
        assert [{"stage": "baseline", **r} for r in baseline.history] == stored, threads  # old: 2 read 1's
        model = feature_space(f"baseline:{run_id}", workspace).space
        assert isinstance(model, torch.nn.Module)
        assert torch.equal(model.head.weight, baseline.model.head.weight)
    assert run_baseline(store, runs[1]).history != run_baseline(store, runs[2]).history


@pytest.mark.parametrize("ending", ["cancelled", "failed"])
def test_a_run_that_ends_in_its_adapt_stage_finds_the_baseline_it_trained(tmp_path, ending):
    """helper-267: a cancelled or failed run stores no result, so no ``info.torch_threads``, and
    ``diagnose --features baseline:ID`` of it read only a baseline cached before counts were kept, not
    the ``<digest>-t<N>.pt`` the run had trained. Its baseline stage event keeps the count."""
    cfg = AdaptConfig("mnist5k:n=120", "digits:n=120", ("dann",), model="lenet_bn", epochs=1, seed=2)
    workspace = Workspace.resolve(tmp_path / "ws")

    def ends_in_adapt(config, workspace, on_event, should_stop, **handed):
        stages = []

        def on(event):
            on_event(event)
            stages.append(event.stage)
            if ending == "failed" and event.stage == "adapt":
                raise RuntimeError("a crash in the adapt stage")

        return run_adaptation(config, workspace, on, lambda: "adapt" in stages, **handed)

    before = torch.get_num_threads()
    torch.set_num_threads(2)  # not this process's count: the run's own is read back
    try:
        record = jobs.run_inline(workspace, cfg, worker=ends_in_adapt)
    finally:
        torch.set_num_threads(before)
    assert record.status == ending and trained_threads(record) == 2  # old: None (not done)
    key = baseline_key(cfg, "cpu", 2)
    assert BaselineCache.of_workspace(workspace).checkpoints() == {f"{key.name}.pt"}
    baseline = run_baseline(RunStore(workspace), record.id)  # old: TLError, "not in the baseline cache"
    assert baseline.threads == 2 and baseline.status == "done"
    assert isinstance(feature_space(f"baseline:{record.id}", workspace).space, torch.nn.Module)
