"""Command lines and configuration files for the three ways to run the kernel:
QEMU (TCG, fast, no VMX), QEMU with KVM (needs nested VMX on the user's Intel
machine) and Bochs (emulates VMX; see shared/reference/vmx-in-bochs.md)."""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

QEMU_DEBUG_EXIT = ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
GDB_PORT = 1234

# Bochs' CPU: Skylake-X has EPT, unrestricted guest, VPID, the preemption timer and
# VMCS shadowing. ips: with clock sync=none emulated time advances with the
# instruction count; 50 million instructions per emulated second keeps a 1 kHz timer
# tick at 50,000 instructions, cheap enough for the guests' ticks, and the BIOS and
# GRUB waits short in wall time.
BOCHS_CPU_MODEL = "corei7_skylake_x"
BOCHS_IPS = 50_000_000

# QEMU with deterministic instruction counting (docs: "-icount" in qemu(1)): each
# guest instruction advances QEMU's virtual clock by 2**shift ns, and the TSC,
# the PIT and the timers all follow that clock, so figures in TSC cycles and
# timer rates repeat from run to run like Bochs' (sync=none). shift=4: 62.5
# million instructions per emulated second, near Bochs' 50 million, so a 1 kHz
# tick costs about as many instructions in both. sleep=off: an idle CPU jumps
# to its next timer instead of waiting in real time. The kernel measures the
# TSC at 1000 MHz then (one tick per virtual nanosecond).
QEMU_ICOUNT_SHIFT = 4
QEMU_ICOUNT = ["-icount", f"shift={QEMU_ICOUNT_SHIFT},sleep=off"]

@dataclass
class RunConfig:
    emulator: str = "qemu"  # qemu, kvm or bochs
    kernel: Path = Path("kernel.elf")
    cmdline: str = ""
    modules: list[Path] = field(default_factory=list)
    memory_mib: int = 256
    headless: bool = True
    timeout: float | None = None
    debug: bool = False
    work_dir: Path = Path(".")
    interactive: bool = False  # serial on this terminal, typed input reaches the kernel
    bochs_cpu_model: str = BOCHS_CPU_MODEL
    qemu_extra: list[str] = field(default_factory=list)  # more QEMU arguments, e.g. -icount
    # COM1 connects to this TCP port on 127.0.0.1, where the runner listens to type
    # into it (serial_input.SerialTyper); QEMU still logs COM1's output to a file.
    serial_port: int | None = None
    # Bochs only: COM2 listens on this TCP port for GDB, which talks to the
    # kernel's own GDB stub there (kernel command line gdb=com2).
    gdb_port: int | None = None
    # Bochs with the term display only: a terminal (file descriptor, raw mode)
    # that shows Bochs' screen and whose keys Bochs' keyboard presses (byok).
    display_terminal: int | None = None


class CannotRun(Exception):
    """The emulator or a feature it needs is missing here; the message says what."""


def require_program(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CannotRun(f"{name} not found: install the Debian package {package}")
    return path


def cpu_flags(cpuinfo: str) -> set[str]:
    """The first CPU's flags in /proc/cpuinfo, with its "vmx flags" line (Linux 5.9
    and later list EPT and unrestricted guest there)."""
    flags: set[str] = set()
    for key in ("flags", "vmx flags"):
        lines = re.findall(rf"^{key}\s*:(.*)$", cpuinfo, re.MULTILINE)
        if lines:
            flags |= set(lines[0].split())
    return flags


def host_virtualization(cpuinfo: str) -> str | None:
    """"vmx" (Intel VT-x) or "svm" (AMD-V) by /proc/cpuinfo's flags, None for neither."""
    flags = cpu_flags(cpuinfo)
    return "vmx" if "vmx" in flags else "svm" if "svm" in flags else None


# What each backend needs of the CPU KVM gives the kernel, by the host's
# /proc/cpuinfo flag and the KVM module parameter that passes it on to a guest:
# the VMX backend runs guests on EPT in unrestricted-guest mode
# (hypervisor/vmx/), the SVM backend on nested paging (hypervisor/svm/svm_support.cpp).
NESTED_FEATURES = {
    "vmx": [("ept", "ept", "EPT"), ("unrestricted_guest", "unrestricted_guest", "unrestricted guest")],
    "svm": [("npt", "npt", "nested paging (NPT)")],
}


def is_on(parameter: str) -> bool:
    return parameter.strip() in ("Y", "y", "1")


def kvm_problem(root: Path = Path("/")) -> str | None:
    """Why `make kvm` cannot work on this machine, or None when it can. On an
    Intel host the kernel gets nested VMX, on an AMD host nested SVM (kvm_amd's
    nested=1), and the kernel picks its backend by what it finds. `root`: where
    /dev, /proc and /sys are (a fake tree in the tests)."""
    dev_kvm = root / "dev" / "kvm"
    if not dev_kvm.exists():
        return "/dev/kvm does not exist: this machine has no KVM (load kvm_intel or kvm_amd)"
    if not os.access(dev_kvm, os.R_OK | os.W_OK):
        return "/dev/kvm is not accessible: add yourself to the kvm group"
    try:
        cpuinfo = (root / "proc" / "cpuinfo").read_text()
    except OSError:
        cpuinfo = ""
    backend = host_virtualization(cpuinfo)
    if backend is None:
        return ("the CPU offers neither VMX nor SVM (flags vmx and svm missing in /proc/cpuinfo): the hypervisor "
                "needs Intel VT-x or AMD-V")
    module = "kvm_intel" if backend == "vmx" else "kvm_amd"
    parameters = root / "sys" / "module" / module / "parameters"
    if not parameters.parent.exists():
        return f"the module {module} is not loaded: modprobe {module}"

    def parameter(name: str) -> str | None:
        try:
            return (parameters / name).read_text()
        except OSError:
            return None

    nested = parameter("nested")
    if nested is not None and not is_on(nested):
        return (f"KVM's nested {backend.upper()} is off: echo 'options {module} nested=1' > /etc/modprobe.d/kvm.conf"
                f" and reload {module}")
    flags = cpu_flags(cpuinfo)
    # Linux before 5.9 lists no VMX features (no "vmx flags" line): then only
    # KVM's parameters tell.
    lists_features = backend == "svm" or re.search(r"^vmx flags\s*:", cpuinfo, re.MULTILINE) is not None
    for flag, name, text in NESTED_FEATURES[backend]:
        if lists_features and flag not in flags:
            return (f"the CPU's {backend.upper()} lacks {text} (flag {flag} missing in /proc/cpuinfo): the "
                    f"hypervisor's {backend.upper()} backend needs it")
        value = parameter(name)
        if value is not None and not is_on(value):
            return (f"{module} runs with {name}=0, so its guests get no {text}: reload {module} with {name}=1")
    return None


def qemu_command(config: RunConfig, serial_log: Path) -> list[str]:
    """With config.serial_port, COM1 connects to that TCP port (so a test can type
    into it) and its output still goes to `serial_log`."""
    qemu = require_program("qemu-system-x86_64", "qemu-system-x86")
    # QEMU's Multiboot loader puts the kernel's path before the command line, and
    # the kernel keeps 256 bytes of it: the shorter spelling leaves more for ours.
    kernel = min(str(config.kernel), os.path.relpath(config.kernel), key=len)
    command = [qemu, "-m", f"{config.memory_mib}M", "-no-reboot", *QEMU_DEBUG_EXIT,
               "-kernel", kernel, "-append", config.cmdline]
    if config.modules:
        command += ["-initrd", ",".join(str(m) for m in config.modules)]
    if config.emulator == "kvm":
        problem = kvm_problem()
        if problem:
            raise CannotRun(problem)
        # -cpu host passes the host's VMX (Intel) or SVM with NPT (AMD, nested=1)
        # on to the kernel, which picks its backend from CPUID.
        command += ["-enable-kvm", "-cpu", "host"]
    else:
        # TCG's "max" CPU offers AMD SVM with nested paging (no NRIP save, no
        # decode assists): the kernel's SVM backend runs guests here.
        command += ["-cpu", "max"]
    if config.serial_port is not None:
        command += ["-chardev", f"socket,id=com1,host=127.0.0.1,port={config.serial_port},server=off,"
                    f"logfile={serial_log}", "-serial", "chardev:com1"]
    elif config.interactive:
        command += ["-chardev", f"stdio,id=console,mux=on,signal=off,logfile={serial_log}",
                    "-serial", "chardev:console"]
    else:
        command += ["-serial", f"file:{serial_log}"]
    if config.headless:
        command += ["-display", "none"]
    if config.debug:
        command += ["-gdb", f"tcp::{GDB_PORT}", "-S"]
    return command + config.qemu_extra


def bochs_display_library(config: RunConfig) -> str:
    """term (text on the launcher's pseudo-terminal, bochs_display) without a
    window, x with one."""
    return "term" if config.headless or not os.environ.get("DISPLAY") else "x"


def bochs_config(config: RunConfig, iso: Path, serial_log: Path, bochs_log: Path) -> str:
    display = bochs_display_library(config)
    return "\n".join([
        f"megs: {config.memory_mib}",
        f"cpu: model={config.bochs_cpu_model}, ips={BOCHS_IPS}, reset_on_triple_fault=0, ignore_bad_msrs=0",
        "clock: sync=none, time0=1",
        "romimage: file=/usr/share/bochs/BIOS-bochs-latest",
        "vgaromimage: file=/usr/share/vgabios/vgabios.bin",
        # The display redraws on emulated time, not the host's: with sync=none an
        # emulated second can pass in a few milliseconds (a guest's idle sleep),
        # and a run's last screen would otherwise depend on how busy the host was.
        "vga: update_freq=10, realtime=0",
        f"ata0-master: type=cdrom, path={iso}, status=inserted",
        "boot: cdrom",
        (f"com1: enabled=1, mode=socket-client, dev=localhost:{config.serial_port}"
         if config.serial_port else f"com1: enabled=1, mode=file, dev={serial_log}"),
        # Bochs waits at start until GDB connects ("socket-server" in bochsrc(5)).
        (f"com2: enabled=1, mode=socket-server, dev=localhost:{config.gdb_port}" if config.gdb_port else ""),
        "port_e9_hack: enabled=1",
        "magic_break: enabled=1",
        "panic: action=fatal",
        "error: action=report",
        f"log: {bochs_log}",
        f"display_library: {display}",
        "",
    ])


def bochs_command(bochsrc: Path, debugger_commands: Path) -> list[str]:
    bochs = require_program("bochs-bin", "bochs")
    for needed in ("/usr/share/bochs/BIOS-bochs-latest", "/usr/share/vgabios/vgabios.bin"):
        if not os.path.exists(needed):
            raise CannotRun(f"{needed} missing: install the Debian packages bochsbios and vgabios")
    # Debian's Bochs stops at its debugger prompt first; the command file lets it
    # run and quit without ever waiting for input.
    return [bochs, "-q", "-f", str(bochsrc), "-rc", str(debugger_commands)]
