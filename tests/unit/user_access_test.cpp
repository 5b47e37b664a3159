/* kernel/syscall/user_access.cpp against a fake address space: a few pages of host
 * memory standing for user pages, some read-only, with holes between them. */
#include "syscall/user_access.h"
#include "abi/errno.h"
#include "unit_test.h"

#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

using user_access::Access;
using user_access::CopyError;

struct FakePage {
    std::vector<uint8_t> bytes = std::vector<uint8_t>(user_access::PAGE_SIZE, 0);
    bool writable = true;
};

/* Mapped: 0x10000 (rw), 0x11000 (rw), 0x12000 (read-only); 0x13000 is a hole. */
struct FakeSpace {
    std::map<uint64_t, FakePage> pages;
    int lookups = 0;

    FakeSpace()
    {
        pages[0x10000];
        pages[0x11000];
        pages[0x12000].writable = false;
    }

    static uint8_t* page(void* context, uint64_t address, Access access)
    {
        auto* self = static_cast<FakeSpace*>(context);
        ++self->lookups;
        auto found = self->pages.find(address);
        if (found == self->pages.end() || (access == Access::write && !found->second.writable))
            return nullptr;
        return found->second.bytes.data();
    }

    user_access::UserMemory memory() { return {page, this}; }
    uint8_t& at(uint64_t address) { return pages[address & ~0xfffULL].bytes[address & 0xfff]; }
};

} // namespace

UNIT_TEST(user_access_copies_across_a_page_boundary)
{
    FakeSpace space;
    const char text[] = "crosses the boundary";
    CHECK(copy_to_user(space.memory(), 0x10ff8, text, sizeof(text)) == CopyError::none);
    CHECK_EQ(space.at(0x10ff8), uint8_t('c'));
    CHECK_EQ(space.at(0x11000), uint8_t('t')); /* "crosses " filled the first page */
    char back[sizeof(text)];
    CHECK(copy_from_user(space.memory(), back, 0x10ff8, sizeof(back)) == CopyError::none);
    CHECK_EQ(std::string(back), std::string(text));
}

UNIT_TEST(user_access_rejects_null_kernel_and_non_canonical)
{
    FakeSpace space;
    char buffer[8];
    CHECK(copy_from_user(space.memory(), buffer, 0, 8) == CopyError::fault);
    CHECK(copy_from_user(space.memory(), buffer, 0xFFFFFFFF80100000, 8) == CopyError::fault);
    CHECK(copy_from_user(space.memory(), buffer, user_access::USER_SPACE_END, 8) == CopyError::fault);
    CHECK(copy_from_user(space.memory(), buffer, user_access::USER_SPACE_END - 4, 8) == CopyError::fault);
    CHECK(copy_to_user(space.memory(), 0xFFFF800000001000, buffer, 8) == CopyError::fault);
}

UNIT_TEST(user_access_rejects_wrapping_and_huge_lengths)
{
    FakeSpace space;
    char buffer[8];
    int lookups_before = space.lookups;
    CHECK(copy_from_user(space.memory(), buffer, 0x10000, ~size_t(0)) == CopyError::fault);
    CHECK(copy_from_user(space.memory(), buffer, 0x10000, size_t(1) << 47) == CopyError::fault);
    /* Refused from the range alone, without walking 2^35 pages. */
    CHECK_EQ(space.lookups, lookups_before);
}

UNIT_TEST(user_access_write_to_read_only_page_changes_nothing)
{
    FakeSpace space;
    std::vector<uint8_t> data(0x1010, 0xab);
    /* Starts in a writable page, ends in the read-only one: nothing may be written. */
    CHECK(copy_to_user(space.memory(), 0x11000, data.data(), data.size()) == CopyError::fault);
    CHECK_EQ(space.at(0x11000), uint8_t(0));
    char c;
    CHECK(copy_from_user(space.memory(), &c, 0x12000, 1) == CopyError::none);
}

UNIT_TEST(user_access_range_running_into_a_hole_faults)
{
    FakeSpace space;
    char buffer[32];
    CHECK(copy_from_user(space.memory(), buffer, 0x12ff0, 32) == CopyError::fault);
    CHECK(copy_from_user(space.memory(), buffer, 0x12ff0, 16) == CopyError::none);
}

UNIT_TEST(user_access_zero_length_is_not_checked)
{
    FakeSpace space;
    CHECK(copy_from_user(space.memory(), nullptr, 0, 0) == CopyError::none);
    CHECK(copy_to_user(space.memory(), 0xFFFFFFFF80000000, nullptr, 0) == CopyError::none);
}

UNIT_TEST(user_access_string_stops_at_nul_before_a_hole)
{
    FakeSpace space;
    const char path[] = "/bin/sh";
    uint64_t at = 0x13000 - sizeof(path); /* its NUL is the last byte before the hole */
    std::memcpy(&space.at(at), path, sizeof(path));
    char out[64];
    size_t length = 0;
    CHECK(copy_string_from_user(space.memory(), out, sizeof(out), at, &length) == CopyError::none);
    CHECK_EQ(std::string(out), std::string(path));
    CHECK_EQ(length, sizeof(path) - 1);
}

UNIT_TEST(user_access_string_running_into_a_hole_faults)
{
    FakeSpace space;
    std::memset(&space.at(0x12f00), 'a', 0x100);
    char out[4096];
    size_t length = 0;
    CHECK(copy_string_from_user(space.memory(), out, sizeof(out), 0x12f00, &length) == CopyError::fault);
    CHECK(copy_string_from_user(space.memory(), out, sizeof(out), 0, &length) == CopyError::fault);
    CHECK(copy_string_from_user(space.memory(), out, sizeof(out), 0xFFFFFFFF80000000, &length) == CopyError::fault);
}

UNIT_TEST(user_access_string_without_nul_in_capacity_is_too_long)
{
    FakeSpace space;
    std::memset(&space.at(0x10000), 'a', 0x1000);
    std::memset(&space.at(0x11000), 'a', 0x1000);
    char out[100];
    size_t length = 0;
    CopyError error = copy_string_from_user(space.memory(), out, sizeof(out), 0x10000, &length);
    CHECK(error == CopyError::too_long);
    CHECK_EQ(user_access::copy_error_errno(error), ENAMETOOLONG);
    CHECK_EQ(user_access::copy_error_errno(CopyError::fault), EFAULT);
}

UNIT_TEST(user_access_is_accessible_checks_every_page_with_its_access)
{
    FakeSpace space;
    CHECK(user_access::is_accessible(space.memory(), 0x10ff0, 0x2000, Access::read));
    CHECK(!user_access::is_accessible(space.memory(), 0x10ff0, 0x2000, Access::write)); /* reaches 0x12000 */
    CHECK(!user_access::is_accessible(space.memory(), 0x12ff0, 0x20, Access::read));   /* into the hole */
    CHECK(!user_access::is_accessible(space.memory(), 0x10000, ~uint64_t(0), Access::read));
    CHECK(user_access::is_accessible(space.memory(), 0, 0, Access::write));
}
