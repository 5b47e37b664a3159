"""Bochs' text display (display_library: term, an ncurses program), read all the
time. Debian's Bochs has its debugger built in, and with it the term display
opens a pseudo-terminal of its own (/dev/ptmx) and only names its other end on
standard error ("Bochs connected to screen "/dev/pts/N""). Nobody read that
terminal: once its buffer was full, Bochs blocked in a write and the run looked
like a hang. Here a thread opens the named terminal at once, reads every byte as
it comes and interprets it with a model of the screen (terminal_screen), whose
final 80x25 text is kept beside the serial log as screen.txt. Given a terminal
(tools/byok.py), the display is also drawn there and the keys typed there go to
Bochs, which presses them on the PS/2 keyboard."""
from __future__ import annotations

import fcntl
import os
import re
import struct
import termios
import threading
import time
import tty
from pathlib import Path

from .terminal_screen import TerminalScreen

ROWS = 25
COLUMNS = 80
SCREEN_FILE = "screen.txt"
CONNECTED = re.compile(r'Bochs connected to screen "(?P<path>[^"]+)"')
POLL_SECONDS = 0.02


class BochsDisplay:
    """Start Bochs with `environment()` and its standard error going to
    `messages` (a file), call `started()`, and `finish()` after it ended."""

    def __init__(self, messages: Path, terminal: int | None = None) -> None:
        """`terminal`: a file descriptor (a person's terminal, in raw mode) that
        shows the display and types into it."""
        self.messages = messages
        self.terminal = terminal
        self.screen = TerminalScreen(ROWS, COLUMNS)
        self.bytes_read = 0
        self.terminal_path: str | None = None
        self._lock = threading.Lock()
        self._ended = threading.Event()
        self._reader = threading.Thread(target=self._follow, name="bochs display", daemon=True)

    @staticmethod
    def environment() -> dict[str, str]:
        """A VT100 of the VGA text mode's size in the C locale (one byte per
        character), whatever terminal the launcher itself runs on."""
        environment = dict(os.environ)
        environment.update(TERM="vt100", LINES=str(ROWS), COLUMNS=str(COLUMNS), LC_ALL="C")
        environment.pop("LANG", None)
        return environment

    def started(self) -> None:
        self._reader.start()

    def _find_terminal(self) -> str | None:
        """The terminal Bochs names on standard error, once it did."""
        while not self._ended.is_set():
            try:
                match = CONNECTED.search(self.messages.read_text(errors="replace"))
            except FileNotFoundError:
                match = None
            if match:
                return match["path"]
            time.sleep(POLL_SECONDS)
        return None

    def _follow(self) -> None:
        path = self._find_terminal()
        if path is None:
            return
        try:
            fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        except OSError:
            return
        self.terminal_path = path
        try:
            # Raw: no echo (it would come back to Bochs as typed keys), no line
            # buffering, bytes as they are.
            tty.setraw(fd)
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
            if self.terminal is not None:
                threading.Thread(target=self._type, args=(fd,), name="bochs keys", daemon=True).start()
            self._read(fd)
        finally:
            os.close(fd)

    def _read(self, fd: int) -> None:
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: Bochs closed its end
                return
            if not data:
                return
            with self._lock:
                self.bytes_read += len(data)
                self.screen.feed(data)
            if self.terminal is not None:
                os.write(self.terminal, data)

    def _type(self, fd: int) -> None:
        """The terminal's keys to Bochs' display, as they come, until either ends."""
        assert self.terminal is not None
        while not self._ended.is_set():
            try:
                data = os.read(self.terminal, 1024)
                if not data:
                    return
                os.write(fd, data)
            except OSError:
                return

    def text(self) -> str:
        with self._lock:
            return self.screen.text()

    def finish(self, work_dir: Path) -> str:
        """After Bochs ended: the final screen, also written to work_dir/screen.txt."""
        self._ended.set()
        if self._reader.ident is not None:
            self._reader.join(timeout=5)
        text = self.text()
        (work_dir / SCREEN_FILE).write_text(text)
        return text
