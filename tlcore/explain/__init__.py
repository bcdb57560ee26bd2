"""Why a gap exists: what differs between the domains, how the labels moved, what is new.

Pure functions on tensors: :mod:`.label_shift` (the target's class proportions from a source-only
model's outputs, with bands; the estimators BBSE and EM in :mod:`.priors`) and :mod:`.coverage` (the
target samples without source neighbours).
"""
