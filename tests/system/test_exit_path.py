"""The shorter exit path and the guest-against-host programs of `make bench`
(issue 20). With vm_stats=off and vm_trace=off the run loop keeps no statistics
and no trace, and the guests that check CPUID and every hypercall answer (the
fast path's two exits, the CPU model's kept CPUID answers dropped by MSR writes)
still pass and end as they must, on both backends (VMX in Bochs, SVM in QEMU).
bench_compare, the program run on both sides, runs on the host in QEMU and
reports sane figures."""
from __future__ import annotations

import re

import pytest

from conftest import HYPERVISOR_EMULATORS, Booter, explain
from matryoshka.verdict import RunResult, Verdict
from test_hypervisor import GUEST_ENDINGS, guest_reports, vm_results

QUIET_GUESTS = ["cpuid", "hypercall", "msr", "apic"]
QUIET = f"vm={','.join('/guests/' + g for g in QUIET_GUESTS)} vm_mem=4 vm_timeout_ms=60000 vm_stats=off vm_trace=off"
FIGURE = re.compile(r"^\[host user\] bench_compare: \[user bench\] compare (?P<name>\w+): (?P<ops>\d+) ops in "
                    r"(?P<cycles>\d+) cycles$")


@pytest.fixture(scope="module", params=HYPERVISOR_EMULATORS)
def quiet(boot: Booter, request: pytest.FixtureRequest) -> RunResult:
    emulator: str = request.param
    return boot(emulator, QUIET, timeout=600)


def test_guests_pass_with_statistics_and_trace_off(quiet: RunResult) -> None:
    results = vm_results(quiet)
    assert len(results) == len(QUIET_GUESTS), explain(quiet)
    started = {m[1]: m[2] for line in quiet.host_lines("vmx")
               if (m := re.match(r"vm(\d+) started: /guests/(\w+)", line))}
    for vm, guest in started.items():
        state, reason = GUEST_ENDINGS[guest]
        assert results[vm]["state"] == state and reason in results[vm]["reason"], explain(quiet)
    reports = guest_reports(quiet)
    assert reports and all(r["outcome"] == "PASS" for r in reports), explain(quiet)
    assert {r["vm"] for r in reports} == set(started), explain(quiet)


def test_statistics_off_prints_no_table_even_when_asked(boot: Booter) -> None:
    """vm_stats=off wins over vm_stats: a table of zeros would mislead."""
    result = boot("bochs", "vm=/guests/cpuid vm_mem=4 vm_stats vm_stats=off")
    assert vm_results(result)["1"]["state"] == "stopped", explain(result)
    assert not [line for line in result.host_lines("vmx") if " stats:" in line], explain(result)


def test_bench_compare_reports_sane_figures_on_the_host(boot: Booter) -> None:
    result = boot("qemu", "run=/bin/bench_compare")
    figures = {m["name"]: (int(m["ops"]), int(m["cycles"])) for line in result.serial.splitlines()
               if (m := FIGURE.match(line.strip()))}
    assert set(figures) == {"cpu", "syscall", "fork_exec", "file"}, explain(result)
    assert figures["cpu"][0] == 2_000_000 and figures["syscall"][0] == 20_000, explain(result)
    assert figures["fork_exec"][0] == 12 and figures["file"][0] == 512, explain(result)
    per_op = {name: cycles / ops for name, (ops, cycles) in figures.items()}
    # A round of the CPU loop is a few instructions, a system call more, a fork
    # with an exec far more than either.
    assert 0 < per_op["cpu"] < per_op["syscall"] < per_op["fork_exec"], per_op
    assert result.tests["run.bench_compare"].outcome == "PASS", explain(result)
    assert result.verdict == Verdict.PASSED, explain(result)
