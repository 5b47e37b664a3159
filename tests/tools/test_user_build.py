"""The user programs as built: each a valid static ELF64 x86_64 executable at the
user address 0x400000 with its entry in executable code, and libc's system call
wrappers loading the numbers of abi/syscall_numbers.h (read from the header, and
from the compiled wrappers' machine code)."""
from __future__ import annotations

import re
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import BUILD_DIR, SOURCE_DIR

USER_BIN = BUILD_DIR / "user" / "bin"
LIBC = BUILD_DIR / "user" / "libc.a"
SYSCALL_HEADER = SOURCE_DIR / "abi" / "syscall_numbers.h"
EXPECTED_PROGRAMS = ["vm", "sh", "ls", "cat", "echo", "mkdir", "rm", "cp", "ps", "fs_stress", "spawn_loop",
                     "bad_syscalls", "syscall_bench", "vfs_bench", "fault", "poweroff", "vmstat",
                     "hostfs_probe", "workload", "spin", "faultwalk", "fs_attack", "flood", "vendor",
                     "sha256sum", "bench_compare", "bench_host_guest", "keys"]
USER_BASE = 0x400000
USER_SPACE_END = 0x0000800000000000
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
PF_X, PF_W = 1, 2
# libc names that differ from the table's (exit runs atexit handlers, then _exit).
WRAPPER_NAMES = {"exit": "_exit"}


@dataclass
class Segment:
    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int


@dataclass
class Executable:
    ident: bytes
    type: int
    machine: int
    entry: int
    segments: list[Segment]


def read_executable(path: Path) -> Executable:
    data = path.read_bytes()
    ident = data[:16]
    e_type, e_machine, _, e_entry, e_phoff = struct.unpack_from("<HHIQQ", data, 16)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 54)
    segments = []
    for i in range(e_phnum):
        p_type, p_flags, p_offset, p_vaddr, _, p_filesz, p_memsz, _ = struct.unpack_from(
            "<IIQQQQQQ", data, e_phoff + i * e_phentsize)
        segments.append(Segment(p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz))
    return Executable(ident, e_type, e_machine, e_entry, segments)


def syscall_table() -> dict[str, int]:
    """name -> number, from the X-macro lines of abi/syscall_numbers.h."""
    entries = re.findall(r"^\s*X\((\d+),\s*(\w+),\s*(\d)\)", SYSCALL_HEADER.read_text(), re.MULTILINE)
    return {name: int(number) for number, name, _ in entries}


@pytest.mark.parametrize("name", EXPECTED_PROGRAMS)
def test_user_program_is_static_elf64_at_user_base(name: str) -> None:
    path = USER_BIN / name
    assert path.exists(), f"{path} was not built"
    elf = read_executable(path)
    assert elf.ident[:4] == b"\x7fELF" and elf.ident[4] == 2 and elf.ident[5] == 1, "not ELF64 little-endian"
    assert elf.type == 2, "not ET_EXEC"
    assert elf.machine == 62, "not x86_64"
    assert not [s for s in elf.segments if s.type in (PT_DYNAMIC, PT_INTERP)], "not static"
    loads = [s for s in elf.segments if s.type == PT_LOAD and s.memsz > 0]
    assert loads, "no PT_LOAD segment"
    assert min(s.vaddr for s in loads) == USER_BASE
    assert all(USER_BASE <= s.vaddr and s.vaddr + s.memsz <= USER_SPACE_END for s in loads)
    assert all(s.filesz <= s.memsz for s in loads)
    assert not [s for s in loads if s.flags & PF_W and s.flags & PF_X], "a writable and executable segment"
    text = [s for s in loads if s.flags & PF_X and s.vaddr <= elf.entry < s.vaddr + s.memsz]
    assert text, f"entry {elf.entry:#x} outside executable segments"


def test_no_unexpected_programs_missing_from_list() -> None:
    built = sorted(p.name for p in USER_BIN.iterdir())
    assert built == sorted(EXPECTED_PROGRAMS), "update EXPECTED_PROGRAMS when adding a program"


def test_syscall_numbers_are_dense_and_unique() -> None:
    table = syscall_table()
    assert len(table) >= 30
    assert sorted(table.values()) == list(range(len(table)))


def register_base(name: str) -> str:
    """The 64-bit register a name refers to: %eax -> rax, %r8d -> r8."""
    name = name.lstrip("%")
    if re.fullmatch(r"r\d+[dwb]?", name):
        return re.sub(r"[dwb]$", "", name)
    return "r" + name[1:] if name.startswith("e") else name


def syscall_number_in(instructions: list[str]) -> int | None:
    """Follows immediates and register copies up to the first `syscall` and
    returns what RAX holds there."""
    values: dict[str, int] = {}
    for line in instructions:
        if re.search(r"\bsyscall\b", line):
            return values.get("rax")
        move = re.search(r"\bmov\w*\s+\$(0x[0-9a-f]+|\d+),(%\w+)", line)
        copy = re.search(r"\bmov\w*\s+(%\w+),(%\w+)", line)
        zero = re.search(r"\bxor\w*\s+(%\w+),(%\w+)", line)
        if move:
            values[register_base(move.group(2))] = int(move.group(1), 0)
        elif copy and register_base(copy.group(1)) in values:
            values[register_base(copy.group(2))] = values[register_base(copy.group(1))]
        elif zero and zero.group(1) == zero.group(2):
            values[register_base(zero.group(1))] = 0
    return None


def disassembled_functions() -> dict[str, list[str]]:
    listing = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(LIBC)], capture_output=True, text=True,
                             check=True).stdout
    functions: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in listing.splitlines():
        header = re.match(r"^[0-9a-f]+ <([\w.]+)>:$", line)
        if header:
            current = functions.setdefault(header.group(1), [])
        elif current is not None and line.strip():
            current.append(line)
    return functions


@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump (binutils) is not installed")
def test_libc_wrappers_load_their_syscall_numbers() -> None:
    functions = disassembled_functions()
    wrong = []
    for name, number in syscall_table().items():
        wrapper = WRAPPER_NAMES.get(name, name)
        if wrapper not in functions:
            wrong.append(f"{wrapper}: no such function in libc")
            continue
        found = syscall_number_in(functions[wrapper])
        if found != number:
            wrong.append(f"{wrapper}: loads {found}, table says {number}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump (binutils) is not installed")
@pytest.mark.parametrize("name", EXPECTED_PROGRAMS)
def test_user_program_uses_no_sse(name: str) -> None:
    """User code is built without SSE registers, so the kernel need not save them."""
    listing = subprocess.run(["objdump", "-d", str(USER_BIN / name)], capture_output=True, text=True,
                             check=True).stdout
    assert "%xmm" not in listing and "%ymm" not in listing
