"""The layers of pyproject.toml's import-linter contracts hold, and they are not a test that
cannot fail: the same contracts break on a copy of the package with one import run upwards."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed")


def _lint(package_parent: Path, config: Path) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(package_parent), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    return subprocess.run(
        [str(LINT), "--config", str(config), "--no-cache"],
        cwd=package_parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(ROOT / "src" / "ppo_checklist", tmp_path / "ppo_checklist", ignore=shutil.ignore_patterns("locale"))
    config = tmp_path / "pyproject.toml"
    shutil.copy(ROOT / "pyproject.toml", config)
    return tmp_path, config


def test_the_package_keeps_its_layers(tmp_path):
    parent, config = _copy(tmp_path)
    result = _lint(parent, config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_import_from_the_core_up_to_the_command_line_breaks_the_layers(tmp_path):
    parent, config = _copy(tmp_path)
    model = parent / "ppo_checklist" / "core" / "model.py"
    model.write_text(model.read_text() + "\nfrom ppo_checklist.cli import app  # noqa: E402,F401\n")
    result = _lint(parent, config)
    assert result.returncode != 0
    assert "ppo_checklist.core.model -> ppo_checklist.cli.app" in result.stdout


def test_the_store_reaching_into_the_sending_part_breaks_the_layers(tmp_path):
    parent, config = _copy(tmp_path)
    sql = parent / "ppo_checklist" / "store" / "sql.py"
    sql.write_text(sql.read_text() + "\nfrom ppo_checklist.sending import outbox  # noqa: E402,F401\n")
    result = _lint(parent, config)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
