"""Home: what transfer learning is about, the three families, and a one-click demo."""

import streamlit as st

from app_support import engine, state
from tlcore.data.spec import DEFAULT_PAIR

st.title("tlstudio")
st.markdown(
    "A model trained on one **source** domain often stumbles on a **target** domain that looks a "
    "little different: other handwriting, another camera, another season. tlstudio measures that "
    "gap, tries adaptation methods against it and shows whether they helped."
)

FAMILIES = {
    "instance-based": (
        ":material/balance: Instance-based",
        "Re-weight the source samples so that the ones resembling the target count more.",
    ),
    "feature-based": (
        ":material/hub: Feature-based",
        "Learn a representation in which source and target look alike (CORAL, MMD, adversarial).",
    ),
    "model-based": (
        ":material/layers: Model-based",
        "Reuse a trained model's parameters and fine-tune them, or let it teach itself on the target.",
    ),
}
methods = engine.methods_by_family()
for column, (family, (title, text)) in zip(st.columns(3), FAMILIES.items(), strict=True):
    with column.container(border=True):
        st.markdown(f"#### {title}")
        st.write(text)
        names = methods.get(family, []) + (
            methods.get("self-training", []) if family == "model-based" else []
        )
        if names:
            st.caption("Methods here: " + ", ".join(f"`{n}`" for n in names))

st.divider()
left, right = st.columns([2, 1])
with left:
    st.markdown("#### Try it in three clicks")
    st.markdown(
        f"1. **Diagnose** the gap between `{DEFAULT_PAIR[0]}` (MNIST digits) and "
        f"`{DEFAULT_PAIR[1]}` (scanned UCI digits).\n"
        "2. **Adapt**: launch two methods as background runs.\n"
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
