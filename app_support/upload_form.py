"""The uploaders' form (the Data page's and the Predict page's new batch): the file's Label column
field and boxes, and the callbacks that validate and store it (:func:`tlcore.data.spec.store_upload`);
their session keys are :mod:`app_support.state`'s."""

from __future__ import annotations

import streamlit as st

from app_support import engine, state
from tlcore.data.spec import store_upload
from tlcore.data.spec_text import DomainSpec
from tlcore.errors import TLError
from tlcore.predict import with_run_shifts


def labels_input(key: str) -> None:
    """The uploaders' "Label column (optional)" field (the Data page's and the Predict page's new
    batch): ``label=`` of the next file saved (``data upload --label COLUMN``), its "Drop rows with
    missing cells" box (``missing=drop``) and its "Encode text columns" box (``text=onehot``, unticked
    as the spec's default), cleared after it."""
    st.text_input(
        "Label column (optional)",
        key=key,
        placeholder="a table's label column, or none",
        help="A table's label column when it is not called label, y, class or target; `none` reads any "
        "file unlabelled (a zip whose folders are dates or batches, not classes). Applies to the next "
        "save only: the field is cleared after it. It is the spec's `label=` (`python -m tlcore data upload "
        "--label COLUMN`; `predict --data upload:NAME:label=none`)",
    )
    st.checkbox(
        state.DROP_MISSING_BOX,
        key=f"{key}{state.MISSING_SUFFIX}",
        help="A table's rows holding an empty, n/a or non-numeric feature cell (`#DIV/0!`) are dropped, "
        "and the data's provenance names them; without it such a table is refused, naming the first "
        "cell. Applies to the next save only. It is the spec's `missing=drop` (`python -m tlcore data "
        "upload --missing drop`)",
    )
    st.session_state.setdefault(f"{key}{state.ONEHOT_SUFFIX}", DomainSpec.text_onehot)
    st.checkbox(
        state.ONEHOT_BOX,
        key=f"{key}{state.ONEHOT_SUFFIX}",
        help="Each text feature column of a table (a region, a device) becomes a 0/1 column per value, "
        "named column=value; a missing text cell is a missing cell (see the box above). Not the label "
        "column: name it in the field. Applies to the next save only. It is the spec's `text=onehot` "
        "(`python -m tlcore data upload --text onehot`)",
    )


def _store_uploaded(uploader_key: str, label_key: str) -> str | None:
    """Validate and store the file in ``uploader_key`` (:func:`~tlcore.data.spec.store_upload`), read
    with the labels its :func:`labels_input` ``label_key`` names (and ``missing=drop``, ``text=onehot``
    when its boxes are ticked); its spec, or None with the error kept for the page to show. After a
    save the labels field and the boxes are cleared, so they never apply to the next upload unseen.

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
            drop_missing=bool(session.get(f"{label_key}{state.MISSING_SUFFIX}")),
            name_missing=f"tick {state.DROP_MISSING_BOX}",
            text_onehot=bool(session.get(f"{label_key}{state.ONEHOT_SUFFIX}")),
            name_onehot=f"tick {state.ONEHOT_BOX}",
        )
    except TLError as exc:
        session[state.UPLOAD_ERROR] = str(exc)
        return None
    session[state.UPLOAD_SAVED] = spec
    session[label_key], session[f"{label_key}{state.MISSING_SUFFIX}"] = "", False
    session[f"{label_key}{state.ONEHOT_SUFFIX}"] = DomainSpec.text_onehot
    return spec


def save_uploaded(uploader_key: str, role: str) -> None:
    """Callback: validate and store the file in ``uploader_key``, then use it as ``role``."""
    if spec := _store_uploaded(uploader_key, state.UPLOAD_LABEL):
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
