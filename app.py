"""tlstudio: the Streamlit frame. Page config, the shared sidebar and the one ``st.navigation`` call.

Run with ``streamlit run app.py``. Every page lives in ``app_pages/`` and only lays out widgets and
calls ``tlcore``; caching and session helpers live in ``app_support.py``.
"""

import streamlit as st

from app_support import diagnosis, engine, estimate, server, state

st.set_page_config(page_title="tlstudio", page_icon=":material/transform:", layout="wide")
server.freeze_at_exit()
state.init_session()

page = st.navigation(
    [
        st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("app_pages/data.py", title="Data", icon=":material/dataset:"),
        st.Page("app_pages/diagnose.py", title="Diagnose", icon=":material/troubleshoot:"),
        st.Page("app_pages/adapt.py", title="Adapt", icon=":material/model_training:"),
        st.Page("app_pages/compare.py", title="Compare", icon=":material/compare:"),
        st.Page("app_pages/predict.py", title="Predict", icon=":material/label:"),
        st.Page("app_pages/sweep.py", title="Sweep", icon=":material/grid_view:"),
    ]
)

with st.sidebar:
    st.subheader("Current pair")
    st.text_input(
        "Source (learn from)",
        key=(field := state.pair_field(state.SOURCE)),
        on_change=state.pair_edited,
        args=(state.SOURCE, field),
        help="The domain the model learns from: runs need its labels (the Data page says when it has "
        "none). A domain spec such as `mnist5k`, `fashion:rotate=30` or `mnist5k:n=500`",
    )
    st.text_input(
        "Target (adapt to)",
        key=(field := state.pair_field(state.TARGET)),
        on_change=state.pair_edited,
        args=(state.TARGET, field),
        help="Build one on the Data page; uploads appear as `upload:<name>`",
    )
    st.button("Swap source and target", on_click=state.swap_pair, icon=":material/swap_vert:")
    st.caption(f"Workspace: `{engine.workspace().root}`")
state.share_pair()

engine.close_stale_runs()  # the one sweep per page run: every read below only looks
state.keep_forms()
page.run()
diagnosis.warm_umap()  # after the page: its first run does not wait for the import
estimate.measure_start_early(engine.workspace())  # in the background: the first estimate counts it
