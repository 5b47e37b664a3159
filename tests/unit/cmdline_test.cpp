/* kernel/boot/cmdline.cpp: flags, key=value options and lists. */
#include "boot/cmdline.h"
#include "unit_test.h"

UNIT_TEST(cmdline_flags_and_values)
{
    CommandLine cmdline("/boot/kernel.elf quiet test=boot,memory  crash=panic");
    CHECK(cmdline.has("quiet"));
    CHECK(cmdline.has("test"));
    CHECK(!cmdline.has("qui"));
    CHECK(!cmdline.has("boot"));
    char value[32];
    CHECK(cmdline.value("crash", value, sizeof(value)));
    CHECK_EQ(std::string(value), std::string("panic"));
    CHECK(!cmdline.value("quiet", value, sizeof(value)));
    CHECK(!cmdline.value("missing", value, sizeof(value)));
}

UNIT_TEST(cmdline_last_value_wins)
{
    CommandLine cmdline("mem=1 mem=2");
    char value[8];
    CHECK(cmdline.value("mem", value, sizeof(value)));
    CHECK_EQ(std::string(value), std::string("2"));
}

UNIT_TEST(cmdline_value_truncates_to_buffer)
{
    CommandLine cmdline("name=abcdefgh");
    char value[4];
    CHECK(cmdline.value("name", value, sizeof(value)));
    CHECK_EQ(std::string(value), std::string("abc"));
}

UNIT_TEST(cmdline_list_contains_whole_items_only)
{
    CommandLine cmdline("test=boot,memory,sched");
    CHECK(cmdline.list_contains("test", "boot"));
    CHECK(cmdline.list_contains("test", "sched"));
    CHECK(!cmdline.list_contains("test", "mem"));
    CHECK(!cmdline.list_contains("test", "schedule"));
    CHECK(!cmdline.list_contains("other", "boot"));
}

UNIT_TEST(cmdline_empty_and_null)
{
    CommandLine empty("");
    CommandLine null(nullptr);
    char value[4];
    CHECK(!empty.has("x"));
    CHECK(!null.value("x", value, sizeof(value)));
}
