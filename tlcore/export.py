"""Export a done run's model so it runs outside the studio: ONNX or TorchScript plus a sidecar.

``export_run(workspace, run_id, "onnx", out)`` writes into the folder ``out``:

- ``model.onnx`` (``torch.onnx.export(..., dynamo=True)``, one file, weights inside) or ``model.pt``
  (``torch.jit.trace``); one input ``input`` (``N x C x H x W`` or ``N x D`` float32, ``N`` free)
  and one output ``logits`` (``N x K``; softmax over axis 1 gives the class probabilities);
- ``model.json``: the :class:`~tlcore.model_card.ModelCard`, everything needed to go from an image
  file (or a feature row) to the input tensor and from the logits to a class name; for ONNX also the
  opset the file imports (``onnx_opset``, read back from its ``opset_import``: :func:`onnx_opset`).

The written file is loaded back with its own runtime (onnxruntime's CPU provider, or
``torch.jit.load``) and compared with the torch model on seeded inputs at several batch sizes; the
export fails unless ``max |Δ logit| <= TOLERANCE`` at every one of them. Everything is written into a
temporary folder beside ``out`` and renamed to ``out`` at the end: a failure leaves nothing behind.
onnxruntime is imported on first use, with its telemetry off (``ORT_DISABLE_TELEMETRY=1`` unless the
environment says otherwise): on import it would write a device id under ``~/.cache``, outside the
workspace, and send usage events.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import re
import secrets
import shutil
import threading
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.jit._state as jit_state
from torch import nn

from tlcore.errors import TLError
from tlcore.model_card import CARD_FILE, ModelCard, Parity, Provenance, model_card
from tlcore.models import Classifier
from tlcore.run_model_options import FORMATS, ExportFormat
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

MODEL_FILES: dict[ExportFormat, str] = {"onnx": "model.onnx", "torchscript": "model.pt"}
FILE_SUFFIXES = (*(Path(name).suffix for name in MODEL_FILES.values()), ".json")  # not a folder's name
TOLERANCE = 1e-4  # largest |logit difference| accepted between the exported model and torch
EXAMPLE_BATCH = 2  # batch size of the example input the graph is captured with
CHECK_BATCHES = (2, 5, 1)  # batch sizes the written model is checked at (the batch axis is free)
CHECK_SEED = 0
_NODE = re.compile(r"target=torch\.ops\.([\w.]+)")
_OVERLOAD = re.compile(r"op='([\w.]+)'")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

Runner = Callable[[np.ndarray], np.ndarray]  # N x input -> N x K logits, in the exported runtime
_TRACING = threading.Lock()  # one export at a time swaps the process's compilation unit (_own_types)
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # read once, when onnxruntime is first imported


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_run` wrote and how closely the written model matches torch."""

    folder: Path
    files: tuple[str, ...]
    card: ModelCard

    @property
    def max_abs_diff(self) -> float:
        return self.card.parity.max_abs_diff

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "files": list(self.files),
            "max_abs_diff": self.max_abs_diff,
            "card": self.card.to_dict(),
        }


class _Logits(nn.Module):
    """The exported graph: the classifier's logits only (its penultimate features stay behind), on a
    frozen CPU copy of the model (a loaded TorchScript module's outputs then need no ``no_grad``)."""

    def __init__(self, model: Classifier) -> None:
        super().__init__()
        self.model = copy.deepcopy(model).cpu().eval().requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)[0]  # N x K


def export_run(workspace: Workspace, run_id: str, fmt: str, out: str | os.PathLike[str]) -> ExportResult:
    """Export the model of the ``done`` run ``run_id`` as ``fmt`` into the new folder ``out``."""
    fmt = check_format(fmt)
    out = check_out(out)
    store = RunStore(workspace)
    record = store.get(run_id)
    if record.status != "done":
        raise TLError(f"run {run_id} is {record.status}; only a done run has a model to export")
    model, config = store.load_model(run_id), record.config
    provenance = Provenance(run_id, config["source"], config["target"], tuple(config["methods"]))
    return export_model(model, model.classes, provenance, fmt, out)


def check_format(fmt: str) -> ExportFormat:
    if fmt not in FORMATS:
        raise TLError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    return fmt  # type: ignore[return-value]


def check_out(out: str | os.PathLike[str]) -> Path:
    """``out`` as an absolute path, refused unless it is new (or an empty folder) in an existing folder;
    a folder this user may not look into (or another error of the system) is one line too."""
    try:
        path = Path(out).expanduser().absolute()
    except RuntimeError:  # ~name of a user that does not exist
        raise TLError(f"cannot export into {out}: no such user's home folder") from None
    try:
        return _check_out(path)
    except OSError as exc:  # e.g. PermissionError: stat or listing a folder this user may not read
        raise TLError(f"cannot export into {path}: {exc.strerror or exc}") from None


def _check_out(path: Path) -> Path:
    if path.suffix.lower() in FILE_SUFFIXES and not path.is_dir():
        raise TLError(
            f"{path} names a file: an export is a new folder (the model file and model.json); "
            f"choose a folder, e.g. {path.with_suffix('')}"
        )
    if path.is_file() and not path.is_symlink():
        raise TLError(
            f"{path} is an existing file; --out names a folder to create (or an empty one) for the model "
            "file and model.json"
        )
    if path.is_symlink() or (path.exists() and (not path.is_dir() or any(path.iterdir()))):
        raise TLError(f"{path} already exists and is not an empty folder; choose a new folder")
    if not path.parent.is_dir():
        parent = path.parent
        why = f"{parent} is a file" if parent.exists() else f"the folder {parent} does not exist"
        raise TLError(f"cannot export into {path}: {why}")
    return path


def export_model(
    model: Classifier, classes: tuple[str, ...], provenance: Provenance, fmt: str, out: str | os.PathLike[str]
) -> ExportResult:
    """Write ``model`` as ``fmt`` and its sidecar into the new folder ``out``, checked against torch."""
    fmt, out = check_format(fmt), check_out(out)
    if len(classes) != model.n_classes:
        raise TLError(f"{len(classes)} class names for a model with {model.n_classes} outputs")
    graph = _Logits(model).eval()
    shape = tuple(model.spec["input_shape"])
    name = MODEL_FILES[fmt]
    with _staging(out) as folder:
        runtime, runner = _WRITERS[fmt](graph, shape, folder / name)
        parity = check_parity(graph, runner, shape, runtime)
        card = model_card(model, classes, provenance, fmt=fmt, file=name, parity=parity)
        if fmt == "onnx":
            card = replace(card, onnx_opset=onnx_opset(folder / name))
        (folder / CARD_FILE).write_text(card.to_json(), encoding="utf-8")
        for file in (name, CARD_FILE):
            _fsync(folder / file)
    return ExportResult(out, (name, CARD_FILE), card)


def check_parity(
    graph: Callable[[torch.Tensor], torch.Tensor], runner: Runner, shape: tuple[int, ...], runtime: str
) -> Parity:
    """Largest ``|logit(exported) - logit(torch)|`` over seeded inputs at every :data:`CHECK_BATCHES`
    size (images uniform in [0, 1), feature vectors standard normal); a :class:`TLError` above
    :data:`TOLERANCE`."""
    gen = torch.Generator().manual_seed(CHECK_SEED)
    draw = torch.rand if len(shape) == 3 else torch.randn
    worst = 0.0
    for n in CHECK_BATCHES:
        x = draw(n, *shape, generator=gen)
        with torch.no_grad():
            expected = graph(x).numpy()
        try:
            got = runner(x.numpy())
        except Exception as exc:  # the runtime's own error types (onnxruntime's derive from Exception)
            raise TLError(f"the exported model fails on a batch of {n}: {exporter_failure(exc)}") from None
        if got.shape != expected.shape:
            raise TLError(f"the exported model gives logits of shape {got.shape} for a batch of {n}")
        diff = float(np.abs(got - expected).max())
        if not diff <= TOLERANCE:  # NaN fails too
            raise TLError(
                f"the exported model's logits differ from torch's by up to {diff:.3g} on a batch of {n} "
                f"(allowed: {TOLERANCE:g})"
            )
        worst = max(worst, diff)
    return Parity(runtime, CHECK_BATCHES, worst, TOLERANCE, CHECK_SEED)


def checked_line(parity: Parity) -> str:
    """How the written model was checked against torch, in one line (``export``'s ``checked``, the
    Predict page's caption)."""
    sizes = ", ".join(map(str, parity.batch_sizes))
    return (
        f"{parity.runtime} vs torch, batches of {sizes}: "
        f"max |Δ logit| {parity.max_abs_diff:.2g} (allowed {parity.tolerance:g})"
    )


def _example(shape: tuple[int, ...]) -> torch.Tensor:
    return torch.rand(EXAMPLE_BATCH, *shape, generator=torch.Generator().manual_seed(CHECK_SEED))


def _write_onnx(graph: nn.Module, shape: tuple[int, ...], path: Path) -> tuple[str, Runner]:
    """One ONNX file with a free batch axis, through the dynamo exporter; its onnxruntime session."""
    batch = torch.export.Dim("batch", min=1)
    try:
        with _quiet():
            torch.onnx.export(
                graph,
                (_example(shape),),
                path,
                dynamo=True,
                external_data=False,
                dynamic_shapes=({0: batch},),
                input_names=["input"],
                output_names=["logits"],
                verbose=False,
            )
    except Exception as exc:  # the exporter raises many types; each is one reason to refuse
        raise TLError(f"cannot export the model to ONNX: {exporter_failure(exc)}") from None
    import onnxruntime  # noqa: PLC0415 - on first use (module docstring)

    try:
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's errors derive from Exception alone
        raise TLError(f"onnxruntime cannot load the exported model: {exporter_failure(exc)}") from None
    batch_axis = session.get_inputs()[0].shape[0]
    if not isinstance(batch_axis, str):
        raise TLError(
            f"the ONNX exporter fixed the batch axis at {batch_axis}: "
            "the model's graph depends on the batch size"
        )
    runtime = f"onnxruntime {onnxruntime.__version__} (CPUExecutionProvider)"
    return runtime, lambda x: session.run(["logits"], {"input": x})[0]


def onnx_opset(path: Path) -> int:
    """The version of the default operator set (``ai.onnx``) the ONNX file at ``path`` imports, read back
    from its ``opset_import``: the opset the exporter wrote, which a runtime must support."""
    import onnx  # noqa: PLC0415 - loaded by the exporter already; tlcore imports it on use only

    versions = {entry.domain or "ai.onnx": entry.version for entry in onnx.load(str(path)).opset_import}
    if "ai.onnx" not in versions:
        raise TLError(f"the exported ONNX model imports no ai.onnx opset (only {', '.join(versions)})")
    return int(versions["ai.onnx"])


def _write_torchscript(graph: nn.Module, shape: tuple[int, ...], path: Path) -> tuple[str, Runner]:
    """A traced TorchScript module (scripting fails on EfficientNet-Lite0), the same bytes however
    often and from wherever it is exported (:func:`_traced_bytes`). The bytes written to ``path`` are
    the ones loaded back and checked, in memory: nothing is loaded from disk."""
    try:
        with _quiet(), _TRACING, _own_types(), ThreadPoolExecutor(1) as thread:
            data = thread.submit(_traced_bytes, graph, shape).result()
    except Exception as exc:  # tracing errors come in many types; each is one reason to refuse
        raise TLError(f"cannot export the model to TorchScript: {exporter_failure(exc)}") from None
    path.write_bytes(data)
    with _quiet():
        loaded = torch.jit.load(io.BytesIO(data), map_location="cpu")

    def run(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return loaded(torch.from_numpy(x)).numpy()

    return f"torch.jit.load, torch {torch.__version__}", run


def _traced_bytes(graph: nn.Module, shape: tuple[int, ...]) -> bytes:
    """``graph`` traced and saved, in a thread of its own: each traced op's debug record
    (``*.debug_pkl``) holds the Python call stack it was traced from, so a trace from the caller's
    thread wrote the CLI's, the app's or a test's frames into the file."""
    buffer = io.BytesIO()
    with torch.no_grad():  # grad mode is per thread
        traced = torch.jit.trace(graph, (_example(shape),), check_trace=False)  # checked by the caller
        torch.jit.save(traced, buffer)
    return buffer.getvalue()


@contextlib.contextmanager
def _own_types() -> Iterator[None]:
    """Trace into a new, empty TorchScript compilation unit instead of the process's one (hold
    :data:`_TRACING` meanwhile: nothing else in tlcore scripts or traces).

    A traced module's classes are registered in ``torch.jit._state._python_cu`` (the C++ side reads
    that attribute), and a class whose name is taken there is renamed ``___torch_mangle_N`` by a
    counter of the unit: a second export in one process (the Predict page's, a test's) wrote other
    class names, so other bytes. In a new unit the names are those of a process's first trace, as
    ``torch.jit.load`` loads every file into a new unit of its own; the module keeps its unit alive."""
    process_unit = jit_state._python_cu
    jit_state._python_cu = torch.jit.CompilationUnit()
    try:
        yield
    finally:
        jit_state._python_cu = process_unit


_WRITERS: dict[ExportFormat, Callable[[nn.Module, tuple[int, ...], Path], tuple[str, Runner]]] = {
    "onnx": _write_onnx,
    "torchscript": _write_torchscript,
}


def exporter_failure(exc: BaseException) -> str:
    """One line from an exporter's error: the failing op (when the error names one) and the
    innermost reason in its chain of causes."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    text = _ANSI.sub("", "\n".join(str(e) for e in chain))
    op = _NODE.search(text) or _OVERLOAD.search(text)
    reasons = [_ANSI.sub("", str(e)).strip().splitlines() for e in reversed(chain)]
    reason = next((lines[0] for lines in reasons if lines), type(exc).__name__)
    line = f"op {op.group(1)}: {reason}" if op else reason
    return line if len(line) <= 300 else line[:297] + "..."


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the exporters' progress lines, graph dumps and warnings (tracer, deprecation): a
    failure is reported as one line instead. Redirects ``sys.stdout``/``sys.stderr`` meanwhile."""
    sink = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def _staging(out: Path) -> Iterator[Path]:
    """A new folder beside ``out``, renamed to ``out`` when the block succeeds, removed either way."""
    temp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        temp.mkdir()
    except OSError as exc:
        raise TLError(f"cannot write into {out.parent}: {exc.strerror}") from None
    try:
        yield temp
        try:
            temp.replace(out)  # an empty folder at ``out`` is replaced; anything else refuses
        except OSError as exc:
            raise TLError(f"cannot create {out}: {exc.strerror}") from None
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
