"""THE training loop (:mod:`~tlcore.training.loop`), the contract a method trains on
(:mod:`~tlcore.training.step`: what an objective sees, how a term is declared) and the loop's
optimizer (:mod:`~tlcore.training.optimizer`)."""

from tlcore.training.loop import History, Status, TrainSettings, evaluate, train
from tlcore.training.optimizer import adam, adam_is_fused
from tlcore.training.step import Need, Objective, StepInputs, Term, ramp_up

__all__ = [
    "History",
    "Need",
    "Objective",
    "Status",
    "StepInputs",
    "Term",
    "TrainSettings",
    "adam",
    "adam_is_fused",
    "evaluate",
    "ramp_up",
    "train",
]
