"""mx-vmcs12 (tools/gdb/matryoshka_gdb.py): the slot order of the VMCS12 cache is
read from hypervisor/nested/vmcs12_fields.h's SUPPORTED_FIELDS (never copied), named
from hypervisor/vmx/vmx_data.py, and L1's VMX state is described as docs/nested.md
gives it."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from matryoshka import vmx

HELPERS = Path(__file__).resolve().parents[2] / "tools" / "gdb" / "matryoshka_gdb.py"
spec = importlib.util.spec_from_file_location("matryoshka_gdb_vmcs12", HELPERS)
assert spec is not None and spec.loader is not None
helpers = importlib.util.module_from_spec(spec)
sys.modules["matryoshka_gdb_vmcs12"] = helpers
spec.loader.exec_module(helpers)


def test_vmcs12_slot_order_comes_from_the_kernel_source() -> None:
    data = vmx.load()
    order = helpers.vmcs12_field_order(helpers.VMCS12_SOURCE.read_text(), data)
    assert order[0].name == "vpid" and order[1].name == "guest_es_selector"
    assert order[-1].name == "host_rip"
    assert len({field.encoding for field in order}) == len(order)
    assert "pml_address" not in {field.name for field in order}
    # The region must hold them after its 16-byte header (docs/nested.md).
    assert 16 + 8 * len(order) <= 4096


def test_vmcs12_state_is_described_by_name() -> None:
    data = vmx.load()
    order = helpers.vmcs12_field_order(helpers.VMCS12_SOURCE.read_text(), data)
    values = [0] * len(order)
    names = [field.name for field in order]
    values[names.index("guest_rip")] = 0x100234
    values[names.index("vm_instruction_error")] = 13
    state = {"vmx_operation": 1, "vmxon_region": 0x5000, "current_vmcs12": 0x6000, "in_l2": 0, "shadow_linked": 1,
             "launched": 0}
    lines = helpers.describe_vmcs12(state, values, order, data)
    assert "VMXON region 0x5000" in lines[0] and "shadow VMCS linked: True" in lines[0]
    assert lines[1] == "  current VMCS12 at guest-physical 0x6000, launch state clear"
    assert "  guest_rip (0x681e, Guest RIP): 0x100234" in lines
    assert any(line.startswith("  vm_instruction_error (0x4400") and "read-only" in line for line in lines)
    assert lines[-1] == f"  ({len(order) - 2} other fields are 0)"
    assert helpers.describe_vmcs12({**state, "current_vmcs12": 2**64 - 1}, values, order, data)[-1] == \
        "  no current VMCS12"
    assert helpers.describe_vmcs12({**state, "vmx_operation": 0}, values, order, data) == \
        ["  not in VMX operation"]
