"""deploy/caunoi.service is a valid systemd unit (systemd-analyze verify, when the tool is present)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy" / "caunoi.service"


def test_unit_has_what_the_guide_promises() -> None:
    text = UNIT.read_text(encoding="utf-8")
    for line in ("Restart=on-failure", "User=caunoi", "WorkingDirectory=/var/lib/caunoi",
                 "EnvironmentFile=/var/lib/caunoi/.env", "ExecStart=/opt/caunoi/.venv/bin/caunoi run",
                 "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/caunoi",
                 "StandardError=journal", "RestartPreventExitStatus=2 3"):
        assert line in text.splitlines(), line


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed on this machine")
    # verify checks that ExecStart exists: point it at a stand-in executable with the same name.
    fake = tmp_path / "caunoi"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o700)
    unit = tmp_path / "caunoi.service"
    unit.write_text(UNIT.read_text(encoding="utf-8").replace("/opt/caunoi/.venv/bin/caunoi", str(fake)),
                    encoding="utf-8")
    result = subprocess.run([tool, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    problems = [line for line in result.stderr.splitlines()
                if "caunoi.service" in line and "Documentation" not in line]
    assert result.returncode == 0 and not problems, result.stderr
