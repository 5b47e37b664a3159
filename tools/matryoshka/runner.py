"""Runs the kernel in an emulator, follows its serial output, and judges the run.
Used by tools/run.py (people, make targets), by the pytest harness and by the
benchmarks alike."""
from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from . import emulators, image, verdict
from .bochs_display import BochsDisplay
from .emulators import CannotRun, RunConfig
from .serial_input import SerialInput, SerialTyper, as_steps
from .verdict import RunResult, Verdict

# After the kernel printed its last word, the emulator gets this long to exit.
GRACE_SECONDS = 5.0
POLL_SECONDS = 0.05


# The host's last words. Only the host's: a guest's own test summary or panic
# ("[vm1] [guest test] SUMMARY: ...") comes while the host still has work to do.
FINAL_LINE = re.compile(r"^\[host \w+\] (?:SUMMARY|PANIC|POWER OFF): ", re.MULTILINE)


def _final_line_seen(serial: str) -> bool:
    return FINAL_LINE.search(serial) is not None


class _SerialFollower:
    """Reads the growing serial log and echoes new text to `echo`."""

    def __init__(self, path: Path, echo: TextIO | None):
        self.path = path
        self.echo = echo
        self.text = ""

    def poll(self) -> None:
        try:
            data = self.path.read_bytes().decode("utf-8", errors="replace").replace("\r", "")
        except FileNotFoundError:
            return
        if len(data) > len(self.text):
            if self.echo is not None:
                self.echo.write(data[len(self.text):])
                self.echo.flush()
            self.text = data


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _follow(process: subprocess.Popen[bytes], follower: _SerialFollower, timeout: float | None,
            on_serial: Callable[[str], None] | None, on_exit: Callable[[], None] | None = None) -> bool:
    """Waits for the emulator to end; returns True when the timeout stopped it."""
    start = time.monotonic()
    finished_at: float | None = None
    while True:
        follower.poll()
        if on_serial is not None:
            on_serial(follower.text)
        if process.poll() is not None:
            if on_exit is not None:
                on_exit()  # lets a typer hand over the last output
            follower.poll()
            return False
        now = time.monotonic()
        if finished_at is None and _final_line_seen(follower.text):
            finished_at = now
        if finished_at is not None and now - finished_at > GRACE_SECONDS:
            _stop(process)
            return False
        if timeout is not None and now - start > timeout:
            _stop(process)
            follower.poll()
            return True
        time.sleep(POLL_SECONDS)


def _prepare_bochs(config: RunConfig, serial_log: Path) -> tuple[list[str], Path]:
    iso = image.make_iso(config.kernel, config.cmdline, config.modules, config.work_dir / "boot.iso")
    bochs_log = config.work_dir / "bochs.log"
    bochsrc = config.work_dir / "bochsrc"
    bochsrc.write_text(emulators.bochs_config(config, iso, serial_log, bochs_log))
    commands = config.work_dir / "bochs-debugger-commands"
    commands.write_text("continue\nquit\n")
    return emulators.bochs_command(bochsrc, commands), bochs_log


def run(config: RunConfig, echo: TextIO | None = None,
        on_serial: Callable[[str], None] | None = None,
        serial_input: Sequence[tuple[str, str]] | Sequence[SerialInput] = (),
        then_forward: int | None = None) -> RunResult:
    """Boots the kernel as `config` says and returns the judged result.

    `serial_input` types into COM1 while the kernel runs: (wait-for, text) pairs,
    each text sent once the serial output shows its wait-for text. After them,
    the bytes read from file descriptor `then_forward` (a person's terminal) go
    to COM1 as they come."""
    if not serial_input and then_forward is None:
        return _run(config, echo, on_serial)
    config.work_dir.mkdir(parents=True, exist_ok=True)
    # QEMU logs COM1 itself; Bochs' COM1 output only comes through the socket.
    log = config.work_dir / "serial.log" if config.emulator == "bochs" else None
    typer = SerialTyper(as_steps(serial_input), log, then_forward)
    config.serial_port = typer.port

    def follow(text: str) -> None:
        typer.poll(text)
        if on_serial is not None:
            on_serial(text)

    try:
        return _run(config, echo, follow, on_exit=lambda: typer.wait_for_output_end(2.0))
    finally:
        typer.close()
        config.serial_port = None


def _run(config: RunConfig, echo: TextIO | None, on_serial: Callable[[str], None] | None,
         on_exit: Callable[[], None] | None = None) -> RunResult:
    config.work_dir.mkdir(parents=True, exist_ok=True)
    serial_log = config.work_dir / "serial.log"
    if config.serial_port is None or config.emulator != "bochs":
        serial_log.unlink(missing_ok=True)  # (the typer made Bochs' empty log)
    bochs_log: Path | None = None
    try:
        if not config.kernel.exists():
            raise CannotRun(f"{config.kernel} does not exist: build it first (cmake and make)")
        if config.emulator == "bochs":
            command, bochs_log = _prepare_bochs(config, serial_log)
        elif config.emulator in ("qemu", "kvm"):
            command = emulators.qemu_command(config, serial_log)
        else:
            raise CannotRun(f"unknown emulator {config.emulator!r}: choose qemu, kvm or bochs")
    except (CannotRun, FileNotFoundError, RuntimeError) as error:
        return RunResult(Verdict.CANNOT_RUN, str(error), "")

    emulator_output = config.work_dir / "emulator.out"
    interactive = config.interactive and config.emulator != "bochs" and config.serial_port is None
    display = _bochs_display(config)
    with open(emulator_output, "w") as output:
        process = _start_emulator(command, display, output, interactive)
        follower = _SerialFollower(serial_log, None if interactive else echo)
        try:
            timed_out = _follow(process, follower, config.timeout, on_serial, on_exit)
        finally:
            _stop(process)
    screen = display.finish(config.work_dir) if display else ""
    log_text = bochs_log.read_text(errors="replace") if bochs_log and bochs_log.exists() else ""
    log_text += emulator_output.read_text(errors="replace")
    result = verdict.judge(follower.text, timed_out=timed_out, exit_status=process.returncode,
                           emulator_log=log_text, crash_hint=_crash_hint(config, process.returncode, log_text))
    result.screen = screen
    return result


def _bochs_display(config: RunConfig) -> BochsDisplay | None:
    """A reader of Bochs' text display, when it has one."""
    if config.emulator == "bochs" and emulators.bochs_display_library(config) == "term":
        return BochsDisplay(config.work_dir / "emulator.out", config.display_terminal)
    return None


def _start_emulator(command: list[str], display: BochsDisplay | None, output: TextIO,
                    interactive: bool = False) -> subprocess.Popen[bytes]:
    """Starts the emulator with its messages going to `output` (the file
    `display` reads), or to this terminal when `interactive`; a thread reads
    Bochs' text display from then on, so that Bochs never waits for it."""
    process = subprocess.Popen(
        command,
        stdin=None if interactive else subprocess.DEVNULL,
        stdout=None if interactive else output,
        stderr=None if interactive else subprocess.STDOUT,
        env=display.environment() if display else None)
    if display is not None:
        display.started()
    return process


def _crash_hint(config: RunConfig, status: int | None, log_text: str) -> str:
    if config.emulator == "bochs":
        return verdict.bochs_crash_hint(log_text)
    # QEMU runs with -no-reboot, so a reset (a triple fault) ends it with status 0,
    # which the debug-exit device can never produce (it gives odd statuses).
    if status == 0:
        return "machine reset without powering off (triple fault?)"
    return ""


def _wait_for_port(port: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _gdb_command(config: RunConfig, port: int, gdb_commands: list[str], batch: bool,
                 before_connecting: Sequence[str] = ()) -> list[str]:
    gdb = emulators.require_program("gdb", "gdb")
    command = [gdb, "-q", str(config.kernel)]
    for line in before_connecting:
        command += ["-ex", line]
    command += ["-ex", f"target remote localhost:{port}"]
    helpers = Path(__file__).resolve().parents[1] / "gdb" / "matryoshka_gdb.py"
    if helpers.exists():
        command += ["-x", str(helpers)]
    for gdb_line in gdb_commands:
        command += ["-ex", gdb_line]
    if batch:
        command.insert(1, "-batch")
    return command


def run_debug(config: RunConfig, gdb_commands: list[str], batch: bool) -> int:
    """Starts the emulator halted with GDB attached: QEMU with its own GDB stub,
    Bochs with the kernel's (COM2, gdb=com2). Returns GDB's status, or with
    Bochs in `batch` mode the verdict of the boot that goes on after GDB
    detached. With `batch`, GDB runs `gdb_commands` and quits."""
    if config.emulator == "bochs":
        return _run_debug_bochs(config, gdb_commands, batch)
    config.work_dir.mkdir(parents=True, exist_ok=True)
    config.debug = True
    try:
        command = emulators.qemu_command(config, config.work_dir / "serial.log")
        gdb_command = _gdb_command(config, emulators.GDB_PORT, gdb_commands, batch)
    except CannotRun as error:
        print(f"run.py: {error}", file=sys.stderr)
        return Verdict.CANNOT_RUN
    qemu = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_port(emulators.GDB_PORT)
    try:
        return subprocess.call(gdb_command)
    finally:
        _stop(qemu)


def _run_debug_bochs(config: RunConfig, gdb_commands: list[str], batch: bool) -> int:
    """Bochs has no GDB stub of its own (Debian builds it without), so the
    kernel brings one: COM2 becomes a TCP server that GDB connects to, and
    gdb=com2 makes the kernel stop early at boot and wait for it."""
    config.work_dir.mkdir(parents=True, exist_ok=True)
    config.gdb_port = _free_port()
    config.cmdline = f"{config.cmdline} gdb=com2".strip()
    serial_log = config.work_dir / "serial.log"
    serial_log.unlink(missing_ok=True)
    try:
        command, bochs_log = _prepare_bochs(config, serial_log)
        # Bochs only starts once GDB connected (GDB retries while the port is
        # closed), and BIOS and GRUB come before the stub answers: patience.
        gdb_command = _gdb_command(config, config.gdb_port, gdb_commands, batch,
                                   ["set tcp connect-timeout 30", "set remotetimeout 60"])
    except (CannotRun, FileNotFoundError, RuntimeError) as error:
        print(f"run.py: {error}", file=sys.stderr)
        return Verdict.CANNOT_RUN
    emulator_output = config.work_dir / "emulator.out"
    display = _bochs_display(config)
    with open(emulator_output, "w") as output:
        bochs = _start_emulator(command, display, output)
        print(f"run.py: Bochs waits for GDB on COM2 (localhost:{config.gdb_port}); the kernel's log goes to "
              f"{serial_log}", file=sys.stderr)
        try:
            gdb_status = subprocess.call(gdb_command)
            if not batch or gdb_status != 0:
                return gdb_status
            follower = _SerialFollower(serial_log, sys.stdout)
            timed_out = _follow(bochs, follower, config.timeout, None)
        finally:
            _stop(bochs)
            if display is not None:
                display.finish(config.work_dir)
    log_text = bochs_log.read_text(errors="replace") if bochs_log.exists() else ""
    result = verdict.judge(follower.text, timed_out=timed_out, exit_status=bochs.returncode,
                           emulator_log=log_text, crash_hint=verdict.bochs_crash_hint(log_text))
    print(f"\nrun.py: {result.verdict.name.lower().replace('_', ' ')}: {result.reason}", file=sys.stderr)
    return int(result.verdict)
