"""Typing into the kernel's COM1 while it runs: QEMU listens on a Unix socket for
COM1, and a SerialTyper connects to it and sends each text once the kernel's
serial output shows what the text waits for."""
from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence


@dataclass(frozen=True)
class SerialInput:
    """Send `text` once `wait_for` appears in the serial output (after the point
    where the previous step's `wait_for` was found)."""

    wait_for: str
    text: str


def as_steps(pairs: Sequence[tuple[str, str]] | Sequence[SerialInput]) -> list[SerialInput]:
    return [p if isinstance(p, SerialInput) else SerialInput(*p) for p in pairs]


class SerialTyper:
    """Follows the serial text and types the steps in order over the socket."""

    def __init__(self, socket_path: Path, steps: Sequence[SerialInput]):
        self.socket_path = socket_path
        self.steps = list(steps)
        self.position = 0  # serial text before this was matched by an earlier step
        self.sent: list[str] = []
        self._socket: socket.socket | None = None
        self._closed = False

    def poll(self, serial_text: str) -> None:
        """Called with the whole serial text so far, again and again."""
        if not self._connected():
            return
        self._drain()
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

    def close(self) -> None:
        self._closed = True
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _connected(self) -> bool:
        if self._socket is not None:
            return True
        # Until the emulator has made its socket, and never again once closed.
        if self._closed or not self.socket_path.exists():
            return False
        candidate = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            candidate.connect(str(self.socket_path))
        except OSError:
            candidate.close()
            return False
        candidate.setblocking(False)
        self._socket = candidate
        return True

    def _drain(self) -> None:
        """Reads and drops what QEMU sends to the socket (the log file has it): a
        full socket would stall the emulated UART."""
        assert self._socket is not None
        try:
            while self._socket.recv(65536):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self.close()
