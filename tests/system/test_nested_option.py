"""`vm start --nested on|off` (VM_START_NESTED_ON/OFF, docs/nested.md "Switching it
on and off"): one VM's own choice wins over the host's vm_nested=, for that VM
alone. In Bochs with vm_nested=off, `--nested on` gives the vmx_l1 guest VMX (it
passes its checks) while the next VM, started without the option, still sees
none (the vmx_instruction guest's #UD/#GP checks pass). On QEMU/SVM `--nested
on` is refused with a sentence, `--nested off` starts, and a bad value is
explained. One boot each."""
from __future__ import annotations

from conftest import Booter, explain
from matryoshka.verdict import RunResult, Verdict
from test_nested import reports

PROMPT = "/$ "


def test_nested_on_offers_vmx_to_one_vm_against_vm_nested_off(boot: Booter) -> None:
    steps = (
        (PROMPT, "vm start --mem 8 --nested on /guests/vmx_l1\r"),
        (PROMPT, "vm wait 1\r"),
        ("vm1 stopped", "vm start --mem 8 /guests/vmx_instruction\r"),
        (PROMPT, "vm wait 2\r"),
        ("vm2 stopped", "poweroff\r"),
    )
    result = boot("bochs", "vm_nested=off", serial_input=steps, timeout=400)
    checks = reports(result)
    failed = {name: outcome for name, outcome in checks.items() if not outcome.startswith("PASS")}
    assert not failed, f"{failed}\n" + explain(result)
    # vmx_l1 checks VMXON and friends succeed: it ran with VMX offered.
    assert "vmx_l1.vmxon_succeeds" in checks, explain(result)
    # vmx_instruction (without the option) found no VMX, as vm_nested=off says.
    assert "vmx_instruction.vmxon_raises_ud" in checks, explain(result)
    # vm wait's own lines: both ended in order.
    assert "\nvm1 stopped: guest powered off with status 0" in result.serial, explain(result)
    assert "\nvm2 stopped: guest powered off with status 0" in result.serial, explain(result)


def host_session_on_svm(boot: Booter) -> RunResult:
    steps = (
        (PROMPT, "vm start --nested on /guests/cpuid\r"),
        (PROMPT, "vm start --nested maybe /guests/cpuid\r"),
        (PROMPT, "vm start --nested off /guests/cpuid\r"),
        (PROMPT, "vm wait 1\r"),
        ("vm1 stopped", "poweroff\r"),
    )
    return boot("qemu", "", serial_input=steps, timeout=120)


def test_nested_on_is_refused_on_svm_with_a_sentence(boot: Booter) -> None:
    result = host_session_on_svm(boot)
    assert result.verdict == Verdict.PASSED, explain(result)
    assert "vm: --nested on: this host runs AMD SVM, and only VMX is offered to guests" in result.serial, \
        explain(result)
    assert "vm: --nested takes on or off" in result.serial, explain(result)
    # The refused starts made no VM: --nested off's is vm1, and it ran to its end.
    assert "vm1 started: /guests/cpuid" in result.serial, explain(result)
    assert "\nvm1 stopped: guest powered off with status 0" in result.serial, explain(result)
