/* hypervisor/memory/mmio_instruction against encodings taken from the Intel SDM
 * (revision 084), Vol. 2A "Instruction Format" and Vol. 2B "MOV", as GCC emits
 * them for APIC accesses: lengths, directions and registers, and refusals for
 * everything else (never a crash on garbage or truncated input). */
#include "hypervisor/memory/mmio_instruction.h"
#include "fake_guest_memory.h"
#include "unit_test.h"

#include <cstring>
#include <vector>

using mmio::Access;
using mmio::CodeSize;
using mmio::DecodeError;

namespace {

DecodeError run(std::vector<uint8_t> bytes, CodeSize size, Access& out)
{
    return mmio::decode(bytes.data(), bytes.size(), size, out);
}

} // namespace

UNIT_TEST(mmio_decodes_register_loads_and_stores_with_every_addressing_form)
{
    struct Case {
        std::vector<uint8_t> bytes;
        CodeSize size;
        bool write;
        uint8_t reg;
        uint8_t length;
    } cases[] = {
        {{0x8B, 0x00}, CodeSize::bits32, false, 0, 2},                            /* mov (%eax), %eax */
        {{0x89, 0x0A}, CodeSize::bits32, true, 1, 2},                             /* mov %ecx, (%edx) */
        {{0x8B, 0x43, 0x20}, CodeSize::bits32, false, 0, 3},                      /* mov 0x20(%ebx), %eax */
        {{0x89, 0x93, 0xB0, 0x00, 0x00, 0x00}, CodeSize::bits32, true, 2, 6},     /* mov %edx, 0xb0(%ebx) */
        {{0x8B, 0x15, 0x20, 0x00, 0xE0, 0xFE}, CodeSize::bits32, false, 2, 6},    /* mov 0xfee00020, %edx */
        {{0x8B, 0x04, 0x24}, CodeSize::bits32, false, 0, 3},                      /* mov (%esp), %eax: SIB */
        {{0x89, 0x44, 0x8B, 0x10}, CodeSize::bits32, true, 0, 4},                 /* SIB + disp8 */
        {{0x8B, 0x1C, 0x25, 0xB0, 0x00, 0xE0, 0xFE}, CodeSize::bits64, false, 3, 7}, /* SIB, no base, disp32 */
        {{0x8B, 0x05, 0x10, 0x00, 0x00, 0x00}, CodeSize::bits64, false, 0, 6},    /* RIP-relative */
        {{0x44, 0x89, 0x47, 0x30}, CodeSize::bits64, true, 8, 4},                 /* mov %r8d, 0x30(%rdi): REX.R */
        {{0x41, 0x8B, 0x04, 0x24}, CodeSize::bits64, false, 0, 4},                /* mov (%r12), %eax: REX.B */
        {{0x3E, 0x8B, 0x00}, CodeSize::bits32, false, 0, 3},                      /* DS override */
        {{0xA1, 0x20, 0x00, 0xE0, 0xFE}, CodeSize::bits32, false, 0, 5},          /* mov 0xfee00020, %eax */
        {{0xA3, 0xB0, 0x00, 0xE0, 0xFE}, CodeSize::bits32, true, 0, 5},           /* mov %eax, 0xfee000b0 */
        {{0xA1, 0, 0, 0, 0, 0, 0, 0, 0}, CodeSize::bits64, false, 0, 9},          /* movabs */
    };
    for (const Case& c : cases) {
        Access access;
        CHECK(run(c.bytes, c.size, access) == DecodeError::none);
        CHECK_EQ(access.write, c.write);
        CHECK_EQ(access.reg, c.reg);
        CHECK_EQ(access.length, c.length);
        CHECK(!access.immediate);
    }
}

UNIT_TEST(mmio_decodes_an_immediate_store)
{
    Access access;
    /* movl $0x0, 0xfee000b0 (EOI) */
    CHECK(run({0xC7, 0x05, 0xB0, 0x00, 0xE0, 0xFE, 0x00, 0x00, 0x00, 0x00}, CodeSize::bits32, access) ==
          DecodeError::none);
    CHECK(access.write && access.immediate);
    CHECK_EQ(access.value, 0u);
    CHECK_EQ(access.length, 10);
    /* movl $0x1ff, 0xf0(%eax) */
    CHECK(run({0xC7, 0x80, 0xF0, 0, 0, 0, 0xFF, 0x01, 0, 0}, CodeSize::bits32, access) == DecodeError::none);
    CHECK_EQ(access.value, 0x1FFu);
    CHECK_EQ(access.length, 10);
}

UNIT_TEST(mmio_refuses_what_it_does_not_decode)
{
    Access access;
    CHECK(run({0x66, 0x8B, 0x00}, CodeSize::bits32, access) == DecodeError::operand_size);
    CHECK(run({0x48, 0x8B, 0x00}, CodeSize::bits64, access) == DecodeError::operand_size); /* REX.W */
    CHECK(run({0x67, 0x8B, 0x00}, CodeSize::bits32, access) == DecodeError::address_size);
    CHECK(run({0x8A, 0x00}, CodeSize::bits32, access) == DecodeError::unsupported);       /* 8-bit MOV */
    CHECK(run({0xF0, 0x09, 0x00}, CodeSize::bits32, access) == DecodeError::unsupported); /* LOCK OR */
    CHECK(run({0xC7, 0x08, 0, 0, 0, 0}, CodeSize::bits32, access) == DecodeError::unsupported); /* C7 /1 */
    CHECK(run({0x8B, 0xC0}, CodeSize::bits32, access) == DecodeError::register_operand);
    CHECK(run({0x8B, 0x05, 0x10}, CodeSize::bits32, access) == DecodeError::truncated);
    CHECK(run({0x8B}, CodeSize::bits32, access) == DecodeError::truncated);
    CHECK(run({}, CodeSize::bits32, access) == DecodeError::truncated);
    CHECK(run({0x3E, 0x3E, 0x3E}, CodeSize::bits32, access) == DecodeError::truncated);
    CHECK(run({0xC7, 0x00, 1, 2}, CodeSize::bits32, access) == DecodeError::truncated);
    /* In 32-bit code 0x40 is INC EAX, not a REX prefix. */
    CHECK(run({0x40, 0x8B, 0x00}, CodeSize::bits32, access) == DecodeError::unsupported);
}

UNIT_TEST(mmio_decoder_survives_every_two_byte_prefix_of_garbage)
{
    /* Every opcode/ModR/M pair, with and without a tail: a result, never a read
     * past the end (the sanitizers watch). */
    for (unsigned first = 0; first < 256; ++first)
        for (unsigned second = 0; second < 256; ++second) {
            uint8_t bytes[2] = {uint8_t(first), uint8_t(second)};
            Access access;
            DecodeError error = mmio::decode(bytes, 2, CodeSize::bits64, access);
            if (error == DecodeError::none)
                CHECK(access.length <= 2);
        }
}

UNIT_TEST(mmio_fetch_decodes_an_instruction_ending_right_before_an_unreadable_page)
{
    FakeGuestMemory memory; /* readable [BASE, BASE + SIZE), nothing beyond */
    uint64_t end = FakeGuestMemory::BASE + FakeGuestMemory::SIZE;
    const uint8_t load[] = {0x8B, 0x03}; /* mov eax, [rbx] */
    std::memcpy(&memory.bytes[end - 2 - FakeGuestMemory::BASE], load, sizeof(load));
    mmio::Access access;
    CHECK(mmio::fetch_and_decode(memory, end - 2, mmio::CodeSize::bits64, access) == mmio::DecodeError::none);
    CHECK_EQ(access.length, 2);
    CHECK(!access.write);
    /* A MOV's first byte alone: too few bytes, refused, never read past the end. */
    memory.bytes[end - 1 - FakeGuestMemory::BASE] = 0x8B;
    CHECK(mmio::fetch_and_decode(memory, end - 1, mmio::CodeSize::bits64, access) == mmio::DecodeError::truncated);
    /* Nothing readable at all. */
    CHECK(mmio::fetch_and_decode(memory, end, mmio::CodeSize::bits64, access) == mmio::DecodeError::truncated);
}
