"""Runs: their records (and whether a worker still lives), the run store (SQLite index + one artifact
folder per run), background jobs, their worker process and the run slots that cap how many train at
once; and sweeps, many runs as one experiment: a spec (:mod:`.sweep`: space, search) expanded into
trials that a driver (:mod:`.driver`) hands to an executor (:mod:`.executors`: local or Ray), with
their state in the index (:mod:`.sweep_store`) and their results per configuration (:mod:`.summary`).

Nothing here imports torch at module level: a launched worker sets its thread count first.
"""
