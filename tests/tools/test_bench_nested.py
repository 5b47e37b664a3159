"""The nested-VMX rows of `make bench` (tools/bench/run_all.py, rows 9) from serial
logs shaped like the vmx_l2 guest's bench boots: cycles per operation from the
host's relayed guest lines only, each shadowed figure against the emulated one,
kernel.x's boot as L2 against as L1 from each level's own TSC lines, and every row
on QEMU saying why it has no figure."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "bench"))

import run_all  # noqa: E402

SHADOWED = """\
[host hypercall] vm1 says: bench nested vmread_cycles=6000 count=1000
[vm1] bench nested vmread_cycles=1 count=1000
[host hypercall] vm1 says: bench nested vmwrite_cycles=35000 count=1000
[host hypercall] vm1 PASS: vmx_l2.bench_l2_cpuid_loop_ends_in_its_hlt
[host hypercall] vm1 says: bench nested l2_cpuid_cycles=190000000 count=1000
"""
EMULATED = """\
[host hypercall] vm1 says: bench nested vmread_cycles=2000000 count=1000
[host hypercall] vm1 says: bench nested vmwrite_cycles=1400000 count=1000
[host hypercall] vm1 says: bench nested l2_cpuid_cycles=100000000 count=1000
"""
L1_BOOT = """\
[vm1] [guest boot] time stamp counter at kernel entry: 1000
[vm1] [guest boot] time stamp counter at boot end: 11000
"""
L2_BOOT = """\
[vm1] [guest boot] time stamp counter at kernel entry: 5
[vm1] [guest boot] time stamp counter at boot end: 7
[vm1] [vm1:e9] [guest boot] time stamp counter at kernel entry: 1
[vm1] [vm1] [guest boot] time stamp counter at kernel entry: 100000
[vm1] [vm1] [guest boot] time stamp counter at boot end: 125000
"""


def figures(shadowed: str = SHADOWED) -> dict[str, run_all.Figure]:
    boots = {"": (L1_BOOT, L2_BOOT), "_sweb": (L1_BOOT.replace("11000", "21000"), L2_BOOT)}
    return {f.key: f for f in run_all.nested_figures(shadowed, EMULATED, 9000.0, boots)}


def test_nested_rows_are_cycles_per_operation_against_their_baselines() -> None:
    rows = figures()
    assert rows["l2_cpuid_round_trip"].value == 190000
    assert rows["l2_cpuid_round_trip"].baseline == 9000.0
    assert rows["l2_cpuid_round_trip_no_shadow"].value == 100000
    # The guest's own line ("[vm1] ...", 1 cycle) is not taken for the host's.
    assert rows["l1_vmread_shadowed"].value == 6
    assert rows["l1_vmread_shadowed"].baseline == 2000
    assert rows["l1_vmwrite_shadowed"].ratio == pytest.approx(35 / 1400)


def test_l2_boot_row_is_l2s_own_span_against_l1s() -> None:
    row = figures()["l2_boot"]
    # L2's own lines only (not L1's, nor the port 0xE9 copy), against vm1's span.
    assert row.value == 25000 and row.baseline == 10000
    assert row.met is True and row.ratio == pytest.approx(2.5)
    results = run_all.Results(figures=[row], exit_rates={"boot": {}, "idle": {}})
    assert "9e. our kernel's boot as L2 against as L1" in run_all.markdown(results, "", "bochs")
    # kernel.x's row from its own pair of boots: its L1 span is 20000 here.
    sweb = figures()["l2_boot_sweb"]
    assert sweb.baseline == 20000 and sweb.ratio == pytest.approx(1.25)
    assert sweb.name.startswith("9f. kernel.x's boot")


def test_missing_nested_line_stops_the_bench_with_a_sentence() -> None:
    with pytest.raises(SystemExit, match="no vmwrite figure"):
        figures(SHADOWED.replace("vmwrite", "other"))


def test_qemu_rows_say_svm_offers_no_nested_virtualization() -> None:
    rows = run_all.nested_figures_missing("not measured: the SVM backend offers guests no nested virtualization")
    assert len(rows) == 6
    assert all(f.value is None and "SVM" in f.note for f in rows)
