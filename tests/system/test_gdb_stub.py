"""The kernel's GDB stub (kernel/debug/gdb_stub.h) in Bochs, spoken to raw over
COM2's socket: noise, a bad checksum and an oversized packet are refused with
'-', bad requests get 'E' replies (unmapped and non-canonical addresses
included), nothing of it crashes the kernel, and after 'D' the boot finishes
its tests. (tests/system/test_gdb_helpers.py drives it with GDB itself.)"""
from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from conftest import BUILD_DIR, explain
from matryoshka import paths, runner
from matryoshka.emulators import RunConfig
from matryoshka.verdict import RunResult, Verdict

pytestmark = pytest.mark.skipif(shutil.which("bochs-bin") is None, reason="Bochs is not installed")


def framed(payload: bytes) -> bytes:
    return b"$" + payload + b"#" + f"{sum(payload) % 256:02x}".encode()


class Link:
    """GDB's side of the line, by hand."""

    def __init__(self, port: int):
        deadline = time.monotonic() + 30
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.buffer = b""

    def byte(self) -> bytes:
        while not self.buffer:
            data = self.sock.recv(4096)
            assert data, "the stub closed the line"
            self.buffer += data
        b, self.buffer = self.buffer[:1], self.buffer[1:]
        return b

    def acknowledgement(self) -> bytes:
        while (b := self.byte()) not in (b"+", b"-"):
            pass
        return b

    def packet(self) -> bytes:
        while self.byte() != b"$":
            pass
        payload = b""
        while (b := self.byte()) != b"#":
            payload += b
        checksum = self.byte() + self.byte()
        assert int(checksum, 16) == sum(payload) % 256, payload
        self.sock.sendall(b"+")
        return payload

    def send(self, raw: bytes) -> bytes:
        self.sock.sendall(raw)
        return self.acknowledgement()

    def ask(self, payload: bytes) -> tuple[bytes, str]:
        """The reply, and the text of the 'O' packets before it."""
        assert self.send(framed(payload)) == b"+"
        console = ""
        while (reply := self.packet()).startswith(b"O") and reply != b"OK":
            console += bytes.fromhex(reply[1:].decode()).decode()
        return reply, console


def test_stub_refuses_bad_packets_and_the_kernel_carries_on(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = RunConfig(emulator="bochs", kernel=paths.kernel_file(BUILD_DIR), cmdline="gdb=com2 test=boot",
                       modules=[paths.initrd_file(BUILD_DIR)], headless=True, timeout=240, work_dir=tmp_path,
                       gdb_port=port)
    results: list[RunResult] = []
    boot = threading.Thread(target=lambda: results.append(runner.run(config)))
    boot.start()
    try:
        link = Link(port)
        # Noise and a Ctrl-C outside packets are ignored; broken packets get '-'.
        link.sock.sendall(b"garbage+-\x03")
        assert link.send(b"$m0,8#00") == b"-"
        big = b"a" * 5000
        assert link.send(framed(big)) == b"-"
        assert link.ask(b"qSupported:swbreak+")[0] == b"PacketSize=1000;swbreak+"
        assert link.ask(b"qAttached")[0] == b"1"
        assert link.ask(b"?")[0] == b"S05"
        assert len(link.ask(b"g")[0]) == 2 * 164
        assert link.ask(b"m0,8")[0] == b"E0e"  # the null page is not mapped
        assert link.ask(b"m0000800000000000,8")[0] == b"E0e"  # not canonical
        assert link.ask(b"M0,1:00")[0] == b"E0e"
        assert link.ask(b"m1234")[0] == b"E01"
        assert link.ask(b"Z0,zz,1")[0] == b"E01"
        assert link.ask(b"z0,ffffffff80100000,1")[0] == b"E02"
        assert link.ask(b"P99=00")[0] == b"E01"
        assert link.ask(b"vMustReplyEmpty")[0] == b""
        assert link.ask(b"qRcmd,7")[0] == b"E01"
        # The kernel's text is readable; at boot no VMCS exists to read.
        assert len(link.ask(b"mffffffff80100000,10")[0]) == 32
        reply, console = link.ask(b"qRcmd," + b"vmread 4402".hex().encode())
        assert (reply, console) == (b"OK", "vmread: this CPU is not in VMX operation\n")
        assert link.ask(b"D")[0] == b"OK"
        link.sock.close()
    finally:
        boot.join(timeout=300)
    assert results, "the boot did not end"
    result = results[0]
    assert "[host debug] GDB detached: running on" in result.serial, explain(result)
    assert result.verdict == Verdict.PASSED and result.tests, explain(result)
