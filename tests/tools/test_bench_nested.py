"""The nested-VMX rows of `make bench` (tools/bench/run_all.py, rows 9) from serial
logs shaped like the vmx_l2 guest's bench boots: cycles per operation from the
host's relayed guest lines only, each shadowed figure against the emulated one,
and the L2-boot row (and every row on QEMU) saying why it has no figure."""
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


def test_nested_rows_are_cycles_per_operation_against_their_baselines() -> None:
    rows = {f.key: f for f in run_all.nested_figures(SHADOWED, EMULATED, 9000.0)}
    assert rows["l2_cpuid_round_trip"].value == 190000
    assert rows["l2_cpuid_round_trip"].baseline == 9000.0
    assert rows["l2_cpuid_round_trip_no_shadow"].value == 100000
    # The guest's own line ("[vm1] ...", 1 cycle) is not taken for the host's.
    assert rows["l1_vmread_shadowed"].value == 6
    assert rows["l1_vmread_shadowed"].baseline == 2000
    assert rows["l1_vmwrite_shadowed"].ratio == pytest.approx(35 / 1400)


def test_l2_boot_row_says_why_it_has_no_figure() -> None:
    rows = {f.key: f for f in run_all.nested_figures(SHADOWED, EMULATED, 9000.0)}
    assert rows["l2_boot"].value is None
    assert rows["l2_boot"].note.startswith("not measured: ")
    results = run_all.Results(figures=[rows["l2_boot"]], exit_rates={"boot": {}, "idle": {}})
    table = run_all.markdown(results, "", "bochs")
    assert "not measured: our kernel does not boot as L2 yet" in table


def test_missing_nested_line_stops_the_bench_with_a_sentence() -> None:
    with pytest.raises(SystemExit, match="no vmwrite figure"):
        run_all.nested_figures(SHADOWED.replace("vmwrite", "other"), EMULATED, 9000.0)


def test_qemu_rows_say_svm_offers_no_nested_virtualization() -> None:
    rows = run_all.nested_figures_missing("not measured: the SVM backend offers guests no nested virtualization")
    assert len(rows) == 5
    assert all(f.value is None and "SVM" in f.note for f in rows)
