"""The file workload's contents computed on the build machine: the same SplitMix64
streams and FNV-1a checksum as user/workload/workload_content.h, so a tool can check
the checksum the OS prints for a directory it never saw, and its result lines."""
from __future__ import annotations

import re
from dataclasses import dataclass

FILES_PER_ROUND = 6
MIN_FILE_SIZE = 256
FILE_SIZE_SPREAD = 6144
MASK = (1 << 64) - 1

# One line of the workload program: "workload: PASS run dir=/multi/vm1 seed=1
# rounds=3 round=2 files=6 checksum=..." or "workload: FAIL run DIR: why".
RESULT = re.compile(r"workload: (?P<outcome>PASS|FAIL) (?P<mode>run|check|clean) "
                    r"(?:dir=)?(?P<dir>\S+?):?(?: seed=(?P<seed>\d+) rounds=(?P<rounds>\d+) round=(?P<round>\d+) "
                    r"files=(?P<files>\d+) checksum=(?P<checksum>[0-9a-f]{16})|(?P<why> .*))?$")


class ContentStream:
    """The bytes of file `index` in `round` of a run with `seed`."""

    def __init__(self, seed: int, round_: int, index: int) -> None:
        self.state = (seed * 0xD1342543DE82EF95 + round_ * 0x9E3779B97F4A7C15 + index * 0xBF58476D1CE4E5B9) & MASK
        self.size = MIN_FILE_SIZE + self._next() % FILE_SIZE_SPREAD

    def _next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def content(self) -> bytes:
        words = (self.size + 7) // 8
        data = b"".join(self._next().to_bytes(8, "little") for _ in range(words))
        return data[:self.size]


def file_content(seed: int, round_: int, index: int) -> bytes:
    return ContentStream(seed, round_, index).content()


def fnv1a(data: bytes, value: int = 0xCBF29CE484222325) -> int:
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & MASK
    return value


def round_checksum(seed: int, round_: int) -> int:
    """What `workload check` prints for a directory holding `round` of `seed`."""
    value = 0xCBF29CE484222325
    for index in range(FILES_PER_ROUND):
        value = fnv1a(file_content(seed, round_, index), value)
    return value


@dataclass
class WorkloadResult:
    outcome: str
    mode: str
    dir: str
    seed: int = 0
    rounds: int = 0
    round: int = 0
    checksum: int = 0
    why: str = ""

    @property
    def checksum_matches(self) -> bool:
        """Whether the printed checksum is the one the seed and round imply."""
        return self.outcome == "PASS" and self.checksum == round_checksum(self.seed, self.round)


def result_source(line: str) -> str:
    """Who printed the workload result in `line`: "vmN" for a relayed guest line,
    whose tag stands right before the result (a relayed line may follow a host
    prompt on the same line: "/$ [vm2] workload: PASS ..."), else "host"."""
    tag = re.search(r"\[(vm\d+)\] workload: ", line)
    return tag[1] if tag else "host"


def parse_result(line: str) -> WorkloadResult | None:
    """The result in one line of output (a relayed guest line's text too), or None."""
    at = line.find("workload: ")
    match = RESULT.match(line[at:].rstrip("\r")) if at >= 0 else None
    if not match:
        return None
    if match["seed"] is None:
        return WorkloadResult(match["outcome"], match["mode"], match["dir"], why=(match["why"] or "").strip())
    return WorkloadResult(match["outcome"], match["mode"], match["dir"], int(match["seed"]), int(match["rounds"]),
                          int(match["round"]), int(match["checksum"], 16))
