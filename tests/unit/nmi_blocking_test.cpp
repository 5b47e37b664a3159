/* hypervisor/svm/nmi_blocking.h: the NMI mask the SVM backend keeps for its
 * guests (AMD64 APM Vol. 2, "Nonmaskable Interrupt (NMI)"): blocked from an
 * injected NMI until the guest is past the IRET that ends its handler. */
#include "hypervisor/svm/nmi_blocking.h"
#include "unit_test.h"

using namespace svm;

UNIT_TEST(nmi_blocking_is_open_at_start)
{
    NmiBlocking b;
    CHECK(!b.blocked(0x1000));
    CHECK(!b.wants_iret_intercept());
}

UNIT_TEST(nmi_blocking_holds_from_the_injection_to_the_iret)
{
    NmiBlocking b;
    b.nmi_injected();
    CHECK(b.wants_iret_intercept());
    /* The handler runs, exits for other reasons at other RIPs: still blocked. */
    CHECK(b.blocked(0x2000));
    CHECK(b.blocked(0x2010));
    b.iret_intercepted(0x2020);
    CHECK(!b.wants_iret_intercept());
    /* The intercept fires before the IRET executes: at its RIP, still blocked. */
    CHECK(b.blocked(0x2020));
    CHECK(b.blocked(0x2020));
    /* Past it (back in the interrupted code): open. */
    CHECK(!b.blocked(0x1000));
    CHECK(!b.blocked(0x2020));
}

UNIT_TEST(nmi_blocking_ignores_an_iret_outside_an_nmi_handler)
{
    NmiBlocking b;
    b.iret_intercepted(0x3000);
    CHECK(!b.blocked(0x3000));
}

UNIT_TEST(nmi_blocking_starts_again_with_the_next_nmi)
{
    NmiBlocking b;
    b.nmi_injected();
    b.iret_intercepted(0x2020);
    CHECK(!b.blocked(0x1000));
    b.nmi_injected();
    CHECK(b.blocked(0x2020));
    CHECK(b.wants_iret_intercept());
}
