"""Several runs' estimate (:mod:`tlcore.runs.estimate` each): in all, so many at a time, on the cores
they share; a sweep's from the trials its driver runs, at its executor's share of the CPUs."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from tlcore.adapt.cache import baseline_key
from tlcore.adapt.config import AdaptConfig
from tlcore.limits import Limits
from tlcore.numbers import plural
from tlcore.runs.estimate import Estimate, about, duration, start_note
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.search import planned
from tlcore.runs.slots import run_threads
from tlcore.runs.sweep import SweepSpec, expand


def launched_threads() -> int:
    """The torch threads of a run launched here (:func:`~tlcore.runs.slots.run_threads`)."""
    return run_threads(Limits.from_env().max_running)


def local_cpus() -> int:
    """This machine's cores (at least 1)."""
    return os.cpu_count() or 1


class Share(NamedTuple):
    """How a batch's runs share CPUs: ``concurrency`` at a time, ``threads`` torch threads each, on
    ``cpus``; ``assumed``: what stands in for a number not known before the runs start (said in the
    text)."""

    concurrency: int
    threads: int
    cpus: int
    assumed: str = ""


@dataclass(frozen=True)
class Batch:
    """Several runs, ``concurrency`` at a time, ``threads`` torch threads each on ``cpus`` (by default a
    run launched here, on this machine's cores): each of ``parts`` an estimate and how many runs it
    stands for; in all ``sum(n * seconds) / parallel``; ``assumed`` (:class:`Share`) said in the text."""

    parts: tuple[tuple[Estimate, int], ...]
    concurrency: int
    threads: int = field(default_factory=launched_threads)
    cpus: int = field(default_factory=local_cpus)
    assumed: str = ""

    @property
    def runs(self) -> int:
        return sum(n for _, n in self.parts)

    @property
    def at_once(self) -> int:
        """The runs that run at the same time: ``concurrency``, at most all of them."""
        return max(1, min(self.concurrency, self.runs))

    @property
    def parallel(self) -> float:
        """How many runs' work goes on at once: ``at_once``; on a CPU at most its ``cpus`` over a run's
        ``threads``: ``max(1, min(k, cpus / threads))``."""
        if any(e.workload.device != "cpu" for e, _ in self.parts):
            return self.at_once
        return max(1.0, min(self.at_once, self.cpus / self.threads))  # never slower than one run alone

    def total(self, longest: bool = False) -> float:
        return sum(n * (e.at_most if longest else e.seconds) for e, n in self.parts) / self.parallel

    def text(self) -> str:
        """One estimate's text for one run, else one sentence of totals and where the rates came from,
        per network, each source once: ``4 runs, 2 at a time: about 3 min in all (at most 5 min; rates of
        lenet_bn on cpu from 15 done runs and a probe, of cnn on cpu from a probe)`` (each part's
        full origin: :meth:`to_dict`); ``2 at a time, sharing 2 cores`` when the cores hold back the runs
        at once (:attr:`parallel`)."""
        if self.runs == 1:
            return self.parts[0][0].text()
        at_once = f"{self.at_once} at a time{self._sharing()}"
        if self.assumed:
            at_once += f" ({self.assumed})"
        return (
            f"{self.runs} runs, {at_once}: {about(self.total())} in all "
            f"(at most {duration(self.total(longest=True), up=True)}; {self.sources()}"
            f"{start_note(e for e, _ in self.parts)})"
        )

    def sources(self) -> str:
        """``rates of lenet_bn on cpu from 15 done runs and a probe, of cnn on cpu from a probe``: per
        network, where its parts' rates came from (a paired step probed for a composition no run timed
        counts as a probe), each once: parts resting on different numbers of the network's runs (each
        composition reads its own paired steps) as a range, ``from 5-9 done runs`` (QA helper-142:
        "from 9 finished runs and 7 finished runs and 5 finished runs")."""
        by_network: dict[str, tuple[set[int], dict[str, None]]] = {}
        for e, _ in self.parts:
            counts, words = by_network.setdefault(e.workload.label, (set(), {}))
            if e.source == "runs":
                counts.add(e.n_runs)
                words["runs"] = None
            if e.source == "probe" or e.paired_note:
                words["a probe"] = None
        clauses = []
        for label, (counts, words) in by_network.items():
            low, high = min(counts, default=0), max(counts, default=0)
            runs = plural(low, "done run") if low == high else f"{low}-{high} done runs"
            clauses.append(f"{label} from {' and '.join(runs if w == 'runs' else w for w in words)}")
        return "rates of " + ", of ".join(clauses)

    def _sharing(self) -> str:
        shared = self.parallel < self.at_once
        return f", sharing {plural(self.cpus, 'core')}" if shared else ""

    def to_dict(self) -> dict[str, Any]:
        """The totals, the text and each part's estimate with the runs it stands for (``--json``)."""
        return {
            "runs": self.runs,
            "at_once": self.at_once,
            "parallel": self.parallel,
            "threads": self.threads,
            "cpus": self.cpus,
            "assumed": self.assumed,
            "seconds": self.total(),
            "at_most": self.total(longest=True),
            "text": self.text(),
            "parts": [{"runs": n, "estimate": e.to_dict(), "origin": e.origin()} for e, n in self.parts],
        }


def executor_share(settings: ExecutorSettings) -> Share:
    """How a sweep's trials share CPUs under ``settings``. Local: as runs launched here, ``max_concurrent``
    (None: the workspace's run slots) at a time. Ray: ``cpus_per_trial`` torch threads each, as many at
    once as :meth:`~tlcore.runs.executors.ExecutorSettings.ray_capacity` fits on the cluster's CPUs: the
    embedded cluster's are this machine's; an existing cluster's are not known before connecting (an
    estimate never connects), so they count as this machine's, one of its nodes, and the text says so."""
    max_running = Limits.from_env().max_running
    if settings.kind == "local":
        return Share(settings.max_concurrent or max_running, launched_threads(), local_cpus())
    cpus = local_cpus()
    if settings.address is None:
        return Share(settings.ray_capacity(cpus, max_running), settings.cpus_per_trial, cpus)
    assumed = f"the cluster's CPUs, not known before connecting, counted as this machine's {cpus}"
    return Share(settings.ray_capacity(cpus, None), settings.cpus_per_trial, cpus, assumed)


def sweep_batch(
    spec: SweepSpec, settings: ExecutorSettings, estimate_of: Callable[[AdaptConfig, bool], Estimate]
) -> Batch:
    """A sweep's trials at the ``settings``' share of the CPUs (:func:`executor_share`): the trials the
    driver runs (:func:`tlcore.runs.sweep.expand`, so a grid over ``model``, ``epochs`` or ``batch_size``
    times each value's runs), one ``estimate_of`` per distinct config less its method parameters and,
    once an earlier trial trains its baseline, its seed (:func:`_workload_key`; one probe per network),
    times how many trials it stands for. A composition plans
    ``planned * seeds`` trials: an Optuna search's later rounds count as its first round's trials
    again; a trial the config refuses never runs and counts nothing; a trial whose baseline an earlier
    one trains is estimated with it cached (``estimate_of(cfg, True)``, :func:`baselines_trained`)."""
    trials: dict[tuple[str, ...], list[AdaptConfig | None]] = {}
    for trial in expand(spec):
        trials.setdefault(trial.methods, []).append(trial.config)
    share = executor_share(settings)
    runs: list[AdaptConfig] = []
    for methods, configs in trials.items():
        n = planned(spec.space.for_methods(methods), spec.search) * len(spec.seeds)
        runs += [cfg for cfg in (configs[i % len(configs)] for i in range(n)) if cfg is not None]
    # (workload key, baseline trained earlier) -> [its first config, the trials it stands for]
    counts: dict[tuple[str, bool], list[Any]] = {}
    for cfg, trained in zip(runs, baselines_trained(runs, share.concurrency), strict=True):
        counts.setdefault((_workload_key(cfg, trained), trained), [cfg, 0])[1] += 1
    return Batch(tuple((estimate_of(cfg, trained), n) for (_, trained), (cfg, n) in counts.items()), *share)


def baselines_trained(configs: list[AdaptConfig], concurrency: int) -> list[bool]:
    """Whether a run before each of ``configs`` trains its source-only baseline (same network, seed and
    budget: the cache's :func:`~tlcore.adapt.cache.baseline_key`): only one run at a time; runs at once
    may each train it (the cache holds no lock), so they count it each."""
    keys = [baseline_key(cfg, cfg.device or "", None).digest for cfg in configs]  # one device, one count
    return [concurrency == 1 and key in keys[:i] for i, key in enumerate(keys)]


def _workload_key(cfg: AdaptConfig, trained: bool) -> str:
    """What a run's time depends on: its config but the methods' parameters, and the seed once a run
    before it trained its baseline (untrained, the workspace's cache may hold one seed's baseline and
    not another's: QA helper-142, a sweep's seed-1 source-only trial counted as seed 0's cached one)."""
    skip = ("seed", "params") if trained else ("params",)
    return json.dumps({k: v for k, v in cfg.to_dict().items() if k not in skip}, sort_keys=True)
