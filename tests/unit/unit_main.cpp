/* Runner for the build machine's unit tests; see unit_test.h. */
#include "unit_test.h"

#include <vector>

namespace unit {

namespace {
std::string first_failure;
bool failed = false;
} // namespace

Test*& registry()
{
    static Test* head = nullptr;
    return head;
}

void record_failure(const std::string& message)
{
    if (!failed)
        first_failure = message;
    failed = true;
}

bool current_test_failed() { return failed; }

} // namespace unit

int main(int argc, char** argv)
{
    std::vector<unit::Test*> tests;
    for (unit::Test* t = unit::registry(); t; t = t->next)
        tests.insert(tests.begin(), t);
    if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
        for (unit::Test* t : tests)
            std::printf("%s\n", t->name);
        return 0;
    }
    int passed = 0, failed = 0;
    for (unit::Test* t : tests) {
        bool wanted = argc == 1;
        for (int i = 1; i < argc; ++i)
            wanted |= std::strcmp(argv[i], t->name) == 0;
        if (!wanted)
            continue;
        unit::failed = false;
        t->run();
        if (unit::failed) {
            ++failed;
            std::printf("FAIL: %s: %s\n", t->name, unit::first_failure.c_str());
        } else {
            ++passed;
            std::printf("PASS: %s\n", t->name);
        }
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
