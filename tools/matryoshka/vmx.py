"""The VMX constants of hypervisor/vmx/vmx_data.py for the Python tooling (the
C++ header generator, trace decoders, GDB helpers): loaded, checked and indexed.
Follows the Intel SDM (revision 084), Vol. 3C "VMREAD, VMWRITE, and Encodings of
VMCS Fields" for the meaning of an encoding's bits."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

DATA_FILE = Path(__file__).resolve().parents[2] / "hypervisor" / "vmx" / "vmx_data.py"

# Bits 14:13 of an encoding give the field's width, bits 11:10 its type.
WIDTH_BITS = {"16": 0, "64": 1, "32": 2, "natural": 3}
KIND_BITS = {"control": 0, "read_only": 1, "guest": 2, "host": 3}


@dataclass(frozen=True)
class VmcsField:
    name: str
    encoding: int
    description: str
    heading: str
    width: str  # "16", "32", "64" or "natural"
    kind: str  # "control", "read_only", "guest" or "host"


@dataclass(frozen=True)
class Numbered:
    """An exit reason, a VM-instruction error or a capability MSR."""

    number: int
    name: str
    text: str


@dataclass(frozen=True)
class ControlBit:
    bit: int
    name: str
    text: str


@dataclass(frozen=True)
class ControlWord:
    enum_name: str
    heading: str
    bits: tuple[ControlBit, ...]


class VmxData:
    """Everything in the data file, checked for consistency on load."""

    def __init__(self, module: ModuleType):
        self.sdm_revision: str = module.SDM_REVISION
        self.vmcs_fields = [VmcsField(name, encoding, text, heading, width, kind)
                            for heading, width, kind, fields in module.VMCS_FIELDS
                            for name, encoding, text in fields]
        self.vmcs_headings = [(heading, width, kind) for heading, width, kind, _ in module.VMCS_FIELDS]
        self.exit_reasons = [Numbered(*entry) for entry in module.EXIT_REASONS]
        self.vm_instruction_errors = [Numbered(*entry) for entry in module.VM_INSTRUCTION_ERRORS]
        self.capability_msrs = [Numbered(*entry) for entry in module.CAPABILITY_MSRS]
        self.control_words = [ControlWord(enum_name, heading, tuple(ControlBit(*bit) for bit in bits))
                              for enum_name, heading, bits in module.CONTROL_WORDS]
        check(self)
        self._fields_by_encoding = {f.encoding: f for f in self.vmcs_fields}
        self._fields_by_name = {f.name: f for f in self.vmcs_fields}
        self._exit_reasons = {r.number: r for r in self.exit_reasons}
        self._errors = {e.number: e for e in self.vm_instruction_errors}

    def vmcs_field(self, encoding: int) -> VmcsField | None:
        """The field of an encoding; the "high" half of a 64-bit field (encoding
        with bit 0 set) gives that 64-bit field."""
        return self._fields_by_encoding.get(encoding & ~1 if encoding & 1 else encoding)

    def vmcs_field_by_name(self, name: str) -> VmcsField:
        return self._fields_by_name[name]

    def exit_reason_name(self, exit_reason: int) -> str:
        """The SDM's name of the basic exit reason in bits 15:0, with "VM-entry
        failure" added when bit 31 is set."""
        reason = self._exit_reasons.get(exit_reason & 0xFFFF)
        text = reason.text if reason else f"unknown exit reason {exit_reason & 0xFFFF}"
        return f"{text} (VM-entry failure)" if exit_reason & (1 << 31) else text

    def exit_reason_short_name(self, exit_reason: int) -> str:
        """The enum name of the basic exit reason ("io_instruction"), as the
        kernel's tables and traces print it; "reason_N" for an unknown one."""
        reason = self._exit_reasons.get(exit_reason & 0xFFFF)
        return reason.name if reason else f"reason_{exit_reason & 0xFFFF}"

    def vm_instruction_error_text(self, number: int) -> str:
        error = self._errors.get(number)
        return error.text if error else f"unknown VM-instruction error {number}"


def check(data: VmxData) -> None:
    """Raises ValueError where the data contradicts the encoding rules or itself."""
    for field in data.vmcs_fields:
        if field.width not in WIDTH_BITS or field.kind not in KIND_BITS:
            raise ValueError(f"{field.heading}: unknown width {field.width!r} or kind {field.kind!r}")
        if (field.encoding >> 13) & 3 != WIDTH_BITS[field.width] or (field.encoding >> 10) & 3 != KIND_BITS[field.kind]:
            raise ValueError(f"{field.name} {field.encoding:#06x} does not belong under {field.heading!r}")
        if field.encoding & 1 or field.encoding & ~0x7FFF:
            raise ValueError(f"{field.name} {field.encoding:#06x}: access-type or reserved bits set")
    unique("VMCS field name", [f.name for f in data.vmcs_fields])
    unique("VMCS field encoding", [f.encoding for f in data.vmcs_fields])
    for what, entries in (("exit reason", data.exit_reasons), ("VM-instruction error", data.vm_instruction_errors),
                          ("capability MSR", data.capability_msrs)):
        unique(what + " number", [e.number for e in entries])
        unique(what + " name", [e.name for e in entries])
    unique("control word", [w.enum_name for w in data.control_words])
    for word in data.control_words:
        if any(not 0 <= b.bit < 32 for b in word.bits):
            raise ValueError(f"{word.enum_name}: a bit outside 0..31")
        unique(word.enum_name + " bit", [b.bit for b in word.bits])
        unique(word.enum_name + " name", [b.name for b in word.bits])


def unique(what: str, values: list[str] | list[int]) -> None:
    seen = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what}: {value!r}")
        seen.add(value)


def load(path: Path = DATA_FILE) -> VmxData:
    """Executes the data file (plain literals) as a module and checks it."""
    spec = importlib.util.spec_from_file_location("matryoshka_vmx_data", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return VmxData(module)
