"""The PC a guest sees beyond its CPU (docs/devices.md), in Bochs: the `platform`
test guest probes the CMOS clock, CMOS bytes, PCI configuration ports, BIOS data
area, firmware-table signatures and absent ISA devices in one boot; the `bench`
guest's port 0x80 loop shows the I/O bitmap letting the POST port through
(vm_port80=exit is the "before", the default the "after")."""
from __future__ import annotations

import re

import pytest

from conftest import HYPERVISOR_EMULATORS, Booter, explain
from matryoshka import exit_log
from matryoshka.verdict import RunResult
from test_hypervisor import guest_reports, vm_results

# Every check the guest makes (guests/platform.cpp): a check that silently went
# missing would otherwise pass.
PLATFORM_CHECKS = {
    "rtc_status_d_valid_ram", "rtc_status_b_bcd_24_hour", "rtc_status_a_32khz_1024hz", "rtc_date_is_valid_bcd",
    "rtc_seconds_tick_over", "rtc_seconds_advance_by_one", "rtc_update_in_progress_seen",
    "rtc_set_holds_the_clock", "rtc_runs_from_the_time_set", "rtc_binary_mode_year", "rtc_binary_mode_minutes",
    "rtc_twelve_hour_noon_is_pm", "cmos_base_memory_640k", "cmos_extended_memory_matches_mem_upper",
    "cmos_checksum", "cmos_no_floppy", "pci_address_reads_back", "pci_address_reserved_bits_read_zero",
    "pci_scan_finds_no_device", "pci_data_reads_all_ones", "bda_com1_at_3f8", "bda_no_com2", "bda_no_ebda",
    "bda_equipment_word", "bda_base_memory_matches_mem_lower", "bda_video_mode_3", "bda_80_columns",
    "bda_crt_controller_3d4", "no_acpi_rsdp", "no_mp_floating_pointer", "no_option_rom_signature",
    "bios_area_reads_zero", "com2_reads_ff", "lpt_reads_ff", "floppy_reads_ff", "unknown_word_reads_ffff",
    "rtc_index_port_reads_ff",
}
PORT80_WRITES = 20000
PORT80_CYCLES = re.compile(r"bench port80_cycles=(\d+) count=(\d+)")


def test_platform_guest_finds_the_documented_pc(boot: Booter) -> None:
    result = boot("bochs", "vm=/guests/platform vm_mem=8 vm_timeout_ms=120000 vm_stats", timeout=300)
    reports = {m["name"].removeprefix("platform."): m for m in guest_reports(result)}
    failed = [f"{name}: {m['reason']}" for name, m in reports.items() if m["outcome"] != "PASS"]
    assert not failed, "\n".join(failed) + "\n" + explain(result)
    assert PLATFORM_CHECKS <= set(reports), f"missing: {PLATFORM_CHECKS - set(reports)}\n" + explain(result)
    ended = vm_results(result).get("1")
    assert ended is not None and ended["state"] == "stopped" and "status 0" in ended["reason"], explain(result)
    # The reads of absent COM2, LPT and floppy ports and the word at 0x2E8 (two
    # byte cycles) went to the floating bus and were counted.
    statistics = exit_log.parse_statistics(result.serial).get(1)
    assert statistics is not None and statistics.summary["unknown_port_reads"] >= 5, explain(result)
    # The clock and PCI ports exit to their models: were their bitmap bits clear,
    # the guest would have set Bochs' own clock and found its i440FX's devices.
    assert {"0x70", "0x71", "0xcf8", "0xcfc"} <= set(statistics.ports), explain(result)


def port80_run(boot: Booter, emulator: str, exit_on_port80: bool) -> tuple[RunResult, int, int]:
    """The bench guest's port 0x80 loop: (the run, port 0x80 exits, loop cycles)."""
    words = "vm_port80=exit " if exit_on_port80 else ""
    result = boot(emulator, f"vm=/guests/bench vm_mem=4 vm_cmdline=port80 {words}vm_stats", exact_time=True)
    match = PORT80_CYCLES.search(result.serial)
    statistics = exit_log.parse_statistics(result.serial).get(1)
    assert match and statistics is not None, explain(result)
    assert int(match[2]) == PORT80_WRITES
    counter = statistics.ports.get("0x80")
    return result, counter.count if counter else 0, int(match[1])


@pytest.mark.parametrize("emulator", HYPERVISOR_EMULATORS)
def test_port80_exits_only_without_the_io_bitmap_pass_through(boot: Booter, emulator: str) -> None:
    """VMX's I/O bitmaps and SVM's I/O permission map both let port 0x80 through."""
    before, exits_before, cycles_before = port80_run(boot, emulator, exit_on_port80=True)
    after, exits_after, cycles_after = port80_run(boot, emulator, exit_on_port80=False)
    assert exits_before >= PORT80_WRITES, explain(before)
    assert exits_after == 0, explain(after)
    # Without exits the loop is at least ten times faster, as the guest measures it.
    assert cycles_after * 10 < cycles_before, (cycles_before, cycles_after)
