"""Checkpointed cells: each expensive measurement (one training run, one skada fit) is a JSON file
named by a hash of everything that determines it, so an interrupted benchmark resumes where it
stopped (``python -m bench ... --resume``) and parallel workers never redo each other's work.

A cell's key is any JSON-able value (e.g. ``{"kind": "tlcore", "config": config_key(cfg)}``); its
file is ``<state>/<sha256 of the key>.json`` holding ``{"key": ..., "value": ...}``, written
atomically. Without ``--resume`` the state folder is emptied first: results of older code are never
mixed in by accident.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tlcore.adapt.config import AdaptConfig
from tlcore.workspace import atomic_write

# AdaptConfig fields added after cells were first written, with the value every older cell had: at
# that value they stay out of a config's key, so finished cells of the same settings stay valid.
LATER_FIELDS: dict[str, Any] = {
    "adapt_epochs": None,
    "warm_start": False,
    "steps_per_epoch": None,
    "ema_decay": 0.0,
    "settle_tol": 0.0,
}
# The training loop's revision, in every config's key: raised when the engine changes what a config
# measures, so cells measured before are not reused. 2: an adapt-stage epoch passes over the larger
# domain (1: over the source; only runs whose target outnumbers their source train differently).
LOOP_REVISION = 2
# A method's revision, in the key of every config that uses it, once raised above 1: raised when a
# method's defaults or code change what it computes, so its older cells are not reused (a config's
# ``params`` hold only what it overrides). dann 2: the discriminator is 1,024 wide (was 256).
METHOD_REVISIONS: dict[str, int] = {"dann": 2}


def config_key(config: AdaptConfig) -> dict[str, Any]:
    """``config.to_dict()`` for a cell's key, :data:`LATER_FIELDS` left out at their old value, with
    the :data:`LOOP_REVISION` it is measured under and its methods' :data:`METHOD_REVISIONS`."""
    values = {k: v for k, v in config.to_dict().items() if not (k in LATER_FIELDS and v == LATER_FIELDS[k])}
    revisions = {m: METHOD_REVISIONS[m] for m in config.methods if m in METHOD_REVISIONS}
    return {**values, "loop_revision": LOOP_REVISION} | ({"method_revisions": revisions} if revisions else {})


class Cells:
    """A folder of finished cells; :meth:`get_or_run` runs a cell only when it is not there yet."""

    def __init__(self, folder: Path, *, resume: bool) -> None:
        self.folder = folder
        if not resume and folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)

    def path(self, key: Any) -> Path:
        text = json.dumps(key, sort_keys=True, default=str)
        return self.folder / f"{hashlib.sha256(text.encode()).hexdigest()[:24]}.json"

    def get(self, key: Any) -> Any | None:
        """The stored value of ``key``, or None."""
        try:
            return json.loads(self.path(key).read_text(encoding="utf-8"))["value"]
        except (FileNotFoundError, ValueError, KeyError):
            return None

    def get_or_run(
        self, key: Any, run: Callable[[], Any], *, keep: Callable[[Any], bool] | None = None
    ) -> Any:
        """The stored value of ``key``, else ``run()``'s, stored when ``keep(value)`` (default: always)."""
        value = self.get(key)
        if value is not None:
            return value
        value = run()
        if keep is None or keep(value):
            payload = json.dumps({"key": key, "value": value}, default=str)
            atomic_write(self.path(key), lambda p: p.write_text(payload, encoding="utf-8"))
        return value

    def __len__(self) -> int:
        return sum(1 for _ in self.folder.glob("*.json"))


def state_folder(explicit: Path | None, root: Path) -> Path:
    """``--state`` when given, else ``$TLSTUDIO_BENCH_STATE``, else ``<repo>/.bench-state``."""
    return explicit or Path(os.environ.get("TLSTUDIO_BENCH_STATE", root / ".bench-state"))
