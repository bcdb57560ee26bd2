"""Which run a page offers first among a pair's runs: the one the ranking recommends
(:mod:`tlcore.selection.ranking`), else the one whose source-only model it keeps, else the newest."""

from __future__ import annotations

from collections.abc import Sequence

from tlcore.selection.ranking import Ranking


def preselect(run_ids: Sequence[str], ranking: Ranking | None) -> str | None:
    """The run to offer first among ``run_ids`` (a pair's done runs, newest first), e.g. to label
    data or export a model with: the newest of ``ranking``'s recommended runs among them (the run
    ``runs rank`` recommends; one per setup in a pool of several networks or label budgets), else of
    the runs whose source-only model it keeps (a mixed pool: the newest can be a collapsed run), else
    the newest; None when there is none."""
    if ranking is not None:
        kept = (ranking.kept, *(part.kept for part in ranking.parts))
        for chosen in (set(ranking.recommended_runs), set(filter(None, kept))):
            if found := next((run_id for run_id in run_ids if run_id in chosen), None):
                return found
    return run_ids[0] if run_ids else None
