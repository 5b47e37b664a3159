"""Bring your own kernel (issue #14): a student's Multiboot kernel, its modules
and disk images go into the host's file system (a copy of the build's initrd
with them under /byok/), and one `vm start --front` command line starts them as
a guest whose text screen is the host's VM console. tools/byok.py boots that in
Bochs with the screen on the terminal; the tests use the same pieces."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .cpio import Entry, read_archive, write_archive

GUEST_DIRECTORY = "byok"
REGULAR_FILE = 0o100644
DIRECTORY = 0o040755


@dataclass(frozen=True)
class Disk:
    """A disk image for `vm start --disk` (primary master first)."""
    path: Path
    read_only: bool = False

    @staticmethod
    def parse(text: str) -> Disk:
        """IMAGE or IMAGE,ro."""
        path, _, flag = text.partition(",")
        if flag not in ("", "ro"):
            raise ValueError(f"--disk {text}: after the comma only 'ro' (read-only) is allowed")
        return Disk(Path(path), flag == "ro")


@dataclass(frozen=True)
class GuestFiles:
    kernel: Path
    modules: tuple[Path, ...] = ()
    disks: tuple[Disk, ...] = ()

    def destinations(self) -> list[tuple[str, Path]]:
        """Where each file lies in the host's file system, and where it comes from.
        Names are kept (a kernel finds its modules by name) unless two collide."""
        taken: set[str] = set()
        placed: list[tuple[str, Path]] = []
        for source in (self.kernel, *self.modules, *(disk.path for disk in self.disks)):
            name = source.name
            while name in taken:
                name = "_" + name
            taken.add(name)
            placed.append((f"/{GUEST_DIRECTORY}/{name}", source))
        return placed


def vm_start_command(files: GuestFiles, memory_mib: int, append: str = "") -> str:
    """The host shell's command that starts the guest in front (its screen on the
    VM console, the keyboard its own)."""
    placed = files.destinations()
    kernel, rest = placed[0][0], placed[1:]
    modules = [dest for dest, _ in rest[:len(files.modules)]]
    disks = [dest for dest, _ in rest[len(files.modules):]]
    words = ["vm", "start", "--front", "--mem", str(memory_mib)]
    if append:
        words += ["--append", "'" + append.replace("'", "") + "'"]
    for dest, disk in zip(disks, files.disks, strict=True):
        words += ["--disk", dest + (",ro" if disk.read_only else "")]
    return " ".join(words + [kernel, *modules])


def make_initrd(base: Path, files: GuestFiles, output: Path) -> None:
    """`base` (the build's initrd) with the guest's files added under /byok/."""
    entries = [entry for entry in read_archive(base.read_bytes()) if entry.name != GUEST_DIRECTORY
               and not entry.name.startswith(GUEST_DIRECTORY + "/")]
    entries.append(Entry(GUEST_DIRECTORY, DIRECTORY))
    for dest, source in files.destinations():
        entries.append(Entry(dest.lstrip("/"), REGULAR_FILE, source.read_bytes()))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(write_archive(entries))

