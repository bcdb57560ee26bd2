"""Predict: label every sample of any domain with a done run's model; take the model home."""

import pandas as pd
import streamlit as st

from app_support import display, engine, kept_model, predictions, state, upload_form
from tlcore.data.shift_table import format_shifts
from tlcore.export import checked_line
from tlcore.numbers import percent
from tlcore.predict import shifts_fix_data, target_shifts
from tlcore.prediction_files import PREVIEW_ROWS, predictions_name, preview_note, rows_text
from tlcore.run_model_options import FORMATS as EXPORT_FORMATS
from tlcore.selection.preselect import preselect
from tlcore.views import predictions as figures
from tlcore.views import run_names, thumbnails
from tlcore.views.ranking import kept_note, recommended_note

BATCH_KEY = "predict_batch_file"
FORMAT_KEY = "export_format"
PROBABILITIES_KEY = "predict_all_probabilities"

st.title("Predict")
source_spec, target_spec = state.pair()
to_label = state.follow_target(target_spec)  # the uploaded batch, a typed spec, or the sidebar's target
st.caption(
    display.esc(
        f"Label every sample of {to_label} (the data to label below: any domain, or a batch you upload) "
        f"with a done run's model, download {rows_text(engine.holds_images(to_label))}, or export "
        "the model to run outside the studio."
    )
)
runs = engine.finished_runs(source_spec, target_spec)
if not runs:
    st.info("No done runs yet: launch one on the Adapt page.", icon=":material/info:")
    st.page_link("app_pages/adapt.py", label="Go to Adapt", icon=":material/model_training:")
    st.stop()

ranked = engine.ranking(source_spec, target_spec)
recommended = ranked.recommended_runs if ranked else ()  # one per setup in a pool of several networks
names = {r.id: engine.run_label(r) for r in runs}
on_pair = [r.id for r in runs if (r.source, r.target) == (source_spec, target_spec)]
# each run named as Compare's tables name it, whole in the picker's help; another pair's run with its pair
# (at 1024 px the sidebar's pair cut every option, and hid a recommended run's id and mark)
labels = {
    r.id: f"{run_names.shown_label(r.id, names)}{' (recommended)' if r.id in recommended else ''}"
    + ("" if r.id in on_pair else f" · {run_names.pair_label(r.source, r.target)}")
    for r in runs
}
asked = state.predict_run()  # "label data with it" on Compare
default = asked if asked in labels else preselect(on_pair, ranked) or runs[0].id
# one under the other, each as wide as the page: side by side at 1024 px a long spec and another
# pair's run were cut (QA helper-246: "upload:target_table.csv:text=onel")
run_id = st.selectbox(
    "Run",
    list(labels),
    index=list(labels).index(default),
    format_func=labels.get,
    help="The sidebar's pair's runs first, then other pairs' runs, each named with its pair. Preselected: "
    f"the run Compare recommends for the sidebar's pair (`{engine.command('runs', 'rank')}`; the newest of "
    "them when it recommends one per network or label budget), else the pair's newest. "
    + display.esc(
        run_names.run_help(names, names)
        + run_names.pairs_help((r.source, r.target) for r in runs if r.id not in on_pair)
    ),
)
run = next(r for r in runs if r.id == run_id)
if ranked and (kept := kept_note(ranked, run_id, names)):  # the picked run's setup keeps a model, no run
    st.info(display.esc(kept), icon=":material/undo:")
    kept_model.offer(ranked.part_of(run_id), "predict_make_kept_run")
elif ranked and (chosen := recommended_note(ranked, run_id)):  # the picker's mark is cut off at 1024 px
    st.caption(display.esc(chosen))
if alarm := engine.alarms([r for r in runs if r.id == run_id]).get(run_id):
    line, false_alarm = alarm
    (st.warning if false_alarm else st.error)(display.esc(line), icon=":material/flag:")
spec = st.text_input(
    "Data to label",
    key=state.PREDICT_SPEC,
    on_change=state.keep_typed_spec,
    help="Any domain spec. Follows the sidebar's target; a spec you type here, or a batch you upload "
    "below, stays until the target changes",
)
if st.button("Predict every sample", type="primary", icon=":material/label:"):
    st.session_state[state.PREDICT_REQUEST] = (run_id, spec.strip())
with st.expander("Upload a new batch to label", icon=":material/upload:"):
    st.caption(
        "Checked and stored in the workspace like the Data page's uploads, then labelled with the run "
        "above; the source and target stay as they are."
    )
    st.file_uploader("A new batch to label", type=state.UPLOAD_TYPES, key=BATCH_KEY)
    upload_form.labels_input(state.PREDICT_LABEL)
    shifted = False
    if shifts := target_shifts(
        run.target
    ):  # ticked when a fix of the user's files: a batch of such files needs it
        shifted = st.checkbox(
            f"Give the batch the run's target shifts: {format_shifts(shifts)}",
            value=shifts_fix_data(run.target),
            key=f"predict_batch_shifts_{run_id}",
            help=f"The run was adapted to {run.target} (`python -m tlcore predict --run-shifts`). Ticked "
            "when those shifts fix your own files (a diagnosis' fix): a batch of such files needs them too. "
            "On a named dataset they make the target domain, which field data already is.",
        )
    st.button(
        "Label this batch",
        on_click=upload_form.label_uploaded,
        args=(BATCH_KEY, run_id, run.target if shifted else None),
        icon=":material/label:",
    )
    if error := st.session_state.pop(state.UPLOAD_ERROR, None):
        st.error(display.esc_code(error), icon=":material/error:")
    st.session_state.pop(state.UPLOAD_SAVED, None)  # the data to label above names it

request = st.session_state.get(state.PREDICT_REQUEST)
if request is not None:
    with display.errors_shown():
        summary, path, notes = predictions.predict(*request)
        domain = engine.load(request[1])
        st.subheader(f"{summary.n_samples:,} predictions")
        st.caption(  # the run named as Compare's tables name it, whole on hover
            display.esc(f"Run {run_names.shown_label(request[0], names)}, data {request[1]}."),
            help=display.esc(names.get(request[0], request[0])),
        )
        for note in notes:
            st.caption(display.esc(f"Note: {note}."))
        if blank := engine.blank_data(request[1]):
            st.warning(display.esc(blank), icon=":material/warning:")
        if one_class := summary.one_class_warning:
            st.warning(display.esc(one_class[0].upper() + one_class[1:] + "."), icon=":material/warning:")
        cards = st.columns(3)
        cards[0].metric("Samples", f"{summary.n_samples:,}")
        cards[1].metric("Mean confidence", percent(summary.mean_confidence))
        known = summary.counted_accuracy
        cards[2].metric("Accuracy", "unlabelled" if known is None else percent(known.accuracy))
        if known is not None:
            st.caption(
                display.esc(
                    f"Accuracy on {summary.accuracy_basis} of {request[1]}: {known.text()}; the run's "
                    "target accuracy on Adapt and Compare is on the target's held-out test split alone."
                )
            )
        left, right = st.columns(2)
        left.plotly_chart(figures.confidence_histogram(summary), key="confidence")
        right.plotly_chart(figures.predicted_counts(summary), key="counts")
        st.markdown("**Least confident samples**: look at these first, or label them")
        uncertain = list(summary.least_confident)
        if domain.is_image and uncertain:
            images = domain.X[[u.row for u in uncertain]]
            captions = [u.caption for u in uncertain]
            st.image(thumbnails.thumbnail_grid(images, captions, columns=10), width="stretch")
        shares = {"confidence": display.PERCENT}  # 31.4%, as the cards and the CLI write it
        st.dataframe(
            pd.DataFrame(display.stepped(summary.least_confident_rows(), shares)),
            hide_index=True,
            column_config=shares,
        )
        preview = pd.read_csv(path, nrows=PREVIEW_ROWS)  # fractions, as in the file
        st.caption(display.esc(preview_note(preview, summary.n_samples)))
        st.dataframe(preview, hide_index=True, height=260)
        download, every = st.columns([3, 2], vertical_alignment="center")
        every_class = every.checkbox(
            "Every class's probability",
            key=PROBABILITIES_KEY,
            help="Adds one column per class, p_<class name>, in the model's class order: the whole softmax, "
            "for calibration, ensembling or a threshold per class (`python -m tlcore predict --probabilities "
            "all`; the README's Predictions section says how odd class names are written)",
        )
        if every_class:  # written now, from the model outputs the prediction kept
            path = predictions.every_class(*request)
        what = ", every class" if every_class else ""  # the box beside it names the probabilities
        download.download_button(
            f"Predictions, one row per sample (CSV, {summary.n_samples:,} rows{what})",
            path.read_bytes,
            predictions_name(request[1], request[0], every_class=every_class),
            "text/csv",
            icon=":material/download:",
            type="primary",
            on_click="ignore",
        )

st.subheader("Take the model home")
st.caption(
    "ONNX runs in onnxruntime alone (no torch); both formats come with model.json: class names, "
    "input shape and every preprocessing step. The export is checked against torch before you get it."
)
fmt_col, button_col = st.columns([1, 3])
fmt = fmt_col.selectbox("Format", list(EXPORT_FORMATS), key=FORMAT_KEY)
if button_col.button("Export the model", icon=":material/deployed_code:"):
    st.session_state[state.EXPORT_REQUEST] = (run_id, fmt)
export_request = st.session_state.get(state.EXPORT_REQUEST)
if export_request == (run_id, fmt):  # another run or format chosen since: its own click exports it
    with display.errors_shown():
        archive, card = predictions.export_zip(*export_request)
        st.download_button(
            f"Download the {export_request[1]} model of {run_names.shown_label(export_request[0], names)}",
            archive,
            f"{export_request[0]}-{export_request[1]}.zip",
            "application/zip",
            icon=":material/download:",
            on_click="ignore",
            help=display.esc(f"The model of {names.get(export_request[0], export_request[0])}"),
        )
        opset = "" if card.onnx_opset is None else f" (ONNX opset {card.onnx_opset})"
        st.caption(display.esc(f"{card.file}{opset} and model.json; checked: {checked_line(card.parity)}."))
