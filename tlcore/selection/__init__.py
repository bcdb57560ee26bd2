"""Choosing a run without target labels: validators, a ranking rule and a negative-transfer alarm.

Pure functions and typed results, arrays in, numbers out; every score is "higher is better". Reading
runs (:mod:`.scores` to :mod:`.ranking`) loads no torch: only :mod:`.validators`, :mod:`.importance`
and :mod:`.scoring`, which score a model when its run finishes, do.

- :mod:`.validators`: scores of one model's predictions (IM, BNM, SND, entropy, source accuracy)
  and the effective number of predicted classes (the collapse measure);
- :mod:`.importance`: IWCV and DEV, importance-weighted source validation risks;
- :mod:`.ensemble`: EnsV, agreement with the ensemble of a pair's candidate models;
- :mod:`.mixval`: MixVal, the rank average of the probes' stored ICEs;
- :mod:`.scoring`: a model's scores and MixVal probes, computed once when its run finishes (torch);
- :mod:`.scores`: the typed scores a run stores (``result.json``: ``validators``) and the settings;
- :mod:`.predictions`: the target probabilities a run stores (``predictions.npz``) and their fingerprint;
- :mod:`.pool`: the candidates of one pair and their ensemble agreement;
- :mod:`.alarm`: each run against its own source-only model (guardrails, negative-transfer flags);
- :mod:`.reliability`: whether a score resting on importance weights is to be trusted;
- :mod:`.ranking`: the default ranking of a pool and its recommendation;
- :mod:`.averaged`: the one validator by which scores of several pools are averaged (a sweep's seeds);
- :mod:`.preselect`: which run a page offers first;
- :mod:`.changes`: where the predicted classes moved between two models on the same samples.

Reading candidates from a run store is :func:`tlcore.runs.candidates.load_pool` (the run store sits
above this package: the pipeline computes the scores with these functions).
"""
