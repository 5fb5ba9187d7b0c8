"""The console script answers status and the upgrade to the heads without click, and hands
everything else to the click command line."""

from __future__ import annotations

import pytest

from manage_db.launcher import parse


@pytest.mark.parametrize(
    ("argv", "command", "components", "as_json", "revision"),
    [
        (["status"], "status", [], False, "heads"),
        (["check", "--json"], "check", [], True, "heads"),
        (["status", "--component", "a", "--component=b"], "status", ["a", "b"], False, "heads"),
        (["upgrade"], "upgrade", [], False, "heads"),
        (["upgrade", "head", "--json"], "upgrade", [], True, "head"),
        (["upgrade", "--json", "heads"], "upgrade", [], True, "heads"),
    ],
)
def test_the_common_invocations_are_parsed(argv, command, components, as_json, revision):
    invocation = parse(["-c", "/etc/x.yml", "-d", "--log-file=/dev/null", *argv])
    assert invocation is not None
    assert (invocation.command, invocation.components, invocation.as_json) == (
        command,
        components,
        as_json,
    )
    assert invocation.revision == revision
    assert invocation.options["config_file"] == "/etc/x.yml"
    assert invocation.options["debug"] is True
    assert invocation.options["log_file"] == "/dev/null"
    assert invocation.options["user"] is None


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--help"],
        ["--version"],
        ["status", "--help"],
        ["status", "-h"],
        ["status", "extra"],
        ["status", "--jsn"],
        ["status", "--component"],
        ["-c"],
        ["-c", "--json", "status"],
        ["-cFILE", "status"],
        ["-l=debug", "status"],
        ["--debug=yes", "status"],
        ["--no-such-option", "status"],
        ["upgrade", "+1"],
        ["upgrade", "abc123"],
        ["upgrade", "head", "heads"],
        ["upgrade", "--sql"],
        ["upgrade", "--plan"],
        ["upgrade", "--from", "a", "--sql"],
        ["upgrade", "--", "heads"],
        ["current"],
        ["lint"],
        ["init"],
    ],
)
def test_anything_else_goes_to_click(argv):
    assert parse(argv) is None
