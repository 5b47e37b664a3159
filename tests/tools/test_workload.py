"""tools/matryoshka/workload.py: the build machine's copy of the file workload's
contents (user/workload/workload_content.h) and of its result lines. The checksums
here are the ones tests/unit/workload_content_test.cpp pins for the C++ side."""
from __future__ import annotations

from matryoshka.workload import (
    FILES_PER_ROUND,
    ContentStream,
    file_content,
    parse_result,
    result_source,
    round_checksum,
)


def test_checksums_match_the_cpp_side() -> None:
    assert ContentStream(1, 0, 0).size == 1818
    assert int.from_bytes(file_content(1, 0, 0)[:8], "little") == 0xBFA9AE8D44B45A35
    assert round_checksum(1, 0) == 0xDB483E0C2DAEF452
    assert round_checksum(7, 3) == 0x07958BD264E5ED86


def test_content_depends_on_seed_round_and_index() -> None:
    base = file_content(1, 0, 0)
    assert file_content(1, 0, 0) == base
    assert base not in (file_content(2, 0, 0), file_content(1, 1, 0), file_content(1, 0, 1))
    assert all(len(file_content(4, 2, i)) == ContentStream(4, 2, i).size for i in range(FILES_PER_ROUND))


def test_a_relayed_pass_line_is_parsed_and_its_checksum_checked() -> None:
    checksum = round_checksum(2, 4)
    line = f"[vm2] workload: PASS run dir=/multi/vm2 seed=2 rounds=5 round=4 files=6 checksum={checksum:016x}"
    result = parse_result(line)
    assert result and result.outcome == "PASS" and result.mode == "run" and result.dir == "/multi/vm2"
    assert (result.seed, result.rounds, result.round) == (2, 5, 4)
    assert result.checksum_matches
    wrong = parse_result(line.replace("round=4", "round=3"))
    assert wrong and not wrong.checksum_matches


def test_a_fail_line_keeps_its_reason() -> None:
    result = parse_result("workload: FAIL check /multi/vm1: wrong bytes in /multi/vm1/f3")
    assert result and result.outcome == "FAIL" and result.dir == "/multi/vm1"
    assert result.why == "wrong bytes in /multi/vm1/f3"
    assert not result.checksum_matches


def test_other_lines_are_no_result() -> None:
    assert parse_result("[vm1] [guest boot] boot complete") is None
    assert parse_result("workload: maybe") is None


def test_a_clean_line_has_only_its_directory() -> None:
    result = parse_result("workload: PASS clean dir=/multi/vm3")
    assert result and result.outcome == "PASS" and result.mode == "clean" and result.dir == "/multi/vm3"


def test_the_start_line_is_no_result() -> None:
    assert parse_result("[vm1] workload: start run dir=/multi/vm1 seed=1 round=0") is None


def test_the_source_is_the_tag_right_before_the_result() -> None:
    assert result_source("[vm2] workload: PASS clean dir=/x") == "vm2"
    assert result_source("/$ [vm12] workload: PASS clean dir=/x") == "vm12"
    assert result_source("workload: PASS clean dir=/x") == "host"
    assert result_source("[vm1] /$ echo hi; workload: PASS clean dir=/x") == "host"
