"""The README and the command line never drift apart (sqlite-utils' test_docs.py is the model):
the README's command reference is the one the app itself gives, every command and option is
named in the README, and every `ppo …` command the README's examples use exists.

After adding a command or an option: `python tests/test_docs.py` rewrites the reference.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from ppo_checklist.cli.app import all_commands

README_PATH = Path(__file__).resolve().parent.parent / "README.md"
BEGIN, END = "<!-- reference: begin (python tests/test_docs.py writes it) -->", "<!-- reference: end -->"


def commands():
    """(path, click command) of every command, sub-commands included, in the app's order."""

    def walk(command, path):
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                yield from walk(sub, (*path, name))
        else:
            yield " ".join(path), command

    return [found for name, command in all_commands().items() for found in walk(command, (name,))]


def reference() -> str:
    lines = ["| command | arguments and options |", "|---|---|"]
    for path, command in commands():
        arguments = " ".join(p.name.upper() for p in command.params if not getattr(p, "opts", [""])[0].startswith("-"))
        options = [
            "`" + " / ".join(p.opts + getattr(p, "secondary_opts", [])) + "`"
            for p in command.params
            if p.opts and p.opts[0].startswith("-") and p.opts[0] != "--help"
        ]
        lines.append(f"| `ppo {path}{' ' + arguments if arguments else ''}` | {', '.join(options)} |")
    return "\n".join(lines)


def readme() -> str:
    return README_PATH.read_text(encoding="utf-8")


def code_in(text: str) -> str:
    """The README's code: fenced blocks and `inline` spans, where commands are spelled out."""
    fenced = re.findall(r"```[a-z]*\n(.*?)```", text, re.S)
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    return "\n".join(fenced + inline)


def test_the_readme_reference_is_the_app_s_own():
    text = readme()
    assert BEGIN in text and END in text, "the README has no command reference"
    written = text[text.index(BEGIN) + len(BEGIN) : text.index(END)].strip()
    assert written == reference(), "run: python tests/test_docs.py"


def test_every_option_is_named_in_the_readme():
    text = readme()
    missing = [
        f"ppo {path} {p.opts[0]}"
        for path, command in commands()
        for p in command.params
        if p.opts and p.opts[0].startswith("--") and not any(name in text for name in p.opts)
    ]
    assert missing == []


def test_every_command_the_readme_uses_exists():
    paths = {path for path, _ in commands()}
    groups = {path.split()[0] for path in paths if " " in path}
    unknown = set()
    for first, second in re.findall(r"(?:^|[\s$(])ppo ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", code_in(readme()), re.M):
        if first in groups:
            if f"{first} {second}" not in paths:
                unknown.add(f"{first} {second}".strip())
        elif first not in paths:
            unknown.add(first)
    assert sorted(unknown) == []


if __name__ == "__main__":  # rewrite the README's reference from the app
    text = readme()
    if BEGIN not in text:
        sys.exit(f"add {BEGIN} … {END} to the README first")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    README_PATH.write_text(f"{head}{BEGIN}\n{reference()}\n{END}{tail}", encoding="utf-8")
