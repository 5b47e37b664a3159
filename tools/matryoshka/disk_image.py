"""Raw disk images with an MBR partition table, for the VMs' IDE disks
(`vm start --disk`). The layout follows the classic PC master boot record as the
UEFI specification ("Legacy Master Boot Record (MBR)") and every BIOS describe it:
boot code in bytes 0-439, the disk signature at 440, four 16-byte partition
entries at 446 (status, CHS of the first sector, type, CHS of the last sector,
LBA of the first sector, number of sectors) and 0x55 0xAA at 510.

CHS fields use the usual translation of 255 heads and 63 sectors per track; an
address past cylinder 1023 is written as 0xFE 0xFF 0xFF (head 254, sector 63,
cylinder 1023), what partitioning tools write to say "use the LBA fields".
Images are written sparse: only the MBR and the data placed into the image are
written, the rest stays a hole of the build machine's file system."""
from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

SECTOR_SIZE = 512
HEADS = 255
SECTORS_PER_TRACK = 63
MAX_CHS_CYLINDER = 1023
CHS_OUT_OF_RANGE = b"\xfe\xff\xff"
PARTITION_TABLE_OFFSET = 446
ENTRY_SIZE = 16
MAX_PARTITIONS = 4
BOOT_SIGNATURE = b"\x55\xaa"
BOOTABLE = 0x80


@dataclass(frozen=True)
class Partition:
    type: int        # the partition type byte (0x83 Linux, 0x0C FAT32 LBA...), 1-255
    start: int       # first sector (LBA)
    sectors: int     # length in sectors
    bootable: bool = False

    @property
    def end(self) -> int:
        """The sector after the partition."""
        return self.start + self.sectors


@dataclass
class DiskImage:
    """What an image holds: its size, its partitions and the bytes placed at
    given byte offsets (everything else reads as zeros)."""
    size: int
    partitions: list[Partition] = field(default_factory=list)
    pieces: list[tuple[int, bytes]] = field(default_factory=list)

    def check(self) -> None:
        """Raises ValueError for an image that would be malformed."""
        if self.size <= 0 or self.size % SECTOR_SIZE:
            raise ValueError(f"the size {self.size} is not a positive multiple of {SECTOR_SIZE} bytes")
        if self.size // SECTOR_SIZE > 0xFFFFFFFF and self.partitions:
            raise ValueError("an MBR addresses at most 2^32 - 1 sectors")
        if len(self.partitions) > MAX_PARTITIONS:
            raise ValueError(f"an MBR has room for {MAX_PARTITIONS} partitions")
        total = self.size // SECTOR_SIZE
        for number, partition in enumerate(self.partitions, 1):
            if not 1 <= partition.type <= 0xFF:
                raise ValueError(f"partition {number}: type {partition.type:#x} is not 0x01-0xff")
            if partition.start < 1 or partition.sectors < 1 or partition.end > total:
                raise ValueError(f"partition {number}: sectors {partition.start}-{partition.end - 1} "
                                 f"do not fit between the MBR and the end of the disk (sector {total - 1})")
        ordered = sorted(self.partitions, key=lambda p: p.start)
        for before, after in zip(ordered, ordered[1:], strict=False):
            if after.start < before.end:
                raise ValueError(f"partitions at sectors {before.start} and {after.start} overlap")
        for offset, data in self.pieces:
            if offset < 0 or offset + len(data) > self.size:
                raise ValueError(f"{len(data)} bytes at offset {offset} do not fit in the image")

    def place(self, offset: int, data: bytes) -> None:
        """Puts `data` at byte `offset` (later pieces overwrite earlier ones)."""
        self.pieces.append((offset, data))

    def place_in_partition(self, number: int, data: bytes) -> None:
        """Puts `data` at the start of partition `number` (1-4), which must hold it."""
        if not 1 <= number <= len(self.partitions):
            raise ValueError(f"there is no partition {number}")
        partition = self.partitions[number - 1]
        if len(data) > partition.sectors * SECTOR_SIZE:
            raise ValueError(f"{len(data)} bytes do not fit in partition {number} "
                             f"({partition.sectors * SECTOR_SIZE} bytes)")
        self.place(partition.start * SECTOR_SIZE, data)

    def regions(self) -> list[tuple[int, bytes]]:
        """The non-zero parts in the order they are written: the MBR, then the pieces."""
        self.check()
        written: list[tuple[int, bytes]] = []
        if self.partitions:
            written.append((0, master_boot_record(self.partitions)))
        written.extend(self.pieces)
        return written

    def write(self, path: Path) -> None:
        """Writes the image sparse: truncated to its size, only the regions written."""
        regions = self.regions()
        with open(path, "wb") as image:
            image.truncate(self.size)
            for offset, data in regions:
                image.seek(offset)
                image.write(data)

    def sha256(self) -> str:
        """The SHA-256 of the image's bytes, without writing it."""
        digest = hashlib.sha256()
        content = bytearray(self.size) if self.size <= 1 << 30 else None
        if content is None:
            raise ValueError("images above 1 GiB are hashed from their file (file_sha256)")
        for offset, data in self.regions():
            content[offset:offset + len(data)] = data
        digest.update(content)
        return digest.hexdigest()


def chs(lba: int) -> bytes:
    """The 3-byte CHS field of an MBR entry for sector `lba`: head; sector (bits
    5-0) with cylinder bits 9-8 (bits 7-6); cylinder bits 7-0."""
    cylinder, rest = divmod(lba, HEADS * SECTORS_PER_TRACK)
    if cylinder > MAX_CHS_CYLINDER:
        return CHS_OUT_OF_RANGE
    head, sector_index = divmod(rest, SECTORS_PER_TRACK)
    sector = sector_index + 1
    return bytes([head, sector | (cylinder >> 2) & 0xC0, cylinder & 0xFF])


def partition_entry(partition: Partition) -> bytes:
    return (bytes([BOOTABLE if partition.bootable else 0]) + chs(partition.start) + bytes([partition.type])
            + chs(partition.end - 1) + struct.pack("<II", partition.start, partition.sectors))


def master_boot_record(partitions: list[Partition]) -> bytes:
    """Sector 0: no boot code, signature 0, the entries in the order given."""
    table = b"".join(partition_entry(p) for p in partitions)
    table += bytes(ENTRY_SIZE * (MAX_PARTITIONS - len(partitions)))
    return bytes(PARTITION_TABLE_OFFSET) + table + BOOT_SIGNATURE


def read_partitions(sector0: bytes) -> list[Partition]:
    """The used entries of an MBR (for tests and for checking images)."""
    if sector0[510:512] != BOOT_SIGNATURE:
        raise ValueError("no 0x55 0xAA boot signature")
    found = []
    for i in range(MAX_PARTITIONS):
        entry = sector0[PARTITION_TABLE_OFFSET + i * ENTRY_SIZE:PARTITION_TABLE_OFFSET + (i + 1) * ENTRY_SIZE]
        if entry[4] == 0:
            continue
        start, sectors = struct.unpack("<II", entry[8:16])
        found.append(Partition(entry[4], start, sectors, entry[0] == BOOTABLE))
    return found


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in pieces (holes read as zeros)."""
    digest = hashlib.sha256()
    with open(path, "rb") as image:
        while chunk := image.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def allocated_bytes(path: Path) -> int:
    """What the file occupies on the build machine's disk (to check sparseness)."""
    return os.stat(path).st_blocks * 512
