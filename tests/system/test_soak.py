"""tools/soak.py in its short mode, in Bochs: two guests run the file workload for
three emulated seconds, every directory is checked by its guest, by the host and
by the tool, and the pages balance. The long run (docs/multi-vm.md) is not CI's."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SOAK = Path(__file__).resolve().parents[2] / "tools" / "soak.py"


def test_short_soak_run_passes(build_dir: Path, tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(SOAK), "--guests", "2", "--seconds", "3", "--build-dir", str(build_dir),
                          "--work-dir", str(tmp_path)], capture_output=True, text=True, timeout=400)
    log = tmp_path / "serial.log"
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:]) if log.exists() else ""
    assert run.returncode == 0, run.stdout + run.stderr + "\n" + tail
    assert "soak: vm1: " in run.stdout and "soak: vm2: " in run.stdout
    assert "0 not returned" in run.stdout
