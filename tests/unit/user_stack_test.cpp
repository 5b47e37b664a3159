/* kernel/loader/user_stack.cpp: the initial stack as the System V AMD64 ABI lays it
 * out, read back the way crt0 reads it. */
#include "loader/user_stack.h"
#include "unit_test.h"

#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr uint64_t TOP = 0x7ffffffff000;

struct Stack {
    std::vector<uint8_t> bytes;
    explicit Stack(size_t size) : bytes(size, 0xcc) {}

    /* Reads what a process sees at a user address inside the buffer. */
    uint64_t word(uint64_t address) const
    {
        uint64_t value;
        std::memcpy(&value, &bytes[address - (TOP - bytes.size())], 8);
        return value;
    }
    std::string string(uint64_t address) const
    {
        return reinterpret_cast<const char*>(&bytes[address - (TOP - bytes.size())]);
    }
};

} // namespace

UNIT_TEST(user_stack_lays_out_argc_argv_envp)
{
    const char* args[] = {"/bin/echo", "hello", "world"};
    const char* env[] = {"PATH=/bin", "HOME=/"};
    Stack stack(4096);
    user_stack::StackResult r = user_stack::build({args, 3}, {env, 2}, stack.bytes.data(), stack.bytes.size(), TOP);
    CHECK(r.ok());
    CHECK_EQ(r.stack_pointer % 16, uint64_t(0));
    CHECK_EQ(stack.word(r.stack_pointer), uint64_t(3));
    CHECK_EQ(r.argv_address, r.stack_pointer + 8);
    for (int i = 0; i < 3; ++i)
        CHECK_EQ(stack.string(stack.word(r.argv_address + 8 * i)), std::string(args[i]));
    CHECK_EQ(stack.word(r.argv_address + 8 * 3), uint64_t(0));
    CHECK_EQ(r.envp_address, r.argv_address + 8 * 4);
    for (int i = 0; i < 2; ++i)
        CHECK_EQ(stack.string(stack.word(r.envp_address + 8 * i)), std::string(env[i]));
    CHECK_EQ(stack.word(r.envp_address + 8 * 2), uint64_t(0));
    /* The auxiliary vector holds only AT_NULL. */
    CHECK_EQ(stack.word(r.envp_address + 8 * 3), uint64_t(0));
    /* Every string lies between the vectors and the top. */
    CHECK(stack.word(r.argv_address) > r.envp_address + 8 * 4);
    CHECK(stack.word(r.envp_address + 8) + std::strlen(env[1]) < TOP);
}

UNIT_TEST(user_stack_aligns_for_every_argument_count)
{
    const char* args[] = {"a", "bb", "ccc", "dddd", "eeeee", "ffffff"};
    for (size_t count = 0; count <= 6; ++count) {
        Stack stack(512);
        user_stack::StackResult r = user_stack::build({args, count}, {nullptr, 0}, stack.bytes.data(), 512, TOP);
        CHECK(r.ok());
        CHECK_EQ(r.stack_pointer % 16, uint64_t(0));
        CHECK_EQ(stack.word(r.stack_pointer), uint64_t(count));
    }
}

UNIT_TEST(user_stack_touches_nothing_below_stack_pointer)
{
    const char* args[] = {"prog"};
    Stack stack(256);
    user_stack::StackResult r = user_stack::build({args, 1}, {nullptr, 0}, stack.bytes.data(), 256, TOP);
    CHECK(r.ok());
    size_t used_from = r.stack_pointer - (TOP - 256);
    for (size_t i = 0; i < used_from; ++i)
        CHECK_EQ(stack.bytes[i], uint8_t(0xcc));
}

UNIT_TEST(user_stack_rejects_what_does_not_fit)
{
    std::string long_argument(200, 'x');
    const char* args[] = {"prog", long_argument.c_str()};
    Stack stack(192);
    user_stack::StackResult r = user_stack::build({args, 2}, {nullptr, 0}, stack.bytes.data(), 192, TOP);
    CHECK_EQ(std::string(user_stack::stack_error_name(r.error)), std::string("does_not_fit"));
    /* Strings fit, but not the pointer vectors below them. */
    Stack small(32);
    const char* short_args[] = {"a", "b"};
    r = user_stack::build({short_args, 2}, {nullptr, 0}, small.bytes.data(), 32, TOP);
    CHECK_EQ(std::string(user_stack::stack_error_name(r.error)), std::string("does_not_fit"));
}

UNIT_TEST(user_stack_rejects_misaligned_top)
{
    const char* args[] = {"prog"};
    Stack stack(256);
    user_stack::StackResult r = user_stack::build({args, 1}, {nullptr, 0}, stack.bytes.data(), 256, TOP - 8);
    CHECK_EQ(std::string(user_stack::stack_error_name(r.error)), std::string("misaligned_top"));
}
