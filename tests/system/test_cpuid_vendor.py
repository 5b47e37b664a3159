"""The slides' CPUID demo, in Bochs: CPUID leaf 0 of a guest started with the SWEB
vendor answers "SWEBSWEBSWEB" while a guest without it and the host see the CPU's
own vendor, and every one of them finds the hypervisor at leaf 0x40000000
(docs/students.md, "The slides' CPUID demo")."""
from __future__ import annotations

from conftest import Booter, explain

# Two guests of our own kernel, one with each vendor; each runs /bin/vendor and powers off.
CMDLINE = ("vm=/boot/kernel,/boot/kernel vm_vendor=sweb,native vm_mem=32 vm_timeout_ms=200000 "
           "vm_cmdline=run=/bin/vendor,/bin/poweroff")


def test_leaf_0_says_sweb_only_in_the_guest_started_with_it(boot: Booter) -> None:
    result = boot("bochs", CMDLINE, timeout=400)
    printed = set(result.serial.splitlines())
    # What /bin/vendor prints in a guest: "[vmN] [guest user] vendor: " and its line.
    assert "[vm1] [guest user] vendor: vendor: SWEBSWEBSWEB" in printed, explain(result)
    assert "[vm2] [guest user] vendor: vendor: GenuineIntel" in printed, explain(result)
    # Both find the hypervisor where our kernel looks for it, whatever leaf 0 says.
    for vm in (1, 2):
        assert f"[vm{vm}] [guest user] vendor: hypervisor: SWEBSWEBSWEB" in printed, explain(result)


def test_a_vendor_that_is_neither_sweb_nor_native_is_explained(boot: Booter) -> None:
    result = boot("bochs", "vm=/guests/cpuid vm_vendor=intel vm_timeout_ms=30000")
    assert "vm start /guests/cpuid: vm_vendor=intel is neither sweb nor native" in result.serial, explain(result)
