"""Domain-gap metrics: pure functions, tensors in, numbers (or small dataclasses) out, seeded.

Every function runs on the device of its inputs and prints nothing. Import the modules themselves:
this package re-exports nothing, so a light module (:mod:`.proportion`, :mod:`.mcnemar`) loads without
the torch code of the others.
"""
