"""Three guests of our own kernel beside a CPU-bound host program, on both
backends (Bochs/VMX, QEMU/SVM with -icount for exact time), driven
through the host's shell on COM1 (docs/multi-vm.md). One boot:

1. `ps` gives the host's free page count before any VM.
2. `spin 2000` runs alone: its progress rate A (blocks per emulated second).
3. Three guests of /boot/kernel start one after the other; each boots to its
   shell ("boot complete" relayed as `[vmN] [guest boot] ...`).
4. `vm send N workload run --seed N --seconds S /shared/multi/vmN` types the file
   workload into each guest's shell: rounds of writing, reading back, checking,
   deleting and renaming files in its own host directory, all through the
   paravirtual file system. S is 4, 5 and 6 s, so the guests finish in order
   and all of them outlast step 5.
5. `spin 2000` again while the three guests work: its rate B.
6. The host checks each guest's directory itself (`workload check`), removes it,
   stops the VMs and runs `ps` again.

Progress, as issue #8 asks ("at least 40% of what it reaches alone with one
competing guest thread, scaled for more"): with N busy guest threads competing,
the host program's fair share of the CPU is A/(N+1). With one guest that is A/2,
and the issue asks for 40% of it; scaled for N, the test requires
B >= 0.4 * A * 2/(N+1), i.e. B >= 0.2 A for N = 3 (the fair share is 0.25 A).

Pages: `ps` prints the free pages and the pages the kernel heap holds. The heap
gives a region back once it is all free again (kernel/mm/kernel_heap.cpp), but
it keeps what its live blocks need: the ended VMs' records that `vm list` shows
(about 34 KiB each) and what they pin. So the test requires free + heap pages
afterwards to equal free + heap pages before: every page a VM took outside the
heap is back, and the heap holds no more than it did, less the kept records."""
from __future__ import annotations

import re

import pytest

from conftest import HYPERVISOR_EMULATORS, Booter, explain
from matryoshka.verdict import RunResult, Verdict
from matryoshka.workload import WorkloadResult, parse_result, result_source

PROMPT = "/$ "
GUESTS = 3
SPIN_MS = 2000
WORK_SECONDS = {1: 4, 2: 5, 3: 6}
REQUIRED_SHARE_WITH_ONE_GUEST = 0.4
# Above this share of its rate alone, the host program took what three busy guests
# should have had (the fair share is 0.25; about 0.45 is measured).
GUESTS_STARVED_ABOVE = 0.7


def guest_steps() -> list[tuple[str, str]]:
    steps = [("per second", "vm start --mem 16 /boot/kernel\r")]
    for vm in range(1, GUESTS):
        steps.append((f"[vm{vm}] [guest boot] boot complete", "vm start --mem 16 /boot/kernel\r"))
    sends = [f"vm send {vm} workload run --seed {vm} --seconds {WORK_SECONDS[vm]} /shared/multi/vm{vm}\r"
             for vm in range(1, GUESTS + 1)]
    steps.append((f"[vm{GUESTS}] [guest boot] boot complete", "".join(sends)))
    return steps


def check_steps() -> list[tuple[str, str]]:
    steps = [(f"[vm{GUESTS}] workload: start", f"spin {SPIN_MS}\r"), ("per second", "")]
    for vm in range(1, GUESTS + 1):
        steps.append((f"[vm{vm}] workload: ", f"workload check /shared/multi/vm{vm}\r"))
    cleanup = "".join(f"workload clean /shared/multi/vm{vm}\r" for vm in range(1, GUESTS + 1))
    stops = "".join(f"vm stop {vm}\r" for vm in range(1, GUESTS + 1))
    steps += [(PROMPT, cleanup), (PROMPT, stops)]
    steps += [(f"vm{vm} ended after", "") for vm in range(1, GUESTS)]
    # The shell's prompt may come before the last VM's end is logged (QEMU): an
    # empty line asks for a fresh one.
    steps += [(f"vm{GUESTS} ended after", "\r")]
    steps += [(PROMPT, "vm list\r"), (PROMPT, "ps\r"), ("free pages", "poweroff\r")]
    return steps


STEPS = [(PROMPT, "mkdir /shared/multi\r"), (PROMPT, "ps\r"), ("free pages", f"spin {SPIN_MS}\r"),
         *guest_steps(), *check_steps()]

# Log lines may begin in the middle of the shell's output, so nothing is anchored.
SPIN = re.compile(r"spin: (\d+) blocks in (\d+) ms, (\d+) per second")
FREE_PAGES = re.compile(r"free pages: (\d+), kernel heap: (\d+) pages")


@pytest.fixture(scope="module", params=HYPERVISOR_EMULATORS)
def session(boot: Booter, request: pytest.FixtureRequest) -> RunResult:
    """On both backends; the shares are measured in time, so QEMU counts
    instructions (exact_time) as Bochs does."""
    emulator: str = request.param
    return boot(emulator, "", serial_input=tuple(STEPS), timeout=180, exact_time=True)


def workload_results(result: RunResult, mode: str) -> dict[tuple[str, str], WorkloadResult]:
    """(who printed it, its directory) -> the workload's result line of `mode`."""
    found = {}
    for line in result.serial.splitlines():
        parsed = parse_result(line)
        if parsed and parsed.mode == mode:
            found[result_source(line), parsed.dir] = parsed
    return found


def test_the_session_ran_to_poweroff(session: RunResult) -> None:
    assert "$ poweroff" in session.serial, explain(session)
    assert session.verdict == Verdict.PASSED, explain(session)


def test_three_guests_boot_to_their_shells(session: RunResult) -> None:
    for vm in range(1, GUESTS + 1):
        assert f"[vm{vm}] [guest boot] boot complete: /bin/sh" in session.serial, explain(session)
        assert f"[vm{vm}] Matryoshka shell." in session.serial, explain(session)


def test_each_guest_runs_the_file_workload_in_its_directory(session: RunResult) -> None:
    runs = workload_results(session, "run")
    for vm in range(1, GUESTS + 1):
        result = runs.get((f"vm{vm}", f"/shared/multi/vm{vm}"))
        assert result, f"no workload result from vm{vm}\n" + explain(session)
        assert result.outcome == "PASS", f"vm{vm}: {result.why}\n" + explain(session)
        assert result.seed == vm and result.rounds >= 2, explain(session)
        assert result.checksum_matches, f"vm{vm}'s checksum is not the one of seed {vm}, round {result.round}"


def test_the_host_finds_each_guests_files_as_the_workload_implies(session: RunResult) -> None:
    runs = workload_results(session, "run")
    checks = workload_results(session, "check")
    for vm in range(1, GUESTS + 1):
        check = checks.get(("host", f"/shared/multi/vm{vm}"))
        assert check and check.outcome == "PASS", f"host check of /shared/multi/vm{vm}\n" + explain(session)
        run = runs[(f"vm{vm}", f"/shared/multi/vm{vm}")]
        assert (check.seed, check.round, check.checksum) == (run.seed, run.round, run.checksum), explain(session)
        assert check.checksum_matches
    cleans = workload_results(session, "clean")
    assert all(cleans.get(("host", f"/shared/multi/vm{vm}")) for vm in range(1, GUESTS + 1)), explain(session)


def test_the_guests_worked_while_the_host_program_measured(session: RunResult) -> None:
    # B only means something if every guest was busy through the second spin.
    second_spin = [m.end() for m in SPIN.finditer(session.serial)][1]
    for vm in range(1, GUESTS + 1):
        assert session.serial.find(f"[vm{vm}] workload: start") < second_spin, explain(session)
        assert session.serial.find(f"[vm{vm}] workload: PASS run") > second_spin, explain(session)


def test_host_program_keeps_its_share_beside_busy_guests(session: RunResult) -> None:
    spins = SPIN.findall(session.serial)
    assert len(spins) == 2, explain(session)
    alone, beside = (int(rate) for _, _, rate in spins)
    required = REQUIRED_SHARE_WITH_ONE_GUEST * alone * 2 / (GUESTS + 1)
    print(f"\nhost program alone: {alone} blocks/s; beside {GUESTS} busy guests: {beside} blocks/s "
          f"({beside / alone:.3f} of alone; fair share {1 / (GUESTS + 1):.3f}, required {required / alone:.3f})")
    assert beside >= required, f"{beside} < {required:.0f} blocks/s\n" + explain(session)
    # Nor may the guests starve: with a hand-off mutex the VMs convoyed on the file
    # system lock and the host program kept 0.9 of its rate (kernel/sync/mutex.h).
    assert beside <= GUESTS_STARVED_ABOVE * alone, f"the guests starved: {beside} of {alone}\n" + explain(session)


def test_vms_stopped_and_every_page_is_back(session: RunResult) -> None:
    stopped = re.findall(r"\[host vmx\] vm(\d) stopped: stopped by the host", session.serial)
    assert sorted(stopped) == [str(vm) for vm in range(1, GUESTS + 1)], explain(session)
    pages = FREE_PAGES.findall(session.serial)
    assert len(pages) == 2, explain(session)
    (free_before, heap_before), (free_after, heap_after) = ((int(f), int(h)) for f, h in pages)
    growth = heap_after - heap_before
    print(f"\nfree pages before: {free_before}, after: {free_after}; kernel heap {heap_before} -> {heap_after} "
          f"pages; not returned: {free_before - free_after - growth}")
    assert free_before - free_after - growth == 0, explain(session)
