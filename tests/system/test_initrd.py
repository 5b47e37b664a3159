"""The initial file system at boot: the boot loader passes build/initrd.cpio as a
module (QEMU's -initrd, GRUB's module line in Bochs), and the kernel reports
unpacking exactly what the archive holds."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import POWER_OFF_AT_PROMPT, Booter, explain
from matryoshka.cpio import read_archive


@pytest.mark.parametrize("emulator", ["qemu", "bochs"])
def test_kernel_unpacks_the_whole_initrd_module(boot: Booter, build_dir: Path, emulator: str) -> None:
    entries = read_archive((build_dir / "initrd.cpio").read_bytes())
    files = [entry for entry in entries if not entry.is_directory]
    directories = [entry for entry in entries if entry.is_directory]
    result = boot(emulator, "hello=world", serial_input=POWER_OFF_AT_PROMPT)
    assert any(line.startswith("module 0:") and "initrd.cpio" in line for line in result.host_lines("boot")), \
        explain(result)
    expected = (f"initrd: unpacked {len(files)} files ({sum(len(entry.data) for entry in files)} bytes) "
                f"and {len(directories)} directories from module 0, 0 entries skipped")
    fs_lines = result.host_lines("fs")
    assert expected in fs_lines, explain(result)
    # ramfs lists names in creation order, which is the archive's order.
    top_level = [entry.name + ("/" if entry.is_directory else "") for entry in entries if "/" not in entry.name]
    assert "/: " + " ".join(top_level) in fs_lines, explain(result)
