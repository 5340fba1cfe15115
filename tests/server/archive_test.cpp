// A project as a zip: exported (GET /projects/{id}/archive) and imported (POST, a zip or a
// tar). Imports are attacked with archives built here entry by entry: links, device
// nodes, paths that climb out or hide control characters, names that are not UTF-8, one
// name twice, decompression bombs and too many files. Each is refused whole: the project
// is as it was.
#include <archive.h>
#include <archive_entry.h>
#include <locale.h>

#include <map>
#include <thread>

#include "accounts_test.h"

namespace runlet::testing {
namespace {

struct Entry {
  std::string path;
  std::string content;
  mode_t type = AE_IFREG;
  std::string link;  // symlink target, or hard link source
  bool hardlink = false;
};

la_ssize_t Append(struct archive*, void* out, const void* data, size_t n) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(data), n);
  return static_cast<la_ssize_t>(n);
}

// An archive of `entries` as written, with no checks of ours: zip, or tar.gz.
std::string Build(const std::vector<Entry>& entries, bool zip = true) {
  struct archive* a = archive_write_new();
  if (zip) {
    archive_write_set_format_zip(a);
  } else {
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter_gzip(a);
  }
  std::string out;
  archive_write_open(a, &out, nullptr, Append, nullptr);
  for (const auto& e : entries) {
    struct archive_entry* h = archive_entry_new();
    archive_entry_copy_pathname(h, e.path.c_str());
    archive_entry_set_filetype(h, e.type);
    archive_entry_set_perm(h, 0644);
    if (e.hardlink) archive_entry_copy_hardlink(h, e.link.c_str());
    else if (e.type == AE_IFLNK) archive_entry_copy_symlink(h, e.link.c_str());
    archive_entry_set_size(h, e.type == AE_IFREG && !e.hardlink ? static_cast<la_int64_t>(e.content.size()) : 0);
    archive_write_header(a, h);
    if (e.type == AE_IFREG && !e.content.empty()) archive_write_data(a, e.content.data(), e.content.size());
    archive_entry_free(h);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// The regular files of an archive: path -> content.
std::map<std::string, std::string> Read(const std::string& data) {
  std::map<std::string, std::string> files;
  locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  locale_t old = uselocale(utf8);
  struct archive* a = archive_read_new();
  archive_read_support_format_zip(a);
  EXPECT_EQ(archive_read_open_memory(a, data.data(), data.size()), ARCHIVE_OK);
  struct archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string content;
    char buf[4096];
    for (la_ssize_t n; (n = archive_read_data(a, buf, sizeof buf)) > 0;) content.append(buf, static_cast<size_t>(n));
    const char* name = archive_entry_pathname_utf8(e);
    files[name ? name : archive_entry_pathname(e)] = content;
  }
  archive_read_free(a);
  uselocale(old);
  freelocale(utf8);
  return files;
}

class ProjectArchive : public AccountsTest {
 protected:
  void SetUp() override {
    AccountsTest::SetUp();
    alice_ = NewUser("alice");
  }
  HttpResponse Import(const std::string& project, const std::string& body, const std::string& who = {}) {
    return http().Request("POST", "/api/v1/projects/" + project + "/archive", body,
                          {{"Content-Type", "application/zip"}, As(who.empty() ? alice_ : who).front()});
  }
  // The project's files as the server has them: path -> content.
  std::map<std::string, std::string> Files(const std::string& project) {
    std::map<std::string, std::string> files;
    auto list = Send("GET", "/api/v1/projects/" + project + "/files", As(alice_));
    EXPECT_EQ(list.status, 200) << list.body;
    if (list.status != 200) return files;
    for (const auto& f : list.Json().as_array()) {
      const std::string path = Str(f, "path");
      std::string target = "/api/v1/projects/" + project + "/files/";
      for (char c : path) {  // percent-encode all but '/' and plain ASCII letters and digits
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '_') target += c;
        else {
          char hex[4];
          std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(c));
          target += hex;
        }
      }
      files[path] = Send("GET", target, As(alice_)).body;
    }
    return files;
  }
  std::string NewProject(const std::map<std::string, std::string>& files) {
    auto r = Send("POST", "/api/v1/projects", As(alice_), R"({"name":"zip","runtime":"python-3.11"})");
    EXPECT_EQ(r.status, 201) << r.body;
    const std::string id = Str(r.Json(), "id");
    for (const auto& [path, content] : files)
      EXPECT_EQ(http().Request("PUT", "/api/v1/projects/" + id + "/files/" + path, content, As(alice_)).status / 100, 2);
    return id;
  }
  std::string alice_;
};

TEST_F(ProjectArchive, ExportsAZipThatImportsIntoAnotherProjectAsItWas) {
  const std::map<std::string, std::string> files = {
      {"main.py", "from lib import util\nprint(util.NAME)\n"},
      {"lib/util.py", "NAME = 'from the zip'\n"},
      {"data/empty.txt", ""},
      {"donn\xc3\xa9" "es.txt", "caf\xc3\xa9\n"},
  };
  const std::string from = NewProject(files);
  auto zip = Send("GET", "/api/v1/projects/" + from + "/archive", As(alice_));
  ASSERT_EQ(zip.status, 200) << zip.body;
  EXPECT_EQ(zip.Header("content-type"), "application/zip");
  EXPECT_EQ(zip.Header("content-disposition"), "attachment; filename=\"zip.zip\"");
  EXPECT_EQ(Read(zip.body), files);

  const std::string to = NewProject({{"main.py", "print('replaced')\n"}, {"keep.txt", "kept\n"}});
  auto r = Import(to, zip.body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("added").as_int64(), 3);
  EXPECT_EQ(r.Json().at("replaced").as_int64(), 1);
  auto want = files;
  want["keep.txt"] = "kept\n";
  EXPECT_EQ(Files(to), want);
  // And it runs as imported.
  auto started = Send("POST", "/api/v1/projects/" + to + "/runs", As(alice_), "{}");
  ASSERT_EQ(started.status, 202) << started.body;
  const std::string run_id = Str(started.Json(), "id");
  std::string output;
  for (int i = 0; i < 600 && output.empty(); ++i) {
    std::this_thread::sleep_for(100ms);
    auto logs = Send("GET", "/api/v1/runs/" + run_id + "/logs", As(alice_));
    ASSERT_EQ(logs.status, 200) << logs.body;
    for (const auto& e : logs.Json().at("entries").as_array()) output += Str(e, "text") + "\n";
  }
  EXPECT_EQ(output, "from the zip\n");
}

TEST_F(ProjectArchive, ATarGzImportsToo) {
  const std::string to = NewProject({});
  auto r = Import(to, Build({{"./pkg/", "", AE_IFDIR}, {"./pkg/a.py", "A = 1\n"}, {"./main.py", "print(1)\n"}}, false));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Files(to), (std::map<std::string, std::string>{{"main.py", "print(1)\n"}, {"pkg/a.py", "A = 1\n"}}));
}

TEST_F(ProjectArchive, RefusesLinksDevicesBadNamesAndDuplicatesWholeAndWritesNothing) {
  const std::map<std::string, std::string> before = {{"main.py", "print('before')\n"}};
  const std::string id = NewProject(before);
  const Entry good{"ok.py", "print('ok')\n"};
  const std::vector<std::pair<std::string, std::vector<Entry>>> attacks = {
      {"a symlink to a host file", {good, {"passwd", "", AE_IFLNK, "/etc/passwd"}}},
      {"a symlink out of the project", {good, {"up", "", AE_IFLNK, "../../.."}}},
      {"a path that climbs out", {good, {"../evil.py", "x"}}},
      {"a path that climbs out midway", {good, {"lib/../../evil.py", "x"}}},
      {"an absolute path", {good, {"/etc/cron.d/evil", "x"}}},
      {"an escape character", {good, {"a\x1b[2Jb.py", "x"}}},
      {"a line break", {good, {"a\nb.py", "x"}}},
      {"a bidi override", {good, {"evil\xe2\x80\xaeyp.exe", "x"}}},
      {"a name that is not UTF-8", {good, {"caf\xe9.py", "x"}}},
      {"one name twice", {good, {"ok.py", "again"}}},
      {"a file where a folder is", {good, {"main.py/x.py", "x"}}},
  };
  // Entries a zip cannot hold: tar only.
  const std::vector<std::pair<std::string, std::vector<Entry>>> tar_attacks = {
      {"a hard link", {good, {"shadow", "", AE_IFREG, "/etc/shadow", true}}},
      {"a character device", {good, {"null", "", AE_IFCHR}}},
      {"a FIFO", {good, {"pipe", "", AE_IFIFO}}},
  };
  for (bool zip : {true, false}) {
    auto all = attacks;
    if (!zip) all.insert(all.end(), tar_attacks.begin(), tar_attacks.end());
    for (const auto& [what, entries] : all) {
      auto r = Import(id, Build(entries, zip));
      EXPECT_TRUE(r.status == 400 || r.status == 409) << what << (zip ? " (zip): " : " (tar): ") << r.status << " " << r.body;
      EXPECT_TRUE(r.Json().as_object().contains("message")) << r.body;
      EXPECT_EQ(Files(id), before) << what << ": nothing was written";
    }
  }
  EXPECT_TRUE(IsError(Import(id, "not an archive at all"), 400, "invalid_request"));
  EXPECT_TRUE(IsError(Import(id, ""), 400, "invalid_request"));
  EXPECT_EQ(Files(id), before);
}

TEST_F(ProjectArchive, ABombOrTooManyFilesIsRefusedAsTooLarge) {
  const std::map<std::string, std::string> before = {{"main.py", "print('before')\n"}};
  const std::string id = NewProject(before);
  // 64 MiB of zeros deflate to ~64 KiB: over the 1 MiB a file may hold, counted as read.
  auto bomb = Build({{"zeros.bin", std::string(64 << 20, '\0')}});
  ASSERT_LT(bomb.size(), 1u << 20);
  EXPECT_TRUE(IsError(Import(id, bomb), 413, "too_large"));
  // Many files of 900 KiB each: each allowed, together over the 16 MiB a project holds.
  std::vector<Entry> big;
  for (int i = 0; i < 20; ++i) big.push_back({"f" + std::to_string(i), std::string(900 << 10, 'x')});
  EXPECT_TRUE(IsError(Import(id, Build(big)), 413, "too_large"));
  std::vector<Entry> many;
  for (int i = 0; i < 501; ++i) many.push_back({"f" + std::to_string(i) + ".txt", "x"});
  EXPECT_TRUE(IsError(Import(id, Build(many)), 413, "too_large"));
  EXPECT_EQ(Files(id), before);
}

TEST_F(ProjectArchive, OthersCannotImportAndExportOnlyWhatTheyMayRead) {
  const std::string id = NewProject({{"main.py", "print('secret')\n"}});
  const std::string bob = NewUser("bob");
  EXPECT_EQ(Import(id, Build({{"x.py", "x"}}), bob).status, 404);
  EXPECT_EQ(Send("GET", "/api/v1/projects/" + id + "/archive", As(bob)).status, 404);
  EXPECT_EQ(Send("GET", "/api/v1/projects/" + id + "/archive", Anonymous()).status / 100, 4);
  ASSERT_EQ(Send("PATCH", "/api/v1/projects/" + id, As(alice_), R"({"visibility":"public"})").status, 200);
  auto r = Send("GET", "/api/v1/projects/" + id + "/archive", As(bob));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Read(r.body), (std::map<std::string, std::string>{{"main.py", "print('secret')\n"}}));
  EXPECT_EQ(Import(id, Build({{"x.py", "x"}}), bob).status, 403) << "a public project is still only its owner's to change";
}

// Before a restore, the UI shows what it would do: GET /projects/{id}/versions/{vid}/compare.
TEST_F(ProjectArchive, CompareSaysWhatARestoreWouldDoFileByFile) {
  const std::string id = NewProject({{"main.py", "print('v1')\n"}, {"same.py", "x = 1\n"}, {"old.py", "gone\n"}});
  auto started = Send("POST", "/api/v1/projects/" + id + "/runs", As(alice_), "{}");
  ASSERT_EQ(started.status, 202) << started.body;
  const std::string vid = Str(started.Json(), "version_id");
  ASSERT_EQ(Send("DELETE", "/api/v1/projects/" + id + "/files/old.py", As(alice_)).status, 204);
  ASSERT_EQ(http().Request("PUT", "/api/v1/projects/" + id + "/files/main.py", "print('v2')\n", As(alice_)).status, 200);
  ASSERT_EQ(http().Request("PUT", "/api/v1/projects/" + id + "/files/new.bin", std::string("\xff\x00\xfe", 3), As(alice_)).status, 201);

  auto r = Send("GET", "/api/v1/projects/" + id + "/versions/" + vid + "/compare", As(alice_));
  ASSERT_EQ(r.status, 200) << r.body;
  std::map<std::string, json::object> by_path;
  for (const auto& f : r.Json().at("files").as_array()) by_path[Str(f, "path")] = f.as_object();
  ASSERT_EQ(by_path.size(), 4u) << r.body;
  EXPECT_EQ(Str(by_path["main.py"], "status"), "changed");
  EXPECT_EQ(Str(by_path["main.py"], "version"), "print('v1')\n");
  EXPECT_EQ(Str(by_path["main.py"], "current"), "print('v2')\n");
  EXPECT_EQ(Str(by_path["same.py"], "status"), "same");
  EXPECT_FALSE(by_path["same.py"].contains("version")) << "unchanged files carry no text";
  EXPECT_EQ(Str(by_path["old.py"], "status"), "restored");
  EXPECT_TRUE(by_path["old.py"].at("current").is_null());
  EXPECT_EQ(Str(by_path["new.bin"], "status"), "removed");
  EXPECT_TRUE(by_path["new.bin"].at("binary").as_bool());
  EXPECT_TRUE(by_path["new.bin"].at("current").is_null()) << "bytes that are not UTF-8 are not put into JSON";

  const std::string bob = NewUser("bob");
  EXPECT_EQ(Send("GET", "/api/v1/projects/" + id + "/versions/" + vid + "/compare", As(bob)).status, 404);
  const std::string other = NewProject({{"main.py", "print('other')\n"}});
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/projects/" + other + "/versions/" + vid + "/compare", As(alice_)), 404, "not_found"))
      << "a version of another project is not this project's";
}

}  // namespace
}  // namespace runlet::testing
