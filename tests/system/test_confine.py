"""A VM's confinement in Bochs (docs/hypercalls.md, "Confinement", "What a VM may
change", "Fuzzing"): the host set "confine" starts guests of its own kernel that
run the guest set "guestconfine". One boot (the same as test_kernel_tests.py's
for the set, cached): two VMs with nested roots where the outer one moves the
inner one's open directory out of its root, one whose directory the host moves;
a VM on the default export that cannot change /bin/ls, /bin/sh or /boot/kernel
but writes /shared; and the 64-bit hypercall fuzzer with seeds 1-3, confined to
/fuzz. Here the guests' side is checked too."""
from __future__ import annotations

import re

from conftest import Booter, explain
from matryoshka.verdict import Verdict
from test_hypervisor import vm_results

CONFINE = "test=confine"
GUEST_RESULT = re.compile(r"^\[vm(?P<vm>\d+)\] \[guest test\] (?P<outcome>PASS|FAIL|SKIP): "
                          r"guestconfine\.(?P<name>\w+)")


def guest_outcomes(serial: str) -> dict[str, list[str]]:
    """Guest test name -> the outcomes the VMs reported for it."""
    outcomes: dict[str, list[str]] = {}
    for line in serial.splitlines():
        if match := GUEST_RESULT.match(line):
            outcomes.setdefault(match["name"], []).append(match["outcome"])
    return outcomes


def test_host_checks_pass_and_every_vm_powered_off_by_itself(boot: Booter) -> None:
    result = boot("bochs", CONFINE)
    for name in ("confine.renames_by_an_outer_vm_or_the_host_do_not_free_a_vm",
                 "confine.default_export_is_read_only_but_shared_and_fuzzing_harms_nothing"):
        outcome = result.tests.get(name)
        assert outcome is not None and outcome.outcome == "PASS", explain(result)
    ended = vm_results(result)
    assert len(ended) == 0 or all(e["state"] == "stopped" for e in ended.values()), explain(result)
    assert result.verdict == Verdict.PASSED, explain(result)


def test_guests_escape_and_export_tests_ran_and_passed(boot: Booter) -> None:
    result = boot("bochs", CONFINE)
    outcomes = guest_outcomes(result.serial)
    assert not any("FAIL" in o for o in outcomes.values()), explain(result)
    # Two inner VMs climbed from their moved directory; the outer one moved it.
    assert outcomes.get("escape_a_directory_moved_out_of_the_root_leads_nowhere", []).count("PASS") == 3, \
        explain(result)
    assert outcomes.get("export_host_programs_and_kernel_are_read_only", []).count("PASS") == 1, explain(result)
    assert outcomes.get("export_shared_is_writable", []).count("PASS") == 1, explain(result)


def test_fuzzer_ran_three_seeds_and_the_guest_survived(boot: Booter) -> None:
    result = boot("bochs", CONFINE)
    outcomes = guest_outcomes(result.serial)
    assert outcomes.get("fuzz_random_hypercalls_get_an_errno_or_a_sane_answer", []).count("PASS") == 1, \
        explain(result)
    seeds = re.findall(r"\[guest test\] hcfuzz: seed (\d+): 2000 calls, (\d+) succeeded", result.serial)
    assert [seed for seed, _ in seeds] == ["1", "2", "3"], explain(result)
    # Random calls that never succeed would test only the argument checks.
    assert all(int(succeeded) > 0 for _, succeeded in seeds), explain(result)
