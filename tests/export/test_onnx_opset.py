"""model.json's ``onnx_opset``: the ai.onnx opset an ONNX file imports, read back from the file."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from tlcore.errors import TLError
from tlcore.export import onnx_opset


def write_model(path: Path, *opsets: tuple[str, int]) -> Path:
    """A one-node ONNX model (Relu) importing ``opsets`` (domain, version)."""
    graph = helper.make_graph(
        [helper.make_node("Relu", ["input"], ["logits"])],
        "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("domain", ["", "ai.onnx"])  # the default domain, unnamed or named
def test_the_opset_is_the_files_ai_onnx_import(tmp_path: Path, domain: str) -> None:
    path = write_model(tmp_path / "model.onnx", ("com.example", 3), (domain, 17))
    assert onnx_opset(path) == 17


def test_a_file_without_an_ai_onnx_import_is_one_line(tmp_path: Path) -> None:
    path = write_model(tmp_path / "model.onnx", ("com.example", 3))
    why = r"^the exported ONNX model imports no ai.onnx opset \(only com.example\)$"
    with pytest.raises(TLError, match=why):
        onnx_opset(path)
