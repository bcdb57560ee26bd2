"""diagnose on the built-in digit domains, in-process and through the CLI."""

import json

import pytest

from tlcore.cli import main
from tlcore.data import harmonise, load_domain
from tlcore.diagnosis import diagnose


def test_mmd_grows_with_rotation_severity():
    source = load_domain("mnist5k:n=600", seed=0)
    mmd2 = {}
    for degrees in (10, 90):
        target = load_domain(f"mnist5k:n=600,rotate={degrees}", seed=1)
        mmd2[degrees] = diagnose(*harmonise(source, target), n_permutations=50, umap=False).mmd2
    assert 0 < mmd2[10] < mmd2[90]


def test_cli_json_on_the_default_pair(capsys, tmp_path):
    argv = ["--workspace", str(tmp_path), "diagnose", "--source", "mnist5k", "--target", "digits"]
    assert main([*argv, "--json", "--permutations", "200", "--no-umap"]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    payload = json.loads(out.out)
    for key in ("mmd2", "p_value", "coral", "a_distance", "per_class", "n_source", "n_target", "seconds"):
        assert key in payload
    assert (payload["n_source"], payload["n_target"]) == (5000, 1797)
    assert payload["p_value"] < 0.01 and payload["gap_level"] == "large"
    assert len(payload["per_class"]) == 10


def test_cli_text_summary(capsys, tmp_path):
    argv = ["--workspace", str(tmp_path), "diagnose", "--source", "mnist5k:n=400", "--target", "digits:n=300"]
    assert main([*argv, "--permutations", "100"]) == 0
    out = capsys.readouterr().out
    assert "proxy A-distance" in out and "gap" in out and "time:" in out


@pytest.mark.parametrize(
    "args",
    [
        ["--source", "mnist5k:bogus=1", "--target", "digits"],
        ["--source", "mnist5k", "--target", "nosuchdomain"],
        ["--source", "mnist5k", "--target", "digits", "--features", "run:abc"],
    ],
)
def test_cli_bad_input_exits_2_with_one_line(capsys, tmp_path, args):
    assert main(["--workspace", str(tmp_path), "diagnose", *args, "--json"]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert len(out.err.strip().splitlines()) == 1 and out.err.startswith("error: ")
