"""Turns what a kernel run left behind (serial text, exit status, Bochs' log) into
one verdict. The kernel's own protocol (kernel/test/kernel_test.h) decides; the
emulator's exit status never counts as a pass on its own."""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field


class Verdict(enum.IntEnum):
    """Also the launcher's exit status."""

    PASSED = 0
    FAILED = 1
    NO_RESULT = 2  # crash, hang, triple fault, timeout: the kernel never said
    CANNOT_RUN = 3  # the emulator is missing or the machine cannot do what was asked


HOST_LINE = re.compile(r"^\[host (?P<category>[a-z]+)\] (?P<text>.*)$")
TEST_LINE = re.compile(r"^(?P<outcome>PASS|FAIL|SKIP): (?P<name>[\w.]+)(?:: (?P<reason>.*))?$")
SUMMARY_LINE = re.compile(r"^SUMMARY: (?P<passed>\d+) passed, (?P<failed>\d+) failed, (?P<skipped>\d+) skipped$")
# A user program's test line as the kernel relays it from run= (kernel/process/
# user_sessions.h): "[host user] PROGRAM: [user test] PASS: PROGRAM.name". Only the
# kernel writes "[host user] PROGRAM: ", so the program is known for sure; a test
# name that does not start with the program's own name is not believed.
USER_TEST_LINE = re.compile(r"^(?P<program>[\w.-]+): \[user test\] "
                            r"(?P<outcome>PASS|FAIL|SKIP): (?P<name>[\w.]+)(?:: (?P<reason>.*))?$")
PANIC_PREFIX = "PANIC: "
POWER_OFF_PASSED = "POWER OFF: passed"


@dataclass
class TestOutcome:
    name: str
    outcome: str  # PASS, FAIL or SKIP
    reason: str = ""


@dataclass
class RunResult:
    verdict: Verdict
    reason: str
    serial: str
    tests: dict[str, TestOutcome] = field(default_factory=dict)
    emulator_log: str = ""
    user_tests: dict[str, TestOutcome] = field(default_factory=dict)
    # Bochs' final 80x25 text screen (also screen.txt beside serial.log), "" otherwise.
    screen: str = ""

    def host_lines(self, category: str | None = None) -> list[str]:
        """The text of the host's own log lines, optionally of one category."""
        lines = []
        for line in self.serial.splitlines():
            match = HOST_LINE.match(line.rstrip("\r"))
            if match and (category is None or match["category"] == category):
                lines.append(match["text"])
        return lines


def parse_tests(serial: str) -> dict[str, TestOutcome]:
    tests: dict[str, TestOutcome] = {}
    for line in serial.splitlines():
        host = HOST_LINE.match(line.rstrip("\r"))
        if not host or host["category"] != "test":
            continue
        match = TEST_LINE.match(host["text"])
        if match:
            tests[match["name"]] = TestOutcome(match["name"], match["outcome"], match["reason"] or "")
    return tests


def parse_user_tests(serial: str) -> dict[str, TestOutcome]:
    """The [user test] lines of the programs the kernel ran with run=, each
    attributed to the program the kernel names. A line that claims another
    program's test counts as that test failing; a name seen twice keeps the
    worse outcome."""
    tests: dict[str, TestOutcome] = {}
    rank = {"PASS": 0, "SKIP": 1, "FAIL": 2}
    for line in serial.splitlines():
        host = HOST_LINE.match(line.rstrip("\r"))
        if not host or host["category"] != "user":
            continue
        match = USER_TEST_LINE.match(host["text"])
        if not match:
            continue
        name, outcome = match["name"], TestOutcome(match["name"], match["outcome"], match["reason"] or "")
        if not name.startswith(match["program"] + "."):
            outcome = TestOutcome(name, "FAIL", f"reported by {match['program']}, not by its own program")
        previous = tests.get(name)
        if previous is None or rank[outcome.outcome] > rank[previous.outcome]:
            tests[name] = outcome
    return tests


def judge(serial: str, *, timed_out: bool, exit_status: int | None, emulator_log: str = "",
          crash_hint: str = "") -> RunResult:
    """Decides the verdict of one run. Only the host's own lines count: a guest's
    relayed output is prefixed with its VM id and can never look like them."""
    tests = parse_tests(serial)
    result = RunResult(Verdict.NO_RESULT, "", serial, tests, emulator_log, parse_user_tests(serial))
    for line in serial.splitlines():
        host = HOST_LINE.match(line.rstrip("\r"))
        if not host:
            continue
        text = host["text"]
        if host["category"] == "panic" and text.startswith(PANIC_PREFIX):
            result.verdict, result.reason = Verdict.FAILED, "kernel panic: " + text[len(PANIC_PREFIX):]
            return result
        summary = SUMMARY_LINE.match(text) if host["category"] == "test" else None
        if summary:
            failed = int(summary["failed"])
            result.verdict = Verdict.FAILED if failed else Verdict.PASSED
            result.reason = text
            if not failed and int(summary["passed"]) == 0 and int(summary["skipped"]) == 0:
                result.verdict, result.reason = Verdict.FAILED, "no test ran: " + text
            return result
        if text == POWER_OFF_PASSED:
            result.verdict, result.reason = Verdict.PASSED, "kernel powered off after a normal boot"
            return result
    if timed_out:
        result.reason = "timeout: the kernel neither finished nor crashed visibly"
    elif crash_hint:
        result.reason = crash_hint
    else:
        result.reason = f"the emulator ended (status {exit_status}) before the kernel gave a result"
    return result


def bochs_crash_hint(log: str) -> str:
    """Names the reason Bochs stopped, from its log, when it was a crash."""
    for pattern, hint in (
        (r"triple fault|3rd \(\d+\) exception with no resolution", "triple fault"),
        (r"VMENTER FAIL|VMFAIL", "failed VM entry"),
        (r"\bPANIC\b.*", "Bochs panic"),
    ):
        match = re.search(pattern, log)
        if match:
            return f"{hint} (Bochs log: {match.group(0).strip()})"
    return ""
