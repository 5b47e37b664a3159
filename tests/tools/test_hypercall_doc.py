"""docs/hypercalls.md lists every register each hypercall and hypervisor CPUID leaf
returns: the registers hypervisor/hypercall/hypercall.cpp writes are read from its
source, so a leaf that starts returning one more register fails here until the
table says so."""
from __future__ import annotations

import re
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parents[2]
CODE = (SOURCE_DIR / "hypervisor" / "hypercall" / "hypercall.cpp").read_text()
DOC = (SOURCE_DIR / "docs" / "hypercalls.md").read_text()
REGISTERS = ("EAX", "EBX", "ECX", "EDX")


def doc_row(first_cells: str) -> str:
    """The table row that starts with `first_cells` ("| 0 | ping |")."""
    rows = [line for line in DOC.splitlines() if line.startswith(first_cells)]
    assert len(rows) == 1, f"docs/hypercalls.md has no single row {first_cells!r}"
    return rows[0]


def test_every_register_a_call_writes_is_in_its_row() -> None:
    switch = CODE[CODE.index("switch (number)"):]
    # Each case's body runs to the next case or default.
    cases = re.findall(r"case HYPERCALL_(\w+):(.*?)(?=\n\s*(?:case|default)\b)", switch, re.DOTALL)
    numbers = dict(re.findall(r"#define HYPERCALL_(\w+) (\d+)u",
                              (SOURCE_DIR / "abi" / "hypercall.h").read_text()))
    checked = 0
    for name, body in cases:
        written = sorted(set(re.findall(r"\br\.(r\w\w) =", body)))
        row = doc_row(f"| {numbers[name]} | {name.lower()} |")
        for register in written:
            assert f"{register.upper()} =" in row, f"{name} returns {register.upper()}: {row}"
        checked += bool(written)
    assert checked >= 3  # ping, print, test_report at least
    # The file calls return in RAX only, as their table's header says.
    assert "r.rax = file_call(" in CODE and "returns (in RAX; every other register is preserved)" in DOC


def test_every_register_a_cpuid_leaf_returns_is_in_its_row() -> None:
    leaf_function = CODE[CODE.index("bool hypervisor_cpuid_leaf"):CODE.index("HypercallOutcome handle_hypercall")]
    features = re.search(r"leaf == HYPERVISOR_CPUID_FEATURES\) \{\s*out = \{(.*?)\};", leaf_function, re.DOTALL)
    assert features is not None
    values = [value.strip() for value in features.group(1).split(",")]
    assert len(values) == len(REGISTERS)
    row = doc_row("| 3 | `CPUID` leaf `0x40000001` |")
    for register, value in zip(REGISTERS, values, strict=True):
        assert re.search(rf"\b{register}\b", row), f"leaf 0x40000001 returns {register} = {value}: {row}"
    assert "tsc_hz" in values[2] and "TSC frequency in kHz" in row
    assert doc_row("| - | `CPUID` leaves `0x40000002` to `0x4FFFFFFF` |").endswith("EAX = EBX = ECX = EDX = 0 |")
