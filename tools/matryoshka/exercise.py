"""Solution markers and the exercise tree (docs/teachers.md).

The hypervisor's source is the solution. A region a student writes is fenced by
three kinds of comment line, each naming its milestone (tools/matryoshka/milestones.py):

    // SOLUTION BEGIN 5
    ... the solution, kept in the solution tree ...
    // SOLUTION STUB 5: return stop(vcpu, "milestone 5 is not done yet: ...");
    // SOLUTION END 5

In the exercise tree the whole region becomes its STUB lines with the comment
prefix taken away (indented like the BEGIN line); in the solution tree, and for a
milestone already solved in a cumulative tree, it becomes the solution without
the marker lines. Regions do not nest, and every region has at least one stub line,
so the exercise always compiles to something that says what is missing.

Optimizations are a layer on top of the plain code a student meets first (the VM
run loop's fast path, for one). The same three kinds of line fence them, named
instead of numbered, with the plain code as the stub:

    // LAYER BEGIN fast_path
    ... the optimized code, kept only in the solution tree ...
    // LAYER PLAIN fast_path: ... the plain code every other tree gets ...
    // LAYER END fast_path
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

MARKER = re.compile(r"^(?P<indent>[ \t]*)// SOLUTION (?P<kind>BEGIN|STUB|END) (?P<milestone>\d+)(?P<rest>.*)$")
LAYER_MARKER = re.compile(r"^(?P<indent>[ \t]*)// LAYER (?P<kind>BEGIN|PLAIN|END) (?P<name>\w+)(?P<rest>.*)$")
# A layer's region is kept in the solution tree only: it counts as this milestone.
LAYER_MILESTONE = 1_000_000
# The file a written tree carries at its top, saying which milestones it solves.
TREE_FILE = "EXERCISE.json"
# Files that may hold markers; everything else is copied as it is.
MARKED_SUFFIXES = {".cpp", ".h", ".S"}
# Never copied into a written tree.
SKIPPED_PARTS = {".git", ".venv", "build", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


class MarkerError(ValueError):
    """A marker that breaks the syntax, with the file and line to fix."""


@dataclass(frozen=True)
class Region:
    milestone: int  # LAYER_MILESTONE for an optimization layer
    begin_line: int  # 1-based line numbers of the BEGIN and END markers
    end_line: int
    indent: str
    solution: tuple[str, ...]
    stub: tuple[str, ...]


def parse(text: str, where: str = "<text>") -> list[Region]:
    """The solution regions of one file, in order; MarkerError for bad syntax."""
    regions: list[Region] = []
    open_region: tuple[int, int, str] | None = None  # (milestone, begin line, indent)
    solution: list[str] = []
    stub: list[str] = []
    layer_names: dict[int, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        marker = MARKER.match(line)
        layer = LAYER_MARKER.match(line) if marker is None else None
        if layer is not None:
            # A layer is a region of its own milestone, its name checked like a number.
            kind = {"BEGIN": "BEGIN", "PLAIN": "STUB", "END": "END"}[layer["kind"]]
            name_id = layer_names.setdefault(number, layer["name"])
            if open_region is not None and open_region[0] == LAYER_MILESTONE and kind != "BEGIN":
                if layer_names.get(open_region[1]) != name_id:
                    raise MarkerError(f"{where}:{number}: LAYER {layer['kind']} {name_id} in the layer "
                                      f"{layer_names.get(open_region[1])}")
            marker = MARKER.match(f"{layer['indent']}// SOLUTION {kind} {LAYER_MILESTONE}{layer['rest']}")
        if marker is None:
            if open_region is not None:
                solution.append(line)
            continue
        kind, milestone = marker["kind"], int(marker["milestone"])
        if kind == "BEGIN":
            if open_region is not None:
                raise MarkerError(f"{where}:{number}: SOLUTION BEGIN inside the region opened at line {open_region[1]}")
            open_region, solution, stub = (milestone, number, marker["indent"]), [], []
            continue
        if open_region is None:
            raise MarkerError(f"{where}:{number}: SOLUTION {kind} outside a region")
        if milestone != open_region[0]:
            raise MarkerError(f"{where}:{number}: SOLUTION {kind} {milestone} "
                              f"in a region of milestone {open_region[0]}")
        if kind == "STUB":
            if not marker["rest"].startswith(":"):
                raise MarkerError(f"{where}:{number}: a STUB line is 'SOLUTION STUB N: code'")
            stub.append(marker["rest"][1:].removeprefix(" "))
            continue
        if not stub:
            raise MarkerError(f"{where}:{number}: the region from line {open_region[1]} has no STUB line")
        regions.append(Region(open_region[0], open_region[1], number, open_region[2], tuple(solution), tuple(stub)))
        open_region = None
    if open_region is not None:
        raise MarkerError(f"{where}:{open_region[1]}: SOLUTION BEGIN {open_region[0]} is never ended")
    return regions


def render(text: str, solved_upto: int, where: str = "<text>", keep_layers: bool = False) -> str:
    """`text` with every region of a milestone above `solved_upto` replaced by its
    stub and every other region by its solution; layers keep their optimized code
    only with `keep_layers` (the solution tree). No marker line is left."""
    regions = {region.begin_line: region for region in parse(text, where)}
    lines = text.splitlines(keepends=True)
    ending = "\n" if not lines or lines[-1].endswith("\n") else ""
    out: list[str] = []
    number = 1
    while number <= len(lines):
        region = regions.get(number)
        if region is None:
            out.append(lines[number - 1])
            number += 1
            continue
        kept = region.milestone == LAYER_MILESTONE and keep_layers
        if kept or region.milestone <= solved_upto:
            out += [line + "\n" for line in region.solution]
        else:
            out += [region.indent + line + "\n" for line in region.stub]
        number = region.end_line + 1
    result = "".join(out)
    return result if ending or not result.endswith("\n") else result[:-1]


def has_markers(text: str) -> bool:
    return "// SOLUTION " in text or "// LAYER " in text


def source_files(source_dir: Path) -> list[Path]:
    """The files of the tree, relative to it: git's list when it is a checkout
    (untracked files included), otherwise a walk without build products."""
    listing = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                             cwd=source_dir, capture_output=True, text=True)
    if listing.returncode == 0 and listing.stdout.strip():
        names = [Path(name) for name in listing.stdout.splitlines()]
        return sorted(name for name in names if (source_dir / name).is_file())
    return sorted(path.relative_to(source_dir) for path in source_dir.rglob("*")
                  if path.is_file() and not SKIPPED_PARTS & set(path.relative_to(source_dir).parts))


def marked_files(source_dir: Path) -> dict[Path, list[Region]]:
    """Every file with at least one region, with its regions."""
    found: dict[Path, list[Region]] = {}
    for name in source_files(source_dir):
        if name.suffix not in MARKED_SUFFIXES:
            continue
        text = (source_dir / name).read_text(errors="replace")
        if has_markers(text):
            regions = parse(text, str(name))
            if regions:
                found[name] = regions
    return found


def write_tree(source_dir: Path, destination: Path, solved_upto: int, keep_layers: bool = False) -> int:
    """Writes the tree in which milestones 1..`solved_upto` are solved (0: the
    exercise students get), with the optimization layers only if `keep_layers`;
    returns how many milestone regions became stubs."""
    if destination.exists() and any(destination.iterdir()):
        raise FileExistsError(f"{destination} exists and is not empty")
    stubbed = 0
    for name in source_files(source_dir):
        if SKIPPED_PARTS & set(name.parts):
            continue
        source, target = source_dir / name, destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if name.suffix in MARKED_SUFFIXES:
            text = source.read_text(errors="surrogateescape")
            if has_markers(text):
                regions = parse(text, str(name))
                stubbed += sum(1 for region in regions if solved_upto < region.milestone < LAYER_MILESTONE)
                target.write_text(render(text, solved_upto, str(name), keep_layers), errors="surrogateescape")
                shutil.copymode(source, target)
                continue
        shutil.copy2(source, target)
    (destination / TREE_FILE).write_text(json.dumps({"solved_upto": solved_upto}) + "\n")
    return stubbed


def resolve_tree(source_dir: Path, tree: Path, solved_upto: int, keep_layers: bool = False) -> int:
    """Turns `tree`, written from `source_dir` by write_tree, into the tree with
    milestones 1..`solved_upto` solved, in place, as `source_dir` stands now: only
    the files whose text changes are written, so an existing build of `tree`
    recompiles just those. Returns how many files changed."""
    changed = 0
    for name in source_files(source_dir):
        if SKIPPED_PARTS & set(name.parts):
            continue
        source, target = source_dir / name, tree / name
        wanted = source.read_bytes()
        if name.suffix in MARKED_SUFFIXES and has_markers(wanted.decode(errors="surrogateescape")):
            text = render(wanted.decode(errors="surrogateescape"), solved_upto, str(name), keep_layers)
            wanted = text.encode(errors="surrogateescape")
        if not target.exists() or target.read_bytes() != wanted:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(wanted)
            shutil.copymode(source, target)
            changed += 1
    (tree / TREE_FILE).write_text(json.dumps({"solved_upto": solved_upto}) + "\n")
    return changed


def ccache_base(tree: Path) -> Path:
    """The folder ccache makes paths relative to when building `tree`: the
    solution's tree for an exercise tree written beneath its build folder (so both
    share cached objects), otherwise `tree` itself."""
    for parent in tree.parents:
        if parent.name == "build" and (parent.parent / "tools" / "exercise.py").exists():
            return parent.parent
    return tree


def solved_upto(source_dir: Path, milestone_count: int) -> int:
    """How many milestones a tree solves: all of them in the solution tree (no
    EXERCISE.json), otherwise what EXERCISE.json says."""
    marker = source_dir / TREE_FILE
    if not marker.exists():
        return milestone_count
    return int(json.loads(marker.read_text())["solved_upto"])
