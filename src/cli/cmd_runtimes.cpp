// `runlet runtimes`: the runtime catalog, with what is usable here.
#include <boost/json.hpp>
#include <iomanip>
#include <iostream>

#include "cli/commands.h"
#include "cli/context.h"
#include "core/json.h"

namespace runlet::cli {
namespace {

struct RuntimesFlags {
  Paths paths;
  bool json = false;
};

int ListRuntimes(const RuntimesFlags& flags) {
  const Paths paths = ResolvePaths(flags.paths);
  auto catalog = runtime::Catalog::LoadDir(paths.runtimes_dir);
  if (!catalog) {
    std::cerr << "runlet runtimes: " << catalog.error().message << "\n";
    return 1;
  }
  auto stack = MakeNativeStack(paths);
  if (!stack) {
    std::cerr << "runlet runtimes: " << stack.error().message << "\n";
    return 125;
  }
  boost::json::array list;
  for (const auto& rt : catalog->runtimes()) {
    auto [version, problem] = CheckRuntime(*stack, paths, rt);
    boost::json::object o;
    o["id"] = rt.id;
    o["language"] = rt.language;
    o["version"] = version.empty() ? rt.version : version;
    o["name"] = rt.name;
    o["os"] = rt.os;
    o["arch"] = rt.arch;
    o["description"] = rt.description;
    o["main_file"] = rt.main_file;
    boost::json::array ext;
    for (const auto& e : rt.extensions) ext.emplace_back(e);
    o["extensions"] = ext;
    o["image"] = rt.image;
    o["available"] = problem.empty();
    if (!problem.empty()) o["problem"] = problem;
    boost::json::array faq;
    for (const auto& f : rt.faq) faq.push_back(boost::json::object{{"question", f.question}, {"answer", f.answer}});
    o["faq"] = faq;
    list.push_back(o);
  }
  if (flags.json) {
    std::cout << JsonText(list) << "\n";
    return 0;
  }
  std::cout << std::left << std::setw(14) << "ID" << std::setw(24) << "NAME" << std::setw(12) << "VERSION"
            << std::setw(18) << "IMAGE" << "STATUS\n";
  for (const auto& v : list) {
    const auto& o = v.as_object();
    std::cout << std::left << std::setw(14) << o.at("id").as_string().c_str() << std::setw(24)
              << o.at("name").as_string().c_str() << std::setw(12) << o.at("version").as_string().c_str()
              << std::setw(18) << o.at("image").as_string().c_str()
              << (o.at("available").as_bool() ? std::string("available") : "unavailable: " + std::string(o.at("problem").as_string()))
              << "\n";
  }
  return 0;
}

}  // namespace

void AddRuntimesCommand(CLI::App& app) {
  auto flags = std::make_shared<RuntimesFlags>();
  auto* cmd = app.add_subcommand("runtimes", "List the runtime catalog and what is usable here");
  AddPathFlags(*cmd, flags->paths);
  cmd->add_flag("--json", flags->json, "print a JSON array");
  cmd->callback([flags] { throw ExitWith{ListRuntimes(*flags)}; });
}

}  // namespace runlet::cli
