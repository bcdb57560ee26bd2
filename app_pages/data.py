"""Data: choose source and target (built-ins with shift knobs, or an upload), then look at them."""

import contextlib

import streamlit as st

from app_support import copies_fix, display, engine, state, upload_form
from tlcore.errors import TLError
from tlcore.views import explore, figures, thumbnails

ROLES = {"source": "Source (learn from)", "target": "Target (to adapt to)"}
UPLOAD_KEY = "upload_file"
UPLOAD_DESCRIPTION = "description"  # the saved uploads' column saying what each is
THUMBNAILS = 16  # samples shown of an image side, 4 a row

st.title("Data")
st.caption("The source domain trains the model; the target is where it has to work.")

# keyed, so the tab shown outlives a visit to another page (state.keep_forms), as the upload form does
pick, upload = st.tabs(["Datasets and shifts", "Upload your own"], key=state.DATA_TAB, on_change="rerun")
with pick:
    for role, column in zip(ROLES, st.columns(2), strict=True):
        state.init_builder(role)
        keys = state.builder_keys(role)
        choices = engine.dataset_choices()
        current = st.session_state[keys["dataset"]]
        with column.container(border=True):
            st.markdown(f"##### {ROLES[role]}")
            st.selectbox(
                "Dataset",
                choices if current in choices else [current, *choices],
                key=keys["dataset"],
                on_change=state.pick_dataset,
                args=(role,),
            )
            st.number_input(
                "Samples (0 = all)",
                0,
                100_000,
                step=100,
                key=keys["n"],
                on_change=state.apply_builder,
                args=(role,),
            )
            if engine.holds_images(st.session_state[state.ROLES[role]]):  # a table has no blank images
                st.checkbox(
                    "Drop blank images",
                    key=keys["blank"],
                    on_change=state.apply_builder,
                    args=(role,),
                    help="blank=drop: leave out the blank images, with no ink or foreground (empty scans, "
                    "constant images), after the samples are drawn and before the shifts",
                )
            knobs = state.shift_knobs()
            shifted = any(st.session_state[keys[k["name"]]] != k["identity"] for k in knobs)
            with st.expander("Shift knobs", icon=":material/tune:", expanded=shifted):
                for knob in knobs:
                    st.slider(
                        knob["name"],
                        knob["low"],
                        knob["high"],
                        step=knob["step"],
                        key=keys[knob["name"]],
                        help=knob["param"],
                        on_change=state.apply_builder,
                        args=(role,),
                    )
            if error := st.session_state.pop(state.builder_error_key(role), None):
                st.error(display.esc(error), icon=":material/error:")

with upload:
    st.markdown(
        "- **Image zip**: one folder per class (`cat/001.png`, …) or loose images (unlabelled)\n"
        "- **NumPy `.npz`**: an array `X` (`NxD` or `NxCxHxW`), optional `y` and `classes`\n"
        "- **CSV / Parquet**: numeric feature columns (text columns such as a region: tick "
        f"*{state.ONEHOT_BOX}* below), an optional `label` column (another name: the *Label column* "
        "field below) and an optional `id` column naming the rows"
    )
    st.file_uploader("Dataset file", type=state.UPLOAD_TYPES, key=UPLOAD_KEY)
    upload_form.labels_input(state.UPLOAD_LABEL)
    left, right, _ = st.columns([1, 1, 2])
    left.button(
        "Use as source", on_click=upload_form.save_uploaded, args=(UPLOAD_KEY, "source"), width="stretch"
    )
    right.button(
        "Use as target", on_click=upload_form.save_uploaded, args=(UPLOAD_KEY, "target"), width="stretch"
    )
    if error := st.session_state.pop(state.UPLOAD_ERROR, None):
        st.error(display.esc(error), icon=":material/error:")
    if saved := st.session_state.pop(state.UPLOAD_SAVED, None):
        st.success(f"Saved to the workspace as {display.esc(saved)}", icon=":material/check_circle:")
    if uploads := engine.saved_uploads():
        st.markdown("##### Saved uploads")
        # what each is, wrapped: in one line at 1024 px it ran past the table's edge (QA)
        described = {UPLOAD_DESCRIPTION: display.DESCRIPTION_PX}
        st.dataframe(
            uploads,
            hide_index=True,
            column_config={UPLOAD_DESCRIPTION: st.column_config.TextColumn(width=display.DESCRIPTION_PX)},
            row_height=display.wrapped_rows(uploads, described),
        )
        st.caption(
            "Samples and shape as each file read when saved; for one saved by an older version, as it "
            f"read when next used (`{engine.command('data', 'list')}`; `--scan` reads them all)."
        )

st.subheader("Current pair")
source_spec, target_spec = state.pair()
paired = None  # the harmonised pair; its error, if any, is shown below the previews
with contextlib.suppress(TLError):
    paired = dict(zip(ROLES, engine.load_pair(source_spec, target_spec), strict=True))
if paired:
    copies_fix.shared_box(source_spec, target_spec)
domains = {}
for role, spec, column in zip(ROLES, (source_spec, target_spec), st.columns(2), strict=True):
    with column, display.errors_shown():
        # wraps at the spec's ":" and ",": at 1024 px "text=onehot" broke as "text=o nehot" (QA)
        st.markdown(f"##### {role.title()}: {display.breakable(spec)}", unsafe_allow_html=True)
        domain = domains[role] = engine.load(spec)
        # cards as wide as their numbers, wrapping (as Diagnose's): in a third of a half page at
        # 1000 px, "5,000" and "1x28x28" were cut to "5,…" and "1x…" (QA)
        cards = st.container(horizontal=True, gap="medium")
        cards.metric("Samples", f"{domain.n_samples:,}", width="content")
        shape, shape_help = explore.shape_card(domain, paired[role] if paired else None)
        cards.metric("Shape", shape, help=shape_help, width="content")
        classes = domain.n_classes if domain.labelled else "none"
        cards.metric("Classes", classes, help="none: unlabelled", width="content")
        if domain.is_image:
            index = thumbnails.pick_samples(domain.y, domain.n_samples, THUMBNAILS)
            captions = [domain.classes[i] for i in domain.y[index]] if domain.labelled else None
            # shown at its own size: 8 a row, stretched to half a 1024 px page, its captions were 6 px (QA)
            grid = thumbnails.thumbnail_grid(domain.X[index], captions, columns=4, cell=64, font_size=12)
            st.image(grid, width="content")
        else:
            shown = paired[role] if paired else domain
            st.dataframe(explore.table_preview(shown), height=240)
            if role == "target":
                order = "the source's column order, as paired" if paired else "the file's column order"
                st.caption(f"The first rows, in {order}.")
        st.caption(display.esc(explore.provenance_line(domain)))

if "source" in domains and not domains["source"].labelled:
    st.warning(
        "The source is unlabelled: runs (Adapt, Sweep) and the label-shift estimate learn from the "
        "source's labels. Upload it with its labels, or choose a labelled dataset.",
        icon=":material/warning:",
    )
kinds = {role: "images" if domain.is_image else "a table" for role, domain in domains.items()}
if len(set(kinds.values())) == 2:  # a step on the way, not an error: a new table source beside images
    st.info(
        f"Not paired yet: the source is {kinds['source']} and the target {kinds['target']}. Choose or "
        "upload a target of the same kind as the source to pair them.",
        icon=":material/link_off:",
    )
elif len(domains) == 2:
    with display.errors_shown():
        paired_source, paired_target = engine.load_pair(source_spec, target_spec)
        for note in paired_target.meta["pair_report"].lines():
            st.info(display.esc(note), icon=":material/info:")
        counts = {"source": paired_source.class_counts(), "target": paired_target.class_counts()}
        known = {k: v for k, v in counts.items() if v}
        if known:  # nothing to draw when neither domain is labelled
            st.plotly_chart(
                figures.class_balance(known, "Class balance (share of samples)"), key="class_balance"
            )
        if not paired_target.labelled:
            st.caption("The target is unlabelled: its class balance is unknown.")
