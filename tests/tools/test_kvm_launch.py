"""`make kvm` (tools/matryoshka/emulators.py, kvm_problem): on an Intel host the
kernel gets nested VMX, on an AMD host nested SVM with nested paging, and when
something is missing the launcher says what, read from a fake /dev, /proc/cpuinfo
and /sys/module/kvm_*/parameters (this machine has no KVM to try)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from matryoshka import emulators  # noqa: E402

AMD_FLAGS = "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic svm lm npt nrip_save\n"
INTEL_FLAGS = ("flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic vmx ssse3\n"
               "vmx flags\t: vnmi preemption_timer invvpid ept_x_only ept vpid unrestricted_guest\n")


def fake_host(root: Path, cpuinfo: str, module: str | None, parameters: dict[str, str],
              dev_kvm: bool = True) -> Path:
    if dev_kvm:
        (root / "dev").mkdir()
        (root / "dev" / "kvm").write_text("")
    (root / "proc").mkdir()
    (root / "proc" / "cpuinfo").write_text("processor\t: 0\n" + cpuinfo)
    if module:
        folder = root / "sys" / "module" / module / "parameters"
        folder.mkdir(parents=True)
        for name, value in parameters.items():
            (folder / name).write_text(value + "\n")
    return root


@pytest.mark.parametrize("cpuinfo, module, parameters", [
    (AMD_FLAGS, "kvm_amd", {"nested": "1", "npt": "1"}),
    (AMD_FLAGS, "kvm_amd", {"nested": "Y"}),
    (INTEL_FLAGS, "kvm_intel", {"nested": "Y", "ept": "Y", "unrestricted_guest": "Y"}),
    # Linux before 5.9: no "vmx flags" line; the parameters decide.
    ("flags\t\t: fpu vmx\n", "kvm_intel", {"nested": "Y", "ept": "Y"}),
])
def test_kvm_runs_with_nested_virtualization_on(tmp_path: Path, cpuinfo: str, module: str,
                                                 parameters: dict[str, str]) -> None:
    assert emulators.kvm_problem(fake_host(tmp_path, cpuinfo, module, parameters)) is None


@pytest.mark.parametrize("cpuinfo, module, parameters, dev_kvm, says", [
    (AMD_FLAGS, "kvm_amd", {"nested": "1"}, False, "/dev/kvm does not exist"),
    ("flags\t\t: fpu lm\n", None, {}, True, "neither VMX nor SVM"),
    (AMD_FLAGS, None, {}, True, "kvm_amd is not loaded: modprobe kvm_amd"),
    (AMD_FLAGS, "kvm_amd", {"nested": "0", "npt": "1"}, True, "nested SVM is off"),
    (INTEL_FLAGS, "kvm_intel", {"nested": "N"}, True, "nested VMX is off"),
    (AMD_FLAGS.replace(" npt", ""), "kvm_amd", {"nested": "1"}, True, "lacks nested paging (NPT)"),
    (AMD_FLAGS, "kvm_amd", {"nested": "1", "npt": "0"}, True, "kvm_amd runs with npt=0"),
    (INTEL_FLAGS.replace(" unrestricted_guest", ""), "kvm_intel", {"nested": "Y"}, True,
     "lacks unrestricted guest"),
    (INTEL_FLAGS, "kvm_intel", {"nested": "Y", "ept": "N"}, True, "kvm_intel runs with ept=0"),
])
def test_kvm_says_what_is_missing(tmp_path: Path, cpuinfo: str, module: str | None, parameters: dict[str, str],
                                  dev_kvm: bool, says: str) -> None:
    problem = emulators.kvm_problem(fake_host(tmp_path, cpuinfo, module, parameters, dev_kvm))
    assert problem is not None and says in problem, problem


def test_kvm_command_refuses_to_start_without_nested_svm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The launcher asks kvm_problem() before it starts QEMU."""
    monkeypatch.setattr(emulators, "kvm_problem", lambda: "KVM's nested SVM is off")
    config = emulators.RunConfig(emulator="kvm", kernel=tmp_path / "kernel.elf")
    with pytest.raises(emulators.CannotRun, match="nested SVM is off"):
        emulators.qemu_command(config, tmp_path / "serial.log")
