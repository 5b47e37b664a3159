"""tools/bench/bench_command.py, the command line pvfs_bench.py and host_guest.py
share: --build-dir reaches measure() with an existing temporary work directory,
removed afterwards, and what measure() returned is what gets printed. No
emulator starts: measure() is a stand-in."""
from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "bench"))

import bench_command  # noqa: E402
import host_guest  # noqa: E402
import pvfs_bench  # noqa: E402


def test_build_dir_reaches_measure_and_its_figures_are_printed(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "argv", ["bench", "--build-dir", str(tmp_path)])
    seen: list[tuple[Path, Path, bool]] = []
    printed: list[dict[str, float]] = []

    def measure(build_dir: Path, work_dir: Path) -> dict[str, float]:
        seen.append((build_dir, work_dir, work_dir.is_dir()))
        return {"cpu": 0.98}

    assert bench_command.run("a benchmark", measure, printed.append) == 0
    assert seen[0][0] == tmp_path and seen[0][2], seen
    assert not seen[0][1].exists()
    assert printed == [{"cpu": 0.98}]


@pytest.mark.parametrize("module", [host_guest, pvfs_bench])
def test_both_benchmarks_use_it(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> None:
    calls: list[tuple[object, ...]] = []

    def run(*arguments: object) -> int:
        calls.append(arguments)
        return 0

    monkeypatch.setattr(bench_command, "run", run)
    assert module.main() == 0
    assert calls == [(module.__doc__, module.measure, module.print_table)]
