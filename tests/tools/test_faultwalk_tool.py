"""tools/matryoshka/faultwalk.py reads the fault walk's lines and builds its shell
input."""
from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from matryoshka import faultwalk  # noqa: E402

SERIAL = """[host boot] boot complete
/$ faultwalk files.read process.fork
faultwalk: files.read: 3 sites, 2 failed with an errno, 1 absorbed, 0 leaks
[user test] PASS: files.read
faultwalk: process.fork: 55 sites, 55 failed with an errno, 0 absorbed, 1 leaks
faultwalk: sites tried 58, panics: 0, leaks: 1, wrong results: 2
"""


def test_parse_reads_every_operation_and_the_summary() -> None:
    walked = faultwalk.parse(SERIAL)
    assert walked is not None
    assert (walked.sites, walked.leaks, walked.wrong) == (58, 1, 2)
    assert walked.operations["files.read"] == faultwalk.OperationResult("files.read", 3, 2, 1, 0)
    assert walked.operations["process.fork"].leaks == 1


def test_parse_without_a_summary_means_the_walk_did_not_finish() -> None:
    assert faultwalk.parse(SERIAL.rsplit("faultwalk: sites", 1)[0]) is None


def test_shell_steps_run_the_walk_then_power_off_after_its_summary() -> None:
    steps = faultwalk.shell_steps(["files", "vm.guest"], max_sites=5)
    assert steps[0] == ("/$ ", "faultwalk --max 5 files vm.guest\r")
    assert steps[-1] == ("/$ ", "poweroff\r")
    assert steps[1][0] == "faultwalk: sites tried"


def test_operations_match_the_programs_table() -> None:
    source = (Path(__file__).resolve().parents[2] / "user" / "programs" / "faultwalk.cpp").read_text()
    table = source[source.index("const Walk WALKS[]"):]
    table = table[:table.index("};")]
    assert re.findall(r'^\s*\{"([a-z]+\.[a-z]+)"', table, re.MULTILINE) == faultwalk.OPERATIONS


def test_operations_of_expands_groups_and_keeps_operations() -> None:
    assert faultwalk.operations_of("process") == ["process.spawn", "process.fork", "process.exec", "process.brk"]
    assert faultwalk.operations_of("files.read") == ["files.read"]
    assert faultwalk.operations_of("nothing") == []


def test_panic_reason_names_the_panic() -> None:
    assert faultwalk.panic_reason("x\n[host panic] PANIC: Vector: out of memory\n") == "Vector: out of memory"
    assert faultwalk.panic_reason(SERIAL) is None
