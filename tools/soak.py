#!/usr/bin/env python3
"""Soak run: several guests of our own kernel kept busy with the file workload for
a long emulated time in Bochs, then every file checked (docs/multi-vm.md).

    python3 tools/soak.py --guests 3 --minutes 30     # the long run, not in CI
    python3 tools/soak.py --guests 2 --seconds 3      # the short run CI does

Times are emulated: each guest runs `workload run --seconds S` on its own
clock, which in Bochs (clock: sync=none) counts emulated instructions; on this
kind of machine Bochs emulates roughly one second per wall second with three
busy guests, so 30 minutes take somewhat more than 30 minutes of wall time.
Through the host's shell on COM1 it starts the guests (each waits until the one
before has booted to its shell), types `workload run --seed N --seconds S
/shared/soak/vmN` into guest N with `vm send` (guest N+1 runs one second longer, so
they finish in order), and when all have finished checks every directory three
ways: the guest checks its files again (`workload check` typed into it), the host
reads them (`workload check` in its own shell), and this script recomputes the
checksum both print from seed and round (tools/matryoshka/workload.py). Then the
host removes the directories, stops the VMs and shows its free page count,
which must equal the count before the guests started, less what the kernel heap
grew by meanwhile (`ps` prints both); `echo` shows the host's shell
still answering, and `poweroff` must pass. Exit status 0 when all of it holds."""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matryoshka import paths, runner  # noqa: E402
from matryoshka.emulators import RunConfig  # noqa: E402
from matryoshka.verdict import Verdict  # noqa: E402
from matryoshka.workload import WorkloadResult, parse_result, result_source  # noqa: E402

PROMPT = "/$ "
ALIVE = "the host still answers"
FREE_PAGES = re.compile(r"free pages: (\d+), kernel heap: (\d+) pages")
# Wall seconds Bochs may take per emulated second with busy guests, and for the rest.
WALL_PER_EMULATED_SECOND = 4
FIXED_WALL_SECONDS = 180


@dataclass
class SoakReport:
    problems: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def check(self, condition: bool, problem: str) -> None:
        if not condition:
            self.problems.append(problem)


def guest_dir(vm: int) -> str:
    return f"/shared/soak/vm{vm}"


def steps(guests: int, seconds: int) -> list[tuple[str, str]]:
    """What to type into the host's COM1, each once the text before it appeared."""
    typed = [(PROMPT, "mkdir /shared/soak\r"), (PROMPT, "ps\r"), ("free pages", "vm start --mem 16 /boot/kernel\r")]
    for vm in range(2, guests + 1):
        typed.append((f"[vm{vm - 1}] [guest boot] boot complete", "vm start --mem 16 /boot/kernel\r"))
    sends = "".join(f"vm send {vm} workload run --seed {vm} --seconds {seconds + vm - 1} {guest_dir(vm)}\r"
                    for vm in range(1, guests + 1))
    typed.append((f"[vm{guests}] [guest boot] boot complete", sends))
    for vm in range(1, guests + 1):
        typed.append((f"[vm{vm}] workload: ", f"vm send {vm} workload check {guest_dir(vm)}\r"))
        typed.append((f"[vm{vm}] workload: ", f"workload check {guest_dir(vm)}\r"))
    typed.append((PROMPT, "".join(f"workload clean {guest_dir(vm)}\r" for vm in range(1, guests + 1))))
    typed.append((PROMPT, "".join(f"vm stop {vm}\r" for vm in range(1, guests + 1))))
    typed += [(f"vm{vm} ended after", "") for vm in range(1, guests + 1)]
    typed += [(PROMPT, "vm list\r"), (PROMPT, "ps\r"), ("free pages", f"echo {ALIVE}\r"), (ALIVE, "poweroff\r")]
    return typed


def results(serial: str) -> dict[tuple[str, str, str], WorkloadResult]:
    """Workload results by (who, mode, directory); who is "host" or "vmN"."""
    found = {}
    for line in serial.splitlines():
        parsed = parse_result(line)
        if parsed:
            found[result_source(line), parsed.mode, parsed.dir] = parsed
    return found


def judge(serial: str, verdict: Verdict, guests: int) -> SoakReport:
    report = SoakReport()
    found = results(serial)
    for vm in range(1, guests + 1):
        directory = guest_dir(vm)
        run = found.get((f"vm{vm}", "run", directory))
        report.check(run is not None and run.outcome == "PASS", f"vm{vm}'s workload run did not pass: {run}")
        if not run or run.outcome != "PASS":
            continue
        report.lines.append(f"vm{vm}: {run.rounds} rounds, last round {run.round}, checksum {run.checksum:016x}")
        report.check(run.checksum_matches, f"vm{vm}'s checksum is not the one of seed {run.seed}, round {run.round}")
        for who in (f"vm{vm}", "host"):
            check = found.get((who, "check", directory))
            report.check(check is not None and check.outcome == "PASS", f"{who}'s check of {directory} failed: {check}")
            if check and check.outcome == "PASS":
                report.check((check.seed, check.round, check.checksum) == (run.seed, run.round, run.checksum),
                             f"{who}'s check of {directory} disagrees with the run")
        clean = found.get(("host", "clean", directory))
        report.check(clean is not None and clean.outcome == "PASS", f"the host could not remove {directory}")
    stopped = re.findall(r"\[host vmx\] vm(\d+) stopped: stopped by the host", serial)
    report.check(sorted(map(int, stopped)) == list(range(1, guests + 1)), f"VMs stopped by the host: {stopped}")
    pages = [(int(free), int(heap)) for free, heap in FREE_PAGES.findall(serial)]
    report.check(len(pages) == 2, f"expected two free page counts, got {pages}")
    if len(pages) == 2:
        (free_before, heap_before), (free_after, heap_after) = pages
        growth = heap_after - heap_before
        missing = free_before - free_after - growth
        report.lines.append(f"free pages before {free_before}, after {free_after}, kernel heap {heap_before} -> "
                            f"{heap_after} pages: {missing} not returned")
        report.check(missing == 0, f"{missing} pages not returned")
    report.check(f"\n{ALIVE}" in serial.replace("\r", ""), "the host's shell did not answer at the end")
    report.check(verdict == Verdict.PASSED, f"the host did not power off as passed ({verdict.name})")
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guests", type=int, default=3, help="guests of our own kernel (1-8)")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--minutes", type=float, help="emulated minutes of workload per guest")
    length.add_argument("--seconds", type=int, help="emulated seconds of workload per guest (default 3)")
    parser.add_argument("--build-dir", type=Path, default=paths.DEFAULT_BUILD_DIR)
    parser.add_argument("--work-dir", type=Path, help="where the serial log goes (default BUILD/soak)")
    arguments = parser.parse_args()
    if not 1 <= arguments.guests <= 8:
        parser.error("--guests takes 1 to 8")
    seconds = int(arguments.minutes * 60) if arguments.minutes else arguments.seconds or 3
    work_dir = arguments.work_dir or arguments.build_dir / "soak"
    config = RunConfig(emulator="bochs", kernel=paths.kernel_file(arguments.build_dir),
                       modules=[paths.initrd_file(arguments.build_dir)], headless=True, work_dir=work_dir,
                       timeout=FIXED_WALL_SECONDS + WALL_PER_EMULATED_SECOND * (seconds + arguments.guests))
    print(f"soak: {arguments.guests} guests, {seconds} emulated seconds of file workload each; "
          f"serial log in {work_dir / 'serial.log'}", flush=True)
    result = runner.run(config, serial_input=steps(arguments.guests, seconds))
    if result.verdict == Verdict.CANNOT_RUN:
        print(f"soak: cannot run: {result.reason}")
        return 3
    report = judge(result.serial, result.verdict, arguments.guests)
    for line in report.lines:
        print(f"soak: {line}")
    for problem in report.problems:
        print(f"soak: FAIL: {problem}")
    print("soak: PASS" if not report.problems else f"soak: FAIL ({len(report.problems)} problems)")
    return 0 if not report.problems else 1


if __name__ == "__main__":
    sys.exit(main())
