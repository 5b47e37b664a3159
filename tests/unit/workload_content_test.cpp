/* user/workload/workload_content.h: the file workload's contents follow from seed,
 * round and index alone, and agree with tools/matryoshka/workload.py, whose test
 * (tests/tools/test_workload.py) pins the same checksums. */
#include "workload/workload_content.h"
#include "unit_test.h"

namespace {

/* The first eight bytes of a stream, lowest first, as one number. */
uint64_t first_word(uint64_t seed, uint64_t round, uint64_t index)
{
    workload::ContentStream stream(seed, round, index);
    uint64_t word = 0;
    for (int i = 0; i < 8; ++i)
        word |= uint64_t(stream.next_byte()) << (8 * i);
    return word;
}

} // namespace

UNIT_TEST(workload_content_is_the_same_for_the_same_seed_round_and_index)
{
    CHECK_EQ(first_word(1, 0, 0), first_word(1, 0, 0));
    CHECK_EQ(workload::ContentStream(5, 9, 2).size(), workload::ContentStream(5, 9, 2).size());
}

UNIT_TEST(workload_content_differs_by_seed_round_and_index)
{
    CHECK(first_word(1, 0, 0) != first_word(2, 0, 0));
    CHECK(first_word(1, 0, 0) != first_word(1, 1, 0));
    CHECK(first_word(1, 0, 0) != first_word(1, 0, 1));
}

UNIT_TEST(workload_file_sizes_stay_in_their_range)
{
    for (uint64_t round = 0; round < 50; ++round) {
        for (int index = 0; index < workload::FILES_PER_ROUND; ++index) {
            size_t size = workload::ContentStream(3, round, uint64_t(index)).size();
            CHECK(size >= workload::MIN_FILE_SIZE && size < workload::MIN_FILE_SIZE + workload::FILE_SIZE_SPREAD);
        }
    }
}

UNIT_TEST(workload_checksums_match_the_python_mirror)
{
    CHECK_EQ(workload::ContentStream(1, 0, 0).size(), size_t(1818));
    CHECK_EQ(first_word(1, 0, 0), 0xbfa9ae8d44b45a35ull);
    CHECK_EQ(workload::round_checksum(1, 0), 0xdb483e0c2daef452ull);
    CHECK_EQ(workload::round_checksum(7, 3), 0x07958bd264e5ed86ull);
}
