"""Whether a ranking score that rests on importance weights (IWCV, DEV) is to be trusted: the effective
sample size of the weights (Kish), against ``SelectionSettings.min_ess`` (rule 2 of
:mod:`tlcore.selection.ranking`)."""

from __future__ import annotations

from tlcore.selection.settings import WEIGHTED_LABELS, SelectionSettings


def unreliable_weights(ess: float | None, n: int, settings: SelectionSettings) -> str | None:
    """Why a model's IWCV and DEV are not to be trusted, in words: the effective sample size ``ess``
    of their ``n`` importance weights is below ``settings.min_ess``; None when it is not (or when
    ``ess`` was not stored)."""
    if ess is None or ess >= settings.min_ess:
        return None
    return (
        f"{WEIGHTED_LABELS} unreliable: their importance weights rest on {effective_samples(ess, n)} "
        f"(fewer than {settings.min_ess:g})"
    )


ESS_DECIMALS = 1  # an effective sample size's decimals wherever it is written: 4.7, 30.0


def ess_text(ess: float | None) -> str:
    """An effective sample size as every view writes it (the ESS column of ``runs rank``, the Compare
    page and the HTML report, the sentences): :data:`ESS_DECIMALS` decimals, ``4.7``; "-" when missing."""
    return "-" if ess is None else f"{ess:.{ESS_DECIMALS}f}"


def effective_samples(ess: float, n: int | None) -> str:
    """``"4.0 effective samples of 60"``: an effective sample size and the number of weights behind it."""
    return f"{ess_text(ess)} effective samples" + ("" if n is None else f" of {n}")
