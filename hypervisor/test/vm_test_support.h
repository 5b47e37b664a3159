/* What the in-kernel tests of the hypervisor share (kernel/test/kernel_test.h):
 * starting a small test guest with a failure reported to the test. */
#pragma once
#include "hypervisor/vm/vm_manager.h"
#include "test/kernel_test.h"

/* Starts `path` with 4 MiB of RAM and `cmdline`: its id, or -1 (the test failed). */
inline int start_test_vm(TestContext& t, const char* path, const char* cmdline)
{
    vm_manager::StartRequest request;
    request.path = path;
    request.memory_mib = 4;
    request.cmdline = cmdline;
    vm_manager::StartResult started = vm_manager::start(request);
    if (!started.ok())
        t.fail("vm start %s: %s", path, started.error);
    return started.id;
}
