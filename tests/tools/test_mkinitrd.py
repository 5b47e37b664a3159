"""tools/mkinitrd.py and tools/matryoshka/cpio.py: the initrd archive the kernel
unpacks at boot, checked byte by byte against the newc layout and read back."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from matryoshka.cpio import Entry, read_archive, write_archive

MKINITRD = Path(__file__).resolve().parents[2] / "tools" / "mkinitrd.py"


def make_initrd(output: Path, *arguments: str) -> bytes:
    subprocess.run([sys.executable, str(MKINITRD), str(output), *arguments], check=True)
    return output.read_bytes()


def test_single_file_archive_has_the_exact_newc_layout() -> None:
    archive = write_archive([Entry("a", 0o100644, b"xyz")])
    header = archive[:110]
    assert header[:6] == b"070701"
    fields = [int(header[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
    assert fields[1] == 0o100644  # mode
    assert fields[6] == 3         # filesize
    assert fields[11] == 2        # namesize: "a" and its NUL
    # 110 + 2 = 112 is already 4-aligned, the data follows at once, then 1 pad byte.
    assert archive[110:112] == b"a\0"
    assert archive[112:116] == b"xyz\0"
    trailer = archive[116:]
    assert trailer[:6] == b"070701"
    assert trailer[110:121] == b"TRAILER!!!\0"
    assert len(archive) % 4 == 0


def test_folder_and_extra_files_round_trip(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "motd").write_text("hello\n")
    (root / "empty").write_bytes(b"")
    (root / "deep" / "er").mkdir(parents=True)
    binary = bytes(i % 251 for i in range(10001))
    (tmp_path / "kernel.elf").write_bytes(binary)
    archive = make_initrd(tmp_path / "out.cpio", "--root", str(root),
                          "--file", f"/boot/kernel={tmp_path / 'kernel.elf'}")
    entries = {entry.name: entry for entry in read_archive(archive)}
    assert set(entries) == {"boot", "boot/kernel", "deep", "deep/er", "empty", "etc", "etc/motd"}
    assert entries["boot/kernel"].data == binary
    assert entries["etc/motd"].data == b"hello\n"
    assert entries["empty"].data == b""
    assert entries["deep/er"].is_directory and entries["boot"].is_directory
    assert not entries["etc/motd"].is_directory


def test_directories_come_before_their_contents(tmp_path: Path) -> None:
    source = tmp_path / "f"
    source.write_text("x")
    archive = make_initrd(tmp_path / "out.cpio", "--file", f"/z/b/c={source}", "--file", f"/a/d={source}")
    names = [entry.name for entry in read_archive(archive)]
    for index, name in enumerate(names):
        for parent in Path(name).parents:
            if str(parent) != ".":
                assert names.index(str(parent)) < index, names


def test_archive_is_reproducible(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "file").write_text("same")
    first = make_initrd(tmp_path / "one.cpio", "--root", str(tmp_path / "root"))
    second = make_initrd(tmp_path / "two.cpio", "--root", str(tmp_path / "root"))
    assert first == second


def test_destination_escaping_the_root_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "f"
    source.write_text("x")
    run = subprocess.run([sys.executable, str(MKINITRD), str(tmp_path / "out.cpio"), "--file", f"/../x={source}"],
                         capture_output=True, text=True)
    assert run.returncode != 0
    assert not (tmp_path / "out.cpio").exists()


@pytest.mark.parametrize("cut", [50, 112, 115])
def test_reader_rejects_truncated_archives(cut: int) -> None:
    archive = write_archive([Entry("a", 0o100644, b"xyz")])
    with pytest.raises(ValueError):
        read_archive(archive[:cut])


def test_build_made_initrd_holds_the_kernel(build_dir: Path) -> None:
    initrd = build_dir / "initrd.cpio"
    entries = {entry.name: entry for entry in read_archive(initrd.read_bytes())}
    assert entries["boot/kernel"].data == (build_dir / "kernel.elf").read_bytes()
    assert "etc/motd" in entries
