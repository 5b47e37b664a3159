"""tools/hostile.py cuts the classes of one seed into boots whose command line
fits the 255 characters the kernel keeps (kernel/boot/multiboot.h); before, all
ten classes at once made a 292-character line that lost its last words."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import hostile  # noqa: E402
from matryoshka import runner  # noqa: E402
from matryoshka.emulators import RunConfig  # noqa: E402
from matryoshka.hostile import CLASSES, COMMAND_LINE_MAX, boot_command_line, boot_groups  # noqa: E402
from matryoshka.verdict import RunResult, Verdict  # noqa: E402


def test_all_classes_need_more_than_one_command_line() -> None:
    # The premise of boot_groups: if this ever fits, one boot per seed is enough again.
    assert len(boot_command_line(CLASSES, 100, 60000)) > COMMAND_LINE_MAX


@pytest.mark.parametrize("seed,timeout_ms", [(1, 8000), (99999, 60000)])
def test_groups_keep_every_class_once_in_order_and_fit(seed: int, timeout_ms: int) -> None:
    groups = boot_groups(CLASSES, seed, timeout_ms)
    assert [cls for group in groups for cls in group] == CLASSES
    assert all(len(boot_command_line(group, seed, timeout_ms)) <= COMMAND_LINE_MAX for group in groups)
    assert len(groups) == 2  # as few boots as fit: ten classes take two


def test_a_class_too_long_for_any_line_is_refused() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        boot_groups(["x" * 300], 1, 8000)


def test_the_tool_boots_each_group_and_reports_a_missing_guest(monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    lines: list[str] = []

    def fake_run(config: RunConfig) -> RunResult:
        lines.append(config.cmdline)
        return RunResult(Verdict.PASSED, "passed", "")  # no guest started: every boot has a problem

    monkeypatch.setattr(runner, "run", fake_run)
    assert hostile.main(["--seeds", "4"]) == 1
    assert len(lines) == 2 and all(len(line) <= COMMAND_LINE_MAX for line in lines)
    started = [path for line in lines for path in line.split()[0].removeprefix("vm=").split(",")]
    assert started == [f"/guests/hostile_{cls}" for cls in CLASSES]
    out = capsys.readouterr().out
    assert "seed 4 boot 1/2:" in out and "seed 4 boot 2/2:" in out and "0 of" in out
