"""Each Mutex and Condition misuse is caught with a panic that says what happened
(booted in QEMU with crash=NAME, see kernel/sync/sync_misuse.h)."""
from __future__ import annotations

import pytest

from conftest import Booter, explain
from matryoshka.verdict import Verdict

MISUSES = {
    "mutex_recursive": "recursive lock by thread main",
    "mutex_foreign_unlock": "unlocked by thread main, but held by holder",
    "mutex_interrupts_off": "would sleep with interrupts disabled",
    "mutex_deadlock": "deadlock",
    "condition_without_mutex": "signal without holding mutex first",
}


@pytest.mark.parametrize("misuse", sorted(MISUSES))
def test_misuse_panics_with_reason(boot: Booter, misuse: str) -> None:
    result = boot("qemu", f"crash={misuse}")
    assert result.verdict == Verdict.FAILED, explain(result)
    assert MISUSES[misuse] in result.reason, explain(result)
