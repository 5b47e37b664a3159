"""The walks and decoders of tools/gdb/matryoshka_gdb.py on memory built here:
4-level paging with 4 KiB and 2 MiB pages, EPT, a guest-virtual address through
guest tables read through EPT, and the exit record named from the VMX data file.
(tests/system/test_gdb_helpers.py runs the commands in GDB.)"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from matryoshka import svm, vmx

HELPERS = Path(__file__).resolve().parents[2] / "tools" / "gdb" / "matryoshka_gdb.py"
spec = importlib.util.spec_from_file_location("matryoshka_gdb", HELPERS)
assert spec is not None and spec.loader is not None
helpers = importlib.util.module_from_spec(spec)
sys.modules["matryoshka_gdb"] = helpers  # dataclasses look their module up
spec.loader.exec_module(helpers)


class Memory:
    """Sparse physical memory of 8-byte entries."""

    def __init__(self) -> None:
        self.words: dict[int, int] = {}

    def set(self, table: int, index: int, value: int) -> None:
        self.words[table + 8 * index] = value

    def read(self, address: int) -> int:
        return self.words.get(address, 0)


def index(address: int, level: int) -> int:
    return (address >> (39 - 9 * level)) & 0x1FF


def test_page_walk_to_a_4kib_page() -> None:
    memory = Memory()
    virtual = 0xFFFFFFFF80113000 + 0x8B0
    for level, (table, next_table) in enumerate([(0x1000, 0x2000), (0x2000, 0x3000), (0x3000, 0x4000)]):
        memory.set(table, index(virtual, level), next_table | 0x3)
    memory.set(0x4000, index(virtual, 3), 0x113000 | 0x1)
    walk = helpers.walk_page_table(0x1000, virtual, memory.read)
    assert walk.physical == 0x1138B0 and walk.page_size == 4096
    assert [s.level for s in walk.steps] == ["PML4", "PDPT", "PD", "PT"]


def test_page_walk_stops_at_a_2mib_page_and_at_a_hole() -> None:
    memory = Memory()
    virtual = 0xFFFF800000345678
    memory.set(0x1000, index(virtual, 0), 0x2000 | 0x3)
    memory.set(0x2000, index(virtual, 1), 0x3000 | 0x3)
    memory.set(0x3000, index(virtual, 2), 0x200000 | 0x83)
    walk = helpers.walk_page_table(0x1000, virtual, memory.read)
    assert (walk.physical, walk.page_size, len(walk.steps)) == (0x345678, 2 << 20, 3)
    missing = helpers.walk_page_table(0x1000, virtual + (1 << 30), memory.read)
    assert missing.physical is None and "PDPT entry 1 not present" in missing.fault


def test_ept_walk_takes_any_of_read_write_execute_as_present() -> None:
    memory = Memory()
    gpa = 0x1234567
    memory.set(0x10000, index(gpa, 0), 0x11000 | 0x7)
    memory.set(0x11000, index(gpa, 1), 0x12000 | 0x7)
    memory.set(0x12000, index(gpa, 2), 0x40000000 | 0x80 | 0x4)  # execute-only 2 MiB page
    walk = helpers.walk_ept(0x10000 | 0x5E, gpa, memory.read)  # EPTP: WB, 4 levels
    assert walk.physical == 0x40000000 | (gpa & 0x1FFFFF)


def test_guest_walk_reads_guest_tables_through_ept() -> None:
    memory = Memory()
    # EPT maps guest-physical 0-2 MiB at host 0x40000000 with one 2 MiB page.
    memory.set(0x10000, 0, 0x11000 | 0x7)
    memory.set(0x11000, 0, 0x12000 | 0x7)
    memory.set(0x12000, 0, 0x40000000 | 0x87)
    # Guest tables at guest-physical 0x1000.. (host 0x40001000..) map 0x400000 -> 0x5000.
    gva = 0x400123
    for level, (table, next_table) in enumerate([(0x1000, 0x2000), (0x2000, 0x3000), (0x3000, 0x4000)]):
        memory.set(0x40000000 + table, index(gva, level), next_table | 0x7)
    memory.set(0x40000000 + 0x4000, index(gva, 3), 0x5000 | 0x7)
    guest, ept = helpers.walk_guest(0x10000, 0x1000, gva, memory.read)
    assert guest.physical == 0x5123
    assert ept is not None and ept.physical == 0x40005123


def test_exit_record_is_named_from_the_vmx_data_file() -> None:
    lines = helpers.describe_exit_shadow({"reason": 10, "qualification": 0, "guest_rip": 0x1005E1}, vmx.load())
    assert lines[0].startswith("  exit_reason (0x4402, Exit reason): 0xa = cpuid: CPUID")
    assert "exit_qualification (0x6400" in lines[1]
    assert lines[2].endswith("guest_rip (0x681e, Guest RIP): 0x1005e1")
    failed = helpers.describe_exit_shadow({"reason": 33, "qualification": 0, "guest_rip": 0, "entry_failure": True},
                                          vmx.load())
    assert "(VM-entry failure)" in failed[0]


def test_vmcb_is_described_with_the_exit_named_from_the_svm_data_file() -> None:
    memory = Memory()
    vmcb = 0x7000
    memory.words[vmcb + 0x070] = 0x7B  # EXITCODE: IOIO
    memory.words[vmcb + 0x078] = 0x00E90010  # EXITINFO1: OUT to port 0xE9, 8 bits
    memory.words[vmcb + 0x410] = (0xFFFFFFFF << 32) | (0xC9B << 16) | 0x08  # CS
    memory.words[vmcb + 0x4C8] = 3 << 24  # CPL
    memory.words[vmcb + 0x578] = 0x100234  # RIP
    lines = helpers.describe_vmcb(memory.read, vmcb, svm.load())
    assert "  0x070 exit_code: 0x7b = ioio" in lines
    assert "  0x078 exit_info1: 0xe90010" in lines
    assert "  0x410 cs: selector 0x8 attributes 0xc9b limit 0xffffffff base 0x0" in lines
    assert "  0x4cb cpl: 3" in lines
    assert "  0x578 rip: 0x100234" in lines
