"""Typing into the kernel's COM1 while it runs: the emulator's COM1 connects to a
TCP port on 127.0.0.1 where a SerialTyper listens, and the typer sends each text
once the kernel's serial output shows what the text waits for. QEMU also writes
COM1's output to the serial log itself (its chardev's logfile); for Bochs the
typer appends what arrives on the socket to the log."""
from __future__ import annotations

import os
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SerialInput:
    """Send `text` once `wait_for` appears in the serial output (after the point
    where the previous step's `wait_for` was found)."""

    wait_for: str
    text: str


def as_steps(pairs: Sequence[tuple[str, str]] | Sequence[SerialInput]) -> list[SerialInput]:
    return [p if isinstance(p, SerialInput) else SerialInput(*p) for p in pairs]


class SerialTyper:
    """Listens for the emulator's COM1, follows the serial text and types the
    steps in order. A thread of its own reads what the emulator sends as soon as
    it comes, so that the emulated UART never waits for us; with `log`, it is
    appended there. TCP, not a Unix socket: a Unix socket fills after a few
    hundred one-byte writes, and QEMU 7.2's UART then sends a byte twice when it
    retries."""

    def __init__(self, steps: Sequence[SerialInput], log: Path | None = None, then_forward: int | None = None):
        """`then_forward`: a file descriptor (a person's terminal) whose bytes go
        to COM1 once every step is typed."""
        self.steps = list(steps)
        self.log = log
        self.then_forward = then_forward
        self._forwarder: threading.Thread | None = None
        self.position = 0  # serial text before this was matched by an earlier step
        self.sent: list[str] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(1)
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self._socket: socket.socket | None = None
        self._reader: threading.Thread | None = None
        self._closed = False
        if log is not None:
            log.write_bytes(b"")

    def poll(self, serial_text: str) -> None:
        """Called with the whole serial text so far, again and again."""
        if not self._connected():
            return
        while self.steps:
            found = serial_text.find(self.steps[0].wait_for, self.position)
            if found < 0:
                return
            step = self.steps.pop(0)
            self.position = found + len(step.wait_for)
            assert self._socket is not None
            try:
                self._socket.sendall(step.text.encode())
            except OSError:  # the emulator has gone: nobody left to type to
                self.close()
                return
            self.sent.append(step.text)
        if self.then_forward is not None and self._forwarder is None:
            self._forwarder = threading.Thread(target=self._forward, args=(self.then_forward,), daemon=True)
            self._forwarder.start()

    def _forward(self, fd: int) -> None:
        """Every byte typed on `fd`, as it comes, until the emulator has gone."""
        while not self._closed and (data := os.read(fd, 1024)):
            connection = self._socket
            if connection is None:
                return
            try:
                connection.sendall(data)
            except OSError:
                return

    def wait_for_output_end(self, seconds: float) -> None:
        """After the emulator ended: lets the reader take in the last output."""
        if self._reader is not None:
            self._reader.join(seconds)

    def close(self) -> None:
        self._closed = True
        if self._socket is not None:
            try:
                self._socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._socket.close()
            self._socket = None
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(1.0)
        self._listener.close()

    def _connected(self) -> bool:
        if self._socket is not None:
            return True
        if self._closed:
            return False
        try:
            connection, _ = self._listener.accept()
        except (BlockingIOError, InterruptedError):
            return False
        connection.setblocking(True)
        self._socket = connection
        self._reader = threading.Thread(target=self._read_until_closed, args=(connection,), daemon=True)
        self._reader.start()
        return True

    def _read_until_closed(self, connection: socket.socket) -> None:
        try:
            while data := connection.recv(65536):
                if self.log is not None:
                    with open(self.log, "ab") as log:
                        log.write(data)
        except OSError:
            pass
