"""The VMX exercise's milestones, in the order the lecture teaches them (docs/students.md).

Each milestone names the tests that show it done, as patterns on pytest node IDs
(re.search), like kvm-unit-tests' unittests.cfg: one declarative list the grader,
the test harness and the docs read. Milestones are cumulative: a test of milestone
k may need every milestone before k, so the grader reports the first unmet one.
A test that matches no milestone must pass in the exercise tree as it is handed out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Milestone:
    number: int
    slug: str
    title: str
    read: str  # what to read in the SDM (by section title) and the slides
    write: str  # what to write
    see: str  # how to see it work
    tests: tuple[str, ...]  # patterns on pytest node IDs
    points: int
    # Whether its stubs sit in code both backends run (hypervisor/vm, hypercall,
    # devices) rather than in hypervisor/vmx/ alone: then the SVM runs (qemu-svm) of
    # its tests need it too (tools/exercise.py check keeps this true).
    shared: bool = False


def in_kernel(test_set: str, name: str = r"\w+") -> str:
    """The runs of an in-kernel test and of its set (tests/system/test_kernel_tests.py);
    the QEMU (SVM) runs count for a shared milestone only (milestone_of)."""
    return (rf"test_kernel_tests\.py::test_in_kernel\[(?:bochs|qemu)-{test_set}\.{name}\]|"
            rf"test_kernel_tests\.py::test_set_ran_exactly_the_registered_tests\[{test_set}-(?:bochs|qemu)\]")


def unit(prefix: str) -> str:
    """The build machine's C++ unit tests whose names start with `prefix`."""
    return rf"test_unit_tests\.py::test_unit\[{prefix}\w*\]"


def guest(name: str) -> str:
    """A test guest's run (tests/system/test_hypervisor.py, docs/test-guests.md)."""
    return rf"test_hypervisor\.py::test_guest_ends_as_expected_and_host_carries_on\[{name}-bochs-vmx\]"


MILESTONES: tuple[Milestone, ...] = (
    Milestone(1, "vmxon", "VMX on and VMXON",
              "SDM Vol. 3C 'Discovering Support for VMX', 'Enabling and Entering VMX Operation'; "
              "slides 'VMX' (CPUID.1:ECX.VMX, CR4.VMXE, VMXON region)",
              "in hypervisor/vmx/vmx_support.cpp enter_vmx_operation: the fixed CR0/CR4 bits with CR4.VMXE, "
              "a VMXON region holding the VMCS revision from IA32_VMX_BASIC, VMXON",
              "the in-kernel set vmx passes in Bochs; the host log says '[host vmx] VMX on: VMCS revision ...'; "
              "in GDB: break enter_vmx_operation, finish, p/x $cr4 (bit 13, VMXE, set)",
              (in_kernel("vmx"),), 10),
    Milestone(2, "vmcs", "The VMCS",
              "SDM Vol. 3C 'Virtual Machine Control Structures', 'VM-Execution Control Fields', "
              "'VMX Capability Reporting Facility'; slides 'VMCS'",
              "in hypervisor/vmx/vmx_controls.cpp settle_controls: each control word from its capability MSR, "
              "(wanted | allowed0) & allowed1",
              "the vmx_controls unit tests pass; in GDB: break handle_cpuid, continue, mx-vmcs shows the "
              "control words you settled (docs/vmx-walkthrough.md)",
              (unit("vmx_controls"),), 10),
    Milestone(3, "ept", "EPT for guest RAM",
              "SDM Vol. 3C 'EPT Translation Mechanism', 'Format of the EPTP'; slides 'EPT' "
              "(unrestricted guest needs EPT before the first entry)",
              "in hypervisor/vmx/ept.cpp EptHierarchy::entry_for: walk from the PML4 to the level of the "
              "page, making missing tables",
              "the ept_* unit tests pass; in GDB at any exit: mx-ept-walk 0x100000 walks the guest-physical "
              "address through your tables to a host frame",
              # shadow_ept: nested EPT builds its shadow tables with the same encoder.
              (unit("ept_"), unit("shadow_ept_")), 10),
    Milestone(4, "exits", "VM exits: CPUID and VMCALL",
              "SDM Vol. 3C 'VM Exits', 'Basic VM-Exit Information'; Vol. 2A 'CPUID'; 'VMCALL'; "
              "slides 'VM Exit', 'CPUID Hypervisor'; docs/hypercalls.md",
              "in hypervisor/vmx/exit_handlers.cpp: handle_cpuid (the CPU model's answer, the hypervisor "
              "leaves at 0x40000000) and handle_vmcall (hand the registers to handle_hypercall)",
              "the cpuid and hypercall guests pass: '[host vmx] VM RESULT: vm1 stopped: guest powered off with "
              "status 0'; in GDB: break handle_cpuid, continue, mx-vmcs (exit_reason cpuid); boot with "
              "vm_trace=dump and tools/trace.py lists the exits",
              # gdb_helpers: GDB stops in handle_cpuid and reads the exit reason; the guest then ends.
              (guest("cpuid"), guest("hypercall"),
               r"test_gdb_helpers\.py::test_gdb_breaks_in_the_cpuid_exit_handler"), 10),
    Milestone(5, "halt", "HLT and the ends of a VM",
              "SDM Vol. 2A 'HLT'; Vol. 3C 'Triple Fault', 'VM Exits'",
              "in hypervisor/vmx/exit_handlers.cpp handle_hlt: sleep until the next device event, or end "
              "the VM as halted when interrupts are off; end it on a triple fault",
              "the hlt and triple_fault guests end as docs/test-guests.md says: 'VM RESULT: vm1 failed: triple "
              "fault at guest RIP ...'; in GDB: break handle_hlt, continue, mx-vmcs",
              (guest("hlt"), guest("triple_fault")), 10),
    Milestone(6, "io_msr", "I/O and MSR exits",
              "SDM Vol. 3C 'Exit Qualification for I/O Instructions', 'VM-Execution Control Fields' "
              "(I/O bitmaps, MSR bitmaps); slides 'I/O'",
              "in hypervisor/vmx/exit_handlers.cpp handle_io: decode the exit qualification and call the "
              "I/O bus",
              "the port_io, msr and platform guests pass; vm stats counts io_instruction exits; in GDB: "
              "break handle_io, continue, mx-vmcs (exit_qualification: port, size, direction)",
              (guest("port_io"), guest("msr"), guest("vmx_instruction"), guest("svm_instruction"),
               r"test_platform\.py", r"test_hypervisor\.py::test_msrs_the_guest_cpu_lacks",
               r"test_vm_console_string_io\.py"), 10),
    Milestone(7, "ept_violation", "EPT violations",
              "SDM Vol. 3C 'EPT Violations', 'Exit Qualification for EPT Violations'",
              "in hypervisor/vmx/exit_handlers.cpp handle_ept_violation: end the VM with the access and its "
              "guest-physical address",
              "the outside_ram guest ends with 'VM RESULT: vm1 failed: EPT violation: guest read at "
              "guest-physical ...'; in GDB: break handle_ept_violation, continue, mx-ept-walk on the "
              "address mx-vmcs shows in guest_physical_address",
              (guest("outside_ram"),), 10),
    Milestone(8, "interrupts", "External interrupts, the interrupt window and event injection",
              "SDM Vol. 3C 'Event Injection', 'Interrupt-Window Exiting', 'External-Interrupt "
              "Exiting'; slides 'Interrupts'",
              "in hypervisor/vmx/vmx_vcpu.cpp before_entry: inject the pending vector when the guest can "
              "take it, otherwise ask for an interrupt window",
              "the guest's timer runs: the guest_timer set in Bochs; vm stats shows interrupt_window exits; "
              "in GDB: break vmx::VmxVcpu::before_entry, continue, mx-vpic (the vector waiting)",
              # apic: its local APIC's timer and self-NMI reach the guest by injection.
              (in_kernel("guest_timer"), r"test_hypervisor\.py::test_guest_timer_interrupts", guest("apic")), 10),
    Milestone(9, "devices", "The virtual PC: PIC, PIT, keyboard and VGA",
              "the 8259A and 8254 datasheets, the PS/2 controller documentation, the VGA reference; "
              "slides 'Devices'",
              "the device models in hypervisor/devices/ (in the exercise: the VGA's CRT controller, "
              "VgaTextDevice::write_crtc)",
              "their unit tests pass; in GDB: mx-vpic and mx-vpit show the models' registers; once the guest "
              "runs in its own thread (milestone 11), vm screen shows its text and cursor",
              (unit("pic_"), unit("pit_"), unit("i8042_"), unit("vga_")), 10, shared=True),
    Milestone(10, "vfs", "File-system calls as hypercalls",
              "docs/hypercalls.md, docs/guest-read-walkthrough.md; slides 'Paravirtualization'",
              "in hypervisor/hypercall/hypercall.cpp file_call: serve the file hypercalls from the host's "
              "VFS (file_server.cpp checks every guest pointer, length and path)",
              "the pvfs and hostfs sets pass; a guest's ls shows the host's files and its log lines start "
              "'[vm1] '; in GDB: break file_call, continue, mx-guest-walk on the guest's buffer pointer",
              (in_kernel("pvfs"), in_kernel("hostfs"), in_kernel("guestconfine"), r"test_pvfs\.py",
               r"test_cpuid_vendor\.py::test_leaf_0",
               r"test_hypervisor\.py::test_own_kernel"), 10, shared=True),
    Milestone(11, "host_thread", "The guest as a host thread",
              "slides 'Scheduling'; hypervisor/vm/vm_manager.cpp (start, spawn_thread, vm_thread)",
              "run each VM in its own host thread, so that vm start returns at once and the host's "
              "threads share the CPU with the guest",
              "vm start returns at once with '[host vmx] vm1 started: ...'; ps lists the VM's thread; two "
              "guests run side by side; in GDB: mx-threads lists the VM's thread beside main and idle",
              # vmx_safety: two guests side by side, and host NMIs while a guest runs in its thread.
              (in_kernel("hypervisor"), in_kernel("vm_console"), in_kernel("fs_attack"), in_kernel("hostile"),
               in_kernel("vmx_safety"), in_kernel("confine"),
               r"test_hypervisor\.py::test_several_guests", r"test_multi_vm\.py",
               r"test_vm_(serial|shell|screen)\.py", r"test_confine\.py", r"test_vmstat\.py",
               r"test_hostile_guests\.py", r"test_exit_trace\.py", r"test_fs_attack\.py::test_guest",
               r"test_ide\.py", r"test_pvfs\.py::test_hostile_file_guests", r"test_soak\.py",
               # Later issues' tests that need the whole hypervisor running (session 5).
               r"test_exit_path\.py", r"test_nested\.py", r"test_nested_l2\.py", r"test_byok\.py",
               r"test_faultwalk\.py::test_guest_start",
               # Session 6: the console escape through attached VMs, `vm start --nested`.
               r"test_attach_escape\.py", r"test_nested_option\.py"), 10, shared=True),
)


# Tests that start a VM (or boot an in-kernel set from the hypervisor's sources) and
# yet belong to no milestone, each with why it passes in the exercise tree as handed
# out. tests/tools/test_exercise.py requires every such test to be in a milestone or
# here, so that a new VM test needing solution code cannot fail the exercise tree's
# run outside the milestones: put a new test in the milestone it needs last
# (docs/teachers.md, "Which milestone a test belongs to").
MILESTONE_FREE: tuple[tuple[str, str], ...] = (
    (r"test_exercise_tree\.py", "checks the exercise tree the solution writes; skipped in an exercise tree"),
    (r"test_cpuid_vendor\.py::test_a_vendor_that_is_neither", "the vm_vendor word is refused before a VM starts"),
    (r"test_faultwalk\.py::test_(host_fault_walk|fail_alloc)",
     "the host's own calls fail at an allocation; a VM start, where there is one, fails before VMX code runs"),
    (r"test_gdb_helpers\.py::test_gdb_helpers_list_threads", "the helpers in QEMU on the host kernel alone: no VM"),
    (r"test_fs_attack\.py::test_host_program", "the host's own program attacks its file system: no VM"),
    (r"test_guests_build\.py", "builds and reads the test guests' images: no VM"),
    (r"test_guests_without_hypervisor\.py", "the test guests on bare QEMU, without our hypervisor"),
    (r"test_hypervisor\.py::test_(bad_vm_requests|vm_numbers_on_the_command_line)",
     "the request is refused before a VM starts"),
    # SVM's runs of tests of milestones that stub hypervisor/vmx/ only.
    (r"test_hypervisor\.py::test_guest_ends_as_expected_and_host_carries_on\[\w+-qemu-svm\]",
     "a test guest alone on SVM, which is whole in every tree; none makes a file hypercall"),
    (r"test_hypervisor\.py::test_guest_timer_interrupts\w*\[qemu-svm\]",
     "our kernel alone on SVM, which is whole in every tree; its timer test makes no file hypercall"),
    (r"test_platform\.py::\w+\[qemu-svm\]", "a platform guest alone on SVM, which is whole in every tree"),
    (r"test_vm_console_string_io\.py::\w+\[qemu-svm\]", "the port_io guest alone on SVM, which is whole in every tree"),
    (in_kernel("devices"), "the host drives the device models itself, without a VM, and not the VGA's stubbed CRTC"),
    (r"test_kernel_tests\.py::test_set_ran_exactly_the_registered_tests\[vmx-qemu\]",
     "QEMU has no VMX: the vmx set's tests skip there, and are only counted"),
)


def free_reason(nodeid: str) -> str | None:
    """Why `nodeid`, a test that starts a VM, belongs to no milestone (None: no reason given)."""
    return next((reason for pattern, reason in MILESTONE_FREE if names(pattern, nodeid)), None)


def names(pattern: str, nodeid: str) -> bool:
    """Whether `pattern` (which starts at a test file's name) names `nodeid`, a
    node ID of tests/system or tests/unit."""
    return re.match(rf"tests/(?:system|unit)/(?:{pattern})", nodeid) is not None


# A test's run in QEMU, whose VMs run on SVM: a VM test's emulator parameter, or an
# in-kernel set's run (test_in_kernel[qemu-SET.NAME], test_set_ran_...[SET-qemu]).
SVM_RUN = re.compile(r"qemu-svm\]|test_kernel_tests\.py::\w+\[(?:qemu-|\w+-qemu\])")


def milestone_of(nodeid: str) -> Milestone | None:
    """The milestone whose tests include `nodeid`: the highest one that names it,
    since a test may need every milestone before its own. An SVM run (qemu-svm)
    belongs only to a shared milestone: the exercise stubs the VMX backend, and
    SVM's own code is whole in every tree, but the code both backends share
    (a VM's thread, the file hypercalls) is stubbed for both."""
    svm = SVM_RUN.search(nodeid) is not None
    found = None
    for milestone in MILESTONES:
        if svm and not milestone.shared:
            continue
        if any(names(pattern, nodeid) for pattern in milestone.tests):
            found = milestone
    return found


def by_number(number: int) -> Milestone:
    for milestone in MILESTONES:
        if milestone.number == number:
            return milestone
    raise KeyError(f"no milestone {number}: they are 1 to {len(MILESTONES)}")


def not_done_text(milestone: Milestone) -> str:
    """The words a stub prints, which a failing test of the milestone names."""
    return f"milestone {milestone.number} is not done yet"
