"""GDB helpers for Matryoshka, loaded by the debug targets (tools/run.py --debug,
make debug for QEMU, make debug-bochs for Bochs and the kernel's own GDB stub,
kernel/debug/gdb_stub.h). In the manner of Linux's scripts/gdb: the walks are plain Python over
a "read 8 bytes of physical memory" function (unit-tested in
tests/tools/test_gdb_helpers.py), and the commands feed them from the halted
kernel through the direct map. VMX names come from hypervisor/vmx/vmx_data.py via
tools/matryoshka/vmx.py, the file the kernel's constants are generated from.

    mx-threads                     the Scheduler's threads (its all_threads_ list)
    mx-pagewalk [CR3] VADDR        a virtual address through 4-level paging (CR3 default:
                                   $cr3, or the kernel stub's `monitor cr`)
    mx-ept-walk EPTP GPA           a guest-physical address through EPT
    mx-guest-walk EPTP GCR3 GVA    a guest-virtual address through the guest's 4-level
                                   tables (read through EPT), then EPT
    mx-vmcs                        the current VMCS of the stopped CPU, read live with
                                   VMREAD through the kernel stub's `monitor vmread`; on a
                                   target without it (QEMU), the fields recorded at each
                                   VM's last exit
    mx-vmcs VM                     the fields recorded at VM's last exit (exit reason,
                                   qualification, guest RIP), by name
    mx-vmcs12 [VM]                 the VMX state of an L1 hypervisor (docs/nested.md): VMX
                                   operation, VMXON region, current VMCS12 and the fields
                                   of the host's cache of it, by name
    mx-vpic VM / mx-vpit VM        a VM's virtual 8259A pair and 8254
    mx-vmcb PHYS                   an SVM VMCB (its physical address: print
                                   ((svm::SvmVcpu*)VCPU)->vmcb_physical_), read through
                                   the direct map: the exit named from
                                   hypervisor/svm/svm_data.py, intercepts, the guest state

Intel SDM (revision 084), Vol. 3A "4-Level Paging and 5-Level Paging" and Vol. 3C
"EPT Translation Mechanism" give the entry formats; the AMD64 APM Vol. 2, Appendix B
"Layout of VMCB" the VMCB's offsets.
"""
from __future__ import annotations

import os
import re
import runpy
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matryoshka import svm, vmx  # noqa: E402

try:
    import gdb
except ImportError:
    IN_GDB = False
else:  # outside GDB (the unit tests), tools/gdb/ may pass for the module
    IN_GDB = hasattr(gdb, "Command")



def _build_dir() -> Path:
    """The build folder: the one the kernel GDB debugs lies in, else the tests'
    (MATRYOSHKA_BUILD_DIR, default build/ beside the sources)."""
    program = gdb.current_progspace().filename if IN_GDB else None
    if program:
        return Path(program).resolve().parent
    return Path(os.environ.get("MATRYOSHKA_BUILD_DIR", Path(__file__).resolve().parents[2] / "build"))


def _layout_constants() -> dict[str, int]:
    """The kernel's layout constants, generated from its headers by the build
    (tools/gen_gdb_constants.py, as Linux's constants.py.in): never a copy here."""
    path = _build_dir() / "generated" / "gdb" / "matryoshka_layout.py"
    if not path.exists():
        raise RuntimeError(f"{path} is missing: build the kernel first (make)")
    values: dict[str, object] = runpy.run_path(str(path))
    return {name: value for name, value in values.items() if name.isupper() and isinstance(value, int)}


_LAYOUT = _layout_constants()
DIRECT_MAP_BASE = _LAYOUT["DIRECT_MAP_BASE"]
ADDRESS_MASK = _LAYOUT["ADDRESS_MASK"]
PAGE_SIZE = _LAYOUT["PAGE_SIZE"]
PAGE_SIZE_BIT = _LAYOUT["PAGE_SIZE_BIT"]
LEVELS = ("PML4", "PDPT", "PD", "PT")

ReadPhysical = Callable[[int], int]  # physical address -> the 8-byte entry there


@dataclass(frozen=True)
class Step:
    level: str
    index: int
    entry_address: int  # physical
    entry: int


@dataclass(frozen=True)
class Walk:
    steps: tuple[Step, ...]
    physical: int | None  # None: not mapped
    page_size: int = 0
    fault: str = ""


def _index(address: int, level: int) -> int:
    return (address >> (39 - 9 * level)) & 0x1FF


def _walk(table: int, address: int, read: ReadPhysical, present: Callable[[int], bool], name: str) -> Walk:
    steps = []
    for level, level_name in enumerate(LEVELS):
        index = _index(address, level)
        entry_address = table + 8 * index
        entry = read(entry_address)
        steps.append(Step(f"{name}{level_name}", index, entry_address, entry))
        if not present(entry):
            return Walk(tuple(steps), None, fault=f"{level_name} entry {index} not present")
        if level in (1, 2) and entry & PAGE_SIZE_BIT:
            size = 1 << (39 - 9 * level)
            return Walk(tuple(steps), (entry & ADDRESS_MASK & ~(size - 1)) | (address & (size - 1)), size)
        table = entry & ADDRESS_MASK
    return Walk(tuple(steps), table | (address & (PAGE_SIZE - 1)), PAGE_SIZE)


def walk_page_table(cr3: int, virtual: int, read: ReadPhysical) -> Walk:
    """4-level paging: present is bit 0, PS bit 7 in PDPT and PD entries."""
    return _walk(cr3 & ADDRESS_MASK, virtual, read, lambda entry: bool(entry & 1), "")


def walk_ept(eptp: int, guest_physical: int, read: ReadPhysical) -> Walk:
    """EPT: an entry is present when any of read, write, execute (bits 2:0) is set."""
    return _walk(eptp & ADDRESS_MASK, guest_physical, read, lambda entry: bool(entry & 7), "EPT ")


def walk_guest(eptp: int, guest_cr3: int, guest_virtual: int, read: ReadPhysical) -> tuple[Walk, Walk | None]:
    """A guest-virtual address through the guest's 4-level tables, each table
    entry read at its guest-physical address through EPT, then the result through
    EPT. Returns (guest walk, EPT walk of the final address)."""
    def read_guest_physical(address: int) -> int:
        host = walk_ept(eptp, address, read)
        if host.physical is None:
            raise LookupError(f"guest-physical {address:#x} is not mapped by EPT ({host.fault})")
        return read(host.physical)

    guest = walk_page_table(guest_cr3, guest_virtual, read_guest_physical)
    return guest, (walk_ept(eptp, guest.physical, read) if guest.physical is not None else None)


def flags_text(entry: int) -> str:
    names = [(0, "P"), (1, "W"), (2, "U"), (5, "A"), (6, "D"), (7, "PS"), (63, "NX")]
    return " ".join(name for bit, name in names if entry >> bit & 1)


def describe(walk: Walk, address: int) -> list[str]:
    lines = [f"  {s.level:<9} [{s.index:3}] at {s.entry_address:#014x}: {s.entry:#018x}  {flags_text(s.entry)}"
             for s in walk.steps]
    if walk.physical is None:
        lines.append(f"  {address:#x}: not mapped ({walk.fault})")
    else:
        lines.append(f"  {address:#x} -> physical {walk.physical:#x} ({walk.page_size // 1024} KiB page)")
    return lines


# The fields the kernel keeps of every exit (hypervisor/vm/exit_statistics.h,
# ExitEvent), by the VMCS field they were read from.
EXIT_SHADOW_FIELDS = (("exit_reason", "reason"), ("exit_qualification", "qualification"), ("guest_rip", "guest_rip"))


# What mx-vmcs reads live, in this order: the exit, then the guest's state.
LIVE_FIELDS = ("exit_reason", "exit_qualification", "exit_instruction_length", "guest_physical_address",
               "vm_instruction_error", "guest_rip", "guest_rsp", "guest_rflags", "guest_cs_selector", "guest_cr0",
               "guest_cr3", "guest_cr4")
VMREAD_LINE = re.compile(r"^vmread (0x[0-9a-f]+) (?:= (0x[0-9a-f]+)|failed: (.*))$", re.MULTILINE)


def vmread_command(data: vmx.VmxData, names: tuple[str, ...] = LIVE_FIELDS) -> str:
    """The monitor command reading those fields, by the data file's encodings."""
    return "monitor vmread " + " ".join(f"{data.vmcs_field_by_name(name).encoding:#x}" for name in names)


def parse_vmread(text: str) -> dict[int, int | str]:
    """The stub's answer, one "vmread ENCODING = VALUE" (or "... failed: WHY") line
    per field: encoding -> value, or the reason as text. Empty when the target
    answered something else (no such monitor command: not our stub)."""
    return {int(m[1], 16): int(m[2], 16) if m[2] else m[3] for m in VMREAD_LINE.finditer(text)}


def describe_live_vmcs(values: dict[int, int | str], data: vmx.VmxData,
                       names: tuple[str, ...] = LIVE_FIELDS) -> list[str]:
    """The fields by name (from the data file), the exit reason decoded."""
    lines = []
    for name in names:
        field = data.vmcs_field_by_name(name)
        value = values.get(field.encoding, "not read")
        if isinstance(value, str):
            lines.append(f"  {field.name} ({field.encoding:#06x}, {field.description}): {value}")
            continue
        text = f"  {field.name} ({field.encoding:#06x}, {field.description}): {value:#x}"
        if name == "exit_reason":
            text += f" = {data.exit_reason_short_name(value)}: {data.exit_reason_name(value)}"
        elif name == "vm_instruction_error" and value:
            text += f" = {data.vm_instruction_error_text(value)}"
        lines.append(text)
    return lines


def describe_exit_shadow(values: dict[str, int], data: vmx.VmxData) -> list[str]:
    """The recorded VMCS fields by name (from the data file), the exit reason decoded."""
    lines = []
    for field_name, member in EXIT_SHADOW_FIELDS:
        field = data.vmcs_field_by_name(field_name)
        value = values[member]
        text = f"  {field.name} ({field.encoding:#06x}, {field.description}): {value:#x}"
        if field_name == "exit_reason":
            failure = 1 << 31 if values.get("entry_failure") else 0
            text += f" = {data.exit_reason_short_name(value)}: {data.exit_reason_name(value | failure)}"
        lines.append(text)
    return lines


# The VMCS12 cache holds its fields in the order of SUPPORTED_FIELDS in this
# source file (the region layout of docs/nested.md): read from there, never copied.
VMCS12_SOURCE = Path(__file__).resolve().parents[2] / "hypervisor" / "nested" / "vmcs12_fields.h"


def vmcs12_field_order(source: str, data: vmx.VmxData) -> list[vmx.VmcsField]:
    """The fields of a VMCS12 slot by slot, from the SUPPORTED_FIELDS table."""
    start = source.index("SUPPORTED_FIELDS[] = {")
    table = source[start:source.index("};", start)]
    return [data.vmcs_field_by_name(name) for name in re.findall(r"\bE::(\w+)", table)]


def describe_vmcs12(state: dict[str, int], values: list[int], order: list[vmx.VmcsField],
                    data: vmx.VmxData) -> list[str]:
    """L1's VMX state and the non-zero fields of its current VMCS12, by name."""
    none = 0xFFFFFFFFFFFFFFFF
    if not state["vmx_operation"]:
        return ["  not in VMX operation"]
    current = state["current_vmcs12"]
    lines = [f"  in VMX operation, VMXON region {state['vmxon_region']:#x}, in L2: {bool(state['in_l2'])}, "
             f"shadow VMCS linked: {bool(state['shadow_linked'])}"]
    if current == none:
        return lines + ["  no current VMCS12"]
    lines.append(f"  current VMCS12 at guest-physical {current:#x}, launch state "
                 f"{'launched' if state['launched'] else 'clear'}")
    zero = 0
    for field, value in zip(order, values, strict=True):
        if not value:
            zero += 1
            continue
        text = f"  {field.name} ({field.encoding:#06x}, {field.description}): {value:#x}"
        if field.name == "exit_reason":
            text += f" = {data.exit_reason_short_name(value & 0xFFFF)}"
        elif field.name == "vm_instruction_error":
            text += f" = {data.vm_instruction_error_text(value)}"
        lines.append(text)
    lines.append(f"  ({zero} other fields are 0)")
    return lines


# The VMCB words mx-vmcb shows (offset, name), AMD64 APM Vol. 2, Appendix B:
# the control area, then the state-save area from 0x400.
VMCB_CONTROL_WORDS = ((0x00C, "intercepts 3/4"), (0x040, "iopm_base"), (0x048, "msrpm_base"),
                      (0x058, "asid / tlb_control"), (0x060, "interrupt_control"), (0x068, "interrupt_shadow"),
                      (0x070, "exit_code"), (0x078, "exit_info1"), (0x080, "exit_info2"),
                      (0x088, "exit_interrupt_info"), (0x090, "nested_control"), (0x0A8, "event_injection"),
                      (0x0B0, "nested_cr3"))
VMCB_STATE_WORDS = ((0x4D0, "efer"), (0x548, "cr4"), (0x550, "cr3"), (0x558, "cr0"), (0x570, "rflags"),
                    (0x578, "rip"), (0x5D8, "rsp"), (0x5F8, "rax"), (0x640, "cr2"))


def describe_vmcb(read: ReadPhysical, vmcb: int, data: svm.SvmData) -> list[str]:
    """The VMCB at physical `vmcb`: control words, the exit code named, CS and
    the guest's registers."""
    lines = []
    for offset, name in VMCB_CONTROL_WORDS:
        value = read(vmcb + offset)
        text = f"  {offset:#05x} {name}: {value:#x}"
        if name == "exit_code":
            text += f" = {data.name(value)}"
        lines.append(text)
    cs = read(vmcb + 0x410)
    lines.append(f"  0x410 cs: selector {cs & 0xFFFF:#x} attributes {(cs >> 16) & 0xFFFF:#x} "
                 f"limit {cs >> 32:#x} base {read(vmcb + 0x418):#x}")
    cpl = (read(vmcb + 0x4C8) >> 24) & 0xFF
    lines.append(f"  0x4cb cpl: {cpl}")
    lines += [f"  {offset:#05x} {name}: {read(vmcb + offset):#x}" for offset, name in VMCB_STATE_WORDS]
    return lines


if IN_GDB:
    _VMX_DATA = vmx.load()
    _SVM_DATA = svm.load()

    def _read_physical(address: int) -> int:
        memory = gdb.selected_inferior().read_memory(DIRECT_MAP_BASE + address, 8)
        return int.from_bytes(bytes(memory), "little")

    def _number(text: str) -> int:
        return int(gdb.parse_and_eval(text)) & 0xFFFFFFFFFFFFFFFF

    def _monitor(command: str) -> str:
        """The output of a monitor command, "" when the target has none."""
        try:
            return gdb.execute(command, to_string=True) or ""
        except gdb.error:
            return ""

    def _cr3() -> int:
        """$cr3 where the target has control registers (QEMU), else the kernel
        stub's `monitor cr` (GDB's amd64 register set has no CR3)."""
        try:
            return _number("$cr3")
        except gdb.error:
            pass
        found = re.search(r"^cr3 = (0x[0-9a-f]+)$", _monitor("monitor cr"), re.MULTILINE)
        if not found:
            raise gdb.GdbError("no CR3 from this target: give it, mx-pagewalk CR3 VADDR")
        return int(found[1], 16)

    class Threads(gdb.Command):
        """mx-threads: every thread of the Scheduler (id, name, state, saved RSP)."""

        def __init__(self) -> None:
            super().__init__("mx-threads", gdb.COMMAND_USER)

        def invoke(self, argument: str, from_tty: bool) -> None:
            # The variable, not Scheduler::instance(): calling a function in the target
            # needs registers the kernel's own stub (make debug-bochs) does not let GDB
            # write, and the abandoned call leaves a frame that crashes the kernel once
            # GDB detaches.
            scheduler = gdb.parse_and_eval("'(anonymous namespace)::the_scheduler'")
            current = int(scheduler["current_"])
            thread = scheduler["all_threads_"]
            print(f"{'':2}{'id':>4} {'name':<20} {'state':<10} {'saved rsp':>18}")
            while int(thread) != 0:
                t = thread.dereference()
                mark = "*" if int(thread) == current else " "
                state = str(t["state_"]).split("::")[-1]
                print(f"{mark:2}{int(t['id_']):>4} {t['name_'].string():<20} {state:<10} {int(t['saved_rsp_']):#18x}")
                thread = t["all_next_"]

    class PageWalk(gdb.Command):
        """mx-pagewalk [CR3] VADDR: the walk of VADDR through the tables at CR3."""

        def __init__(self) -> None:
            super().__init__("mx-pagewalk", gdb.COMMAND_USER)

        def invoke(self, argument: str, from_tty: bool) -> None:
            words = gdb.string_to_argv(argument)
            if len(words) not in (1, 2):
                raise gdb.GdbError("usage: mx-pagewalk [CR3] VADDR")
            cr3 = _number(words[0]) if len(words) == 2 else _cr3()
            address = _number(words[-1])
            print(f"page walk of {address:#x} from CR3 {cr3:#x}:")
            print("\n".join(describe(walk_page_table(cr3, address, _read_physical), address)))

    class EptWalk(gdb.Command):
        """mx-ept-walk EPTP GPA: a guest-physical address through EPT."""

        def __init__(self) -> None:
            super().__init__("mx-ept-walk", gdb.COMMAND_USER)

        def invoke(self, argument: str, from_tty: bool) -> None:
            words = gdb.string_to_argv(argument)
            if len(words) != 2:
                raise gdb.GdbError("usage: mx-ept-walk EPTP GPA")
            address = _number(words[1])
            print("\n".join(describe(walk_ept(_number(words[0]), address, _read_physical), address)))

    class GuestWalk(gdb.Command):
        """mx-guest-walk EPTP GUEST_CR3 GVA: guest paging (through EPT), then EPT."""

        def __init__(self) -> None:
            super().__init__("mx-guest-walk", gdb.COMMAND_USER)

        def invoke(self, argument: str, from_tty: bool) -> None:
            words = gdb.string_to_argv(argument)
            if len(words) != 3:
                raise gdb.GdbError("usage: mx-guest-walk EPTP GUEST_CR3 GVA")
            address = _number(words[2])
            try:
                guest, ept = walk_guest(_number(words[0]), _number(words[1]), address, _read_physical)
            except LookupError as error:
                raise gdb.GdbError(str(error)) from error
            print("guest page tables:")
            print("\n".join(describe(guest, address)))
            if ept is not None and guest.physical is not None:
                print("EPT:")
                print("\n".join(describe(ept, guest.physical)))

    def _vms() -> list[gdb.Value]:
        slots = gdb.parse_and_eval("'vm_manager::(anonymous namespace)::slots'")
        low, high = slots.type.range()
        return [slots[i]["vm"] for i in range(low, high + 1) if int(slots[i]["vm"]) != 0]

    def _vm(argument: str) -> gdb.Value:
        for vm in _vms():
            if not argument or int(vm["id_"]) == int(argument):
                return vm
        raise gdb.GdbError(f"no VM {argument}" if argument else "no VMs")

    class Vmcs(gdb.Command):
        """mx-vmcs [VM]: the VMCS by name. Without VM: the current VMCS of the
        stopped CPU, read live with VMREAD through the kernel stub's `monitor
        vmread` (the VMCS is readable only by VMREAD); where that is not there
        (QEMU has no VMX, or no VMCS is current) and with VM: the fields the
        kernel recorded at each VM's (or VM's) last exit."""

        def __init__(self) -> None:
            super().__init__("mx-vmcs", gdb.COMMAND_USER)

        def invoke(self, argument: str, from_tty: bool) -> None:
            if not argument:
                answer = _monitor(vmread_command(_VMX_DATA))
                values = parse_vmread(answer)
                if values:
                    print("current VMCS (live VMREAD on the stopped CPU):")
                    print("\n".join(describe_live_vmcs(values, _VMX_DATA)))
                    return
                why = answer.strip().splitlines()[-1] if answer.strip() else "the target has no monitor vmread"
                print(f"no live VMCS ({why}); the fields recorded at each VM's last exit:")
            self.print_recorded(argument)

        @staticmethod
        def print_recorded(argument: str) -> None:
            vms = [_vm(argument)] if argument else _vms()
            if not vms:
                print("no VMs")
            for vm in vms:
                trace = vm["trace_"]
                recorded = int(trace["recorded_"])
                print(f"vm{int(vm['id_'])}: {recorded} exits")
                if recorded == 0:
                    continue
                events = trace["events_"]
                capacity = events.type.range()[1] + 1
                last = events[(recorded - 1) % capacity]
                values = {"reason": int(last["reason"]), "qualification": int(last["qualification"]),
                          "guest_rip": int(last["guest_rip"]), "entry_failure": bool(last["entry_failure"])}
                print("\n".join(describe_exit_shadow(values, _VMX_DATA)))

    class Vmcs12(gdb.Command):
        """mx-vmcs12 [VM]: an L1 hypervisor's VMX state and its current VMCS12 as
        the host caches it (hypervisor/nested/vmcs12.h); every VM without VM.
        The cache is what L1's next VMREAD answers, unless the shadow VMCS holds
        newer values (VMWRITEs since the last emulated VMX instruction)."""

        def __init__(self) -> None:
            super().__init__("mx-vmcs12", gdb.COMMAND_USER)

        def invoke(self, argument: str, from_tty: bool) -> None:
            slots = gdb.parse_and_eval("'vm_manager::(anonymous namespace)::slots'")
            low, high = slots.type.range()
            order = vmcs12_field_order(VMCS12_SOURCE.read_text(), _VMX_DATA)
            vcpu_type = gdb.lookup_type("vmx::VmxVcpu").pointer()
            shown = 0
            for i in range(low, high + 1):
                vm, vcpu = slots[i]["vm"], slots[i]["vcpu"]
                if int(vm) == 0 or int(vcpu) == 0 or (argument and int(vm["id_"]) != int(argument)):
                    continue
                nested = vcpu.cast(vcpu_type).dereference()["nested_"]
                cache = nested["vmcs12"]
                state = {name: int(nested[name]) for name in
                         ("vmx_operation", "vmxon_region", "current_vmcs12", "in_l2", "shadow_linked")}
                state["launched"] = int(cache["launched_"])
                values = [int(cache["values_"][slot]) & 0xFFFFFFFFFFFFFFFF for slot in range(len(order))]
                print(f"vm{int(vm['id_'])}:")
                print("\n".join(describe_vmcs12(state, values, order, _VMX_DATA)))
                shown += 1
            if not shown:
                print(f"no VM {argument} with a VMX vCPU" if argument else "no VMs with a VMX vCPU")

    class Vmcb(gdb.Command):
        """mx-vmcb PHYS: the SVM VMCB at physical address PHYS, by the APM's names."""

        def __init__(self) -> None:
            super().__init__("mx-vmcb", gdb.COMMAND_USER)

        def invoke(self, argument: str, from_tty: bool) -> None:
            if not argument:
                raise gdb.GdbError("mx-vmcb PHYS: give the VMCB's physical address")
            vmcb = _number(argument)
            print(f"VMCB at physical {vmcb:#x}:")
            print("\n".join(describe_vmcb(_read_physical, vmcb, _SVM_DATA)))

    class VirtualPic(gdb.Command):
        """mx-vpic VM: the virtual 8259A pair of VM (IRR, ISR, IMR, vector base)."""

        def __init__(self) -> None:
            super().__init__("mx-vpic", gdb.COMMAND_USER)

        def invoke(self, argument: str, from_tty: bool) -> None:
            pic = _vm(argument)["platform_"].dereference()["pic_"]
            for name in ("master_", "slave_"):
                chip = pic[name]
                print(f"{name[:-1]:<6} IRR {int(chip['irr_']):08b} ISR {int(chip['isr_']):08b} "
                      f"IMR {int(chip['imr_']):08b} vector base {int(chip['vector_base_']):#04x} "
                      f"auto-EOI {bool(chip['auto_eoi_'])}")

    class VirtualPit(gdb.Command):
        """mx-vpit VM: the virtual 8254's channels (mode, reload, gate, running)."""

        def __init__(self) -> None:
            super().__init__("mx-vpit", gdb.COMMAND_USER)

        def invoke(self, argument: str, from_tty: bool) -> None:
            channels = _vm(argument)["platform_"].dereference()["pit_"]["channels_"]
            for i in range(channels.type.range()[1] + 1):
                c = channels[i]
                reload = int(c["reload"])
                print(f"channel {i}: mode {int(c['mode'])}, reload {reload} ({1193182 / reload:.2f} Hz), "
                      f"gate {bool(c['gate'])}, running {bool(c['running'])}")

    for command in (Threads, PageWalk, EptWalk, GuestWalk, Vmcs, Vmcs12, Vmcb, VirtualPic, VirtualPit):
        command()
    print("matryoshka_gdb: mx-threads, mx-pagewalk, mx-ept-walk, mx-guest-walk, mx-vmcs, mx-vmcs12, mx-vpic, mx-vpit")
