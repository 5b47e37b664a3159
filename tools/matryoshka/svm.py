"""The SVM constants of hypervisor/svm/svm_data.py for the Python tooling (the
C++ header generator, the GDB helper mx-vmcb): loaded, checked and indexed.
Follows the AMD64 APM Vol. 2, Appendix C "SVM Intercept Exit Codes"."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

DATA_FILE = Path(__file__).resolve().parents[2] / "hypervisor" / "svm" / "svm_data.py"
# abi/vm.h, VM_STATS_REASONS: the exit statistics' counters per VM.
STATISTICS_SLOTS = 80


@dataclass(frozen=True)
class ExitCode:
    first: int
    last: int
    name: str
    text: str
    slot: int


class SvmData:
    """Everything in the data file, checked for consistency on load."""

    def __init__(self, module: ModuleType):
        self.apm_revision: str = module.APM_REVISION
        self.exit_codes = [ExitCode(first, last, name, text, slot)
                           for slot, (first, last, name, text) in enumerate(module.EXIT_CODES)]
        self.invalid_name: str = module.INVALID_NAME
        self.invalid_text: str = module.INVALID_TEXT
        self.invalid_slot = len(self.exit_codes)
        check(self)

    def lookup(self, code: int) -> ExitCode | None:
        """The entry that counts `code`: a single code before a range holding it."""
        matches = [e for e in self.exit_codes if e.first <= code <= e.last]
        return min(matches, key=lambda e: e.last - e.first) if matches else None

    def slot_name(self, slot: int) -> str:
        """The name of exit-statistics slot `slot` (the reason number on SVM)."""
        if slot < len(self.exit_codes):
            return self.exit_codes[slot].name
        return self.invalid_name if slot == self.invalid_slot else "unknown"

    def name(self, code: int) -> str:
        if code >= 1 << 63 or code in (0xFFFFFFFF, 0xFFFFFFFE):
            return self.invalid_name
        entry = self.lookup(code)
        return entry.name if entry else f"exit_{code:#x}"


def check(data: SvmData) -> None:
    if data.invalid_slot >= STATISTICS_SLOTS:
        raise ValueError(f"{data.invalid_slot + 1} slots: the statistics keep {STATISTICS_SLOTS}")
    names = [e.name for e in data.exit_codes] + [data.invalid_name]
    if len(set(names)) != len(names):
        raise ValueError("duplicate exit code name")
    for entry in data.exit_codes:
        if entry.first > entry.last or entry.last > 0xFFFF:
            raise ValueError(f"bad range for {entry.name}")
        singles = [e for e in data.exit_codes if e.first == e.last and e is not entry]
        if entry.first == entry.last and any(e.first == entry.first for e in singles):
            raise ValueError(f"code {entry.first:#x} listed twice")


def load(path: Path = DATA_FILE) -> SvmData:
    """Executes the data file (plain literals) as a module and checks it."""
    spec = importlib.util.spec_from_file_location("matryoshka_svm_data", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return SvmData(module)
