"""tools/matryoshka/seed_boots.py, the part tools/hostile.py and tools/fuzz.py share:
seeds parse from ranges, each boot gets its own work directory under the tool's
temporary one (gone afterwards), a boot with problems is reported and counted,
and Bochs missing ends either tool with status 3. runner.run is faked: no
emulator starts."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import fuzz  # noqa: E402
import hostile  # noqa: E402
from matryoshka import runner  # noqa: E402
from matryoshka.emulators import RunConfig  # noqa: E402
from matryoshka.seed_boots import SeedBoots, parse_seeds  # noqa: E402
from matryoshka.verdict import RunResult, Verdict  # noqa: E402


def test_seeds_parse_from_ranges_and_single_numbers() -> None:
    assert parse_seeds("1-5,9") == [1, 2, 3, 4, 5, 9]
    assert parse_seeds("7") == [7]


def test_fuzz_seeds_start_at_one() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="start at 1"):
        fuzz.parse_seeds("0-3")


def test_each_boot_has_its_own_work_directory_removed_at_the_end(monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    configs: list[RunConfig] = []

    def fake_run(config: RunConfig) -> RunResult:
        configs.append(config)
        return RunResult(Verdict.PASSED, "passed", "")

    monkeypatch.setattr(runner, "run", fake_run)
    with SeedBoots("demo", Path("build"), 12.5) as boots:
        assert boots.boot("test=boot", "seed1") is not None
        assert boots.boot("test=boot", "seed2") is not None
        boots.report("seed 1", [])
        boots.report("seed 2", ["host: timeout", "pages: 3 lost"])
        work = [config.work_dir for config in configs]
        assert work[0].parent == work[1].parent and work[0] != work[1]
        assert work[0].parent.name.startswith("demo-") and work[0].parent.is_dir()
    assert not work[0].parent.exists()
    assert [(config.emulator, config.cmdline, config.timeout, config.headless) for config in configs] == \
        [("bochs", "test=boot", 12.5, True)] * 2
    assert boots.failures == ["seed 2: host: timeout; pages: 3 lost"]
    boots.print_failures()
    assert capsys.readouterr().out == "seed 1: ok\nseed 2: host: timeout; pages: 3 lost\n" \
                                      "  seed 2: host: timeout; pages: 3 lost\n"


@pytest.mark.parametrize("tool,main", [("hostile", hostile.main), ("fuzz", fuzz.main)])
def test_without_bochs_either_tool_exits_3_and_says_why(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str], tool: str,
                                                        main: Callable[[list[str]], int]) -> None:
    monkeypatch.setattr(runner, "run", lambda config: RunResult(Verdict.CANNOT_RUN, "no bochs here", ""))
    assert main(["--seeds", "2"]) == 3
    assert capsys.readouterr().err == f"{tool}.py: no bochs here\n"


def test_fuzz_reports_a_boot_whose_guest_did_not_report(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(runner, "run", lambda config: RunResult(Verdict.PASSED, "passed", ""))
    assert fuzz.main(["--seeds", "1-3", "--per-boot", "2"]) == 1
    out = capsys.readouterr().out
    assert "seeds 1-2: guest: the fuzz test did not report; VM: no VM RESULT line" in out
    assert "\n2 boots, 2 with problems\n  seeds 1-2: " in out
