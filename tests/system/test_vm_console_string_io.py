"""A guest's COM1 line written with OUTSB and REP OUTSB (a serial driver filling
the 16550's transmit FIFO), its text crossing a page boundary: the hypervisor
reads such a run a page at a time (hypervisor/vm/string_io.cpp,
write_bytes_to_com1) and the host still shows the line whole, tagged once. The
boot is test_hypervisor.py's port_io boot (same command line: one boot)."""
from __future__ import annotations

import pytest

from conftest import HYPERVISOR_EMULATORS, Booter, explain

COM1_LINE = "port_io: OUTSB and REP OUTSB to COM1 across a page boundary"


@pytest.mark.parametrize("emulator", HYPERVISOR_EMULATORS)
def test_string_output_to_com1_across_a_page_is_one_line(boot: Booter, emulator: str) -> None:
    result = boot(emulator, "vm=/guests/port_io vm_mem=8 vm_timeout_ms=30000 test=boot", exact_time=True)
    lines = result.serial.splitlines()
    assert lines.count(f"[vm1] {COM1_LINE}") == 1, explain(result)
    assert "vm1 PASS: port_io.rep_outsb_to_com1_across_a_page_advances" in result.serial, explain(result)
    assert "vm1 PASS: port_io.outsb_to_com1_advances" in result.serial, explain(result)
