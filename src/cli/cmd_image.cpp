// `runlet image build|import|ls|rm|export`: the image store from the command line.
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

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
  std::string for_runtime;   // build: take name, suite and packages from this runtime's image_recipe
  std::string runtimes_dir;  // where --for looks the runtime up
  bool reuse = false;        // build: keep an image already built from the same suite and packages
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

// Fills in name, suite and packages from the runtime named by --for.
bool ApplyRecipe(ImageFlags& f, bool suite_given, bool packages_given) {
  const std::string dir = f.runtimes_dir.empty() ? runtime::DefaultRuntimesDir() : f.runtimes_dir;
  auto catalog = runtime::Catalog::LoadDir(dir);
  if (!catalog) {
    std::cerr << "runlet image build: " << catalog.error().message << "\n";
    return false;
  }
  const runtime::Runtime* rt = catalog->Find(f.for_runtime);
  if (!rt) {
    std::cerr << "runlet image build: no runtime \"" << f.for_runtime << "\" in " << dir << "\n";
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
  f.name = rt->image;
  f.suite = rt->image_suite;
  f.packages = rt->image_packages;
  return true;
}

int Build(const ImageFlags& f) {
  image::ImageStore store(DataDir(f));
  const auto start = std::chrono::steady_clock::now();
  if (f.reuse) {
    if (auto kept = store.FindBuild(f.name, f.suite, f.packages)) {
      std::cerr << "image " << f.name << " is already built from " << kept->source << " (" << kept->created
                << "); keeping it\n";
      PrintDone("kept", *kept, start);
      return 0;
    } else if (kept.error().sys_errno != ENOENT) {
      std::cerr << kept.error().message << "; building it again\n";
    }
  }
  auto info = store.Build(f.name, f.suite, f.packages, Progress);
  if (!info) {
    std::cerr << "runlet image build: " << info.error().message << "\n";
    return 1;
  }
  PrintDone("built", *info, start);
  return 0;
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
  build->add_option("--for", flags->for_runtime,
                    "build the image a runtime needs, from its image_recipe (runtimes/ID.json)");
  build->add_option("--runtimes", flags->runtimes_dir, "directory of runtime definitions (for --for)");
  build->add_flag("--reuse", flags->reuse,
                  "keep an image of this name already built from the same suite and packages");
  build->callback([flags, suite, packages] {
    if (!flags->for_runtime.empty() && !ApplyRecipe(*flags, suite->count() > 0, packages->count() > 0))
      throw ExitWith(2);
    if (flags->name.empty()) {
      std::cerr << "runlet image build: give an image name or --for RUNTIME\n";
      throw ExitWith(2);
    }
    throw ExitWith(Build(*flags));
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
