"""tools/matryoshka/serial_input.py: typing into COM1 in order, each text only
after the serial output showed what it waits for; the emulator's side of the
socket stands in for QEMU's and Bochs' COM1, which connect to the typer."""
from __future__ import annotations

import socket
import tempfile
from pathlib import Path

from matryoshka.emulators import RunConfig, bochs_config, qemu_command
from matryoshka.serial_input import SerialInput, SerialTyper, as_steps


class FakeEmulator:
    """A COM1 connecting to the typer's port, as the emulators do."""

    def __init__(self, port: int):
        self.connection = socket.create_connection(("127.0.0.1", port))
        self.connection.settimeout(0.2)

    def received(self) -> bytes:
        data = b""
        try:
            while chunk := self.connection.recv(4096):
                data += chunk
        except TimeoutError:
            pass
        return data

    def close(self) -> None:
        self.connection.close()


def test_pairs_become_steps() -> None:
    assert as_steps([("ready", "a\r")]) == [SerialInput("ready", "a\r")]


def test_texts_are_sent_in_order_after_their_markers() -> None:
    typer = SerialTyper(as_steps([("ready", "first\r"), ("ready", "second\r")]))
    emulator = FakeEmulator(typer.port)
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


def test_typer_drains_what_the_emulator_sends_and_logs_it_when_asked() -> None:
    """More output than a socket buffer holds gets through only if the typer
    reads it: otherwise the emulated UART would stall."""
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "serial.log"
        typer = SerialTyper(as_steps([("never", "x")]), log)
        emulator = FakeEmulator(typer.port)
        try:
            typer.poll("")
            emulator.connection.settimeout(10)
            emulator.connection.sendall(b"x" * 4_000_000)
            emulator.close()
            typer.wait_for_output_end(10)
            assert log.stat().st_size == 4_000_000
        finally:
            typer.close()


def test_typer_waits_for_the_emulator_to_connect() -> None:
    typer = SerialTyper(as_steps([("", "x")]))
    try:
        typer.poll("anything")
        assert typer.sent == []
    finally:
        typer.close()


def test_qemu_serial_goes_through_the_socket_and_the_log() -> None:
    command = qemu_command(RunConfig(kernel=Path("kernel.elf"), serial_port=4321), Path("/tmp/serial.log"))
    chardev = command[command.index("-chardev") + 1]
    assert chardev.startswith("socket,id=com1,host=127.0.0.1,port=4321,server=off")
    assert "logfile=/tmp/serial.log" in chardev
    assert command[command.index("-serial") + 1] == "chardev:com1"


def test_bochs_serial_connects_to_the_typer() -> None:
    config = bochs_config(RunConfig(emulator="bochs", serial_port=4321), Path("x.iso"), Path("s.log"), Path("b.log"))
    assert "com1: enabled=1, mode=socket-client, dev=localhost:4321" in config
    assert "com1: enabled=1, mode=file, dev=s.log" in bochs_config(RunConfig(emulator="bochs"), Path("x.iso"),
                                                                     Path("s.log"), Path("b.log"))


def test_keyboard_is_forwarded_raw_only_after_the_last_step() -> None:
    """run.py --keyboard (dev.py demo --interactive): the person's keys reach
    COM1 as typed, Ctrl-] included, once the scripted steps are done."""
    import os
    import time

    read_end, write_end = os.pipe()
    typer = SerialTyper(as_steps([("$ ", "vm start --attach /boot/kernel\r")]), then_forward=read_end)
    emulator = FakeEmulator(typer.port)
    try:
        os.write(write_end, b"early")
        typer.poll("booting\n")
        assert emulator.received() == b""  # the script is not done: the keyboard waits
        typer.poll("booting\n/$ ")
        time.sleep(0.1)
        assert emulator.received() == b"vm start --attach /boot/kernel\rearly"
        os.write(write_end, b"ls /\r\x1d")
        time.sleep(0.1)
        assert emulator.received() == b"ls /\r\x1d"
    finally:
        os.close(write_end)
        typer.close()
        emulator.close()
        os.close(read_end)


def test_run_py_detach_presses_ctrl_right_bracket_in_order() -> None:
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("run_py", Path(__file__).resolve().parents[2] / "tools" / "run.py")
    assert spec is not None and spec.loader is not None
    run_py = importlib.util.module_from_spec(spec)
    sys.modules["run_py"] = run_py
    spec.loader.exec_module(run_py)
    args = run_py.parse_arguments(["--type", "vm attach 1", "--detach", "--type", "poweroff"])
    assert args.type == ["vm attach 1", "\x1d", "poweroff"]
