"""The hostile-guest suite in Bochs (docs/hostile-guests.md): every class of
hostile guest runs with a fixed seed, several at once in one boot; each must end
the way its class must end (or finish its checks), every page the VMs took must
come back, and the host's own tests (set "hostile": a spinning guest and an
interrupt storm next to a host thread) must pass afterwards, which shows the host
survived. More seeds: tools/hostile.py --seeds 1-100."""
from __future__ import annotations

import pytest

from conftest import explain
from matryoshka.hostile import CLASSES, boot_command_line, hostile_runs, page_accounting
from matryoshka.verdict import RunResult, Verdict

# One boot runs all eight classes (the port sweep is the long one); two more run
# the cheap classes whose case is picked by the seed, with other seeds.
BOOTS = [
    (1, CLASSES),
    (2, ["memory", "triple_fault", "hypercall", "cpu_state"]),
    (3, ["memory", "triple_fault", "hypercall", "cpu_state"]),
]
# The spinning guest is stopped at this (emulated) time; every other guest must
# have ended by then.
TIMEOUT_MS = 20000


def run_boot(boot, seed: int, classes: list[str]) -> RunResult:
    return boot("bochs", boot_command_line(classes, seed, TIMEOUT_MS), timeout=600)


@pytest.mark.parametrize("seed, classes", BOOTS, ids=[f"seed{seed}" for seed, _ in BOOTS])
def test_every_hostile_guest_ends_as_its_class_must(boot, seed: int, classes: list[str]) -> None:
    result = run_boot(boot, seed, classes)
    runs = hostile_runs(result)
    assert sorted(run.cls for run in runs) == sorted(classes), explain(result)
    for run in runs:
        assert run.summary.get("seed") == str(seed), f"{run.cls} printed no summary\n" + explain(result)
        assert run.cases > 0, f"{run.cls} tried no case\n" + explain(result)
        assert run.ended_as_expected(), f"{run.cls}: {run.outcome}\n" + explain(result)
        assert not run.failed_checks, f"{run.cls}: {run.failed_checks}\n" + explain(result)


@pytest.mark.parametrize("seed, classes", BOOTS, ids=[f"seed{seed}" for seed, _ in BOOTS])
def test_hostile_guests_return_every_page(boot, seed: int, classes: list[str]) -> None:
    result = run_boot(boot, seed, classes)
    pages = page_accounting(result)
    assert pages.balanced(), f"{pages}\n" + explain(result)


@pytest.mark.parametrize("seed, classes", BOOTS, ids=[f"seed{seed}" for seed, _ in BOOTS])
def test_host_survives_hostile_guests_and_passes_its_tests(boot, seed: int, classes: list[str]) -> None:
    result = run_boot(boot, seed, classes)
    assert result.verdict == Verdict.PASSED, explain(result)
    assert {name for name in result.tests} >= {
        "hostile.spinning_guest_with_interrupts_off_leaves_host_threads_running_and_stops",
        "hostile.interrupt_storm_leaves_host_threads_running"}, explain(result)


def test_port_sweep_skips_exactly_the_power_off_writes(boot) -> None:
    """The sweep skips the writes the hypervisor documents as powering off: 0xF4 at
    every width, and only the others whose seeded value would power off."""
    result = run_boot(boot, *BOOTS[0])
    ports = next(run for run in hostile_runs(result) if run.cls == "ports")
    skipped = sum(int(value) for key, value in ports.summary.items() if key.startswith("skip_"))
    assert ports.summary["skip_f4"] == "3", explain(result)
    assert int(ports.summary["reads"]) == 3 * 65536, explain(result)
    assert int(ports.summary["writes"]) + skipped == 3 * 65536, explain(result)
