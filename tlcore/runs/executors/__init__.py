"""Executors: what runs a sweep's trials (Ray Tune's executor part; the space and the search are
:mod:`tlcore.runs.space` and :mod:`tlcore.runs.search`).

- ``local`` (:mod:`.local`, the default): each trial an ordinary launched run of this workspace
  (:func:`tlcore.runs.jobs.spawn`), under its run slots; embedded, no server.
- ``ray`` (:mod:`.ray`): each trial a Ray task on an embedded loopback-only cluster or an existing
  one; results travel back and the driver writes them into its own run store.

Either way the driver (:mod:`tlcore.runs.driver`) creates a trial's run in the store, hands it over
with :meth:`Executor.submit` and follows it through the store; :meth:`Executor.poll` lets the
executor do its share of the work between the driver's looks.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

from tlcore.adapt.config import AdaptConfig
from tlcore.bounds import Bound
from tlcore.errors import TLError
from tlcore.workspace import Workspace

ExecutorKind = Literal["local", "ray"]
EXECUTORS: tuple[ExecutorKind, ...] = ("local", "ray")
ADDRESS_ENV = "TLSTUDIO_RAY_ADDRESS"
# the least each takes and the most the app's form offers (:class:`~tlcore.bounds.Bound`)
BOUNDS = {"max_concurrent": Bound(1, 1024), "cpus_per_trial": Bound(1, 256)}


@dataclass(frozen=True)
class ExecutorSettings:
    """Where and how wide a sweep runs.

    ``address``: a Ray cluster to join (``host:port``; None: ``$TLSTUDIO_RAY_ADDRESS``, else an
    embedded single-machine cluster); ``max_concurrent``: trials handed over at once (None: the
    workspace's run slots for ``local``, the cluster's CPUs / ``cpus_per_trial`` for ``ray``);
    ``cpus_per_trial``: a Ray task's CPUs, which are also its torch threads.
    """

    kind: ExecutorKind = "local"
    address: str | None = None
    max_concurrent: int | None = None
    cpus_per_trial: int = 1

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise TLError(f"unknown executor {self.kind!r}; choose from {', '.join(EXECUTORS)}")
        least_concurrent, least_cpus = BOUNDS["max_concurrent"].least, BOUNDS["cpus_per_trial"].least
        if self.max_concurrent is not None and self.max_concurrent < least_concurrent:
            raise TLError(f"--max-concurrent must be >= {least_concurrent}")
        if self.cpus_per_trial < least_cpus:
            raise TLError(f"CPUs per trial must be >= {least_cpus}")
        if self.address is not None and self.kind != "ray":
            raise TLError("--address names a Ray cluster; it needs --executor ray")
        if self.address is not None and self.address.strip().lower() in ("auto", ""):
            raise TLError(
                f"--address {self.address!r}: give the cluster's host:port (leave it out for an embedded "
                "cluster); tlstudio never joins whatever cluster it happens to find"
            )
        if self.address is not None:
            parse_address(self.address)

    @classmethod
    def resolve(
        cls, kind: ExecutorKind = "local", address: str | None = None, **values: Any
    ) -> ExecutorSettings:
        """Settings with the address from ``$TLSTUDIO_RAY_ADDRESS`` when a Ray executor is given none."""
        if kind == "ray" and address is None:
            address = os.environ.get(ADDRESS_ENV) or None
        if address is not None and address.strip().lower() == "local":
            address = None  # Ray's name for a new embedded cluster
        return cls(kind, address, **values)

    def ray_capacity(self, cpus: int, max_running: int | None) -> int:
        """A Ray executor's trials at once on a cluster of ``cpus`` CPUs: ``max_concurrent``, else as many
        as fit (``cpus // cpus_per_trial``, at least 1), at most ``max_running`` (the workspace's run
        slots: the embedded cluster's; None: an existing cluster's resources alone decide)."""
        fits = max(1, cpus // self.cpus_per_trial)
        return self.max_concurrent or min(fits, max_running or fits)

    @property
    def workspace_cache(self) -> bool:
        """Whether the trials reuse the workspace's baseline cache: a local trial does; a Ray trial trains
        in a scratch workspace of its node, whose cache starts empty (:mod:`.ray_trial`), and brings back
        the baselines it trained, whatever the workspace's cache held."""
        return self.kind == "local"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExecutorSettings:
        return cls(**data)


def parse_address(address: str) -> tuple[str, int]:
    """``(host, port)`` of a ``HOST:PORT`` address (``[v6]:PORT`` too); a :class:`TLError` otherwise,
    also for a URL (``ray://``: Ray Client; ``http://``: the dashboard), which no check resolves."""
    if "://" in address:
        raise TLError(
            f"--address {address!r}: give the cluster's HOST:PORT (its GCS, as `ray start --head` prints "
            "it, port 6379 by default), not a URL: Ray Client (ray://) and the dashboard are not supported"
        )
    host, sep, port = address.strip().rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise TLError(f"--address {address!r}: give the cluster's HOST:PORT, the port 1-65535")
    return host, int(port)


class Executor(Protocol):
    """What the sweep driver needs from an executor."""

    def start(self) -> None:
        """Get ready (connect to a cluster); may raise :class:`TLError`."""

    def capacity(self) -> int:
        """How many trials to keep handed over at once."""

    def submit(self, run_id: str, config: AdaptConfig) -> None:
        """Run the queued run ``run_id`` (created by the driver) to its end in the store."""

    def poll(self) -> None:
        """Do the executor's share of the work between the driver's looks at the store."""

    def cancel(self, run_id: str) -> None:
        """Stop a handed-over run (the store records how it ended)."""

    def shutdown(self) -> None:
        """Release everything :meth:`start` took; called once, also after an error."""


def make_executor(settings: ExecutorSettings, workspace: Workspace, worker: str | None = None) -> Executor:
    """The executor ``settings`` describe; ``worker`` names the function doing a trial's work
    (``module:function``, default the real pipeline; tests pass stand-ins)."""
    if settings.kind == "ray":
        from tlcore.runs.executors.ray import RayExecutor  # noqa: PLC0415 - Ray is optional

        return RayExecutor(workspace, settings, worker)
    from tlcore.runs.executors.local import LocalExecutor  # noqa: PLC0415

    return LocalExecutor(workspace, settings, worker)
