"""The guest-against-host figures of `make bench` (tools/bench/host_guest.py and
run_all.py) from a serial log shaped like a real run: the host's and the relayed
guest's lines are told apart, a line claiming to be the other side's is not
counted, each ratio is the guest's rate over the host's, and results.json carries
them under keys beginning guest_vs_host_."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

# The benchmark scripts import each other from their own folder, as when run.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "bench"))

import host_guest  # noqa: E402
import run_all  # noqa: E402

SERIAL = """\
[host user] run: starting /bin/bench_host_guest
[host user] bench_host_guest: [user bench] compare cpu: 2000000 ops in 14000000 cycles
[host user] bench_host_guest: [user bench] compare syscall: 20000 ops in 2000000 cycles
[host user] bench_host_guest: [user bench] compare fork_exec: 12 ops in 2400000 cycles
[host user] bench_host_guest: [user bench] compare file: 512 ops in 1600000 cycles
[host user] bench_host_guest: [guest user] x: [user bench] compare cpu: 2000000 ops in 1 cycles
[vm1] [guest user] bench_host_guest: [user bench] compare cpu: 2000000 ops in 14285000 cycles
[vm1] [guest user] bench_host_guest: [user bench] compare syscall: 20000 ops in 2500000 cycles\r
[vm1] [guest user] bench_host_guest: [user bench] compare fork_exec: 12 ops in 3000000 cycles
[vm1] [host user] bench_host_guest: [user bench] compare file: 512 ops in 1 cycles
[vm1] [guest user] bench_host_guest: [user bench] compare file: 512 ops in 1600000 cycles
"""


def test_rates_tell_the_host_from_the_relayed_guest() -> None:
    host, guest = host_guest.rates(SERIAL)
    assert host == {"cpu": pytest.approx(2000000 * 1000 / 14000000), "syscall": 10.0, "fork_exec": 0.005,
                    "file": 0.32}
    assert guest["cpu"] == pytest.approx(2000000 * 1000 / 14285000)
    assert guest["syscall"] == 8.0 and guest["fork_exec"] == 0.004 and guest["file"] == 0.32


def test_ratios_are_guest_over_host_keyed_guest_vs_host() -> None:
    ratios = host_guest.ratios(*host_guest.rates(SERIAL))
    assert list(ratios) == ["guest_vs_host_cpu", "guest_vs_host_syscall", "guest_vs_host_fork_exec",
                            "guest_vs_host_file"]
    assert ratios["guest_vs_host_cpu"] == pytest.approx(14000000 / 14285000)
    assert ratios["guest_vs_host_syscall"] == pytest.approx(0.8)
    assert ratios["guest_vs_host_fork_exec"] == pytest.approx(0.8)
    assert ratios["guest_vs_host_file"] == pytest.approx(1.0)


def test_a_workload_one_side_lacks_gets_no_ratio() -> None:
    host, guest = host_guest.rates(SERIAL)
    del guest["file"]
    host["syscall"] = 0.0
    assert list(host_guest.ratios(host, guest)) == ["guest_vs_host_cpu", "guest_vs_host_fork_exec"]


def test_results_json_has_the_ratios_and_the_targets() -> None:
    host, guest = host_guest.rates(SERIAL)
    comparison = host_guest.Comparison(host, guest, {"io_instruction": 7})
    results = run_all.Results(figures=run_all.host_guest_figures(comparison),
                              exit_rates={"boot": {}, "idle": {}},
                              guest_exits_host_guest=comparison.guest_exits)
    document = json.loads(json.dumps(run_all.as_json(results, None, "bochs")))
    ratios = document["guest_vs_host"]
    assert set(ratios) == {"guest_vs_host_cpu", "guest_vs_host_syscall", "guest_vs_host_fork_exec",
                           "guest_vs_host_file"}
    assert ratios["guest_vs_host_syscall"] == pytest.approx(0.8)
    met = {f["key"]: f["met"] for f in document["figures"]}
    # cpu just above its target of 0.98; syscall (0.95) and fork_exec (0.90) below; file has none.
    assert met == {"guest_vs_host_cpu": True, "guest_vs_host_syscall": False, "guest_vs_host_fork_exec": False,
                   "guest_vs_host_file": None}
    assert document["guest_exits_during_host_guest"] == {"io_instruction": 7}
    assert "| 8. same program in a guest: cpu |" in run_all.markdown(results, "", "bochs")
