"""tools/matryoshka/serial_input.py: typing into COM1 in order, each text only
after the serial output showed what it waits for."""
from __future__ import annotations

import socket
import tempfile
import time
from pathlib import Path

from matryoshka.emulators import RunConfig, qemu_command
from matryoshka.serial_input import SerialInput, SerialTyper, as_steps


class FakeEmulator:
    """A listening Unix socket standing in for QEMU's COM1 chardev."""

    def __init__(self, path: Path):
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(1)
        self.connection: socket.socket | None = None

    def received(self) -> bytes:
        if self.connection is None:
            self.connection, _ = self.server.accept()
            self.connection.settimeout(0.2)
        data = b""
        try:
            while chunk := self.connection.recv(4096):
                data += chunk
        except TimeoutError:
            pass
        return data

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
        self.server.close()


def test_pairs_become_steps() -> None:
    assert as_steps([("ready", "a\r")]) == [SerialInput("ready", "a\r")]


def test_texts_are_sent_in_order_after_their_markers() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "com1.sock"
        emulator = FakeEmulator(path)
        typer = SerialTyper(path, as_steps([("ready", "first\r"), ("ready", "second\r")]))
        try:
            typer.poll("booting\n")
            assert emulator.received() == b""
            typer.poll("booting\nready\n")
            # The second step waits for a second "ready", after the first one.
            assert emulator.received() == b"first\r"
            typer.poll("booting\nready\nmore ready\n")
            assert emulator.received() == b"second\r"
            assert typer.sent == ["first\r", "second\r"]
        finally:
            typer.close()
            emulator.close()


def test_typer_drains_what_the_emulator_sends() -> None:
    """More output than a socket buffer holds gets through only if the typer
    reads it: otherwise the emulated UART would stall."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "com1.sock"
        emulator = FakeEmulator(path)
        typer = SerialTyper(path, as_steps([("never", "x")]))
        try:
            typer.poll("")
            emulator.received()
            assert emulator.connection is not None
            emulator.connection.setblocking(False)
            remaining = memoryview(b"x" * 4_000_000)
            deadline = time.monotonic() + 10
            while remaining and time.monotonic() < deadline:
                try:
                    remaining = remaining[emulator.connection.send(remaining):]
                except BlockingIOError:
                    typer.poll("")
            assert len(remaining) == 0
        finally:
            typer.close()
            emulator.close()


def test_typer_waits_for_the_socket_to_appear() -> None:
    typer = SerialTyper(Path("/nonexistent/com1.sock"), as_steps([("", "x")]))
    typer.poll("anything")
    assert typer.sent == []


def test_qemu_serial_goes_through_the_socket_and_the_log() -> None:
    command = qemu_command(RunConfig(kernel=Path("kernel.elf")), Path("/tmp/serial.log"), Path("/tmp/com1.sock"))
    chardev = command[command.index("-chardev") + 1]
    assert chardev.startswith("socket,id=com1,path=/tmp/com1.sock,server=on,wait=off")
    assert "logfile=/tmp/serial.log" in chardev
    assert command[command.index("-serial") + 1] == "chardev:com1"
