"""The hostile-guest suite on both backends, VMX in Bochs and SVM in QEMU (docs/hostile-guests.md): every class of
hostile guest runs with a fixed seed, several at once in one boot; each must end
the way its class must end (or finish its checks), every page the VMs took must
come back, and the host's own tests (set "hostile": a spinning guest and an
interrupt storm next to a host thread) must pass afterwards, which shows the host
survived. More seeds: tools/hostile.py --seeds 1-100."""
from __future__ import annotations

import pytest

from conftest import HYPERVISOR_EMULATORS, Booter, explain
from matryoshka.hostile import CLASSES, boot_command_line, hostile_runs, page_accounting
from matryoshka.verdict import RunResult, Verdict

# (seed, classes, vm_timeout_ms). The first boot runs every class but the
# spinning one (the port sweep is the long one, about 25 s of emulated time, and
# the timeout only bounds it); the other two run the cheap classes whose case the
# seed picks, with the spinning guest, which the host stops at the timeout (every
# other guest there ends within a second or two).
CHEAP = ["memory", "triple_fault", "hypercall", "cpu_state", "spin", "vmx"]
# The first boot leaves out the cheap L1 fuzzer too: its path would push the kernel
# command line past the 256 bytes Multiboot's copy keeps (kernel/boot/multiboot.h).
BOOTS = [
    (1, [cls for cls in CLASSES if cls not in ("spin", "vmx")], 120000),
    (2, CHEAP, 8000),
    (3, CHEAP, 8000),
]
IDS = [f"seed{seed}" for seed, _, _ in BOOTS]


def run_boot(boot: Booter, seed: int, classes: list[str], timeout_ms: int, emulator: str = "bochs") -> RunResult:
    return boot(emulator, boot_command_line(classes, seed, timeout_ms), timeout=600)


@pytest.mark.parametrize("emulator", HYPERVISOR_EMULATORS)
@pytest.mark.parametrize("seed, classes, timeout_ms", BOOTS, ids=IDS)
def test_every_hostile_guest_ends_as_its_class_must(boot: Booter, seed: int, classes: list[str],
                                                     timeout_ms: int, emulator: str) -> None:
    result = run_boot(boot, seed, classes, timeout_ms, emulator)
    runs = hostile_runs(result)
    assert sorted(run.cls for run in runs) == sorted(classes), explain(result)
    for run in runs:
        assert run.summary.get("seed") == str(seed), f"{run.cls} printed no summary\n" + explain(result)
        assert run.cases > 0, f"{run.cls} tried no case\n" + explain(result)
        assert run.ended_as_expected(), f"{run.cls}: {run.outcome}\n" + explain(result)
        assert not run.failed_checks, f"{run.cls}: {run.failed_checks}\n" + explain(result)


@pytest.mark.parametrize("emulator", HYPERVISOR_EMULATORS)
@pytest.mark.parametrize("seed, classes, timeout_ms", BOOTS, ids=IDS)
def test_hostile_guests_return_every_page(boot: Booter, seed: int, classes: list[str], timeout_ms: int,
                                          emulator: str) -> None:
    result = run_boot(boot, seed, classes, timeout_ms, emulator)
    pages = page_accounting(result)
    assert pages.balanced(), f"{pages}\n" + explain(result)


@pytest.mark.parametrize("emulator", HYPERVISOR_EMULATORS)
@pytest.mark.parametrize("seed, classes, timeout_ms", BOOTS, ids=IDS)
def test_host_survives_hostile_guests_and_passes_its_tests(boot: Booter, seed: int, classes: list[str],
                                                            timeout_ms: int, emulator: str) -> None:
    result = run_boot(boot, seed, classes, timeout_ms, emulator)
    assert result.verdict == Verdict.PASSED, explain(result)
    assert {name for name in result.tests} >= {
        "hostile.spinning_guest_with_interrupts_off_leaves_host_threads_running_and_stops",
        "hostile.guest_spinning_on_cpuid_exits_leaves_host_threads_running_and_stops",
        "hostile.interrupt_storm_leaves_host_threads_running"}, explain(result)


def test_port_sweep_skips_exactly_the_power_off_writes(boot: Booter) -> None:
    """The sweep skips the writes the hypervisor documents as powering off: 0xF4 at
    every width, and only the others whose seeded value would power off."""
    result = run_boot(boot, *BOOTS[0])
    ports = next(run for run in hostile_runs(result) if run.cls == "ports")
    skipped = sum(int(value) for key, value in ports.summary.items() if key.startswith("skip_"))
    assert ports.summary["skip_f4"] == "3", explain(result)
    assert int(ports.summary["reads"]) == 3 * 65536, explain(result)
    assert int(ports.summary["writes"]) + skipped == 3 * 65536, explain(result)
