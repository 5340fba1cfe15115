// `runlet image build|import|ls|rm|export`: the image store from the command line.
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "cli/commands.h"
#include "core/json.h"
#include "image/image_store.h"
#include "runtime/catalog.h"

namespace runlet::cli {
namespace {

struct ImageFlags {
  std::string data_dir;
  std::string name;
  std::string suite = "bookworm";
  std::vector<std::string> packages;
  std::string file;
  std::vector<std::string> for_runtimes;  // build: take name, suite and packages from these runtimes' image_recipe
  bool all = false;                       // build: every runtime's image that has a recipe
  unsigned jobs = 0;                      // build: images built at once (0: one per CPU)
  bool whole = false;                     // build: one debootstrap per image instead of a layer over a shared base
  std::string runtimes_dir;               // where --for looks the runtime up
  bool reuse = false;  // build: keep an image already built from the same suite and packages
  bool json = false;
};

std::string DataDir(const ImageFlags& f) { return f.data_dir.empty() ? image::DefaultDataDir() : f.data_dir; }

// Progress goes to stderr so `runlet image export NAME -` can write the tar to stdout.
void Progress(std::string_view line) { std::cerr << line << std::endl; }

std::string Size(uint64_t bytes) {
  char out[32];
  double mb = static_cast<double>(bytes) / (1024.0 * 1024.0);
  std::snprintf(out, sizeof out, mb >= 1024 ? "%.2f GiB" : "%.1f MiB", mb >= 1024 ? mb / 1024 : mb);
  return out;
}

void PrintDone(const char* verb, const image::ImageInfo& info, std::chrono::steady_clock::time_point start) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char took[32];
  std::snprintf(took, sizeof took, "%.1f s", seconds);
  std::cout << verb << " " << info.name << " " << info.digest << " (" << Size(info.size_bytes) << ", " << took
            << ")\n"
            << "rootfs: " << info.rootfs << "\n";
}

// One image to build: its name and recipe.
struct Target {
  std::string name, suite;
  std::vector<std::string> packages;
  std::vector<std::string> runtimes;  // the runtimes that run on it
};

// Checks the runtime `id` named by --for and adds its image to `targets` (once per image).
bool ApplyRecipe(const ImageFlags& f, const runtime::Catalog& catalog, const std::string& dir, const std::string& id,
                 bool suite_given, bool packages_given, std::vector<Target>& targets) {
  const runtime::Runtime* rt = catalog.Find(id);
  if (!rt) {
    std::cerr << "runlet image build: no runtime \"" << id << "\" in " << dir << "\n";
    return false;
  }
  if (rt->image_suite.empty()) {
    std::cerr << "runlet image build: runtime " << rt->id << " (image " << rt->image
              << ") has no image_recipe to build its image from\n";
    return false;
  }
  if (!f.name.empty() && f.name != rt->image) {
    std::cerr << "runlet image build: runtime " << rt->id << " runs on image " << rt->image << ", not " << f.name
              << "\n";
    return false;
  }
  if (suite_given || packages_given) {
    std::cerr << "runlet image build: --for takes the suite and packages from the runtime; give one or the other\n";
    return false;
  }
  for (auto& t : targets) {
    if (t.name != rt->image) continue;
    if (t.suite != rt->image_suite || t.packages != rt->image_packages) {
      std::cerr << "runlet image build: runtimes " << t.runtimes.front() << " and " << rt->id << " share image "
                << rt->image << " with different image_recipes\n";
      return false;
    }
    t.runtimes.push_back(rt->id);
    return true;
  }
  targets.push_back(Target{rt->image, rt->image_suite, rt->image_packages, {rt->id}});
  return true;
}

// The images that --for and --all name, or none (and a message) when one cannot be built.
bool CollectTargets(const ImageFlags& f, bool suite_given, bool packages_given, std::vector<Target>& targets) {
  const std::string dir = f.runtimes_dir.empty() ? runtime::DefaultRuntimesDir() : f.runtimes_dir;
  auto catalog = runtime::Catalog::LoadDir(dir);
  if (!catalog) {
    std::cerr << "runlet image build: " << catalog.error().message << "\n";
    return false;
  }
  if (f.all && (suite_given || packages_given || !f.name.empty())) {
    std::cerr << "runlet image build: --all builds every runtime's image from its image_recipe; give no name, "
                 "--suite or --packages\n";
    return false;
  }
  if (f.all) {
    for (const auto& rt : catalog->runtimes()) {
      if (!rt.image_suite.empty() && !ApplyRecipe(f, *catalog, dir, rt.id, false, false, targets)) return false;
    }
  }
  for (const auto& id : f.for_runtimes) {
    if (!ApplyRecipe(f, *catalog, dir, id, suite_given, packages_given, targets)) return false;
  }
  return true;
}

// Builds one image, or keeps it when `reuse` and it is built from the same recipe.
// Returns the output line ("built ...", "kept ...") or an error.
Result<std::string> BuildOne(image::ImageStore& store, const Target& t, bool reuse, bool whole,
                             const image::ProgressFn& progress) {
  const auto start = std::chrono::steady_clock::now();
  auto done = [&](const char* verb, const image::ImageInfo& info) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    char took[32];
    std::snprintf(took, sizeof took, "%.1f s", seconds);
    return std::string(verb) + " " + info.name + " " + info.digest + " (" + Size(info.size_bytes) + ", " + took +
           ")\nrootfs: " + info.rootfs + "\n";
  };
  if (reuse) {
    if (auto kept = store.FindBuild(t.name, t.suite, t.packages)) {
      progress("image " + t.name + " is already built from " + kept->source + " (" + kept->created +
               "); keeping it");
      return done("kept", *kept);
    } else if (kept.error().sys_errno != ENOENT) {
      progress(kept.error().message + "; building it again");
    }
  }
  auto info = whole ? store.Build(t.name, t.suite, t.packages, progress)
                    : store.BuildLayered(t.name, t.suite, t.packages, progress);
  if (!info) return tl::unexpected(info.error());
  return done("built", *info);
}

int Build(const ImageFlags& f, const Target& t) {
  image::ImageStore store(DataDir(f));
  auto out = BuildOne(store, t, f.reuse, f.whole, Progress);
  if (!out) {
    std::cerr << "runlet image build: " << out.error().message << "\n";
    return 1;
  }
  std::cout << *out;
  return 0;
}

// Several images, `jobs` at a time. Each output line is prefixed with its image's name;
// one that fails does not stop the others, and a second run keeps what the first built
// (the builds reuse images made from the same recipe), so it resumes where it failed.
int BuildMany(const ImageFlags& f, const std::vector<Target>& targets) {
  image::ImageStore store(DataDir(f));
  unsigned jobs = f.jobs ? f.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<unsigned>(jobs, static_cast<unsigned>(targets.size()));
  std::mutex out_mutex;
  std::atomic<size_t> next{0};
  size_t finished = 0;
  std::vector<std::string> failed;
  const auto start = std::chrono::steady_clock::now();
  std::cerr << "building " << targets.size() << (targets.size() == 1 ? " image, " : " images, ") << jobs
            << " at a time\n";
  auto worker = [&] {
    for (size_t i = next++; i < targets.size(); i = next++) {
      const Target& t = targets[i];
      auto progress = [&](std::string_view line) {
        std::lock_guard lock(out_mutex);
        std::cerr << "[" << t.name << "] " << line << std::endl;
      };
      progress("start (" + image::DebootstrapSource(t.suite, t.packages) + ")");
      auto out = BuildOne(store, t, /*reuse=*/true, f.whole, progress);
      std::lock_guard lock(out_mutex);
      ++finished;
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      char head[64];
      std::snprintf(head, sizeof head, "[%zu/%zu, %.0f s] ", finished, targets.size(), seconds);
      if (out) {
        std::cout << *out << std::flush;
        std::cerr << head << t.name << " done" << std::endl;
      } else {
        failed.push_back(t.name);
        std::cerr << head << t.name << " FAILED: " << out.error().message << std::endl;
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < jobs; ++i) threads.emplace_back(worker);
  for (auto& th : threads) th.join();
  if (failed.empty()) {
    std::cerr << "all " << targets.size() << " images are built\n";
    return 0;
  }
  std::cerr << failed.size() << " of " << targets.size() << " images failed:";
  for (const auto& name : failed) std::cerr << " " << name;
  std::cerr << "\nrun the same command again to build what is missing; built images are kept\n";
  return 1;
}

int Import(const ImageFlags& f) {
  image::ImageStore store(DataDir(f));
  const auto start = std::chrono::steady_clock::now();
  auto info = store.Import(f.name, f.file, Progress);
  if (!info) {
    std::cerr << "runlet image import: " << info.error().message << "\n";
    return 1;
  }
  PrintDone("imported", *info, start);
  return 0;
}

int List(const ImageFlags& f) {
  image::ImageStore store(DataDir(f));
  auto images = store.List();
  if (f.json) {
    boost::json::array out;
    for (const auto& i : images) {
      out.push_back(boost::json::object{{"name", i.name},
                                        {"digest", i.digest},
                                        {"rootfs", i.rootfs},
                                        {"source", i.source},
                                        {"size_bytes", i.size_bytes},
                                        {"created", i.created}});
    }
    std::cout << JsonText(out) << std::endl;
    return 0;
  }
  std::printf("%-24s %-19s %10s  %-20s  %s\n", "NAME", "DIGEST", "SIZE", "CREATED", "SOURCE");
  for (const auto& i : images) {
    const std::string digest = i.digest.empty() ? "-" : i.digest.substr(0, 19);
    const std::string size = i.digest.empty() ? "-" : Size(i.size_bytes);
    std::printf("%-24s %-19s %10s  %-20s  %s\n", i.name.c_str(), digest.c_str(), size.c_str(),
                i.created.empty() ? "-" : i.created.c_str(), i.source.c_str());
  }
  return 0;
}

int Remove(const ImageFlags& f) {
  image::ImageStore store(DataDir(f));
  if (auto s = store.Remove(f.name); !s) {
    std::cerr << "runlet image rm: " << s.error().message << "\n";
    return 1;
  }
  std::cout << "removed " << f.name << "\n";
  return 0;
}

int Export(const ImageFlags& f) {
  image::ImageStore store(DataDir(f));
  if (auto s = store.Export(f.name, f.file, Progress); !s) {
    std::cerr << "runlet image export: " << s.error().message << "\n";
    return 1;
  }
  if (f.file != "-") std::cerr << "load it with: docker import " << f.file << " runlet/" << f.name << "\n";
  return 0;
}

CLI::App* Verb(CLI::App& parent, const char* name, const char* help, ImageFlags& flags) {
  auto* cmd = parent.add_subcommand(name, help);
  cmd->add_option("--data", flags.data_dir, "data directory (default: $RUNLET_DATA or /var/lib/runlet)");
  return cmd;
}

}  // namespace

void AddImageCommand(CLI::App& app) {
  auto flags = std::make_shared<ImageFlags>();
  auto* image = app.add_subcommand("image", "Build, import, list, remove and export runtime images");
  image->require_subcommand(1);

  auto* build = Verb(*image, "build", "Build an image from Debian packages with debootstrap (takes minutes)", *flags);
  build->add_option("name", flags->name, "image name (with --for: the runtime's image)");
  auto* suite = build->add_option("--suite", flags->suite, "Debian suite")
                    ->check(CLI::IsMember({"bookworm", "bullseye", "trixie"}))
                    ->capture_default_str();
  auto* packages =
      build->add_option("--packages", flags->packages, "packages to install, comma-separated")->delimiter(',');
  build->add_option("--for", flags->for_runtimes,
                    "build the image a runtime needs, from its image_recipe (runtimes/ID.json); several build in "
                    "parallel");
  build->add_flag("--all", flags->all, "build the image of every runtime that has an image_recipe");
  build->add_option("--jobs,-j", flags->jobs, "images built at once with --all or several --for (default: CPUs)");
  build->add_flag("--whole", flags->whole,
                  "one debootstrap with the packages instead of a layer over the suite's shared base");
  build->add_option("--runtimes", flags->runtimes_dir, "directory of runtime definitions (for --for)");
  build->add_flag("--reuse", flags->reuse,
                  "keep an image of this name already built from the same suite and packages");
  build->callback([flags, suite, packages] {
    if (flags->all || !flags->for_runtimes.empty()) {
      std::vector<Target> targets;
      if (!CollectTargets(*flags, suite->count() > 0, packages->count() > 0, targets)) throw ExitWith(2);
      if (flags->all && targets.empty()) {
        std::cerr << "runlet image build: no runtime has an image_recipe\n";
        throw ExitWith(2);
      }
      if (targets.size() == 1 && !flags->all) throw ExitWith(Build(*flags, targets.front()));
      throw ExitWith(BuildMany(*flags, targets));
    }
    if (flags->name.empty()) {
      std::cerr << "runlet image build: give an image name or --for RUNTIME\n";
      throw ExitWith(2);
    }
    throw ExitWith(Build(*flags, Target{flags->name, flags->suite, flags->packages, {}}));
  });

  auto* import = Verb(*image, "import", "Import an OCI image layout tarball or a `docker save` archive", *flags);
  import->add_option("name", flags->name, "image name")->required();
  import->add_option("file", flags->file, "the tarball")->required()->check(CLI::ExistingFile);
  import->callback([flags] { throw ExitWith(Import(*flags)); });

  auto* ls = Verb(*image, "ls", "List images", *flags);
  ls->add_flag("--json", flags->json, "print a JSON array");
  ls->callback([flags] { throw ExitWith(List(*flags)); });

  auto* rm = Verb(*image, "rm", "Remove an image (its files go when no other name refers to them)", *flags);
  rm->add_option("name", flags->name, "image name")->required();
  rm->callback([flags] { throw ExitWith(Remove(*flags)); });

  auto* exp = Verb(*image, "export", "Write an image's root file system as a tarball for `docker import`", *flags);
  exp->add_option("name", flags->name, "image name")->required();
  exp->add_option("file", flags->file, "output tarball (- for standard output)")->required();
  exp->callback([flags] { throw ExitWith(Export(*flags)); });
}

}  // namespace runlet::cli
