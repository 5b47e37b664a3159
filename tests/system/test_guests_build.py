"""The test guests as built (guests/, docs/test-guests.md): each a Multiboot 1
kernel a loader can find and load, an ELF32 i386 executable loaded at 1 MiB with
its entry inside a loaded segment, and each in the initrd as /guests/NAME with the
same bytes. Follows the Multiboot Specification version 0.6.96, section 3.1
("OS image format")."""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import BUILD_DIR
from matryoshka import paths
from matryoshka.cpio import read_archive

EXPECTED_GUESTS = ["cpuid", "hypercall", "hlt", "port_io", "msr", "outside_ram", "triple_fault",
                   "vmx_instruction", "bench", "hostile_files", "poweroff", "hostile_hypercall", "hostile_ports",
                   "hostile_msr", "hostile_ring",
                   "hostile_memory", "hostile_cpu_state", "hostile_spin", "hostile_storm", "hostile_triple_fault",
                   "sse_state", "screen_keys", "platform", "ide", "svm_instruction", "apic", "vmx_l1", "hostile_vmx",
                   "vmx_l2", "syscall_msrs"]
MULTIBOOT_MAGIC = 0x1BADB002
MULTIBOOT_SEARCH_BYTES = 8192
FLAG_ADDRESS_FIELDS = 1 << 16
ONE_MIB = 0x100000
PT_LOAD = 1
EM_386 = 3
ET_EXEC = 2


@dataclass
class MultibootHeader:
    offset: int
    flags: int
    fields: tuple[int, ...]  # header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr


@dataclass
class Segment:
    offset: int
    paddr: int
    filesz: int
    memsz: int


def find_multiboot_header(image: bytes) -> MultibootHeader | None:
    """The first 4-aligned magic in the first 8 KiB whose checksum holds."""
    for offset in range(0, min(len(image), MULTIBOOT_SEARCH_BYTES) - 11, 4):
        magic, flags, checksum = struct.unpack_from("<III", image, offset)
        if magic == MULTIBOOT_MAGIC and (magic + flags + checksum) & 0xFFFFFFFF == 0:
            fields = struct.unpack_from("<5I", image, offset + 12) if flags & FLAG_ADDRESS_FIELDS else ()
            return MultibootHeader(offset, flags, fields)
    return None


def elf32_load_segments(image: bytes) -> tuple[int, list[Segment]]:
    """(entry, PT_LOAD segments) of an ELF32 i386 executable; asserts it is one."""
    assert image[:4] == b"\x7fELF", "not ELF"
    assert image[4] == 1 and image[5] == 1, "not ELF32 little-endian"
    e_type, e_machine, _, e_entry, e_phoff = struct.unpack_from("<HHIII", image, 16)
    assert e_type == ET_EXEC, "not ET_EXEC"
    assert e_machine == EM_386, "not i386"
    e_phentsize, e_phnum = struct.unpack_from("<HH", image, 42)
    segments = []
    for i in range(e_phnum):
        p_type, p_offset, _, p_paddr, p_filesz, p_memsz = struct.unpack_from("<6I", image, e_phoff + i * e_phentsize)
        if p_type == PT_LOAD and p_memsz > 0:
            segments.append(Segment(p_offset, p_paddr, p_filesz, p_memsz))
    return e_entry, segments


def guest_image(name: str) -> bytes:
    path = paths.guest_file(BUILD_DIR, name)
    assert path.exists(), f"{path} was not built"
    return path.read_bytes()


@pytest.mark.parametrize("name", EXPECTED_GUESTS)
def test_guest_has_valid_multiboot_header(name: str) -> None:
    image = guest_image(name)
    header = find_multiboot_header(image)
    assert header is not None, "no Multiboot header with a valid checksum in the first 8 KiB"
    assert header.flags & 0xFFFF & ~0b111 == 0, f"required flags {header.flags:#x} no loader knows"


@pytest.mark.parametrize("name", EXPECTED_GUESTS)
def test_guest_is_elf32_loaded_at_1mib_with_entry_inside(name: str) -> None:
    image = guest_image(name)
    entry, segments = elf32_load_segments(image)
    assert segments, "no PT_LOAD segment"
    assert min(s.paddr for s in segments) == ONE_MIB
    assert all(s.filesz <= s.memsz and s.offset + s.filesz <= len(image) for s in segments)
    assert any(s.paddr <= entry < s.paddr + s.filesz for s in segments), f"entry {entry:#x} outside the image"
    header = find_multiboot_header(image)
    assert header is not None
    # The header must be loaded too, or a loader using the address fields could not
    # relate file offsets to addresses; and with the fields, they must agree with ELF.
    assert any(s.offset <= header.offset < s.offset + s.filesz for s in segments)
    if header.fields:
        header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr = header.fields
        assert load_addr <= header_addr and load_addr == ONE_MIB and entry_addr == entry
        assert load_end_addr == 0 or load_end_addr >= load_addr
        assert bss_end_addr == 0 or bss_end_addr >= load_end_addr


@pytest.mark.parametrize("name", EXPECTED_GUESTS)
def test_guest_is_in_the_initrd(name: str) -> None:
    entries = {entry.name: entry for entry in read_archive(paths.initrd_file(BUILD_DIR).read_bytes())}
    assert f"guests/{name}" in entries, "missing from build/initrd.cpio"
    assert entries[f"guests/{name}"].data == guest_image(name)


def test_no_guest_missing_from_expected_list() -> None:
    # The folder also holds CMake's files; the guests are the ELF files in it.
    built = sorted(p.name for p in (BUILD_DIR / "guests").iterdir()
                   if p.is_file() and p.read_bytes()[:4] == b"\x7fELF")
    assert built == sorted(EXPECTED_GUESTS), "update EXPECTED_GUESTS and docs/test-guests.md when adding a guest"


def test_every_guest_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "test-guests.md").read_text()
    missing = [name for name in EXPECTED_GUESTS if f"`{name}`" not in doc]
    assert not missing, f"docs/test-guests.md does not describe {missing}"
