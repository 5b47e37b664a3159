/* kernel/lib/result.h: values, errors, TRY and the syscall boundary. */
#include "lib/failure.h"
#include "lib/ref_ptr.h"
#include "lib/result.h"
#include "unit_test.h"

namespace {

Result<int> half(int value)
{
    if (value % 2)
        return Error(EINVAL);
    return value / 2;
}

Result<int> quarter(int value)
{
    int h = TRY(half(value));
    return TRY(half(h));
}

Result<void> must_be_even(int value)
{
    TRY(half(value));
    return {};
}

struct Counted : RefCounted<Counted> {
    static inline int alive = 0;
    Counted() { ++alive; }
    ~Counted() { --alive; }
};

/* A step in the manner of vm_manager::start's: says why it failed in `why`. */
Result<int> open_step(int fd, Failure& why)
{
    if (fd < 0)
        return why.set(EBADF, "descriptor %d is not open", fd);
    return fd + 1;
}

Result<int> two_steps(int fd, Failure& why)
{
    int next = TRY(open_step(fd, why));
    return TRY(open_step(next - 10, why));
}

Result<RefPtr<Counted>> make_counted() { return RefPtr<Counted>(new Counted); }

} // namespace

UNIT_TEST(result_holds_value_or_errno)
{
    Result<int> good = half(8);
    CHECK(!good.is_error());
    CHECK_EQ(good.value(), 4);
    Result<int> bad = half(7);
    CHECK(bad.is_error());
    CHECK_EQ(bad.error(), EINVAL);
}

UNIT_TEST(result_try_passes_errors_up_and_values_on)
{
    CHECK_EQ(quarter(8).value(), 2);
    CHECK_EQ(quarter(6).error(), EINVAL); /* the second half fails */
    CHECK_EQ(quarter(5).error(), EINVAL);
    CHECK(!must_be_even(4).is_error());
    CHECK_EQ(must_be_even(3).error(), EINVAL);
}

UNIT_TEST(result_becomes_minus_errno_at_the_syscall_boundary)
{
    CHECK_EQ(syscall_return(half(10)), int64_t(5));
    CHECK_EQ(syscall_return(half(3)), int64_t(-EINVAL));
    CHECK_EQ(syscall_return(must_be_even(2)), int64_t(0));
    CHECK_EQ(syscall_return(must_be_even(1)), int64_t(-EINVAL));
}

UNIT_TEST(result_destroys_a_held_object_exactly_once)
{
    {
        Result<RefPtr<Counted>> made = make_counted();
        CHECK_EQ(Counted::alive, 1);
        RefPtr<Counted> kept = made.release_value();
        CHECK_EQ(kept->ref_count(), 1u);
    }
    CHECK_EQ(Counted::alive, 0);
}

UNIT_TEST(errno_name_names_errors)
{
    CHECK_EQ(std::string(errno_name(ENOENT)), std::string("ENOENT"));
    CHECK_EQ(std::string(errno_name(ENOTEMPTY)), std::string("ENOTEMPTY"));
    CHECK_EQ(std::string(errno_name(9999)), std::string("unknown errno"));
}

UNIT_TEST(failure_carries_errno_and_sentence_through_try)
{
    Failure fine;
    CHECK_EQ(two_steps(20, fine).value(), 12);
    CHECK_EQ(fine.errno_value, 0);
    CHECK_EQ(fine.text[0], '\0');

    Failure why;
    Result<int> failed = two_steps(3, why); /* the second step sees -6 */
    CHECK_EQ(failed.error(), EBADF);
    CHECK_EQ(why.errno_value, EBADF);
    CHECK(__builtin_strcmp(why.text, "descriptor -6 is not open") == 0);
}

UNIT_TEST(failure_truncates_a_long_sentence)
{
    char long_name[400];
    __builtin_memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    Failure why;
    Error error = why.set(ENAMETOOLONG, "%s is too long", long_name);
    CHECK_EQ(error.code(), ENAMETOOLONG);
    CHECK_EQ(__builtin_strlen(why.text), Failure::TEXT_SIZE - 1);
}
