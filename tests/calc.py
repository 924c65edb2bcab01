"""LibreOffice Calc, headless, for the tests that open a workbook in a spreadsheet none of us
wrote: a private profile that recalculates every formula on load, and conversions to CSV/PDF."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice")
PDFTOPPM = shutil.which("pdftoppm")

RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
CSV_ALL_SHEETS = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"


def require_calc() -> None:
    """Skip the module without LibreOffice on a developer's machine; CI must have it."""
    if not (SOFFICE and PDFTOPPM):
        if os.environ.get("CI"):
            raise RuntimeError("CI needs LibreOffice Calc and poppler-utils (see .ci/run)")
        pytest.skip("LibreOffice (soffice) or pdftoppm is not installed", allow_module_level=True)


def profile(home: Path) -> Path:
    """A private LibreOffice profile that recalculates OOXML formulas on load."""
    path = home / "profile"
    (path / "user").mkdir(parents=True, exist_ok=True)
    (path / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
    return path


def soffice(profile: Path, outdir: Path, target: str, *books: Path) -> None:
    subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            *map(str, books),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
