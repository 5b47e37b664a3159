"""The memory guards tripped on purpose (crash=WORD, kernel/mm/memory_crash.cpp):
each run must be a failure whose panic line names the culprit's address, the same
address the kernel logged when it committed the error."""
from __future__ import annotations

import re

import pytest

from conftest import Booter, explain
from matryoshka.verdict import Verdict

EMULATORS = ["qemu", "bochs"]

# crash word -> (the kernel's announcement with the address, the panic it must cause)
GUARDS = {
    "heap_overrun": (r"deliberate overrun of heap block (0x[0-9a-f]+) \(size 24\)",
                     "heap: overrun past {address} (size 24)"),
    "double_free": (r"deliberate double free of heap block (0x[0-9a-f]+)",
                    "heap: double free of {address}"),
    "page_double_free": (r"deliberate double free of page (0x[0-9a-f]+)",
                         "PageManager: double free of page {address}"),
    "page_free_unallocatable": (r"deliberate free of page (0x[0-9a-f]+), never allocatable",
                                "PageManager: free of page {address}, which was never allocatable"),
}


@pytest.mark.parametrize("emulator", EMULATORS)
@pytest.mark.parametrize("word", list(GUARDS))
def test_memory_guard_panics_naming_the_culprit(boot: Booter, emulator: str, word: str) -> None:
    announcement, expected_panic = GUARDS[word]
    result = boot(emulator, f"crash={word}")
    assert result.verdict == Verdict.FAILED, explain(result)
    announced = [m for line in result.host_lines("memory") if (m := re.search(announcement, line))]
    assert announced, explain(result)
    address = announced[0].group(1)
    assert result.reason == "kernel panic: " + expected_panic.format(address=address), explain(result)
    assert not any("did not trip" in line for line in result.host_lines("panic")), explain(result)
