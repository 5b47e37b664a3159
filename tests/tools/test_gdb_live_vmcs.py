"""mx-vmcs's live path (tools/gdb/matryoshka_gdb.py): the `monitor vmread` command
it sends is built from the encodings of hypervisor/vmx/vmx_data.py, the stub's
answer is parsed and named from the same file, and anything else (QEMU's
monitor) counts as "no live VMCS". Also the Bochs configuration that connects
COM2 to GDB. (tests/system/test_gdb_helpers.py runs it against the kernel.)"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from matryoshka import emulators, vmx

HELPERS = Path(__file__).resolve().parents[2] / "tools" / "gdb" / "matryoshka_gdb.py"
spec = importlib.util.spec_from_file_location("matryoshka_gdb_live", HELPERS)
assert spec is not None and spec.loader is not None
helpers = importlib.util.module_from_spec(spec)
sys.modules["matryoshka_gdb_live"] = helpers
spec.loader.exec_module(helpers)


def test_vmread_command_uses_the_data_files_encodings() -> None:
    data = vmx.load()
    command = helpers.vmread_command(data, ("exit_reason", "guest_rip"))
    assert command == "monitor vmread 0x4402 0x681e"
    full = helpers.vmread_command(data).split()[2:]
    assert [int(e, 16) for e in full] == [data.vmcs_field_by_name(n).encoding for n in helpers.LIVE_FIELDS]


def test_stub_answer_is_parsed_and_named() -> None:
    answer = ("vmread 0x4402 = 0xa\nvmread 0x6400 = 0x0\nvmread 0x681e = 0x100234\n"
              "vmread 0x2400 failed: VMREAD/VMWRITE from/to unsupported VMCS component\n")
    values = helpers.parse_vmread(answer)
    assert values[0x4402] == 10 and values[0x681E] == 0x100234
    assert values[0x2400].startswith("VMREAD/VMWRITE")
    lines = helpers.describe_live_vmcs(values, vmx.load(), ("exit_reason", "guest_rip", "guest_physical_address",
                                                            "guest_rsp"))
    assert lines[0] == "  exit_reason (0x4402, Exit reason): 0xa = cpuid: CPUID"
    assert lines[1] == "  guest_rip (0x681e, Guest RIP): 0x100234"
    assert lines[2].endswith("): VMREAD/VMWRITE from/to unsupported VMCS component")
    assert lines[3].endswith("): not read")


def test_other_monitors_answers_are_no_live_vmcs() -> None:
    assert helpers.parse_vmread("unknown command: 'vmread'\n") == {}
    assert helpers.parse_vmread("vmread: no current VMCS\n") == {}
    assert helpers.parse_vmread("vmread: this CPU is not in VMX operation\n") == {}


def test_bochs_config_serves_com2_to_gdb_only_when_asked(tmp_path: Path) -> None:
    config = emulators.RunConfig(emulator="bochs", work_dir=tmp_path)
    plain = emulators.bochs_config(config, tmp_path / "boot.iso", tmp_path / "serial.log", tmp_path / "bochs.log")
    assert "com2:" not in plain
    config.gdb_port = 40123
    debug = emulators.bochs_config(config, tmp_path / "boot.iso", tmp_path / "serial.log", tmp_path / "bochs.log")
    assert "com2: enabled=1, mode=socket-server, dev=localhost:40123" in debug.splitlines()
