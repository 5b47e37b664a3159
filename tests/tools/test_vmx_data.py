"""tools/matryoshka/vmx.py and tools/gen_vmx.py: the VMX data file loads, is
consistent, and becomes the C++ header the kernel includes."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from matryoshka import vmx

SOURCE_DIR = Path(__file__).resolve().parents[2]


def test_data_file_loads_and_indexes_fields() -> None:
    data = vmx.load()
    rip = data.vmcs_field_by_name("guest_rip")
    assert (rip.encoding, rip.width, rip.kind) == (0x681E, "natural", "guest")
    full, high = data.vmcs_field(0x201A), data.vmcs_field(0x201B)
    assert full is not None and full.name == "ept_pointer"
    assert high is not None and high.name == "ept_pointer"  # the high half of a 64-bit field
    assert data.vmcs_field(0x1234) is None


def test_exit_reason_names_mark_entry_failures() -> None:
    data = vmx.load()
    assert data.exit_reason_name(48) == "EPT violation"
    assert data.exit_reason_name(0x80000021) == "VM-entry failure due to invalid guest state (VM-entry failure)"
    assert data.exit_reason_name(35) == "unknown exit reason 35"


def test_vm_instruction_error_texts() -> None:
    data = vmx.load()
    assert data.vm_instruction_error_text(8) == "VM entry with invalid host-state field(s)"
    assert data.vm_instruction_error_text(14) == "unknown VM-instruction error 14"


def test_check_rejects_a_field_under_the_wrong_heading(tmp_path: Path) -> None:
    text = (vmx.DATA_FILE.read_text()
            .replace('("guest_rip", 0x681E,', '("guest_rip", 0x481E,'))
    broken = tmp_path / "vmx_data.py"
    broken.write_text(text)
    with pytest.raises(ValueError, match="guest_rip"):
        vmx.load(broken)


def test_check_rejects_duplicate_control_bits(tmp_path: Path) -> None:
    text = vmx.DATA_FILE.read_text().replace('(3, "nmi_exiting"', '(0, "nmi_exiting"')
    broken = tmp_path / "vmx_data.py"
    broken.write_text(text)
    with pytest.raises(ValueError, match="PinBasedControl bit"):
        vmx.load(broken)


def test_generator_writes_a_header_that_compiles(tmp_path: Path) -> None:
    header = tmp_path / "vmx_constants.h"
    subprocess.run([sys.executable, str(SOURCE_DIR / "tools" / "gen_vmx.py"), "--output", str(header)], check=True)
    text = header.read_text()
    assert "guest_rip = 0x681e," in text
    assert "Intel SDM (revision 084)" in text
    probe = tmp_path / "probe.cpp"
    probe.write_text('#include "vmx_constants.h"\n'
                     'static_assert(uint32_t(vmx::VmcsField::guest_rip) == 0x681E);\n'
                     'static_assert(vmx::vmcs_field_name(vmx::VmcsField::guest_rip)[6] == \'R\');\n')
    # The same warnings as the kernel's build, which compiles the header with -Werror.
    subprocess.run(["g++", "-std=c++20", "-fsyntax-only", "-ffreestanding", "-Wall", "-Wextra", "-Werror",
                    "-I", str(tmp_path), str(probe)], check=True)


def test_assembler_header_matches_the_cpp_enum_and_assembles(tmp_path: Path) -> None:
    header, encodings = tmp_path / "vmx_constants.h", tmp_path / "vmcs_encodings.h"
    subprocess.run([sys.executable, str(SOURCE_DIR / "tools" / "gen_vmx.py"), "--output", str(header),
                    "--asm-output", str(encodings)], check=True)
    text = encodings.read_text()
    assert "#define VMCS_HOST_RSP 0x6c14" in text  # SDM Appendix B: host RSP
    assert "enum" not in text and "constexpr" not in text
    data = vmx.load()
    # Every #define equals the C++ enum's value (the generator writes both from one list).
    probe = tmp_path / "probe.cpp"
    probe.write_text('#include "vmcs_encodings.h"\n#include "vmx_constants.h"\n' + "".join(
        f"static_assert(VMCS_{f.name.upper()} == uint32_t(vmx::VmcsField::{f.name}));\n" for f in data.vmcs_fields))
    subprocess.run(["g++", "-std=c++20", "-fsyntax-only", "-ffreestanding", "-Wall", "-Wextra", "-Werror",
                    "-I", str(tmp_path), str(probe)], check=True)
    # The assembler takes it as vm_entry.S does.
    source = tmp_path / "probe.S"
    source.write_text('#include "vmcs_encodings.h"\n    mov $VMCS_HOST_RSP, %rax\n    vmwrite %rsp, %rax\n')
    subprocess.run(["gcc", "-c", "-I", str(tmp_path), str(source), "-o", str(tmp_path / "probe.o")], check=True)
