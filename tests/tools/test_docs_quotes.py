"""Docs that say what the code does: every message or log line that docs/*.md and
README.md quote in backticks must be printed by the code (kernel/, hypervisor/, user/,
guests/, abi/, tools/), so that a changed message cannot leave a stale quote behind."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

SOURCE_DIR = Path(__file__).resolve().parents[2]
CODE_FOLDERS = ("kernel", "hypervisor", "user", "guests", "abi", "tools")
CODE_SUFFIXES = (".cpp", ".h", ".S", ".py")

FENCE = re.compile(r"^\s*```.*?^\s*```", re.MULTILINE | re.DOTALL)
SPAN = re.compile(r"`([^`]+)`")
# A log line's tags: "[host vmx] ", "[vm1] ", "[vm1 hypercall] ", "[guest boot] ", "[user test] ".
TAG = re.compile(r"^\[(?:host|guest|vm|user)[^\]]*\] ")
# A quote with these is code, a path or a name, not a sentence the code prints.
NOT_A_MESSAGE = re.compile(r"[/_()=;|{}$#&<>\\]|::")
COMMAND_WORDS = ("vm ", "make ", "python3 ", "ls ", "cat ", "echo ", "printf ", "spin ", "workload ", "mx-",
                 "monitor ", "break ", "pip ", "vmstat ", "struct ", "rep ", "cli;", "new ", "operator ", "enum ",
                 "[[", "bench ", "dev.py ", "do ", "git ")
# What the docs write for a value the code fills in: "N", "ID", "WHY", "text", "...", "<access>", numbers.
PLACEHOLDER = re.compile(r"\.\.\.|<[^>]*>|\d+|(?<=vm)N\b|\b(?:N|M|R|S|ID|WHY|NAME|PROGRAM|GUEST\.CHECK|text|reason)\b")
# What the code writes for a value: printf conversions and Python f-string fields.
CODE_FIELD = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?(?:hh|h|ll|l|z|j|t)?[diouxXscp%]|\{[^{}\n]*\}")

# A field in the code as this test stores it.
FIELD = "\x00"

# Quotes that look like messages but are not, each with why.
NOT_MESSAGES = {
    "build-essential cmake python3-venv qemu-system-x86 bochs bochs-term bochs-x bochsbios vgabios grub-pc-bin "
    "grub-common xorriso mtools gdb ccache": "Debian packages (README.md), tools/dev.py installs them",
    "before - after - heap growth": "a formula over the logged counts (docs/hostile-guests.md)",
    "[host user] process 7 (/bin/fault) ended by page fault (#PF, vector 14) at rip ..., address 0, ...":
        "an example with the program and the exception filled in (README.md)",
}


def doc_files() -> list[Path]:
    return sorted((SOURCE_DIR / "docs").glob("*.md")) + [SOURCE_DIR / "README.md"]


def quoted_messages(markdown: str) -> list[str]:
    """The backtick quotes of `markdown` that read like printed lines: tagged log
    lines, and quotes of three or more words that are neither code nor a command.
    A code span cannot cross a paragraph; fenced blocks hold commands and examples."""
    messages = []
    for paragraph in re.split(r"\n\s*\n", FENCE.sub("", markdown)):
        for span in SPAN.findall(paragraph):
            quote = " ".join(span.split())
            if TAG.match(quote):
                messages.append(quote)
            elif quote.count(" ") >= 2 and not NOT_A_MESSAGE.search(quote) and not quote.startswith(COMMAND_WORDS):
                messages.append(quote)
    return messages


def code_text() -> str:
    """Every source file of the code, each printf conversion and f-string field
    replaced by FIELD, so that "vm%d stats: end" reads as "vm\\0 stats: end"."""
    texts = [path.read_text(errors="replace") for folder in CODE_FOLDERS
             for path in sorted((SOURCE_DIR / folder).rglob("*")) if path.suffix in CODE_SUFFIXES]
    return CODE_FIELD.sub(FIELD, "\n".join(texts))


def piece_in_code(piece: str, code: str) -> bool:
    """Whether the code prints `piece`: literally between its fields, or with some of
    its words being what a field printed (the docs quote real lines: "failing page
    allocation" is "failing %s allocation")."""
    if piece in code.replace(FIELD, ""):
        return True
    words = piece.split(" ")
    pattern = re.compile(" ".join(f"(?:({re.escape(word)})|{FIELD})" for word in words))
    # At least half the words as written: a quote must not pass on fields alone ("%s %s").
    return any(2 * sum(1 for word in match.groups() if word) >= len(words) for match in pattern.finditer(code))


def missing_pieces(quote: str, code: str) -> list[str]:
    """The literal pieces of `quote` (its tags and placeholders taken out) that no
    source file prints."""
    body = quote
    while TAG.match(body):
        body = TAG.sub("", body, count=1)
    pieces = [piece.strip(" ,:") for piece in PLACEHOLDER.split(body)]
    return [piece for piece in pieces if len(piece) >= 3 and not piece_in_code(piece, code)]


def test_quote_finder_finds_messages_and_skips_code() -> None:
    markdown = ("A VM ends with `[host vmx] vm1 ended after N VM exits` and `out of host memory`;\n"
                "run `vm start --mem 8 /boot/kernel` or read `kernel/mm/heap.cpp` and `Vm::id()`.\n\n"
                "```\n`[host boot] in a fence` is an example\n```\n")
    assert quoted_messages(markdown) == ["[host vmx] vm1 ended after N VM exits", "out of host memory"]


def test_placeholders_match_what_the_code_fills_in() -> None:
    code = CODE_FIELD.sub(FIELD, 'log(vmx, "vm%d ended after %lu VM exits", id, n); log(memory, "failing %s page");')
    assert missing_pieces("[host vmx] vm1 ended after N VM exits", code) == []
    assert missing_pieces("[host vmx] vm1 ended before N VM exits", code) == ["ended before"]
    assert missing_pieces("[host memory] failing heap page", code) == []
    assert missing_pieces("[host memory] failing heap pages", code) == ["failing heap pages"]
    assert missing_pieces("[host memory] anything at all", CODE_FIELD.sub(FIELD, '"%s %s %s"')) == ["anything at all"]


def test_allow_list_holds_only_quotes_the_docs_still_make() -> None:
    quotes = {quote for doc in doc_files() for quote in quoted_messages(doc.read_text())}
    assert set(NOT_MESSAGES) <= quotes, set(NOT_MESSAGES) - quotes


@pytest.mark.parametrize("doc", doc_files(), ids=lambda path: path.name)
def test_every_quoted_message_is_in_the_code(doc: Path) -> None:
    code = code_text()
    stale = {quote: missing for quote in quoted_messages(doc.read_text()) if quote not in NOT_MESSAGES
             if (missing := missing_pieces(quote, code))}
    assert not stale, "quoted in " + doc.name + " but printed by no code (piece not found):\n" + "\n".join(
        f"  `{quote}`: {missing}" for quote, missing in stale.items())


def test_readme_folder_table_lists_each_folder_once() -> None:
    first_cells = re.findall(r"^\| (.*?) \|", (SOURCE_DIR / "README.md").read_text(), re.MULTILINE)
    folders = [span for cell in first_cells for span in SPAN.findall(cell) if span.endswith("/")]
    assert folders, "no folder table in README.md"
    assert len(folders) == len(set(folders)), sorted({folder for folder in folders if folders.count(folder) > 1})
