/* The terminals there are: a VGA virtual screen with the PS/2 keyboard, COM1, and
 * the kernel log, which the programs of run= write to (their lines become log
 * lines tagged with the program's name, so the harness can tell whose they are). */
#pragma once
#include "terminal/host_line_guard.h"
#include "terminal/terminal.h"

/* tty1..tty3: virtual screen `screen` of vga_text; typed input comes from the
 * keyboard while the screen is visible. */
class ScreenTerminal final : public Terminal {
public:
    ScreenTerminal(const char* name, int screen) : Terminal(name), screen_(screen) {}
    int screen() const { return screen_; }

protected:
    void output(const char* text, size_t length) override;

private:
    int screen_;
};

/* ttyS0: COM1, what the test harness and the demo type into. User output that
 * would look like a kernel log line is marked (HostLineGuard). */
class SerialTerminal final : public Terminal {
public:
    SerialTerminal() : Terminal("ttyS0") {}

protected:
    void output(const char* text, size_t length) override;
    void flush_output() override;

private:
    HostLineGuard guard_;
};

/* /dev/log: every line written becomes the log line "[host user] LABEL: line".
 * No input: reading gives end of file. */
class LogTerminal final : public Terminal {
public:
    static constexpr size_t LINE_CAPACITY = 256;

    LogTerminal() : Terminal("log") {}
    /* Who the following lines belong to ("fs_stress"); writes any unfinished line first. */
    void set_label(const char* label);

protected:
    void output(const char* text, size_t length) override;
    bool has_input_device() const override { return false; }

private:
    void end_line();

    char label_[32] = "?";
    char line_[LINE_CAPACITY] = {};
    size_t length_ = 0;
};
