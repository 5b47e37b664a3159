/* user/shell/command_line.cpp: splitting a shell line into arguments. */
#include "shell/command_line.h"
#include "unit_test.h"

#include <string>

UNIT_TEST(command_line_splits_words_on_blanks)
{
    Command c;
    CHECK(parse_command_line("  ls   -l\t/bin  ", c) == CommandError::none);
    CHECK_EQ(c.argc, size_t(3));
    CHECK_EQ(std::string(c.argv[0]), std::string("ls"));
    CHECK_EQ(std::string(c.argv[1]), std::string("-l"));
    CHECK_EQ(std::string(c.argv[2]), std::string("/bin"));
    CHECK(c.argv[3] == nullptr);
}

UNIT_TEST(command_line_empty_line_has_no_words)
{
    Command c;
    CHECK(parse_command_line("   ", c) == CommandError::none);
    CHECK_EQ(c.argc, size_t(0));
    CHECK(c.argv[0] == nullptr);
}

UNIT_TEST(command_line_quotes_and_backslashes)
{
    Command c;
    CHECK(parse_command_line("echo \"a b\" 'c \"d\"' e\\ f x\"y\"z", c) == CommandError::none);
    CHECK_EQ(c.argc, size_t(5));
    CHECK_EQ(std::string(c.argv[1]), std::string("a b"));
    CHECK_EQ(std::string(c.argv[2]), std::string("c \"d\""));
    CHECK_EQ(std::string(c.argv[3]), std::string("e f"));
    CHECK_EQ(std::string(c.argv[4]), std::string("xyz"));
    CHECK(parse_command_line("echo \"\"", c) == CommandError::none);
    CHECK_EQ(c.argc, size_t(2));
    CHECK_EQ(std::string(c.argv[1]), std::string(""));
}

UNIT_TEST(command_line_rejects_unterminated_quote)
{
    Command c;
    CHECK(parse_command_line("echo \"abc", c) == CommandError::unterminated_quote);
}

UNIT_TEST(command_line_rejects_too_many_arguments)
{
    std::string line;
    for (size_t i = 0; i <= COMMAND_MAX_ARGUMENTS; ++i)
        line += "a ";
    Command c;
    CHECK(parse_command_line(line.c_str(), c) == CommandError::too_many_arguments);
}

UNIT_TEST(command_line_rejects_too_long)
{
    std::string line(COMMAND_MAX_LENGTH, 'x');
    Command c;
    CHECK(parse_command_line(line.c_str(), c) == CommandError::too_long);
}

UNIT_TEST(command_line_program_path_uses_bin)
{
    char path[32];
    CHECK(program_path("ls", path, sizeof(path)));
    CHECK_EQ(std::string(path), std::string("/bin/ls"));
    CHECK(program_path("./a/b", path, sizeof(path)));
    CHECK_EQ(std::string(path), std::string("./a/b"));
    CHECK(!program_path("a_name_much_too_long_for_the_buffer", path, sizeof(path)));
}

UNIT_TEST(command_line_output_redirection)
{
    Command c;
    CHECK(parse_command_line("echo hi > /tmp/out", c) == CommandError::none);
    CHECK_EQ(c.argc, size_t(2));
    CHECK_EQ(std::string(c.output_path), std::string("/tmp/out"));
    CHECK(!c.append_output);
    CHECK(parse_command_line("echo a>>log b", c) == CommandError::none);
    CHECK_EQ(c.argc, size_t(3));
    CHECK_EQ(std::string(c.argv[1]), std::string("a"));
    CHECK_EQ(std::string(c.argv[2]), std::string("b"));
    CHECK_EQ(std::string(c.output_path), std::string("log"));
    CHECK(c.append_output);
    CHECK(parse_command_line("echo '>' x", c) == CommandError::none);
    CHECK(c.output_path == nullptr);
    CHECK_EQ(c.argc, size_t(3));
    CHECK(parse_command_line("echo >", c) == CommandError::missing_file_name);
}
