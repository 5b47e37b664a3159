/* A storage account: who pays for file data and inodes, with a byte and a file
 * limit. Each VM's file server charges the files and bytes its guest's hypercalls
 * allocate to the VM's account, until they are freed (an unlinked file that is
 * still open included), whatever directory they lie in; past a limit the guest
 * gets ENOSPC. Host programs use no account (nullptr): only the kernel's page
 * reserve bounds them (mm/page_manager.h). */
#pragma once
#include "lib/ref_ptr.h"
#include "lib/result.h"

#include <stdint.h>

class StorageAccount : public RefCounted<StorageAccount> {
public:
    StorageAccount(uint64_t byte_limit, uint64_t file_limit) : byte_limit_(byte_limit), file_limit_(file_limit) {}
    StorageAccount(const StorageAccount&) = delete;
    StorageAccount& operator=(const StorageAccount&) = delete;

    /* Takes `bytes` more, or ENOSPC (and nothing taken) past the limit. */
    [[nodiscard]] Result<void> charge_bytes(uint64_t bytes)
    {
        if (bytes > byte_limit_ - bytes_used_)
            return Error(ENOSPC);
        bytes_used_ += bytes;
        return {};
    }
    void release_bytes(uint64_t bytes)
    {
        if (bytes > bytes_used_)
            panic("storage account: releasing %lu bytes of %lu charged", bytes, bytes_used_);
        bytes_used_ -= bytes;
    }
    /* One more file or directory, or ENOSPC past the limit. */
    [[nodiscard]] Result<void> charge_file()
    {
        if (files_used_ >= file_limit_)
            return Error(ENOSPC);
        ++files_used_;
        return {};
    }
    void release_file()
    {
        if (files_used_ == 0)
            panic("storage account: releasing a file of none charged");
        --files_used_;
    }

    uint64_t byte_limit() const { return byte_limit_; }
    uint64_t file_limit() const { return file_limit_; }
    uint64_t bytes_used() const { return bytes_used_; }
    uint64_t files_used() const { return files_used_; }

private:
    uint64_t byte_limit_;
    uint64_t file_limit_;
    uint64_t bytes_used_ = 0;
    uint64_t files_used_ = 0;
};
