"""scripts/setup.sh on a machine where the CJK font cannot be installed: it says why."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fake(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)


def test_failed_font_install_prints_the_failing_steps_output(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    digest = hashlib.sha256((tmp_path / "pyproject.toml").read_bytes()).hexdigest()[:16]
    (tmp_path / ".venv" / f".installed-{digest}").touch()  # the packages are in place
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake(bin_dir, "fc-list", "exit 0")  # no font yet
    fake(bin_dir, "id", "echo 0")
    fake(
        bin_dir,
        "apt-get",
        'if [ "$1" = update ]; then exit 0; fi\necho "E: Unable to locate package fonts-noto-cjk" >&2; exit 100',
    )
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHON": sys.executable}
    proc = subprocess.run(
        ["bash", str(tmp_path / "scripts" / "setup.sh")], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "apt-get install fonts-noto-cjk" in proc.stderr
    assert "E: Unable to locate package fonts-noto-cjk" in proc.stderr
    assert "CJK_FONT_PATH" in proc.stderr
