"""Reading a boot that ran hostile guests (docs/hostile-guests.md): each guest's
summary line ("HOSTILE <class> seed=N cases=M key=value ..."), how each VM ended,
whether that is the ending its class must have, and the host's page accounting
around the VMs. Shared by tests/system/test_hostile_guests.py and tools/hostile.py."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from matryoshka.verdict import RunResult

CLASSES = ["hypercall", "ports", "msr", "memory", "cpu_state", "spin", "storm", "triple_fault", "ring", "vmx"]
# Classes whose guest ends on purpose in a way only the host sees.
ENDS_ON_PURPOSE = {"memory", "spin", "triple_fault", "ring"}

SUMMARY = re.compile(r"^vm(?P<vm>\d+) says: HOSTILE (?P<cls>\w+) (?P<pairs>.*)$")
STARTED = re.compile(r"^vm(?P<vm>\d+) started: /guests/hostile_(?P<cls>\w+),")
VM_RESULT = re.compile(r"^VM RESULT: vm(?P<vm>\d+) (?P<state>\w+): (?P<reason>.*)$")
REPORT = re.compile(r"^vm(?P<vm>\d+) (?P<outcome>PASS|FAIL|SKIP): (?P<name>[\w.]+)(?:: (?P<why>.*))?$")
PAGES_BEFORE = re.compile(r"^free pages before VMs: (\d+)$")
PAGES_AFTER = re.compile(r"^free pages after VMs: (\d+) \(heap grew by (-?\d+) pages\)$")
NOT_RETURNED = re.compile(r"^pages not returned by VMs: (-?\d+)$")


@dataclass
class GuestRun:
    """One hostile VM of a boot."""

    vm: str
    cls: str
    summary: dict[str, str] = field(default_factory=dict)
    state: str = ""
    reason: str = ""
    failed_checks: list[str] = field(default_factory=list)

    @property
    def cases(self) -> int:
        return int(self.summary.get("cases", "0"))

    def expected_ending(self) -> tuple[str, str]:
        """(state, text the reason must hold) for this class."""
        if self.cls == "memory":
            access = self.summary.get("access", "?").replace("_", " ")
            # "EPT violation: guest ..." on VMX, "nested page fault: guest ..." on SVM.
            return "failed", f"guest {access} at guest-physical {self.summary.get('violates', '?')},"
        if self.cls == "triple_fault":
            return "failed", "triple fault"
        if self.cls == "ring":
            # Its last notify claims more requests than the ring holds.
            return "failed", "file ring: produced"
        if self.cls == "spin":
            return "stopped", "stopped by the host"
        return "stopped", "guest powered off with status 0"

    def ended_as_expected(self) -> bool:
        state, text = self.expected_ending()
        # An exercise stub's end ("milestone N is not done yet: ...") is never the expected one.
        return self.state == state and text in self.reason and "is not done yet" not in self.reason

    @property
    def outcome(self) -> str:
        """A short word for the per-class counts of tools/hostile.py."""
        if not self.state:
            return "no result"
        if self.ended_as_expected() and not self.failed_checks:
            return "as expected"
        failed = f" (failed {', '.join(self.failed_checks)})" if self.failed_checks else ""
        return f"{self.state}: {self.reason}{failed}"


@dataclass
class PageAccounting:
    before: int | None = None
    after: int | None = None
    heap_growth: int | None = None
    not_returned: int | None = None

    def balanced(self) -> bool:
        if self.before is None or self.after is None or self.heap_growth is None:
            return False
        return self.not_returned == 0 and self.after + self.heap_growth == self.before


def hostile_runs(result: RunResult) -> list[GuestRun]:
    """Every hostile VM the boot started, with its summary, ending and failed checks."""
    runs: dict[str, GuestRun] = {}
    for line in result.host_lines("vmx"):
        if started := STARTED.match(line):
            runs[started["vm"]] = GuestRun(started["vm"], started["cls"])
        elif (ended := VM_RESULT.match(line)) and ended["vm"] in runs:
            runs[ended["vm"]].state, runs[ended["vm"]].reason = ended["state"], ended["reason"]
    for line in result.host_lines("hypercall"):
        if (summary := SUMMARY.match(line)) and summary["vm"] in runs:
            pairs = dict(pair.split("=", 1) for pair in summary["pairs"].split() if "=" in pair)
            runs[summary["vm"]].summary = pairs
        elif (report := REPORT.match(line)) and report["vm"] in runs:
            run = runs[report["vm"]]
            # Only the guest's own checks: the hypercall fuzzer reports garbage names too.
            if report["outcome"] == "FAIL" and report["name"].startswith(f"hostile_{run.cls}."):
                run.failed_checks.append(report["name"])
    # Only the VMs of the command line end with a VM RESULT line; hostile VMs that
    # the host's own tests start afterwards are theirs to judge.
    return [run for run in runs.values() if run.state]


def page_accounting(result: RunResult) -> PageAccounting:
    pages = PageAccounting()
    for line in result.host_lines("vmx"):
        if match := PAGES_BEFORE.match(line):
            pages.before = int(match[1])
        elif match := PAGES_AFTER.match(line):
            pages.after, pages.heap_growth = int(match[1]), int(match[2])
        elif match := NOT_RETURNED.match(line):
            pages.not_returned = int(match[1])
    return pages


# The kernel keeps 255 characters of its Multiboot command line
# (kernel/boot/multiboot.h, MAX_STRING 256 with the NUL); a longer one would lose
# its last words (the timeout, test=hostile) without a word said.
COMMAND_LINE_MAX = 255


def boot_command_line(classes: list[str], seed: int, timeout_ms: int, host_tests: str = "hostile") -> str:
    """The kernel command line that runs `classes` at once with `seed`, then the
    host's own tests (which show it survived)."""
    paths = ",".join(f"/guests/hostile_{cls}" for cls in classes)
    words = [f"vm={paths}", f"vm_cmdline=seed={seed}", "vm_mem=4", f"vm_timeout_ms={timeout_ms}"]
    return " ".join(words + ([f"test={host_tests}"] if host_tests else []))


def boot_groups(classes: list[str], seed: int, timeout_ms: int) -> list[list[str]]:
    """`classes` in order, cut into as few boots as keep each boot's command line
    within COMMAND_LINE_MAX (all ten classes at once would need about 290)."""
    groups: list[list[str]] = []
    for cls in classes:
        if groups and len(boot_command_line(groups[-1] + [cls], seed, timeout_ms)) <= COMMAND_LINE_MAX:
            groups[-1].append(cls)
            continue
        if len(boot_command_line([cls], seed, timeout_ms)) > COMMAND_LINE_MAX:
            raise ValueError(f"class {cls!r} alone does not fit a {COMMAND_LINE_MAX}-character command line")
        groups.append([cls])
    return groups
