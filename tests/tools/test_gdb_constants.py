"""tools/gen_gdb_constants.py: the GDB helpers' layout constants are the kernel's own.
A C++ probe compiled against the real headers checks every generated value, so a
header the parser misreads, or a helper that kept a copy, fails here."""
from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest

import gen_gdb_constants

SOURCE_DIR = Path(__file__).resolve().parents[2]
GENERATOR = SOURCE_DIR / "tools" / "gen_gdb_constants.py"

# The C++ expression of each generated name (page_table_entry.h's are in namespace paging).
CPP_NAMES = {
    "DIRECT_MAP_BASE": "DIRECT_MAP_BASE",
    "DIRECT_MAP_SIZE": "DIRECT_MAP_SIZE",
    "KERNEL_VMA": "KERNEL_VMA",
    "PAGE_SIZE": "paging::PAGE_SIZE",
    "LARGE_PAGE_SIZE": "paging::LARGE_PAGE_SIZE",
    "ADDRESS_MASK": "paging::ADDRESS_MASK",
    "PRESENT_BIT": "paging::bit::PRESENT",
    "PAGE_SIZE_BIT": "paging::bit::LARGE",
}


def generate(tmp_path: Path) -> dict[str, int]:
    module = tmp_path / "matryoshka_layout.py"
    subprocess.run([sys.executable, str(GENERATOR), "--output", str(module)], check=True)
    values = runpy.run_path(str(module))
    return {name: value for name, value in values.items() if name.isupper() and isinstance(value, int)}


def test_generated_constants_equal_the_kernel_headers(tmp_path: Path) -> None:
    values = generate(tmp_path)
    assert set(values) == set(CPP_NAMES)
    probe = tmp_path / "probe.cpp"
    probe.write_text('#include "arch/x86_64/boot/layout.h"\n#include "arch/x86_64/page_table_entry.h"\n' + "".join(
        f"static_assert({CPP_NAMES[name]} == {value:#x}ull, \"{name}\");\n" for name, value in values.items()))
    subprocess.run(["g++", "-std=c++20", "-fsyntax-only", "-ffreestanding", "-I", str(SOURCE_DIR / "kernel"),
                    str(probe)], check=True)


def test_helpers_use_the_generated_module_of_the_build() -> None:
    # conftest.py built the tree, so the build's module exists; the helpers' constants are its values.
    from conftest import BUILD_DIR
    from test_gdb_walks import helpers
    built = runpy.run_path(str(BUILD_DIR / "generated" / "gdb" / "matryoshka_layout.py"))
    assert helpers.DIRECT_MAP_BASE == built["DIRECT_MAP_BASE"] == 0xFFFF800000000000
    assert helpers.ADDRESS_MASK == built["ADDRESS_MASK"]
    assert helpers.PAGE_SIZE_BIT == built["PAGE_SIZE_BIT"] == 1 << 7


def test_generator_refuses_a_value_it_cannot_read(tmp_path: Path) -> None:
    header = tmp_path / "layout.h"
    header.write_text("#define DIRECT_MAP_BASE (1ull << 47)\n")
    with pytest.raises(ValueError, match="DIRECT_MAP_BASE"):
        gen_gdb_constants.value_in(header, "DIRECT_MAP_BASE")
