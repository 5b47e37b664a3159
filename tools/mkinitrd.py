#!/usr/bin/env python3
"""Writes the kernel's initial file system: a cpio "newc" archive of a folder
(the source tree's initrd/) plus extra files placed at given paths.

  mkinitrd.py build/initrd.cpio --root initrd --file /boot/kernel=build/kernel.elf

Directories are listed before their contents and every parent of an extra file
gets an entry; names are sorted and times and owners are 0, so the archive is
reproducible.
"""
from __future__ import annotations

import argparse
import stat
import sys
from pathlib import Path, PurePosixPath

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matryoshka.cpio import Entry, write_archive  # noqa: E402

DIRECTORY_MODE = stat.S_IFDIR | 0o755


def file_mode(source: Path) -> int:
    executable = source.stat().st_mode & 0o111
    return stat.S_IFREG | (0o755 if executable else 0o644)


def collect(roots: list[Path], extra: list[tuple[str, Path]]) -> dict[str, tuple[int, Path | None]]:
    """Archive name -> (mode, source file or None for a directory)."""
    tree: dict[str, tuple[int, Path | None]] = {}

    def add_parents(name: str) -> None:
        for parent in PurePosixPath(name).parents:
            if str(parent) != ".":
                tree.setdefault(str(parent), (DIRECTORY_MODE, None))

    for root in roots:
        for path in sorted(root.rglob("*")):
            name = path.relative_to(root).as_posix()
            add_parents(name)
            tree[name] = (DIRECTORY_MODE, None) if path.is_dir() else (file_mode(path), path)
    for destination, source in extra:
        name = destination.strip("/")
        if not name or any(part in ("", ".", "..") for part in name.split("/")):
            raise ValueError(f"bad destination path {destination!r}")
        add_parents(name)
        tree[name] = (file_mode(source), source)
    return tree


def build_entries(roots: list[Path], extra: list[tuple[str, Path]]) -> list[Entry]:
    tree = collect(roots, extra)
    # Sorting the path components puts every directory before its contents.
    return [Entry(name, mode, source.read_bytes() if source else b"")
            for name, (mode, source) in sorted(tree.items(), key=lambda item: item[0].split("/"))]


def parse_extra(text: str) -> tuple[str, Path]:
    destination, separator, source = text.partition("=")
    if not separator or not destination or not source:
        raise argparse.ArgumentTypeError(f"expected DEST=SOURCE, got {text!r}")
    return destination, Path(source)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path, help="the archive to write")
    parser.add_argument("--root", type=Path, action="append", default=[],
                        help="a folder whose contents go to / (repeatable)")
    parser.add_argument("--file", type=parse_extra, action="append", default=[], metavar="DEST=SOURCE",
                        help="put the file SOURCE at the path DEST (repeatable)")
    args = parser.parse_args(argv)
    entries = build_entries(args.root, args.file)
    archive = write_archive(entries)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    temporary = args.output.with_suffix(args.output.suffix + ".tmp")
    temporary.write_bytes(archive)
    temporary.replace(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
