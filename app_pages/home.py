"""Home: what transfer learning is about, the families of methods (from the registry), a one-click demo."""

import streamlit as st

from app_support import engine, state
from tlcore.data.spec import DEFAULT_PAIR
from tlcore.method_table import FAMILIES

st.title("tlstudio")
st.markdown(
    "A model trained on one **source** domain often stumbles on a **target** domain that looks a "
    "little different: other handwriting, another camera, another season. tlstudio measures that "
    "gap, tries adaptation methods against it and shows whether they helped."
)

ICONS = {
    "baseline": ":material/flag:",
    "model-based": ":material/layers:",
    "instance-based": ":material/balance:",
    "feature-based": ":material/hub:",
    "self-training": ":material/psychology:",
}
methods = engine.methods_by_family()
families = [f for f in FAMILIES if f != "baseline"]
CARDS_PER_ROW = 2  # four cards in a row broke words ("representatio n") in a 1000 px window
columns = [c for _ in range(0, len(families), CARDS_PER_ROW) for c in st.columns(CARDS_PER_ROW)]
for column, family in zip(columns, families, strict=False):
    with column.container(border=True):
        st.markdown(f"#### {ICONS.get(family, '')} {family.capitalize()}")
        st.write(FAMILIES[family])
        if methods.get(family):
            st.caption("Methods here: " + ", ".join(f"`{n}`" for n in methods[family]))
st.caption(FAMILIES["baseline"] + " Methods: " + ", ".join(f"`{n}`" for n in methods.get("baseline", [])))

st.divider()
left, right = st.columns([2, 1])
with left:
    st.markdown("#### Try it in three clicks")
    st.markdown(
        f"1. **Diagnose** the gap between `{DEFAULT_PAIR[0]}` (MNIST digits) and "
        f"`{DEFAULT_PAIR[1]}` (scanned UCI digits).\n"
        "2. **Adapt**: launch the recommended recipe as a background run.\n"
        "3. **Compare** them before and after, and download a report."
    )
with right:
    st.write("")
    if st.button(
        "Start the demo",
        type="primary",
        icon=":material/play_arrow:",
        width="stretch",
        on_click=state.set_pair,
        args=(DEFAULT_PAIR[0], DEFAULT_PAIR[1]),
    ):
        st.switch_page("app_pages/diagnose.py")
    st.caption("Or pick your own data on the **Data** page.")
