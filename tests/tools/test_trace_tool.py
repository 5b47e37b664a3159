"""tools/trace.py and tools/matryoshka/exit_log.py on a serial log captured from
a real Bochs boot (`vm=/guests/cpuid vm_mem=4 vm_stats vm_trace=dump`, kept in
tests/tools/data/): the trace and the statistics decode, agree with each other,
and broken traces are refused."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from matryoshka import exit_log

SOURCE_DIR = Path(__file__).resolve().parents[2]
CAPTURED = Path(__file__).resolve().parent / "data" / "bochs_cpuid_guest_trace.log"


def captured() -> str:
    return CAPTURED.read_text()


def test_trace_decodes_every_exit_of_the_cpuid_guest() -> None:
    trace = exit_log.parse_traces(captured())[1]
    assert trace.recorded == len(trace.entries) == 13
    assert [e.sequence for e in trace.entries] == list(range(13))
    assert trace.counts_by_reason() == {"cpuid": 5, "vmcall": 8}
    assert trace.entries[0].reason == 10 and trace.entries[0].guest_rip == 0x1005E1


def test_trace_counts_match_the_statistics() -> None:
    trace = exit_log.parse_traces(captured())[1]
    stats = exit_log.parse_statistics(captured())[1]
    assert stats.exits == trace.recorded
    assert {name: c.count for name, c in stats.reasons.items()} == trace.counts_by_reason()
    assert stats.reasons["cpuid"].cycles == sum(e.handler_cycles for e in trace.entries if e.reason_name == "cpuid")
    assert stats.summary["guest_cycles"] == sum(e.guest_cycles for e in trace.entries)
    assert stats.hypercalls["2:power_off"].count == 1


def test_trace_without_its_end_is_refused() -> None:
    cut = "\n".join(line for line in captured().splitlines() if not line.endswith("vm1 trace end"))
    with pytest.raises(ValueError, match="no end line"):
        exit_log.parse_traces(cut)


def test_trace_missing_an_entry_is_refused() -> None:
    lines = captured().splitlines()
    dropped = [line for line in lines if " trace 5 reason=" not in line]
    with pytest.raises(ValueError, match="promised 13 exits, has 12"):
        exit_log.parse_traces("\n".join(dropped))


def test_trace_tool_prints_table_and_histogram() -> None:
    run = subprocess.run([sys.executable, str(SOURCE_DIR / "tools" / "trace.py"), str(CAPTURED)],
                         capture_output=True, text=True, check=True)
    assert "13 exits recorded, the last 13 kept" in run.stdout
    assert any(line.split()[:2] == ["12", "vmcall"] for line in run.stdout.splitlines())
    histogram = [line.split() for line in run.stdout.splitlines() if line.startswith(("cpuid ", "vmcall "))]
    assert [row[:2] for row in histogram] == [["vmcall", "8"], ["cpuid", "5"]]


def test_trace_tool_says_when_there_is_no_trace(tmp_path: Path) -> None:
    empty = tmp_path / "serial.log"
    empty.write_text("[host boot] nothing here\n")
    run = subprocess.run([sys.executable, str(SOURCE_DIR / "tools" / "trace.py"), str(empty)],
                         capture_output=True, text=True)
    assert run.returncode == 1 and "vm_trace=dump" in run.stderr
