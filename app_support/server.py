"""Once per served process (``streamlit run app.py``), not per session or page run: how it exits."""

import atexit
import gc

import streamlit as st


@st.cache_resource(show_spinner=False)
def freeze_at_exit() -> None:
    """Have the process call :func:`gc.freeze` at exit, once per server: Python's exit-time collection
    then skips every object alive by then (torch's and umap's among them), which was most of the served
    app's stop time on SIGTERM. Streamlit has shut down by then and every other exit handler still runs;
    only cyclic garbage left at exit goes unfreed, and the app writes nothing then: the workspace's files
    are written whole or not at all (:func:`tlcore.workspace.atomic_write`)."""
    atexit.register(gc.freeze)
