/* Model-based test of ramfs through the VFS calls: random sequences of create,
 * write (small, sparse, near the 4 GiB limit), read, truncate up and down, close,
 * unlink (also while open), mkdir, rmdir, rename, readdir and stat, checked after
 * every step against a plain reference model (path -> bytes, kept as pages).
 * File pages, the heap and a storage account are made to run out at random; an
 * operation that fails for it must change nothing, a short write exactly what it
 * reports. Many seeds, a few seconds in all. */
#include "file_pages_fake.h"
#include "heap_failure.h"
#include "vfs_fixture.h"

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

constexpr uint64_t PAGE = RamFs::CHUNK_SIZE;

struct ModelFile {
    uint64_t size = 0;
    std::map<uint64_t, std::vector<uint8_t>> pages; /* pages some write touched */

    uint8_t at(uint64_t position) const
    {
        auto page = pages.find(position / PAGE);
        return page == pages.end() ? 0 : page->second[position % PAGE];
    }
    void write(uint64_t offset, const uint8_t* bytes, size_t count)
    {
        for (size_t i = 0; i < count; ++i) {
            auto& page = pages[(offset + i) / PAGE];
            if (page.empty())
                page.assign(PAGE, 0);
            page[(offset + i) % PAGE] = bytes[i];
        }
        size = std::max(size, offset + count);
    }
    void truncate(uint64_t new_size)
    {
        if (new_size < size) {
            pages.erase(pages.lower_bound((new_size + PAGE - 1) / PAGE), pages.end());
            auto last = pages.find(new_size / PAGE);
            if (last != pages.end())
                std::fill(last->second.begin() + new_size % PAGE, last->second.end(), 0);
        }
        size = new_size;
    }
};

struct OpenModel {
    int fd;
    std::shared_ptr<ModelFile> file;
};

const std::vector<std::string> DIRECTORIES = {"/d0", "/d1", "/d3", "/d0/s"};
const std::vector<std::string> PARENTS = {"", "/d0", "/d1", "/d3", "/d0/s"};

std::string parent_of(const std::string& path) { return path.substr(0, path.rfind('/')); }

class ModelRun {
public:
    ModelRun(uint32_t seed, bool with_quota)
        : seed_(seed), random_(seed), account_(new StorageAccount(with_quota ? 24 * PAGE : UINT64_MAX, with_quota ? 9 : UINT64_MAX))
    {
        v_.context.set_account(account_);
        dirs_.insert("");
    }

    void run(int steps)
    {
        for (step_ = 0; step_ < steps && !failed(); ++step_) {
            one_step();
            check_all();
        }
        clean_up();
    }

private:
    static bool failed() { return unit::current_test_failed(); }

    uint64_t pick(uint64_t bound) { return std::uniform_int_distribution<uint64_t>(0, bound - 1)(random_); }
    std::string any_file_path()
    {
        return PARENTS[pick(PARENTS.size())] + "/f" + std::to_string(pick(3));
    }
    std::string any_directory() { return DIRECTORIES[pick(DIRECTORIES.size())]; }

    /* Random exhaustion for the next call: the heap after a few allocations, the
     * pages after a few more. Returns whether anything was armed. */
    bool arm()
    {
        armed_ = false;
        if (pick(4) == 0) {
            heap_failure::fail_after(pick(3));
            armed_ = true;
        }
        if (pick(4) == 0) {
            file_pages_fake::set_limit(file_pages_fake::live() + pick(3));
            armed_ = true;
        }
        return armed_;
    }
    void disarm()
    {
        heap_failure::disarm();
        file_pages_fake::set_limit(SIZE_MAX);
    }
    /* Running out (armed exhaustion or the quota) is the one failure the model
     * does not predict; the check after the step proves it changed nothing. */
    static bool out_of_space(int error) { return error == ENOMEM || error == ENOSPC; }

    void one_step()
    {
        switch (pick(11)) {
        case 0: case 1: return open_file();
        case 2: case 3: return write();
        case 4: return read();
        case 5: return truncate();
        case 6: return close();
        case 7: return unlink();
        case 8: return pick(2) ? mkdir() : rmdir();
        case 9: return rename();
        case 10: return rename_directory();
        }
    }

    void open_file()
    {
        if (open_.size() >= 8)
            return close();
        std::string path = any_file_path();
        arm();
        Result<int> fd = v_.sys.open(path.c_str(), O_RDWR | O_CREAT);
        disarm();
        if (!dirs_.count(parent_of(path))) {
            expect_error(fd.is_error() ? fd.error() : 0, ENOENT, "open " + path);
            return;
        }
        if (fd.is_error()) {
            CHECK(out_of_space(fd.error()));
            /* The name may exist now though no descriptor came (vfs_syscall.cpp). */
            struct stat status;
            if (!files_.count(path) && !v_.sys.stat(path.c_str(), status).is_error())
                files_[path] = std::make_shared<ModelFile>();
            return;
        }
        auto& file = files_[path];
        if (!file)
            file = std::make_shared<ModelFile>();
        open_.push_back({fd.value(), file});
    }

    void write()
    {
        if (open_.empty())
            return open_file();
        OpenModel& open = open_[pick(open_.size())];
        uint64_t offset;
        switch (pick(4)) {
        case 0: offset = pick(3 * PAGE); break;
        case 1: offset = pick(uint64_t(1) << 32); break; /* sparse, anywhere */
        case 2: offset = RamFs::MAX_FILE_SIZE - pick(2 * PAGE); break;
        default: offset = open.file->size; break;
        }
        size_t count = 1 + pick(pick(4) == 0 ? 3 * PAGE + 7 : 100);
        std::vector<uint8_t> bytes(count);
        for (uint8_t& byte : bytes)
            byte = uint8_t(pick(255) + 1);
        CHECK(!v_.sys.lseek(open.fd, int64_t(offset), SEEK_SET).is_error());
        arm();
        Result<size_t> written = v_.sys.write(open.fd, bytes.data(), count);
        disarm();
        if (offset + count > RamFs::MAX_FILE_SIZE) {
            expect_error(written.is_error() ? written.error() : 0, EFBIG, "write past the limit");
            return;
        }
        if (written.is_error()) {
            CHECK(out_of_space(written.error()));
            return;
        }
        /* Short only for lack of space, and then ending at a page boundary. */
        CHECK(written.value() == count || (written.value() < count && (offset + written.value()) % PAGE == 0));
        open.file->write(offset, bytes.data(), written.value());
    }

    void read()
    {
        if (open_.empty())
            return;
        OpenModel& open = open_[pick(open_.size())];
        uint64_t offset = pick(2) ? pick(open.file->size + 10) : pick(uint64_t(1) << 32);
        size_t count = 1 + pick(2 * PAGE);
        compare_range(open.fd, *open.file, offset, count);
    }

    void truncate()
    {
        if (open_.empty())
            return;
        OpenModel& open = open_[pick(open_.size())];
        uint64_t size = pick(3) == 0 ? pick(RamFs::MAX_FILE_SIZE + 2) : pick(open.file->size + 2 * PAGE + 1);
        Result<void> done = v_.sys.ftruncate(open.fd, size);
        if (size > RamFs::MAX_FILE_SIZE) {
            expect_error(done.is_error() ? done.error() : 0, EFBIG, "truncate past the limit");
            return;
        }
        CHECK(!done.is_error());
        open.file->truncate(size);
    }

    void close()
    {
        if (open_.empty())
            return;
        size_t which = pick(open_.size());
        CHECK(!v_.sys.close(open_[which].fd).is_error());
        open_.erase(open_.begin() + long(which));
    }

    void unlink()
    {
        std::string path = pick(5) ? any_file_path() : any_directory();
        Result<void> done = v_.sys.unlink(path.c_str());
        int expected = files_.count(path) ? 0 : dirs_.count(path) ? EISDIR : ENOENT;
        expect_error(done.is_error() ? done.error() : 0, expected, "unlink " + path);
        files_.erase(path);
    }

    void mkdir()
    {
        std::string path = any_directory();
        arm();
        Result<void> done = v_.sys.mkdir(path.c_str());
        disarm();
        int got = done.is_error() ? done.error() : 0;
        int expected = !dirs_.count(parent_of(path)) ? ENOENT : (dirs_.count(path) || files_.count(path)) ? EEXIST : 0;
        if (expected == 0 && out_of_space(got))
            return;
        expect_error(got, expected, "mkdir " + path);
        if (got == 0)
            dirs_.insert(path);
    }

    bool has_children(const std::string& directory) const
    {
        for (const auto& [path, file] : files_)
            if (parent_of(path) == directory)
                return true;
        for (const std::string& path : dirs_)
            if (!path.empty() && parent_of(path) == directory)
                return true;
        return false;
    }

    void rmdir()
    {
        std::string path = any_directory();
        Result<void> done = v_.sys.rmdir(path.c_str());
        int expected = dirs_.count(path) ? (has_children(path) ? ENOTEMPTY : 0)
                       : files_.count(path) ? ENOTDIR : ENOENT;
        expect_error(done.is_error() ? done.error() : 0, expected, "rmdir " + path);
        if (!done.is_error())
            dirs_.erase(path);
    }

    void rename()
    {
        std::string from = any_file_path(), to = any_file_path();
        arm();
        Result<void> done = v_.sys.rename(from.c_str(), to.c_str());
        disarm();
        int got = done.is_error() ? done.error() : 0;
        int expected = !files_.count(from) || !dirs_.count(parent_of(to)) ? ENOENT : 0;
        if (expected == 0 && out_of_space(got))
            return;
        expect_error(got, expected, "rename " + from + " " + to);
        if (got == 0 && from != to) {
            files_[to] = files_[from];
            files_.erase(from);
        }
    }

    /* /d1 and /d3 swap names: both hang off the root, neither holds the other. */
    void rename_directory()
    {
        std::string from = pick(2) ? "/d1" : "/d3", to = from == "/d1" ? "/d3" : "/d1";
        arm();
        Result<void> done = v_.sys.rename(from.c_str(), to.c_str());
        disarm();
        int got = done.is_error() ? done.error() : 0;
        int expected = !dirs_.count(from) ? ENOENT : (dirs_.count(to) && has_children(to)) ? ENOTEMPTY : 0;
        if (expected == 0 && out_of_space(got))
            return;
        expect_error(got, expected, "rename " + from + " " + to);
        if (got != 0)
            return;
        dirs_.erase(from);
        dirs_.insert(to);
        std::map<std::string, std::shared_ptr<ModelFile>> moved;
        for (auto& [path, file] : files_)
            moved[path.rfind(from + "/", 0) == 0 ? to + path.substr(from.size()) : path] = file;
        files_ = moved;
    }

    void expect_error(int got, int expected, const std::string& what)
    {
        if (got != expected)
            unit::record_failure("seed " + std::to_string(seed_) + " step " + std::to_string(step_) + ": " + what + " gave errno " +
                                 std::to_string(got) + ", expected " + std::to_string(expected));
    }

    void compare_range(int fd, const ModelFile& file, uint64_t offset, size_t count)
    {
        std::vector<uint8_t> back(count, 0xEE);
        CHECK(!v_.sys.lseek(fd, int64_t(offset), SEEK_SET).is_error());
        Result<size_t> got = v_.sys.read(fd, back.data(), count);
        CHECK(!got.is_error());
        size_t expected = offset >= file.size ? 0 : size_t(std::min<uint64_t>(count, file.size - offset));
        CHECK_EQ(got.value(), expected);
        for (size_t i = 0; i < expected && !failed();) {
            uint64_t position = offset + i;
            size_t piece = std::min<size_t>(expected - i, PAGE - position % PAGE);
            auto page = file.pages.find(position / PAGE);
            for (size_t k = 0; k < piece; ++k) {
                uint8_t wanted = page == file.pages.end() ? 0 : page->second[(position + k) % PAGE];
                if (back[i + k] != wanted) {
                    expect_error(back[i + k], wanted, "byte at " + std::to_string(position + k));
                    break;
                }
            }
            i += piece;
        }
    }

    /* Names, types, sizes, every written page and the account against the model. */
    void check_all()
    {
        for (const std::string& directory : dirs_) {
            std::set<std::string> names;
            for (const auto& [path, file] : files_)
                if (parent_of(path) == directory)
                    names.insert(path.substr(directory.size() + 1));
            for (const std::string& path : dirs_)
                if (!path.empty() && parent_of(path) == directory)
                    names.insert(path.substr(directory.size() + 1));
            std::string listed = v_.list(directory.empty() ? "/" : directory.c_str()), wanted = ". ..";
            for (const std::string& name : names)
                wanted += " " + name;
            std::vector<std::string> words;
            for (size_t at = 0; at < listed.size();) {
                size_t end = listed.find(' ', at);
                words.push_back(listed.substr(at, end == std::string::npos ? end : end - at));
                at = end == std::string::npos ? listed.size() : end + 1;
            }
            std::sort(words.begin() + 2 * (words.size() >= 2), words.end());
            std::string sorted;
            for (const std::string& word : words)
                sorted += (sorted.empty() ? "" : " ") + word;
            if (sorted != wanted)
                expect_error(0, 1, "listing of " + directory + ": " + sorted + " instead of " + wanted);
        }
        std::set<const ModelFile*> live;
        for (const auto& [path, file] : files_) {
            struct stat status;
            CHECK(!v_.sys.stat(path.c_str(), status).is_error());
            CHECK_EQ(status.st_size, file->size);
            live.insert(file.get());
        }
        for (const OpenModel& open : open_) {
            live.insert(open.file.get());
            for (const auto& [index, page] : open.file->pages)
                compare_range(open.fd, *open.file, index * PAGE, PAGE);
        }
        /* Every data page and every leaf of 255 of them (ramfs.cpp) is a file page. */
        size_t pages = 0, leaves = 0;
        for (const ModelFile* file : live) {
            pages += file->pages.size();
            std::set<uint64_t> numbers;
            for (const auto& [index, page] : file->pages)
                numbers.insert(index / 255);
            leaves += numbers.size();
        }
        CHECK_EQ(v_.ramfs.chunk_count(), pages);
        CHECK_EQ(account_->bytes_used(), uint64_t((pages + leaves) * PAGE));
        CHECK_EQ(file_pages_fake::live(), pages + leaves);
        CHECK_EQ(account_->files_used(), uint64_t(live.size() + dirs_.size() - 1));
        CHECK_EQ(v_.ramfs.inode_count(), live.size() + dirs_.size());
    }

    void clean_up()
    {
        for (const OpenModel& open : open_)
            CHECK(!v_.sys.close(open.fd).is_error());
        open_.clear();
        for (const auto& [path, file] : files_)
            CHECK(!v_.sys.unlink(path.c_str()).is_error());
        files_.clear();
        for (const char* directory : {"/d0/s", "/d0", "/d1", "/d3"})
            (void)v_.sys.rmdir(directory);
        CHECK_EQ(v_.ramfs.inode_count(), size_t(1));
        CHECK_EQ(file_pages_fake::live(), size_t(0));
        CHECK_EQ(account_->bytes_used(), uint64_t(0));
        CHECK_EQ(account_->files_used(), uint64_t(0));
    }

    uint32_t seed_;
    std::mt19937_64 random_;
    RefPtr<StorageAccount> account_;
    VfsFixture v_;
    std::map<std::string, std::shared_ptr<ModelFile>> files_;
    std::set<std::string> dirs_; /* "" is the root */
    std::vector<OpenModel> open_;
    bool armed_ = false;
    int step_ = 0;
};

} // namespace

UNIT_TEST(ramfs_matches_a_reference_model_under_random_operations_and_exhaustion)
{
    for (uint32_t seed = 1; seed <= 100; ++seed) {
        ModelRun run(seed, seed % 2 == 0);
        run.run(150);
        if (unit::current_test_failed()) {
            std::fprintf(stderr, "ramfs model: seed %u failed\n", seed);
            return;
        }
    }
}
