#!/usr/bin/env python3
"""Makes a raw disk image with an MBR partition table for a VM's IDE disk
(`vm start --disk IMAGE`), sparse on the build machine: the empty parts cost
no disk space.

  mkdisk.py disk.img --size 128M --partition 0x83:2048:rest --copy 1=fs.bin
  mkdisk.py disk.img --size 1M --write 100=pattern.bin --hash

--size         the image size: bytes, or with a K, M or G suffix (a multiple of 512)
--partition    TYPE:START:SECTORS[:boot], TYPE in hex (83 or 0x83 for Linux),
               START and SECTORS in 512-byte sectors,
               SECTORS may be "rest" (to the end of the disk); up to four, in order
--copy         N=FILE puts FILE's bytes at the start of partition N
--write        SECTOR=FILE puts FILE's bytes at that sector of the disk
--hash         prints the SHA-256 of the image (what a test compares with the
               hash of the disk after a guest wrote it)
Without --partition the image has no MBR (all zeros but what --write puts).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matryoshka.disk_image import SECTOR_SIZE, DiskImage, Partition, file_sha256  # noqa: E402

UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def parse_size(text: str) -> int:
    number, unit = (text[:-1], text[-1].upper()) if text and text[-1].upper() in UNITS else (text, "")
    try:
        value = int(number, 0) * UNITS[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 4096, 512K or 128M") from None
    if value <= 0 or value % SECTOR_SIZE:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive multiple of {SECTOR_SIZE} bytes")
    return value


def parse_partition(text: str) -> tuple[int, int, int | None, bool]:
    """TYPE:START:SECTORS[:boot]; SECTORS None for "rest"."""
    fields = text.split(":")
    if len(fields) not in (3, 4) or (len(fields) == 4 and fields[3] != "boot"):
        raise argparse.ArgumentTypeError(f"expected TYPE:START:SECTORS[:boot], got {text!r}")
    try:
        kind = int(fields[0], 16) if not fields[0].lower().startswith("0x") else int(fields[0], 0)
        start = int(fields[1], 0)
        sectors = None if fields[2] == "rest" else int(fields[2], 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers in {text!r}") from None
    return kind, start, sectors, len(fields) == 4


def parse_placement(text: str) -> tuple[int, Path]:
    where, separator, source = text.partition("=")
    if not separator or not source:
        raise argparse.ArgumentTypeError(f"expected NUMBER=FILE, got {text!r}")
    try:
        return int(where, 0), Path(source)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{where!r} is not a number") from None


def build_image(size: int, partitions: list[tuple[int, int, int | None, bool]],
                copies: list[tuple[int, Path]], writes: list[tuple[int, Path]]) -> DiskImage:
    total = size // SECTOR_SIZE
    image = DiskImage(size, [Partition(kind, start, total - start if sectors is None else sectors, boot)
                             for kind, start, sectors, boot in partitions])
    image.check()
    for number, source in copies:
        image.place_in_partition(number, source.read_bytes())
    for sector, source in writes:
        image.place(sector * SECTOR_SIZE, source.read_bytes())
    image.check()
    return image


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path, help="the image to write")
    parser.add_argument("--size", type=parse_size, required=True)
    parser.add_argument("--partition", type=parse_partition, action="append", default=[])
    parser.add_argument("--copy", type=parse_placement, action="append", default=[], metavar="N=FILE")
    parser.add_argument("--write", type=parse_placement, action="append", default=[], metavar="SECTOR=FILE")
    parser.add_argument("--hash", action="store_true", help="print the image's SHA-256")
    args = parser.parse_args(argv)
    try:
        image = build_image(args.size, args.partition, args.copy, args.write)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        image.write(args.output)
    except (OSError, ValueError) as error:
        print(f"mkdisk: {error}", file=sys.stderr)
        return 1
    if args.hash:
        print(image.sha256() if args.size <= 1 << 30 else file_sha256(args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
