"""The source-only model a mixed pool's ranking keeps, offered where a run is chosen (Compare, Predict):
the command that makes it a run, and a button that launches that run (its baseline is cached, so it
trains nothing: QA, 7-9 s for efficientnet_lite0 on 150 photos)."""

from __future__ import annotations

import streamlit as st

from app_support import display, engine, state
from tlcore.selection.ranking import Ranking
from tlcore.views.run_names import shown_label


def offer(ranked: Ranking, key: str) -> None:
    """The command and a **Make it a run** button when ``ranked`` keeps a source-only model; nothing
    otherwise (a part of a pool of several setups: named with its setup, its run as the tables name it).
    ``key``: the button's widget key (one per page and setup). Once the button launched the run, this
    session is told which, by id (a queued run is in no table yet; ``runs show`` takes the id), instead
    of offered the button again (a second click made a second run)."""
    command = engine.kept_run_command(ranked)
    if command is None:
        return
    labels = {r.id: engine.run_label(r) for r in engine.done_runs([ranked.kept])}  # named as the tables do
    model = (
        f"the source-only model of run {shown_label(ranked.kept, labels)} ({ranked.setup})"
        if ranked.setup
        else "that model"
    )
    st.caption(
        display.esc(
            f"To label data with {model} or export it, make it a run (its baseline is cached: nothing "
            "trains), here or with:"
        )
    )
    st.code(command, language="bash")
    launched: dict[str, str] = st.session_state.setdefault(state.KEPT_LAUNCHED, {})
    if ranked.kept not in launched and st.button("Make it a run", key=key, icon=":material/play_arrow:"):
        with display.errors_shown():
            (launched[ranked.kept],) = engine.launch_kept(ranked)
    if ranked.kept in launched:
        st.success(
            display.esc(
                f"Launched run {launched[ranked.kept]}: it is listed here, recommended, once done (seconds)."
            ),
            icon=":material/check:",
        )
