"""The formatters: one per `--format`, each printing every kind of output its commands ask for."""

from __future__ import annotations

import pytest

from ppo_checklist.cli import session as cli
from ppo_checklist.errors import EXIT_BAD_INPUT, BadInput
from ppo_checklist.output import formatters

OUTPUTS = ["trip", "actions", "trips", "playbooks", "stats", "store_info", "send_report", "import_result"]
TABLE_OR_JSON_ONLY = {"send_report", "import_result"}  # ppo send and ppo import refuse csv and md


def test_every_format_has_a_formatter():
    assert {f.value for f in cli.Format} == set(formatters.FORMATTERS)
    assert set(cli.TABLE_OR_JSON) <= set(formatters.FORMATTERS)


@pytest.mark.parametrize("name", sorted(formatters.FORMATTERS))
def test_a_formatter_prints_every_output_its_commands_allow(name):
    kind = formatters.FORMATTERS[name]
    for output in OUTPUTS:
        implemented = getattr(kind, output) is not getattr(formatters.Formatter, output)
        expected = name in cli.TABLE_OR_JSON or output not in TABLE_OR_JSON_ONLY
        assert implemented == expected, f"{name}.{output}"


def test_a_format_a_command_does_not_print_is_refused_with_its_message():
    with pytest.raises(BadInput, match="^send: table or json$") as refused:
        formatters.formatter(cli.Format.md, only=cli.TABLE_OR_JSON, refusal="send: table or json")
    assert refused.value.exit_code == EXIT_BAD_INPUT
    assert isinstance(formatters.formatter(cli.Format.json, only=cli.TABLE_OR_JSON), formatters.JsonFormatter)


def test_the_date_format_is_asked_for_only_when_a_date_is_shown():
    class Settings:
        asked = 0

        @property
        def date_format(self) -> str:
            self.asked += 1
            return "%Y-%m-%d"

    settings = Settings()
    out = formatters.formatter("table", settings)
    assert settings.asked == 0
    assert out.date_format == "%Y-%m-%d" and settings.asked == 1
    assert formatters.formatter("csv").date_format == "%d.%m.%Y"  # no settings: ppo's own
