"""Bootable GRUB ISO images for Bochs (and for people who burn them)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def grub_config(cmdline: str, modules: list[Path]) -> str:
    lines = [
        "set timeout=0",
        "set default=0",
        'menuentry "Matryoshka" {',
        f"  multiboot /boot/kernel.elf {cmdline}".rstrip(),
    ]
    lines += [f"  module /boot/{module.name} {module.name}" for module in modules]
    lines += ["  boot", "}", ""]
    return "\n".join(lines)


def make_iso(kernel: Path, cmdline: str, modules: list[Path], output: Path) -> Path:
    """Writes a BIOS-bootable GRUB ISO that boots `kernel` with `cmdline`."""
    if shutil.which("grub-mkrescue") is None:
        raise FileNotFoundError("grub-mkrescue not found: install grub-pc-bin, grub-common and xorriso")
    tree = output.parent / (output.stem + ".tree")
    shutil.rmtree(tree, ignore_errors=True)
    (tree / "boot" / "grub").mkdir(parents=True)
    shutil.copy(kernel, tree / "boot" / "kernel.elf")
    for module in modules:
        shutil.copy(module, tree / "boot" / module.name)
    (tree / "boot" / "grub" / "grub.cfg").write_text(grub_config(cmdline, modules))
    result = subprocess.run(
        ["grub-mkrescue", "-d", "/usr/lib/grub/i386-pc", "-o", str(output), str(tree)],
        capture_output=True, text=True)
    shutil.rmtree(tree, ignore_errors=True)
    if result.returncode != 0:
        raise RuntimeError(f"grub-mkrescue failed:\n{result.stderr}")
    return output
