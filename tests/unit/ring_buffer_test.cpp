/* kernel/lib/ring_buffer.h: FIFO order, full and empty, wrap-around. */
#include "lib/ring_buffer.h"
#include "unit_test.h"

UNIT_TEST(ring_buffer_is_first_in_first_out)
{
    RingBuffer<int, 4> buffer;
    CHECK(buffer.empty());
    CHECK(buffer.push(1));
    CHECK(buffer.push(2));
    int value = 0;
    CHECK(buffer.pop(value));
    CHECK_EQ(value, 1);
    CHECK(buffer.pop(value));
    CHECK_EQ(value, 2);
    CHECK(!buffer.pop(value));
}

UNIT_TEST(ring_buffer_drops_new_values_when_full)
{
    RingBuffer<char, 2> buffer;
    CHECK(buffer.push('a'));
    CHECK(buffer.push('b'));
    CHECK(buffer.full());
    CHECK(!buffer.push('c'));
    char value = 0;
    CHECK(buffer.pop(value));
    CHECK_EQ(value, 'a');
    CHECK_EQ(buffer.size(), size_t(1));
}

UNIT_TEST(ring_buffer_wraps_around_many_times)
{
    RingBuffer<int, 4> buffer;
    int value = 0;
    for (int i = 0; i < 1000; ++i) {
        CHECK(buffer.push(i));
        CHECK(buffer.push(i + 1));
        CHECK(buffer.pop(value));
        CHECK_EQ(value, i);
        CHECK(buffer.pop(value));
        CHECK_EQ(value, i + 1);
    }
    CHECK(buffer.empty());
}
