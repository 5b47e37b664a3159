"""The command line of the one-boot benchmarks (pvfs_bench.py, host_guest.py):
--build-dir, one boot in a temporary work directory, its figures printed as a
table. run_all.py calls their measure() functions instead."""
from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from matryoshka import paths

Figures = TypeVar("Figures")


def run(description: str | None, measure: Callable[[Path, Path], Figures],
        print_table: Callable[[Figures], None]) -> int:
    """Parses the command line, boots once through measure(build_dir, work_dir)
    and prints what it measured; the exit status (0: measure() raises SystemExit
    when a figure is missing)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", type=Path, default=paths.DEFAULT_BUILD_DIR)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        print_table(measure(args.build_dir, Path(work)))
    return 0
