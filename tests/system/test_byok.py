"""Bring your own kernel (issue #14, tools/byok.py): the guest's files go into
the host's initrd under /byok/, and a mostly empty disk image there costs the
host little memory: its zero pages stay holes in the ramfs and the initrd
module's pages go back to the PageManager after unpacking. Two QEMU boots, with
and without a 128 MiB image holding 2 MiB of data, compare the free pages the
host reports after unpacking."""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from conftest import BUILD_DIR, POWER_OFF_AT_PROMPT, explain
from matryoshka import byok, paths, runner
from matryoshka.disk_image import DiskImage, Partition
from matryoshka.emulators import RunConfig
from matryoshka.verdict import RunResult

MIB = 1 << 20
PAGE = 4096
IMAGE_SIZE = 128 * MIB
FREE_AFTER_UNPACK = re.compile(r"initrd: module 0's (?P<returned>\d+) pages given back to the PageManager; "
                               r"(?P<free>\d+) pages free")


def boot_with(files: byok.GuestFiles, work: Path) -> RunResult:
    initrd = work / "initrd.cpio"
    byok.make_initrd(paths.initrd_file(BUILD_DIR), files, initrd)
    config = RunConfig(emulator="qemu", kernel=paths.kernel_file(BUILD_DIR), modules=[initrd], memory_mib=512,
                       headless=True, timeout=90, work_dir=work / "run")
    return runner.run(config, serial_input=POWER_OFF_AT_PROMPT)


def free_pages(result: RunResult) -> tuple[int, int]:
    for line in result.host_lines("fs"):
        if m := FREE_AFTER_UNPACK.search(line):
            return int(m["free"]), int(m["returned"])
    raise AssertionError("no free-pages line after unpacking\n" + explain(result))


def unpacked_bytes(result: RunResult) -> int:
    for line in result.host_lines("fs"):
        if m := re.search(r"initrd: unpacked \d+ files \((\d+) bytes\)", line):
            return int(m.group(1))
    raise AssertionError("no unpacking line\n" + explain(result))


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("byok") / "disk.img"
    noise = random.Random(14)
    # Made as users make theirs (tools/mkdisk.py's library): an MBR with one
    # partition over the whole disk, 2 MiB of data, the rest holes.
    disk = DiskImage(IMAGE_SIZE, [Partition(0x83, 2048, IMAGE_SIZE // 512 - 2048)])
    disk.place_in_partition(1, noise.randbytes(MIB))
    disk.place(64 * MIB + 512, noise.randbytes(MIB - 512))
    disk.place(IMAGE_SIZE - 512, b"\x55\xaa" * 256)
    disk.write(path)
    return path


def test_mostly_empty_disk_image_costs_the_host_at_most_4_mib(image: Path, tmp_path: Path) -> None:
    kernel = BUILD_DIR / "kernel.x"
    without = boot_with(byok.GuestFiles(kernel), tmp_path / "without")
    with_image = boot_with(byok.GuestFiles(kernel, disks=(byok.Disk(image),)), tmp_path / "with")
    free_without, _ = free_pages(without)
    free_with, returned = free_pages(with_image)
    # The whole module came back: the archive is larger than the image.
    assert returned * PAGE >= IMAGE_SIZE, explain(with_image)
    assert free_without - free_with <= 4 * MIB // PAGE, (free_without, free_with, explain(with_image))
    # Every byte of the image is in the file system (holes read as zeros).
    assert unpacked_bytes(with_image) - unpacked_bytes(without) == IMAGE_SIZE, explain(with_image)


def test_vm_start_command_places_files_under_byok(image: Path) -> None:
    files = byok.GuestFiles(Path("/x/kernel.x"), (Path("/y/debug.mod"), Path("/z/kernel.x")),
                            (byok.Disk(image), byok.Disk.parse("/w/other.img,ro")))
    assert byok.vm_start_command(files, 64, "quiet") == (
        "vm start --front --mem 64 --append 'quiet' --disk /byok/disk.img --disk /byok/other.img,ro "
        "/byok/kernel.x /byok/debug.mod /byok/_kernel.x")
    with pytest.raises(ValueError):
        byok.Disk.parse("a.img,rw")
