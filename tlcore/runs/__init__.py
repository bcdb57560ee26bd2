"""Runs: their records (and whether a worker still lives), the run store (SQLite index + one artifact
folder per run), background jobs, their worker process and the run slots that cap how many train at
once.

Nothing here imports torch at module level: a launched worker sets its thread count first.
"""
