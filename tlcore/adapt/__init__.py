"""Adaptation runs: the config contract (:mod:`.config`), a run's data splits (:mod:`.pair`), the
pipeline (:mod:`.pipeline`), its evaluation stage (:mod:`.evaluate`), the result (:mod:`.result`)
and the baseline cache (:mod:`.cache`).

``run_adaptation(AdaptConfig(source="mnist5k", target="digits", methods=("deep_coral", "im")))``
trains the source-only baseline and the adapted model and returns an ``AdaptResult``. Import the
modules themselves: this package re-exports nothing, so importing the config contract (the run store,
the CLI parser, a job's worker start) never loads torch.
"""
