"""tools/mkdisk.py and tools/matryoshka/disk_image.py: MBR-partitioned raw disk
images, checked byte by byte against the MBR layout, for sparseness and for the
hash the IDE system test compares with."""
from __future__ import annotations

import hashlib
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from matryoshka.disk_image import (
    CHS_OUT_OF_RANGE,
    DiskImage,
    Partition,
    allocated_bytes,
    chs,
    file_sha256,
    master_boot_record,
    read_partitions,
)

MKDISK = Path(__file__).resolve().parents[2] / "tools" / "mkdisk.py"


def mkdisk(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(MKDISK), *arguments], capture_output=True, text=True)


def test_chs_fields_use_255_heads_63_sectors() -> None:
    assert chs(0) == bytes([0, 1, 0])
    assert chs(62) == bytes([0, 63, 0])
    assert chs(63) == bytes([1, 1, 0])
    assert chs(2048) == bytes([32, 33, 0])  # what fdisk writes for the usual first partition
    # Cylinder 300 = 0x12C: bits 9-8 go to the sector byte's top bits.
    lba = 300 * 255 * 63 + 5 * 63 + 9
    assert chs(lba) == bytes([5, 10 | 0x40, 0x2C])
    last = 1024 * 255 * 63 - 1  # cylinder 1023, head 254, sector 63
    assert chs(last) == bytes([254, 63 | 0xC0, 0xFF])
    assert chs(last + 1) == CHS_OUT_OF_RANGE == b"\xfe\xff\xff"


def test_master_boot_record_layout() -> None:
    sector = master_boot_record([Partition(0x83, 2048, 4096, bootable=True), Partition(0x0C, 6144, 100)])
    assert len(sector) == 512
    assert sector[:446] == bytes(446)
    first = sector[446:462]
    assert first[0] == 0x80
    assert first[1:4] == chs(2048)
    assert first[4] == 0x83
    assert first[5:8] == chs(6143)
    assert struct.unpack("<II", first[8:16]) == (2048, 4096)
    second = sector[462:478]
    assert second[0] == 0x00 and second[4] == 0x0C
    assert struct.unpack("<II", second[8:16]) == (6144, 100)
    assert sector[478:510] == bytes(32)
    assert sector[510:] == b"\x55\xaa"
    assert read_partitions(sector) == [Partition(0x83, 2048, 4096, True), Partition(0x0C, 6144, 100)]


def test_large_disk_partition_gets_out_of_range_chs(tmp_path: Path) -> None:
    image = tmp_path / "big.img"
    result = mkdisk(str(image), "--size", "16G", "--partition", "83:2048:rest")
    assert result.returncode == 0, result.stderr
    with open(image, "rb") as f:
        sector0 = f.read(512)
    entry = sector0[446:462]
    assert entry[5:8] == CHS_OUT_OF_RANGE
    assert struct.unpack("<II", entry[8:16]) == (2048, (16 << 30) // 512 - 2048)
    # 16 GiB of which only the MBR is written: the file is a hole.
    assert image.stat().st_size == 16 << 30
    assert allocated_bytes(image) < 1 << 20


def test_copy_places_a_file_in_a_partition_and_the_hash_matches(tmp_path: Path) -> None:
    payload = tmp_path / "payload.bin"
    payload.write_bytes(b"hello disk" * 100)
    image = tmp_path / "disk.img"
    result = mkdisk(str(image), "--size", "1M", "--partition", "0x83:64:1000", "--partition", "0x06:1064:rest",
                    "--copy", "2=" + str(payload), "--write", "10=" + str(payload), "--hash")
    assert result.returncode == 0, result.stderr
    data = image.read_bytes()
    assert len(data) == 1 << 20
    assert data[1064 * 512:1064 * 512 + 1000] == b"hello disk" * 100
    assert data[10 * 512:10 * 512 + 1000] == b"hello disk" * 100
    assert read_partitions(data[:512])[1] == Partition(0x06, 1064, 2048 - 1064)
    printed = result.stdout.strip()
    assert printed == hashlib.sha256(data).hexdigest() == file_sha256(image)


def test_image_without_partitions_has_no_mbr() -> None:
    image = DiskImage(4096)
    assert image.regions() == []
    assert image.sha256() == hashlib.sha256(bytes(4096)).hexdigest()


@pytest.mark.parametrize("arguments, message", [
    (["--size", "1000"], "multiple of 512"),
    (["--size", "1M", "--partition", "83:0:10"], "do not fit"),
    (["--size", "1M", "--partition", "83:2000:100"], "do not fit"),
    (["--size", "1M", "--partition", "83:10:100", "--partition", "83:50:10"], "overlap"),
    (["--size", "1M", "--partition", "0:10:100"], "type"),
    (["--size", "1M"] + ["--partition", "83:1:1"] * 5, "room for 4"),
    (["--size", "1M", "--partition", "83:10:1", "--copy", "1=" + str(MKDISK)], "do not fit in partition 1"),
    (["--size", "1M", "--copy", "1=" + str(MKDISK)], "no partition 1"),
    (["--size", "1M", "--write", "2047=" + str(MKDISK)], "do not fit in the image"),
])
def test_bad_requests_are_refused_with_a_reason(tmp_path: Path, arguments: list[str], message: str) -> None:
    result = mkdisk(str(tmp_path / "x.img"), *arguments)
    assert result.returncode != 0
    assert message in result.stderr


def test_rewriting_an_image_clears_the_old_content(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    image.write_bytes(b"\xff" * 8192)
    assert mkdisk(str(image), "--size", "4096").returncode == 0
    assert image.read_bytes() == bytes(4096)
