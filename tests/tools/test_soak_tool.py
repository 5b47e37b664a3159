"""tools/soak.py's judgement of a serial log, without an emulator: a good log
passes, and a wrong checksum, a failed check or a page not returned is named."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from matryoshka.verdict import Verdict
from matryoshka.workload import round_checksum

spec = importlib.util.spec_from_file_location("soak", Path(__file__).resolve().parents[2] / "tools" / "soak.py")
assert spec is not None and spec.loader is not None
soak = importlib.util.module_from_spec(spec)
sys.modules["soak"] = soak  # dataclasses look their module up there
spec.loader.exec_module(soak)


def good_log(checksum: int | None = None, after: int = 900, host_check: str = "PASS") -> str:
    total = round_checksum(1, 4) if checksum is None else checksum
    fields = f"seed=1 rounds=5 round=4 files=6 checksum={total:016x}"
    check = f"workload: PASS check dir=/shared/soak/vm1 {fields}" if host_check == "PASS" else \
        "workload: FAIL check /shared/soak/vm1: wrong bytes in /shared/soak/vm1/f2"
    return "\n".join([
        "free pages: 1000, kernel heap: 2000 pages",
        f"[vm1] workload: PASS run dir=/shared/soak/vm1 {fields}",
        f"[vm1] workload: PASS check dir=/shared/soak/vm1 {fields}",
        check,
        "workload: PASS clean dir=/shared/soak/vm1",
        "[host vmx] vm1 stopped: stopped by the host",
        f"free pages: {after}, kernel heap: 2100 pages",
        soak.ALIVE,
    ])


def test_a_good_log_passes() -> None:
    report = soak.judge(good_log(), Verdict.PASSED, 1)
    assert report.problems == []
    assert "0 not returned" in report.lines[-1]


def test_a_checksum_the_seed_does_not_give_is_named() -> None:
    report = soak.judge(good_log(checksum=12345), Verdict.PASSED, 1)
    assert any("checksum" in problem for problem in report.problems)


def test_a_failed_host_check_is_named() -> None:
    report = soak.judge(good_log(host_check="FAIL"), Verdict.PASSED, 1)
    assert any("host's check of /shared/soak/vm1 failed" in problem for problem in report.problems)


def test_a_page_not_returned_is_named() -> None:
    report = soak.judge(good_log(after=899), Verdict.PASSED, 1)
    assert "1 pages not returned" in report.problems
