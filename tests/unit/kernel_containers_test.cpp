/* kernel/lib/vector.h, kstring.h, ref_ptr.h: the kernel's own small containers. */
#include "lib/kstring.h"
#include "lib/ref_ptr.h"
#include "lib/vector.h"
#include "unit_test.h"

namespace {

struct Node : RefCounted<Node> {
    static inline int alive = 0;
    int value;
    explicit Node(int v) : value(v) { ++alive; }
    ~Node() { --alive; }
};

} // namespace

UNIT_TEST(vector_grows_keeps_order_and_removes)
{
    Vector<int> numbers;
    for (int i = 0; i < 100; ++i)
        numbers.append(i);
    CHECK_EQ(numbers.size(), size_t(100));
    numbers.remove_at(0);
    numbers.remove_at(50);
    CHECK_EQ(numbers.size(), size_t(98));
    CHECK_EQ(numbers[0], 1);
    CHECK_EQ(numbers[50], 52);
    numbers.resize(3);
    CHECK_EQ(numbers.size(), size_t(3));
    numbers.resize(5);
    CHECK_EQ(numbers[4], 0);
}

UNIT_TEST(vector_moves_and_destroys_owning_elements)
{
    {
        Vector<RefPtr<Node>> nodes;
        for (int i = 0; i < 20; ++i)
            nodes.append(RefPtr<Node>(new Node(i)));
        CHECK_EQ(Node::alive, 20);
        nodes.remove_at(3);
        CHECK_EQ(Node::alive, 19);
        CHECK_EQ(nodes[3]->value, 4);
        CHECK_EQ(nodes[3]->ref_count(), 1u);
    }
    CHECK_EQ(Node::alive, 0);
}

UNIT_TEST(ref_ptr_counts_copies_and_frees_at_zero)
{
    RefPtr<Node> a(new Node(1));
    {
        RefPtr<Node> b = a;
        RefPtr<Node> c;
        c = b;
        CHECK_EQ(a->ref_count(), 3u);
        RefPtr<Node> d = static_cast<RefPtr<Node>&&>(c);
        CHECK(!c);
        CHECK_EQ(a->ref_count(), 3u);
    }
    CHECK_EQ(a->ref_count(), 1u);
    a = a; /* self-assignment must not free */
    CHECK_EQ(Node::alive, 1);
    a = nullptr;
    CHECK_EQ(Node::alive, 0);
}

UNIT_TEST(kstring_copies_and_moves_text)
{
    char source[] = "hello";
    KString text(StringView(source, 4));
    source[0] = 'j';
    CHECK_EQ(std::string(text.c_str()), std::string("hell"));
    KString moved = static_cast<KString&&>(text);
    CHECK_EQ(text.length(), size_t(0));
    CHECK(moved.view() == "hell");
}

UNIT_TEST(string_view_compares_and_copies_with_bounds)
{
    StringView path("abc/def");
    CHECK(path.substring(4) == "def");
    CHECK(path.starts_with("abc"));
    CHECK(!(path == "abc"));
    char buffer[4];
    CHECK(!path.copy_to(buffer, sizeof(buffer)));
    CHECK(path.substring(0, 3).copy_to(buffer, sizeof(buffer)));
    CHECK_EQ(std::string(buffer), std::string("abc"));
}
