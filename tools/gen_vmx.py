#!/usr/bin/env python3
"""Generates the kernel's VMX constants header (scoped enums and name lookups) from
hypervisor/vmx/vmx_data.py, so C++ and the Python tooling share one source, and
the same VMCS encodings as plain #defines for the assembler (vm_entry.S).
The build runs it: tools/gen_vmx.py --output build/generated/hypervisor/vmx/vmx_constants.h
--asm-output build/generated/hypervisor/vmx/vmcs_encodings.h"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from matryoshka import vmx  # noqa: E402

WIDTH_ENUM = {"16": "bits16", "64": "bits64", "32": "bits32", "natural": "natural"}


def c_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def word_value_name(enum_name: str) -> str:
    """PrimaryProcessorControl -> primary_processor."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum_name.removesuffix("Control")).lower()


def name_switch(function: str, enum: str, entries: list[tuple[str, str]]) -> list[str]:
    """A constexpr function mapping each enum value to its text, nullptr for others."""
    lines = [f"constexpr const char* {function}({enum} value)", "{", "    switch (value) {"]
    lines += [f"    case {enum}::{name}: return {c_string(text)};" for name, text in entries]
    lines += ["    }", "    return nullptr;", "}", ""]
    return lines


def vmcs_section(data: vmx.VmxData) -> list[str]:
    lines = ["/* Appendix B, \"Field Encoding in VMCS\". A 64-bit field's high half is its",
             " * encoding + 1; only the full encodings are listed. VmcsEncoding is the plain",
             " * number, for tables walked at run time (the dump, the GDB stub); code names a",
             " * field as VmcsField::name, which also carries its width (below). */",
             "enum class VmcsEncoding : uint32_t {"]
    for heading, _, _ in data.vmcs_headings:
        lines.append(f"    /* {heading} */")
        lines += [f"    {f.name} = {f.encoding:#06x}," for f in data.vmcs_fields if f.heading == heading]
    lines += ["};", ""]
    lines += ["enum class VmcsFieldWidth : uint8_t { bits16 = 0, bits64 = 1, bits32 = 2, natural = 3 };",
              "enum class VmcsFieldKind : uint8_t { control = 0, read_only = 1, guest = 2, host = 3 };", "",
              "/* Bits 14:13 and 11:10 of the encoding (\"Structure of VMCS Component Encoding\"). */",
              "constexpr VmcsFieldWidth vmcs_field_width(VmcsEncoding field)",
              "{", "    return VmcsFieldWidth((uint32_t(field) >> 13) & 3);", "}",
              "constexpr VmcsFieldKind vmcs_field_kind(VmcsEncoding field)",
              "{", "    return VmcsFieldKind((uint32_t(field) >> 10) & 3);", "}",
              "",
              "/* A field whose width is part of its type, so that vmcs_read() returns a",
              " * value of that width and vmcs_write() refuses a wider one at compile time",
              " * (as NOVA's vmcs_t). Converts to its plain encoding where a table needs one. */",
              "template <VmcsFieldWidth Width> struct TypedVmcsField {",
              "    VmcsEncoding encoding;",
              "    constexpr operator VmcsEncoding() const { return encoding; }",
              "    constexpr explicit operator uint32_t() const { return uint32_t(encoding); }",
              "    constexpr explicit operator uint64_t() const { return uint64_t(encoding); }",
              "};",
              "using VmcsField16 = TypedVmcsField<VmcsFieldWidth::bits16>;",
              "using VmcsField32 = TypedVmcsField<VmcsFieldWidth::bits32>;",
              "using VmcsField64 = TypedVmcsField<VmcsFieldWidth::bits64>;",
              "using VmcsFieldNatural = TypedVmcsField<VmcsFieldWidth::natural>;",
              "",
              "/* Every field by name, its width taken from its encoding's bits 14:13. */",
              "struct VmcsField {"]
    lines += [f"    static constexpr TypedVmcsField<vmcs_field_width(VmcsEncoding::{f.name})> {f.name}"
              f"{{VmcsEncoding::{f.name}}};" for f in data.vmcs_fields]
    lines += ["};", ""]
    lines.append(f"constexpr unsigned VMCS_FIELD_COUNT = {len(data.vmcs_fields)};")
    lines.append("constexpr VmcsEncoding ALL_VMCS_FIELDS[VMCS_FIELD_COUNT] = {")
    lines += [f"    VmcsEncoding::{f.name}," for f in data.vmcs_fields]
    lines += ["};", ""]
    lines += ["/* The SDM's name of a field, nullptr for an encoding not listed. */"]
    lines += name_switch("vmcs_field_name", "VmcsEncoding", [(f.name, f.description) for f in data.vmcs_fields])
    return lines


def numbered_section(comment: str, enum: str, base: str, function: str, entries: list[vmx.Numbered],
                     hex_numbers: bool = False) -> list[str]:
    lines = [f"/* {comment} */", f"enum class {enum} : {base} {{"]
    lines += [f"    {e.name} = {e.number:#x}," if hex_numbers else f"    {e.name} = {e.number}," for e in entries]
    lines += ["};", ""]
    lines += name_switch(function, enum, [(e.name, e.text) for e in entries])
    return lines


def controls_section(data: vmx.VmxData) -> list[str]:
    lines = ["/* The 32-bit control words and the bits of each (values are masks). */",
             "enum class ControlWord : uint8_t {"]
    lines += [f"    {word_value_name(w.enum_name)}," for w in data.control_words]
    lines += ["};", ""]
    lines += name_switch("control_word_name", "ControlWord",
                         [(word_value_name(w.enum_name), w.heading) for w in data.control_words])
    for word in data.control_words:
        lines += [f"/* {word.heading} */", f"enum class {word.enum_name} : uint32_t {{"]
        lines += [f"    {b.name} = 1u << {b.bit}," for b in word.bits]
        lines += ["};", ""]
    lines += ["/* The SDM's name of bit `bit` of a control word, nullptr for a bit not listed. */",
              "constexpr const char* control_bit_name(ControlWord word, unsigned bit)", "{",
              "    switch (word) {"]
    for word in data.control_words:
        lines.append(f"    case ControlWord::{word_value_name(word.enum_name)}:")
        lines.append("        switch (bit) {")
        lines += [f"        case {b.bit}: return {c_string(b.text)};" for b in word.bits]
        lines += ["        }", "        return nullptr;"]
    lines += ["    }", "    return nullptr;", "}", "",
              "/* The mask of several bits of one control word: control_mask(SecondaryProcessorControl::ept, ...). */",
              "template <typename Control, typename... More>",
              "constexpr uint32_t control_mask(Control first, More... more)",
              "{", "    return (uint32_t(first) | ... | uint32_t(more));", "}", ""]
    return lines


def header(data: vmx.VmxData) -> str:
    lines = ["/* VMX constants: VMCS field encodings, exit reasons, VM-instruction errors,",
             " * capability MSRs and control bits, with their names.",
             f" * Follows the {data.sdm_revision}.",
             " * GENERATED by tools/gen_vmx.py from hypervisor/vmx/vmx_data.py: edit that file. */",
             "#pragma once", "#include <stdint.h>", "", "namespace vmx {", ""]
    lines += vmcs_section(data)
    lines += numbered_section("Appendix C, \"VMX Basic Exit Reasons\" (bits 15:0 of the exit-reason field).",
                              "ExitReason", "uint16_t", "exit_reason_name", data.exit_reasons)
    lines += ["/* Bits 15:0 of the exit-reason field; bit 31 says the VM entry failed. */",
              "constexpr ExitReason basic_exit_reason(uint32_t exit_reason_field)",
              "{", "    return ExitReason(exit_reason_field & 0xFFFF);", "}",
              "constexpr bool is_entry_failure(uint32_t exit_reason_field)",
              "{", "    return exit_reason_field & (1u << 31);", "}", "",
              "/* The enum value's own name (\"io_instruction\"), for tables and traces. */"]
    lines += name_switch("exit_reason_identifier", "ExitReason", [(e.name, e.name) for e in data.exit_reasons])
    lines += numbered_section("\"VM Instruction Error Numbers\" (the VM-instruction error field after VMfailValid).",
                              "VmInstructionError", "uint32_t", "vm_instruction_error_text", data.vm_instruction_errors)
    lines += numbered_section("Appendix A, \"VMX Capability Reporting Facility\": MSR addresses.",
                              "CapabilityMsr", "uint32_t", "capability_msr_name", data.capability_msrs,
                              hex_numbers=True)
    lines += controls_section(data)
    lines += ["} // namespace vmx", ""]
    return "\n".join(lines)


def asm_macro_name(field: vmx.VmcsField) -> str:
    """host_rsp -> VMCS_HOST_RSP."""
    return "VMCS_" + field.name.upper()


def asm_header(data: vmx.VmxData) -> str:
    """Every VMCS encoding as a #define: nothing but the preprocessor, so that an
    assembly file can include it. The C++ code uses the scoped enum instead;
    guest_registers.h static_asserts that the two agree where assembly uses one."""
    lines = ["/* VMCS field encodings for assembly, as plain #defines (Appendix B, \"Field",
             f" * Encoding in VMCS\", of the {data.sdm_revision}).",
             " * GENERATED by tools/gen_vmx.py from hypervisor/vmx/vmx_data.py: edit that file.",
             " * C++ uses vmx::VmcsField (typed by width) from vmx_constants.h. */",
             "#pragma once", ""]
    lines += [f"#define {asm_macro_name(f)} {f.encoding:#06x}" for f in data.vmcs_fields]
    lines.append("")
    return "\n".join(lines)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=vmx.DATA_FILE)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--asm-output", type=Path, help="also write the assembler's header of VMCS encodings")
    args = parser.parse_args()
    data = vmx.load(args.data)
    write(args.output, header(data))
    if args.asm_output:
        write(args.asm_output, asm_header(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
