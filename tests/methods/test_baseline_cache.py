"""The baseline cache: which config fields key a baseline, and checkpoints written all at once."""

import hashlib
import json
from dataclasses import fields, replace
from pathlib import Path

import pytest
import torch

from tlcore.adapt import cache as cache_module
from tlcore.adapt.cache import CACHE_VERSION, METHOD_ONLY_FIELDS, BaselineCache, CachedBaseline, baseline_key
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pipeline import run_adaptation
from tlcore.cache_files import BASELINES, kept_files
from tlcore.checkpoints import save_checkpoint
from tlcore.errors import TLError
from tlcore.models import build_model
from tlcore.workspace import Workspace

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
    key = baseline_key(BASE, "cpu")
    for name, value in ALTERED.items():
        assert getattr(BASE, name) != value, name
        same = baseline_key(replace(BASE, **{name: value}), "cpu") == key
        assert same == (name in METHOD_ONLY_FIELDS), name
    assert baseline_key(BASE, "cuda") != key  # the device type is in the key, cfg.device is not


def test_a_field_added_later_keeps_the_keys_of_baselines_cached_before_it():
    """image_size unset: the key as computed before the field existed (at today's CACHE_VERSION)."""
    values = {f.name: getattr(BASE, f.name) for f in fields(BASE) if f.name not in METHOD_ONLY_FIELDS}
    del values["image_size"]
    before = hashlib.sha256(
        json.dumps(values | {"device": "cpu", "version": CACHE_VERSION}, sort_keys=True).encode()
    )
    assert baseline_key(BASE, "cpu") == before.hexdigest()


def _entry(seed: int) -> CachedBaseline:
    torch.manual_seed(seed)
    return CachedBaseline(build_model("mlp", (4,), 3), [{"epoch": 1.0, "loss": 0.5}], "done", "")


def test_put_writes_a_checkpoint_all_at_once(tmp_path, monkeypatch):
    folder = tmp_path / "baselines"
    entry = _entry(0)
    BaselineCache(folder).put("k1", entry)
    assert [p.name for p in folder.iterdir()] == ["k1.pt"]
    reloaded = BaselineCache(folder).get("k1")
    assert reloaded.history == entry.history and reloaded.status == "done"
    for name, value in entry.model.state_dict().items():
        assert torch.equal(reloaded.model.state_dict()[name], value), name

    def fail_halfway(path, model, meta):
        path.write_bytes(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(cache_module, "save_checkpoint", fail_halfway)
    with pytest.raises(OSError, match="disk full"):
        BaselineCache(folder).put("k1", _entry(1))
    assert [p.name for p in folder.iterdir()] == ["k1.pt"]  # no temporary file left, old one intact
    assert torch.equal(BaselineCache(folder).get("k1").model.head.weight, entry.model.head.weight)


def test_a_checkpoint_removed_while_it_is_read_is_not_cached(tmp_path, monkeypatch):
    """``cache --clear --baselines`` may remove a checkpoint between ``get``'s check that it is there
    and its read: it reads as not cached (the run trains the baseline), no FileNotFoundError."""
    folder = tmp_path / "baselines"
    BaselineCache(folder).put("k1", _entry(0))
    read = cache_module.load_checkpoint

    def removed_first(path):
        Path(path).unlink()
        return read(path)

    monkeypatch.setattr(cache_module, "load_checkpoint", removed_first)
    cache = BaselineCache(folder)
    assert cache.get("k1") is None and not cache.stored("k1") and cache.checkpoints() == set()
    cache.put("k1", _entry(1))  # the run's retrained baseline is stored again
    monkeypatch.setattr(cache_module, "load_checkpoint", read)
    assert torch.equal(BaselineCache(folder).get("k1").model.head.weight, _entry(1).model.head.weight)


def test_adopt_takes_another_caches_checkpoint_unless_it_has_one(tmp_path):
    key, other = baseline_key(BASE, "cpu"), baseline_key(replace(BASE, seed=BASE.seed + 1), "cpu")
    node, driver = BaselineCache(tmp_path / "node"), BaselineCache(tmp_path / "driver")
    assert driver.checkpoints() == set()
    node.put(key, _entry(0))
    node.put(other, _entry(1))
    assert node.checkpoints() == {f"{key}.pt", f"{other}.pt"}
    driver.put(other, _entry(2))
    for name in node.checkpoints():
        driver.adopt(name, (tmp_path / "node" / name).read_bytes())
    assert torch.equal(driver.get(key).model.head.weight, _entry(0).model.head.weight)
    assert torch.equal(driver.get(other).model.head.weight, _entry(2).model.head.weight)  # kept its own
    for name in ("../escape.pt", "k1.pt", f"{key}.pt.tmp"):
        with pytest.raises(TLError, match="not a baseline checkpoint name"):
            driver.adopt(name, b"")
    assert driver.checkpoints() == {f"{key}.pt", f"{other}.pt"}


def test_checkpoints_are_named_by_the_cache_files_list_and_old_ones_still_read(tmp_path, monkeypatch):
    """The cache names its checkpoints as :data:`tlcore.cache_files.BASELINES` does (what ``cache``
    lists and clears), one implementation: a checkpoint an earlier tlstudio wrote (``<key>.pt``) is
    read back as it was, and a changed suffix is what every method of the cache uses."""
    key, folder = baseline_key(BASE, "cpu"), tmp_path / "baselines"
    folder.mkdir()
    meta = {"history": [{"epoch": 1.0, "loss": 0.5}], "status": "done", "reason": ""}
    save_checkpoint(folder / f"{key}.pt", _entry(3).model, meta)  # as the cache wrote it before
    cache = BaselineCache(folder)
    assert cache.stored(key) and cache.checkpoints() == {f"{key}.pt"} == {BASELINES.file_name(key)}
    assert {p.name for p in kept_files(folder, BASELINES.suffix)} == cache.checkpoints()
    assert torch.equal(cache.get(key).model.head.weight, _entry(3).model.head.weight)
    assert cache.get(key).history == meta["history"] and cache.stored_evaluation(key) is None
    monkeypatch.setattr(cache_module, "BASELINES", replace(BASELINES, suffix=".ckpt"))
    other = BaselineCache(tmp_path / "other")
    other.put(key, _entry(0))
    assert [p.name for p in other.folder.iterdir()] == [f"{key}.ckpt"] and other.stored(key)
    assert other.checkpoints() == {f"{key}.ckpt"} and BaselineCache(other.folder).get(key) is not None
    other.adopt(f"{'0' * 64}.ckpt", (other.folder / f"{key}.ckpt").read_bytes())
    with pytest.raises(TLError, match="not a baseline checkpoint name"):
        other.adopt(f"{'1' * 64}.pt", b"")
    assert other.checkpoints() == {f"{key}.ckpt", f"{'0' * 64}.ckpt"}


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
    assert BaselineCache(path.parent).get(path.stem) is None
    second = run_adaptation(cfg, workspace)
    assert (first.info["baseline_cached"], second.info["baseline_cached"]) == (False, False)
    assert second.source_only_accuracy == first.source_only_accuracy  # the same seed trains it alike
    assert BaselineCache(path.parent).get(path.stem).model.head.weight.shape == shape  # stored anew


def _at_threads(threads: int, cfg: AdaptConfig, workspace: Workspace):
    """``run_adaptation(cfg, workspace)`` computed on ``threads`` torch threads."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return run_adaptation(cfg, workspace)
    finally:
        torch.set_num_threads(before)


def test_a_baseline_cached_on_another_thread_count_is_trained_again(tmp_path):
    """helper-265: the thread count splits torch's sums, so a run on 2 threads that reused the baseline
    a 1-thread run had cached differed from the same run in a fresh workspace (a loss by 0.013)."""
    cfg = AdaptConfig("mnist5k:n=120", "digits:n=120", model="lenet_bn", epochs=1, seed=2)
    mixed = Workspace.resolve(tmp_path / "mixed")
    one = _at_threads(1, cfg, mixed)
    two = _at_threads(2, cfg, mixed)
    fresh = _at_threads(2, cfg, Workspace.resolve(tmp_path / "fresh"))
    again = _at_threads(2, cfg, mixed)
    assert [r.info["baseline_cached"] for r in (one, two, fresh, again)] == [False, False, False, True]
    assert two.history == fresh.history == again.history != one.history
    assert BaselineCache.of_workspace(mixed).get(baseline_key(cfg, "cpu")).threads == 2  # the newest count
