"""Where things are in the source tree and in a build folder."""
from __future__ import annotations

from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parents[2]
DEFAULT_BUILD_DIR = SOURCE_DIR / "build"


def kernel_file(build_dir: Path) -> Path:
    return build_dir / "kernel.elf"


def initrd_file(build_dir: Path) -> Path:
    """The initial file system archive, once the build makes one."""
    return build_dir / "initrd.cpio"


def guest_file(build_dir: Path, name: str) -> Path:
    """A test guest (guests/NAME.cpp, docs/test-guests.md); /guests/NAME in the initrd."""
    return build_dir / "guests" / name
