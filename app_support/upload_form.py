"""The uploaders' form (the Data page's and the Predict page's new batch): the file's Label column
field, Missing cells choice and Encode box, and the callbacks that validate and store it
(:func:`tlcore.data.spec.store_upload`); their session keys are :mod:`app_support.state`'s."""

from __future__ import annotations

import streamlit as st

from app_support import engine, state
from tlcore.data.spec import store_upload
from tlcore.data.spec_text import MISSING_VALUES, DomainSpec
from tlcore.errors import TLError
from tlcore.predict import with_run_shifts


def labels_input(key: str) -> None:
    """The uploaders' "Label column (optional)" field (the Data page's and the Predict page's new
    batch): ``label=`` of the next file saved (``data upload --label COLUMN``), its "Missing cells"
    choice (``missing=``: refuse, drop rows, fill in) and its "Encode text columns" box
    (``text=onehot``), at the spec's defaults, reset after it (the box kept after a source encoded
    with it)."""
    st.text_input(
        "Label column (optional)",
        key=key,
        placeholder="a table's label column, or none",
        help="A table's label column when it is not called label, y, class or target; `none` reads any "
        "file unlabelled (a zip whose folders are dates or batches, not classes). Applies to the next "
        "save only: the field is cleared after it. It is the spec's `label=` (`python -m tlcore data upload "
        "--label COLUMN`; `predict --data upload:NAME:label=none`)",
    )
    choices = list(state.MISSING_LABELS)
    st.radio(
        state.MISSING_CHOICE,
        choices,
        index=choices.index(DomainSpec.missing or state.REFUSE),
        format_func=state.MISSING_LABELS.get,
        key=f"{key}{state.MISSING_SUFFIX}",
        horizontal=True,
        help="A table's empty, n/a, non-numeric (`#DIV/0!`) or infinite feature cells. *refuse*: the table "
        "is refused, naming the first cell. *drop rows*: the rows holding one are dropped, and the "
        "provenance names them (`missing=drop`). *fill in*: every row is kept, each such number takes its "
        "column's median in the source (a model's stored one when predicting), each such text cell "
        "(encoded below) none of its column's values, and the provenance counts them (`missing=impute`); "
        "labels are never filled. Applies to the next save only (`python -m tlcore data upload "
        "--missing drop|impute`)",
    )
    st.session_state.setdefault(f"{key}{state.ONEHOT_SUFFIX}", DomainSpec.text_onehot)
    st.checkbox(
        state.ONEHOT_BOX,
        key=f"{key}{state.ONEHOT_SUFFIX}",
        help="Each text feature column of a table (a region, a device) becomes a 0/1 column per value, "
        "named column=value; a missing text cell is a missing cell (see Missing cells above). Not the "
        "label column: name it in the field. Applies to the next save only, but stays ticked after a source "
        "saved with it, as its target must be read so too. It is the spec's "
        "`text=onehot` (`python -m tlcore data upload --text onehot`)",
    )


def _store_uploaded(uploader_key: str, label_key: str, source: bool = False) -> str | None:
    """Validate and store the file in ``uploader_key`` (:func:`~tlcore.data.spec.store_upload`), read
    with the labels its :func:`labels_input` ``label_key`` names (and the ``missing=`` its Missing cells
    choice says, ``text=onehot`` when its box is ticked); its spec, or None with the error kept for the
    page to show; with ``source`` checked as a pair's source (refused now, not when paired; a column
    empty in every row is dropped there, as its provenance warns). After a save the labels field, the
    choice and the box are reset, so they never apply to the next upload unseen; the box stays ticked
    after a source read with it, whose target must be read so too (else refused).

    The file only reaches the shared workspace here, after it parsed; until then it exists only in
    this session's widget state.
    """
    session = st.session_state
    session.pop(state.UPLOAD_ERROR, None)
    file = session.get(uploader_key)
    if file is None:
        session[state.UPLOAD_ERROR] = "choose a file first"
        return None
    label = (session.get(label_key) or "").strip() or None
    try:
        spec = store_upload(
            engine.workspace(),
            file.name,
            file.getvalue(),
            label=label,
            name_label="type {column} in the Label column field",
            missing=session.get(f"{label_key}{state.MISSING_SUFFIX}") or DomainSpec.missing,
            name_missing={
                v: f"choose {state.MISSING_CHOICE}: {state.MISSING_LABELS[v]}" for v in MISSING_VALUES
            },
            text_onehot=bool(session.get(f"{label_key}{state.ONEHOT_SUFFIX}")),
            name_onehot=f"tick {state.ONEHOT_BOX}",
            source=source,
        )
    except TLError as exc:
        session[state.UPLOAD_ERROR] = str(exc)
        return None
    session[state.UPLOAD_SAVED] = spec
    session[label_key], session[f"{label_key}{state.MISSING_SUFFIX}"] = "", DomainSpec.missing or state.REFUSE
    # a source read with text=onehot keeps the box ticked: its target is refused unless read so too
    encoded = source and bool(session.get(f"{label_key}{state.ONEHOT_SUFFIX}"))
    session[f"{label_key}{state.ONEHOT_SUFFIX}"] = encoded or DomainSpec.text_onehot
    return spec


def save_uploaded(uploader_key: str, role: str) -> None:
    """Callback: validate and store the file in ``uploader_key``, then use it as ``role``."""
    if spec := _store_uploaded(uploader_key, state.UPLOAD_LABEL, source=role == "source"):
        state.set_pair(**{role: spec})


def label_uploaded(uploader_key: str, run_id: str, shifts_of: str | None = None) -> None:
    """Callback of the Predict page's uploader: validate and store the file in ``uploader_key`` (a new
    batch), given the shifts of the run target ``shifts_of`` that it lacks
    (:func:`tlcore.predict.with_run_shifts`; None: as it is), make it the data to label and predict it
    with ``run_id``; the pair is untouched."""
    if spec := _store_uploaded(uploader_key, state.PREDICT_LABEL):
        spec = with_run_shifts(spec, shifts_of)
        kept = (state.pair()[1], spec)  # kept as if typed, until the target changes
        st.session_state[state.PREDICT_TYPED] = kept
        st.session_state[state.PREDICT_REQUEST] = (run_id, spec)
