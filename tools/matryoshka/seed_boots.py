"""What the seed-driven Bochs batch tools share (tools/hostile.py, tools/fuzz.py):
the seeds named on the command line, one headless Bochs boot of the built kernel
and initrd after another, each in its own work directory beneath one temporary
directory, and a line per boot saying whether it was ok, kept for the summary."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from types import TracebackType

from matryoshka import paths, runner
from matryoshka.emulators import RunConfig
from matryoshka.verdict import RunResult, Verdict


def parse_seeds(text: str) -> list[int]:
    """"1-5,9" -> [1, 2, 3, 4, 5, 9]."""
    seeds: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        seeds += range(int(first), int(last or first) + 1)
    return seeds


class SeedBoots:
    """One tool's boots, in a `with` block (the work directories go at its end),
    and the problems of the boots that had any."""

    def __init__(self, tool: str, build_dir: Path, timeout: float) -> None:
        self.tool = tool
        self.build_dir = build_dir
        self.timeout = timeout  # wall seconds per boot
        self.failures: list[str] = []  # "LABEL: problem; problem", one per boot with problems
        self._work = tempfile.TemporaryDirectory(prefix=f"{tool}-")

    def __enter__(self) -> SeedBoots:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._work.cleanup()

    def boot(self, cmdline: str, name: str) -> RunResult | None:
        """Boots the kernel and initrd with `cmdline` in work directory `name`;
        None, said on stderr, when Bochs cannot run here (the tool exits 3)."""
        config = RunConfig(emulator="bochs", kernel=paths.kernel_file(self.build_dir), cmdline=cmdline,
                           modules=[paths.initrd_file(self.build_dir)], headless=True, timeout=self.timeout,
                           work_dir=Path(self._work.name) / name)
        result = runner.run(config)
        if result.verdict == Verdict.CANNOT_RUN:
            print(f"{self.tool}.py: {result.reason}", file=sys.stderr)
            return None
        return result

    def report(self, label: str, problems: list[str]) -> None:
        """Prints the boot's line, "LABEL: ok" or its problems, and keeps the problems."""
        print(f"{label}: {'ok' if not problems else '; '.join(problems)}", flush=True)
        if problems:
            self.failures.append(f"{label}: {'; '.join(problems)}")

    def print_failures(self) -> None:
        """The kept problems, one indented line per boot, for the summary."""
        for line in self.failures:
            print("  " + line)
