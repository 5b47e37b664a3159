"""The disks of the IDE test guest (guests/ide.cpp, tests/system/test_ide.py): the
build writes them into build/disks/ (they go into the initrd as /disks/NAME), and
the test computes what they must hold once the guest has written its patterns.
The guest writes byte (lba * 13 + offset + seed) mod 256 at each offset of each
sector it writes; the same formula is in guests/ide.cpp.

  python3 tools/matryoshka/ide_test_disks.py OUTPUT_DIR
"""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matryoshka.disk_image import SECTOR_SIZE, DiskImage, Partition  # noqa: E402

# Primary master: 1 MiB with an MBR and one Linux partition from sector 64.
PRIMARY = "ide0.img"
PRIMARY_SECTORS = 2048
PRIMARY_PARTITION = Partition(0x83, 64, PRIMARY_SECTORS - 64)
# Secondary master, attached read-only: 64 KiB of pattern (seed 5).
READ_ONLY = "ide2.img"
READ_ONLY_SECTORS = 128
READ_ONLY_SEED = 5
# Secondary slave: 128 KiB of zeros that the guest overwrites with one command
# (sector count 0 = 256 sectors).
SECONDARY = "ide3.img"
SECONDARY_SECTORS = 256
# The quota VM's only disk: 256 KiB of holes, which its writes fill until its
# 16 KiB storage quota is used up.
HOLES = "ide4.img"
HOLES_SECTORS = 512

# What the guest writes: image -> [(first sector, sectors, seed)].
GUEST_WRITES: dict[str, list[tuple[int, int, int]]] = {
    PRIMARY: [(100, 4, 1), (200, 8, 2), (1008, 1, 3)],
    SECONDARY: [(0, 256, 4)],
}


def pattern(first_sector: int, sectors: int, seed: int) -> bytes:
    return bytes((lba * 13 + offset + seed) & 0xFF
                 for lba in range(first_sector, first_sector + sectors) for offset in range(SECTOR_SIZE))


def initial_images() -> dict[str, DiskImage]:
    read_only = DiskImage(READ_ONLY_SECTORS * SECTOR_SIZE)
    read_only.place(0, pattern(0, READ_ONLY_SECTORS, READ_ONLY_SEED))
    return {
        PRIMARY: DiskImage(PRIMARY_SECTORS * SECTOR_SIZE, [PRIMARY_PARTITION]),
        READ_ONLY: read_only,
        SECONDARY: DiskImage(SECONDARY_SECTORS * SECTOR_SIZE),
        HOLES: DiskImage(HOLES_SECTORS * SECTOR_SIZE),
    }


def expected_images() -> dict[str, DiskImage]:
    """The images after the guest ran: the initial ones plus its writes."""
    images = initial_images()
    for name, writes in GUEST_WRITES.items():
        for first, sectors, seed in writes:
            images[name].place(first * SECTOR_SIZE, pattern(first, sectors, seed))
    return images


def main(argv: list[str]) -> int:
    output = Path(argv[0])
    output.mkdir(parents=True, exist_ok=True)
    for name, image in initial_images().items():
        image.write(output / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
