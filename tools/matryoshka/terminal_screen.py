"""A model of a VT100-style terminal screen (ECMA-48 control functions as the
DEC VT100 and xterm implement them): fed the bytes a curses program writes, it
keeps the text a person would see. The launcher runs Bochs' text display
(display_library: term, an ncurses program) on a pseudo-terminal, reads it all
the time so that Bochs never blocks on a full terminal, and keeps the final
80x25 screen of each run with this model."""
from __future__ import annotations

# DEC Special Graphics (the VT100's line-drawing set, selected with ESC ( 0) as
# plain ASCII: enough for a person to read frames and arrows in a text file.
LINE_DRAWING = {
    "j": "+", "k": "+", "l": "+", "m": "+", "n": "+", "t": "+", "u": "+", "v": "+", "w": "+",
    "q": "-", "x": "|", "a": "#", "`": "*", "~": "o", "o": "-", "s": "_", "y": "<", "z": ">",
    "0": "#", "f": "'", "g": "#", ",": "<", "+": ">", ".": "v", "-": "^", "h": "#", "{": "p",
    "|": "!", "}": "L",
}


class TerminalScreen:
    """`rows` lines of `columns` characters, a cursor and a scrolling region.
    Colours and other attributes are ignored; unknown sequences are skipped
    whole, so they never show up as text."""

    def __init__(self, rows: int = 25, columns: int = 80):
        self.rows = rows
        self.columns = columns
        self.reset()

    def reset(self) -> None:
        self.cells = [[" "] * self.columns for _ in range(self.rows)]
        self.row = 0
        self.column = 0
        self.top = 0
        self.bottom = self.rows - 1
        self.wrap_pending = False  # the last column was written: the next character wraps
        self.saved = (0, 0)
        self.charsets = ["B", "B"]  # G0 and G1: "B" ASCII, "0" line drawing
        self.shifted = False  # SO selected G1
        self._state = "ground"
        self._sequence = ""

    # --- what the screen shows

    def lines(self) -> list[str]:
        """The rows as text, trailing blanks removed."""
        return ["".join(row).rstrip() for row in self.cells]

    def text(self) -> str:
        return "\n".join(self.lines()) + "\n"

    # --- input

    def feed(self, data: bytes | str) -> None:
        """Interprets output written to the terminal. Bytes are taken one
        character each (ISO 8859-1: the launcher runs curses in the C locale)."""
        text = data.decode("latin-1") if isinstance(data, bytes) else data
        for char in text:
            self._consume(char)

    def _consume(self, char: str) -> None:
        state = self._state
        if state == "ground":
            self._ground(char)
        elif state == "escape":
            self._escape(char)
        elif state == "csi":
            self._sequence += char
            if "\x40" <= char <= "\x7e":
                self._state = "ground"
                self._csi(self._sequence)
            elif char == "\x1b":  # a broken sequence: start over
                self._state, self._sequence = "escape", ""
        elif state == "osc":  # operating system command: to BEL or ESC \ (ST)
            if char == "\x07":
                self._state = "ground"
            elif char == "\x1b":
                self._state = "osc_escape"
        elif state == "osc_escape":
            self._state = "ground" if char == "\\" else "osc"
        elif state in ("charset0", "charset1"):
            self.charsets[0 if state == "charset0" else 1] = char
            self._state = "ground"
        elif state == "skip_one":
            self._state = "ground"

    def _ground(self, char: str) -> None:
        code = ord(char)
        if code >= 0x20 and code != 0x7F:
            self._put(char)
        elif char == "\x1b":
            self._state, self._sequence = "escape", ""
        elif char == "\r":
            self.column, self.wrap_pending = 0, False
        elif char in "\n\x0b\x0c":
            self._line_feed()
        elif char == "\b":
            self.column, self.wrap_pending = max(0, self.column - 1), False
        elif char == "\t":
            self.column, self.wrap_pending = min(self.columns - 1, (self.column // 8 + 1) * 8), False
        elif char == "\x0e":
            self.shifted = True
        elif char == "\x0f":
            self.shifted = False
        # NUL (padding), BEL and the other controls change nothing visible.

    def _escape(self, char: str) -> None:
        self._state = "ground"
        if char == "[":
            self._state, self._sequence = "csi", ""
        elif char == "]":
            self._state = "osc"
        elif char == "(":
            self._state = "charset0"
        elif char == ")":
            self._state = "charset1"
        elif char in "*+#%":
            self._state = "skip_one"
        elif char == "7":
            self.saved = (self.row, self.column)
        elif char == "8":
            self.row, self.column = self.saved
            self.wrap_pending = False
        elif char == "D":
            self._line_feed()
        elif char == "E":
            self.column = 0
            self._line_feed()
        elif char == "M":
            self._reverse_line_feed()
        elif char == "c":
            self.reset()

    def _csi(self, sequence: str) -> None:
        final = sequence[-1]
        body = sequence[:-1]
        if body.startswith(("?", ">", "=", "<")):
            return  # private modes (cursor visibility, keypad...): nothing on screen
        body = body.rstrip(" !\"#$%&'()*+,-./")  # intermediate bytes
        try:
            params = [int(p) if p else 0 for p in body.split(";")] if body else []
        except ValueError:
            return

        def param(index: int, default: int = 1) -> int:
            value = params[index] if index < len(params) else 0
            return value if value else default

        if final not in "mhlnc":
            self.wrap_pending = False
        if final in "Hf":
            self._move_to(param(0) - 1, param(1) - 1)
        elif final == "A":
            self.row = max(self.top if self.row >= self.top else 0, self.row - param(0))
        elif final in "Be":
            self.row = min(self.bottom if self.row <= self.bottom else self.rows - 1, self.row + param(0))
        elif final in "Ca":
            self.column = min(self.columns - 1, self.column + param(0))
        elif final == "D":
            self.column = max(0, self.column - param(0))
        elif final == "E":
            self.row, self.column = min(self.rows - 1, self.row + param(0)), 0
        elif final == "F":
            self.row, self.column = max(0, self.row - param(0)), 0
        elif final in "G`":
            self.column = min(self.columns - 1, param(0) - 1)
        elif final == "d":
            self.row = min(self.rows - 1, param(0) - 1)
        elif final == "J":
            self._erase_display(param(0, 0))
        elif final == "K":
            self._erase_line(param(0, 0))
        elif final == "L":
            self._insert_lines(param(0))
        elif final == "M":
            self._delete_lines(param(0))
        elif final == "P":
            row = self.cells[self.row]
            count = min(param(0), self.columns - self.column)
            del row[self.column:self.column + count]
            row.extend([" "] * count)
        elif final == "@":
            row = self.cells[self.row]
            count = min(param(0), self.columns - self.column)
            row[self.column:self.column] = [" "] * count
            del row[self.columns:]
        elif final == "X":
            row = self.cells[self.row]
            for column in range(self.column, min(self.columns, self.column + param(0))):
                row[column] = " "
        elif final == "S":
            for _ in range(param(0)):
                self._scroll_up()
        elif final == "T":
            for _ in range(param(0)):
                self._scroll_down()
        elif final == "r":
            top, bottom = param(0) - 1, param(1, self.rows) - 1
            if 0 <= top < bottom < self.rows:
                self.top, self.bottom = top, bottom
                self._move_to(0, 0)
        elif final == "s":
            self.saved = (self.row, self.column)
        elif final == "u":
            self.row, self.column = self.saved
        # m (colours), h/l (modes), n (status reports) and the rest: nothing to draw.

    # --- the operations

    def _put(self, char: str) -> None:
        charset = self.charsets[1 if self.shifted else 0]
        if charset == "0":
            char = LINE_DRAWING.get(char, char)
        if self.wrap_pending:
            self.column = 0
            self._line_feed()
        self.cells[self.row][self.column] = char
        if self.column == self.columns - 1:
            self.wrap_pending = True
        else:
            self.column += 1

    def _move_to(self, row: int, column: int) -> None:
        self.row = min(max(row, 0), self.rows - 1)
        self.column = min(max(column, 0), self.columns - 1)
        self.wrap_pending = False

    def _line_feed(self) -> None:
        self.wrap_pending = False
        if self.row == self.bottom:
            self._scroll_up()
        elif self.row < self.rows - 1:
            self.row += 1

    def _reverse_line_feed(self) -> None:
        self.wrap_pending = False
        if self.row == self.top:
            self._scroll_down()
        elif self.row > 0:
            self.row -= 1

    def _blank_row(self) -> list[str]:
        return [" "] * self.columns

    def _scroll_up(self) -> None:
        del self.cells[self.top]
        self.cells.insert(self.bottom, self._blank_row())

    def _scroll_down(self) -> None:
        del self.cells[self.bottom]
        self.cells.insert(self.top, self._blank_row())

    def _insert_lines(self, count: int) -> None:
        if not self.top <= self.row <= self.bottom:
            return
        for _ in range(min(count, self.bottom - self.row + 1)):
            del self.cells[self.bottom]
            self.cells.insert(self.row, self._blank_row())
        self.column = 0

    def _delete_lines(self, count: int) -> None:
        if not self.top <= self.row <= self.bottom:
            return
        for _ in range(min(count, self.bottom - self.row + 1)):
            del self.cells[self.row]
            self.cells.insert(self.bottom, self._blank_row())
        self.column = 0

    def _erase_line(self, mode: int) -> None:
        row = self.cells[self.row]
        start, end = {0: (self.column, self.columns), 1: (0, self.column + 1)}.get(mode, (0, self.columns))
        for column in range(start, end):
            row[column] = " "

    def _erase_display(self, mode: int) -> None:
        if mode == 0:
            self._erase_line(0)
            rows = range(self.row + 1, self.rows)
        elif mode == 1:
            self._erase_line(1)
            rows = range(0, self.row)
        else:
            rows = range(self.rows)
        for row in rows:
            self.cells[row] = self._blank_row()
