"""What a run's config is checked for before a run exists: everything that needs no data
(:func:`check_config`), and what it needs of its data's labels (:func:`check_labels`), from the specs
(``label=none``) or from what the data holds (:func:`check_data`)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from tlcore.adapt.config import AdaptConfig
from tlcore.data.spec_text import parse_spec
from tlcore.data.uploads import NO_LABELS
from tlcore.device import pick_device
from tlcore.errors import TLError
from tlcore.method_table import Configured
from tlcore.methods import check_combination, list_methods
from tlcore.methods.registry import MethodSpec
from tlcore.models import check_model_name


def check_config(cfg: AdaptConfig) -> tuple[list[MethodSpec], dict[str, Configured]]:
    """The specs and parsed parameters of ``cfg``'s methods after every check that needs no data
    (the domain specs' grammar, the composition, the parameters, target labels only for the methods
    trained on them, the model name, the device); a one-line :class:`TLError` otherwise. Callers
    check before they create a run."""
    parse_spec(cfg.source)
    parse_spec(cfg.target)
    specs = check_combination(cfg.methods)
    stray = sorted(set(cfg.params) - set(cfg.methods))
    if stray:
        raise TLError(
            f"parameters given for {', '.join(stray)}, which is not among the methods {cfg.method_label}"
        )
    params = {spec.name: spec.parse_params(cfg.params.get(spec.name)) for spec in specs}
    if cfg.target_labels and not needs_target_labels(specs):  # else the runs of 0 and k are the same run
        labelled = ", ".join(needs_target_labels(list_methods()))
        raise TLError(f"--target-labels is for the methods trained on target labels ({labelled})")
    check_model_name(cfg.model)
    pick_device(cfg.device)
    unlabelled = [parse_spec(spec).label == NO_LABELS for spec in (cfg.source, cfg.target)]
    check_labels(cfg, needs_target_labels(specs), not unlabelled[0], not unlabelled[1])
    return specs, params


def needs_target_labels(specs: Sequence[MethodSpec]) -> list[str]:
    """The methods among ``specs`` that train on target labels."""
    return [spec.name for spec in specs if spec.needs_target_labels]


def check_data(configs: Sequence[AdaptConfig], labelled: Callable[[str], bool]) -> None:
    """:func:`check_config` on each of ``configs``, then what its run needs of its data's labels
    (:func:`check_labels`), ``labelled(spec)`` asked once per spec and only for a target whose labels
    some run needs: the CLI's ``adapt`` and ``sweep`` ask :func:`~tlcore.data.spec.spec_labelled` (no
    sample decoded), the app its loaded domains; both before any run or sweep exists."""
    known = functools.cache(labelled)
    for cfg in configs:
        specs, _ = check_config(cfg)
        needs = needs_target_labels(specs)
        check_labels(cfg, needs, known(cfg.source), not needs or known(cfg.target))


def check_labels(
    cfg: AdaptConfig, needs_target_labels: Sequence[str], source_labelled: bool, target_labelled: bool
) -> None:
    """What a run needs of its data's labels, else a one-line :class:`TLError`: a labelled source
    (every run trains on it) and, for the methods named in ``needs_target_labels``, a labelled
    target. Checked from the specs before a run exists (``label=none``), from what the data holds
    before a run or sweep exists (:func:`check_data`), and from the loaded data in the pipeline."""
    if not source_labelled:
        raise TLError(f"the source {cfg.source} is unlabelled; a run trains on the source's labels")
    if needs_target_labels and not target_labelled:
        raise TLError(f"{needs_target_labels[0]} needs target labels, but {cfg.target} is unlabelled")
