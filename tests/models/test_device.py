import pytest
import torch

from tlcore.device import pick_device
from tlcore.errors import TLError


def test_pick_device_names_a_kind_this_machine_has():
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    for bad in ("tpu9", "cuda:x", "meta", "xla"):
        with pytest.raises(TLError, match=f"unknown device '{bad}': use cpu, cuda or mps"):
            pick_device(bad)


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has MPS")
def test_pick_device_refuses_a_kind_this_machine_lacks():
    with pytest.raises(TLError, match="device 'mps' requested but MPS is not available here"):
        pick_device("mps")
