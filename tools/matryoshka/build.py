"""Configuring and building a tree: the one recipe dev.py, the tests and the
exercise tooling share.

When ccache is installed the build goes through it, with paths made relative to
the tree (CCACHE_BASEDIR) and the build folder left out of the hash
(CCACHE_NOHASHDIR): an exercise tree written beneath build/ then compiles every
file it shares with the solution from the cache, and only its stubbed files anew.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def environment(source_dir: Path) -> dict[str, str]:
    """The environment for cmake and make: ccache's settings when it is used."""
    env = dict(os.environ)
    if shutil.which("ccache"):
        env.setdefault("CCACHE_BASEDIR", str(source_dir))
        env["CCACHE_NOHASHDIR"] = "1"
    return env


def configure_command(source_dir: Path) -> list[str]:
    command = ["cmake", str(source_dir)]
    if shutil.which("ccache"):
        command += ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache", "-DCMAKE_C_COMPILER_LAUNCHER=ccache"]
    return command


def build(source_dir: Path, build_dir: Path, *, jobs: int = 2, quiet: bool = False,
          base_dir: Path | None = None) -> None:
    """Configures `build_dir` once, then runs make (incremental). `base_dir`: the
    folder ccache makes paths relative to (default: `source_dir`); an exercise
    tree beneath the solution's build folder passes the solution's tree."""
    env = environment(base_dir or source_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    if not (build_dir / "Makefile").exists():
        subprocess.run(configure_command(source_dir), cwd=build_dir, check=True, env=env,
                       stdout=subprocess.DEVNULL if quiet else None)
    subprocess.run(["make", f"-j{jobs}"] + (["-s"] if quiet else []), cwd=build_dir, check=True, env=env)
