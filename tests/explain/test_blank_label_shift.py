"""Blank images and the label-shift estimate: a model assigns a blank image (no ink) to some class, so
a partly blank target read as it is inflates that class's estimated share. The estimate leaves the
blank images of both sides out, by the one blank predicate (:func:`tlcore.data.ink.blank_mask`), and
says how many."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import load_run_pair
from tlcore.adapt.source_model import SourceOnlyModel, find_source_only_model, label_shift_of
from tlcore.data import load_domain
from tlcore.data.ink import blank_mask
from tlcore.metrics.priors import class_prior
from tlcore.runs import jobs
from tlcore.workspace import Workspace


def save(path: Path, X: np.ndarray, y: np.ndarray, classes: tuple[str, ...]) -> str:
    np.savez(path, X=X, y=y, classes=np.array(classes))
    return str(path)


def test_blank_images_are_left_out_of_the_label_shift_estimate_and_counted(tmp_path):
    source = load_domain("mnist5k:n=300", seed=1)
    Xs, ys = source.X.numpy()[:, 0].copy(), source.y.numpy()
    Xs[::10] = 0.0  # 30 blank source images, some of them in the validation split
    target = load_domain("mnist5k:n=400", seed=2)
    Xt, yt = target.X.numpy()[:, 0], target.y.numpy()
    n_blank = 60  # 13% of the target with them
    blank_X = np.concatenate([np.zeros((n_blank, 28, 28), np.float32), Xt])
    blank_y = np.concatenate([np.arange(n_blank) % 10, yt])
    classes = tuple(source.classes)
    specs = {
        name: save(tmp_path / f"{name}.npz", X, y, classes)
        for name, X, y in (("source", Xs, ys), ("clean", Xt, yt), ("blank", blank_X, blank_y))
    }
    workspace = Workspace.resolve(tmp_path / "ws")
    config = AdaptConfig(source=specs["source"], target=specs["clean"], epochs=1)
    record = jobs.run_inline(workspace, config)
    assert record.status == "done", record.error
    found = find_source_only_model(config, workspace, threads=torch.get_num_threads())
    assert isinstance(found, SourceOnlyModel)

    clean = label_shift_of(found, workspace, load_domain(specs["clean"]))
    blank = label_shift_of(found, workspace, load_domain(specs["blank"]))
    # the blank images change no estimate: the same priors as the target without them
    assert blank.em.priors == pytest.approx(clean.em.priors, abs=1e-9)
    assert blank.bbse.priors == pytest.approx(clean.bbse.priors, abs=1e-9)
    assert blank.true_prior == pytest.approx(clean.true_prior, abs=1e-12)
    assert (blank.n_target, blank.n_blank_target, clean.n_blank_target) == (400, n_blank, 0)

    # the source validation split's blank images are left out too: its priors are the inked ones'
    val = load_run_pair(found.config, workspace).source_val
    inked = ~blank_mask(val.X)
    n_val_blank = int((~inked).sum())
    assert n_val_blank > 0 and blank.n_blank_source_val == clean.n_blank_source_val == n_val_blank
    assert blank.n_source_val == len(val.y) - n_val_blank
    expected = class_prior(val.y[inked], len(classes)).tolist()
    assert blank.source_prior == pytest.approx(expected, abs=1e-12)
    assert blank.source_prior != pytest.approx(class_prior(val.y, len(classes)).tolist(), abs=1e-6)

    said = (
        f"{n_val_blank} of {len(val.y)} source validation images are blank (no ink) and left out of the "
        f"estimate; {n_blank} of {400 + n_blank} target images are blank (no ink) and left out of the "
        "estimate."
    )
    assert blank.describe().endswith(said) and blank.describe_blank() == said
    assert blank.to_dict()["n_blank_target"] == n_blank
    photos = replace(blank, blank_photos=True)  # a pair of colour photos: blank ones have no foreground
    assert photos.describe_blank() == said.replace("(no ink)", "(no foreground)")
