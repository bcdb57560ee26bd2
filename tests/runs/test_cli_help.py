"""The CLI's help: every command described, every default named once, from its one source."""

from __future__ import annotations

import argparse
import re

import pytest

from tlcore.adapt.config import AdaptConfig, format_value
from tlcore.cli import build_parser, main
from tlcore.models import list_models


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices) if actions else {}


def option_help(parser: argparse.ArgumentParser, option: str) -> str:
    action = next(a for a in parser._actions if option in a.option_strings)
    return " ".join((action.help or "").split())


def command(*names: str) -> argparse.ArgumentParser:
    parser = build_parser()
    for name in names:
        parser = subparsers(parser)[name]
    return parser


def test_every_command_has_a_description_naming_its_actions() -> None:
    for name, parser in subparsers(build_parser()).items():
        assert parser.description, f"`{name} --help` has no description"
        for action in subparsers(parser):
            assert re.search(rf"\b{action}\b", parser.description), f"`{name} --help` omits {action}"


def test_no_help_shows_docstring_markup() -> None:
    def every(parser: argparse.ArgumentParser, name: str) -> list[tuple[str, str]]:
        found = [(name, parser.format_help())]
        for action, sub in subparsers(parser).items():
            found += every(sub, f"{name} {action}")
        return found

    for name, text in every(build_parser(), "python -m tlcore"):
        assert "``" not in text and ":func:" not in text and ":class:" not in text, f"`{name} --help`"


@pytest.mark.parametrize("option", ["--executor", "--address", "--max-concurrent", "--cpus-per-trial"])
def test_resume_names_the_sweeps_setting_as_the_one_default(option: str) -> None:
    text = option_help(command("sweeps", "resume"), option)
    assert text.count("default") == 1 and text.endswith("(default: the sweep's)"), text
    assert "the sweep's" not in option_help(command("sweep"), option)
    assert option_help(command("sweep"), "--executor") == "where trials run (default: local)"


@pytest.mark.parametrize("field", ["seed", "epochs", "batch_size", "lr", "bottleneck", "target_labels"])
def test_adapt_help_names_the_configs_defaults(field: str) -> None:
    value = AdaptConfig.defaults()[field]
    text = option_help(command("adapt"), f"--{field.replace('_', '-')}")
    assert text.endswith(f"(default {format_value(value)})"), text


def test_adapt_help_names_the_default_method_and_every_model() -> None:
    adapt = command("adapt")
    method = "+".join(AdaptConfig.defaults()["methods"])
    assert option_help(adapt, "--method").endswith(f"(default {method})")
    model = option_help(adapt, "--model")
    assert all(re.search(rf"\b{name}\b", model) for name in ["auto", *list_models()]), model
    assert model.endswith("(default auto)")
    flags = {"--augment": "on", "--warm-start": "off", "--patience": "off"}
    for option, shown in flags.items():
        assert option_help(adapt, option).endswith(f"(default: {shown})")


@pytest.mark.parametrize(
    ("argv", "refusal"),
    [
        (["methods", "extra"], "extra (see: python -m tlcore methods --help)"),
        (["data", "upload", "a.csv", "--name", "x"], "--name x (see: python -m tlcore data upload --help)"),
        (["runs", "list", "--bogus", "1"], "--bogus 1 (see: python -m tlcore runs list --help)"),
        (["adapt", "--source", "a", "--target", "b", "--x"], "--x (see: python -m tlcore adapt --help)"),
    ],
)
def test_an_unknown_argument_points_to_the_named_commands_help(
    argv: list[str], refusal: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as end:
        main(argv)
    assert (end.value.code, capsys.readouterr().err) == (2, f"error: unrecognized arguments: {refusal}\n")
