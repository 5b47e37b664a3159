"""docs/nested-walkthrough.md names real code: every file it names exists, every
function it names (`name()`, `Class::name()`) is defined in the tree, and every
step cites an SDM section and a slide (whose title is the slides' own where the
slides are at hand), so that a renamed function or a moved file cannot leave the
walk-through stale."""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

SOURCE_DIR = Path(__file__).resolve().parents[2]
WALKTHROUGH = SOURCE_DIR / "docs" / "nested-walkthrough.md"
SLIDES = Path("/work/shared/seed/vmx-lecture-slides.txt")
CODE_FOLDERS = ("hypervisor", "kernel", "guests", "user")
SPAN = re.compile(r"`([^`\n]+)`")
FILE_SPAN = re.compile(r"^[\w./-]+\.(?:cpp|h|S|py|md)$")
FUNCTION_SPAN = re.compile(r"^(?:(?P<owner>\w+)::)?(?P<name>\w+)\(\)$")
STEP = re.compile(r"^(\d+)\. (.*?)(?=^\d+\. |^## |\Z)", re.MULTILINE | re.DOTALL)
SLIDE_CITE = re.compile(r"(\d+)(?:-(\d+))? \"([^\"]+)\"")


def walkthrough() -> str:
    return WALKTHROUGH.read_text()


def spans() -> list[str]:
    return sorted(set(SPAN.findall(walkthrough())))


@cache
def code_files() -> dict[Path, str]:
    files: dict[Path, str] = {}
    for folder in CODE_FOLDERS:
        for path in (SOURCE_DIR / folder).rglob("*"):
            if path.suffix in (".cpp", ".h", ".S"):
                files[path] = path.read_text(errors="replace")
    return files


def defines(text: str, name: str, suffix: str) -> bool:
    """Whether `text` defines or declares function `name` (not just calls it)."""
    if suffix == ".S":
        return re.search(rf"^{name}:", text, re.MULTILINE) is not None
    # A return type (or a qualified name) before it, and no ';' after the
    # parameter list on the line, except for a declaration in a header.
    pattern = rf"^\s*(?:\[\[[^\]]*\]\]\s*)?[\w:<>,*& ]*[\s*&](?:\w+::)*{name}\s*\("
    return re.search(pattern, text, re.MULTILINE) is not None


def test_the_walkthrough_names_files_and_functions() -> None:
    named = spans()
    assert sum(1 for s in named if FUNCTION_SPAN.match(s)) >= 30
    assert sum(1 for s in named if FILE_SPAN.match(s)) >= 10


@pytest.mark.parametrize("path", [s for s in spans() if FILE_SPAN.match(s) and not s.startswith("/")])
def test_named_file_exists(path: str) -> None:
    assert (SOURCE_DIR / path).is_file(), f"docs/nested-walkthrough.md names {path}, which does not exist"


@pytest.mark.parametrize("function", [s for s in spans() if FUNCTION_SPAN.match(s)])
def test_named_function_is_defined(function: str) -> None:
    match = FUNCTION_SPAN.match(function)
    assert match is not None
    owner, name = match["owner"], match["name"]
    files = code_files()
    if owner is None:
        found = [path for path, text in files.items() if defines(text, name, path.suffix)]
    else:
        # The class's (or namespace's) header and its source: defined inline or out of line.
        home = re.compile(rf"\b(?:class|struct|namespace) {owner}\b[^;]")
        homes = [path for path, text in files.items() if home.search(text)]
        candidates = homes + [path.with_suffix(".cpp") for path in homes if path.with_suffix(".cpp") in files]
        found = [path for path in candidates
                 if defines(files[path], name, path.suffix) or f"{owner}::{name}(" in files[path]]
    assert found, f"docs/nested-walkthrough.md names {function}, which is defined nowhere in {CODE_FOLDERS}"


def steps() -> list[tuple[str, str]]:
    return [(m[1], m[2]) for m in STEP.finditer(walkthrough())]


def test_every_step_cites_the_sdm_and_a_slide() -> None:
    found = steps()
    assert len(found) >= 9
    for number, text in found:
        assert 'SDM: "' in text, f"step {number} cites no SDM section"
        assert SLIDE_CITE.search(text.split("Slides:")[-1]) and "Slides:" in text, f"step {number} cites no slide"


def slide_titles() -> dict[int, str]:
    """The slides' titles by number: each page starts with "<title> www.tugraz.at"."""
    titles: dict[int, str] = {}
    for line in SLIDES.read_text(errors="replace").splitlines():
        if "www.tugraz.at" in line:
            titles[len(titles) + 1] = line.split("www.tugraz.at")[0].strip()
    return titles


def test_cited_slides_have_the_titles_the_walkthrough_gives() -> None:
    if not SLIDES.is_file():  # the seed material is not part of the repository
        return
    titles = slide_titles()
    for number, text in steps():
        cited = text.split("Slides:")[-1]
        for first, last, title in SLIDE_CITE.findall(cited):
            numbers = range(int(first), int(last or first) + 1)
            # A range cites several titles ("VMCS States", "Changing VMCS States"):
            # the quoted one must be among them.
            assert title.split(",")[0] in {titles.get(n) for n in numbers} | {
                t for n in numbers for t in [titles.get(n, "")] if title in t}, \
                f"step {number}: slides {first}-{last or first} are not titled {title!r}"
