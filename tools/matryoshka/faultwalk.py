"""The fault walk's lines (user/programs/faultwalk.cpp), read back from a run's
serial output, and the shell input that runs it: one place for the test and for
tools/faultwalk.py."""
from __future__ import annotations

import re
from dataclasses import dataclass

PROMPT = "/$ "
# Every operation faultwalk walks, in its order (the WALKS table of
# user/programs/faultwalk.cpp; tests/tools/test_faultwalk_tool.py compares).
OPERATIONS = ["files.create", "files.write", "files.read", "files.rename", "files.unlink", "files.mkdir",
              "files.getdents", "files.dup", "files.terminal", "process.spawn", "process.fork", "process.exec",
              "process.brk",
              "vm.guest", "vm.kernel"]
PANIC = re.compile(r"PANIC: (?P<reason>.*)")
# "faultwalk: files.read: 3 sites, 3 failed with an errno, 0 absorbed, 0 leaks"
OPERATION = re.compile(r"faultwalk: (?P<name>[a-z]+\.[a-z]+): (?P<sites>\d+) sites, "
                       r"(?P<failed>\d+) failed with an errno, "
                       r"(?P<absorbed>\d+) absorbed, (?P<leaks>\d+) leaks")
# "faultwalk: sites tried 126, panics: 0, leaks: 0, wrong results: 0"
SUMMARY = re.compile(r"faultwalk: sites tried (?P<sites>\d+), panics: 0, leaks: (?P<leaks>\d+), "
                     r"wrong results: (?P<wrong>\d+)")


@dataclass(frozen=True)
class OperationResult:
    name: str
    sites: int
    failed: int
    absorbed: int
    leaks: int


@dataclass(frozen=True)
class WalkResult:
    operations: dict[str, OperationResult]
    sites: int
    leaks: int
    wrong: int


def parse(serial: str) -> WalkResult | None:
    """The walk's figures, or None when its summary never came (the host died)."""
    summary = SUMMARY.search(serial)
    if summary is None:
        return None
    operations = {}
    for match in OPERATION.finditer(serial):
        result = OperationResult(match["name"], int(match["sites"]), int(match["failed"]), int(match["absorbed"]),
                                 int(match["leaks"]))
        operations[result.name] = result
    return WalkResult(operations, int(summary["sites"]), int(summary["leaks"]), int(summary["wrong"]))


def operations_of(selector: str) -> list[str]:
    """A group ("files") or an operation ("files.read") as operations."""
    return [name for name in OPERATIONS if name == selector or name.split(".")[0] == selector]


def panic_reason(serial: str) -> str | None:
    match = PANIC.search(serial)
    return match["reason"].strip() if match else None


def shell_steps(selectors: list[str], max_sites: int | None = None) -> tuple[tuple[str, str], ...]:
    """COM1 input for a normal boot: run the walk at the first prompt, power off
    at the prompt after its summary."""
    command = "faultwalk" + (f" --max {max_sites}" if max_sites else "") + "".join(f" {s}" for s in selectors)
    return ((PROMPT, command + "\r"), ("faultwalk: sites tried", ""), (PROMPT, "poweroff\r"))
