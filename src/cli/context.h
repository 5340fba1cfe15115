// What the verbs share: where data and runtime definitions live, and how the pieces
// (sandbox, images, catalog, platform) are wired together.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "core/error.h"
#include "image/image_store.h"
#include "platform/native/native_platform.h"
#include "platform/platform_set.h"
#include "runtime/catalog.h"
#include "sandbox/sandbox.h"

namespace runlet::cli {

struct Paths {
  std::string data_dir;      // --data, $RUNLET_DATA, /var/lib/runlet
  std::string runtimes_dir;  // --runtimes, runtime::DefaultRuntimesDir()
  std::vector<std::string> host_paths;  // --host-path: added to the host view (sandbox/host_view.h)
};

// The store a verb opens: `database` (--database: a SQLite path or a postgres:// URL),
// else $RUNLET_DATABASE, else <data>/runlet.db.
std::string DatabaseOf(const Paths& paths, const std::string& database);

// Adds --data, --runtimes and --host-path to a verb.
void AddPathFlags(CLI::App& cmd, Paths& paths);
// Fills in the defaults of flags that were not given.
Paths ResolvePaths(Paths paths);

// The native platform with its sandbox and image store.
struct NativeStack {
  std::unique_ptr<sandbox::Sandbox> sandbox;
  std::unique_ptr<image::ImageStore> images;
  std::unique_ptr<platform::Platform> platform;  // native, docker, podman or gvisor (one-shot verbs)
  std::unique_ptr<platform::PlatformSet> platforms;  // the server's (MakeServerStack); else null
};
// `pool_size`: sandboxes prepared ahead (the server); 0 for one-shot commands.
Result<NativeStack> MakeNativeStack(const Paths& paths, int pool_size = 0);
// The one factory of platforms: "native", "docker" (the engine at $RUNLET_DOCKER_SOCKET or
// /var/run/docker.sock) or "podman" ($RUNLET_PODMAN_SOCKET or /run/podman/podman.sock),
// with the image store (and, when the host allows one, the native sandbox, which also
// reads toolchain versions) beside it.
// "gvisor" is the Docker engine with its `runsc` OCI runtime (scripts/start-docker
// registers it).
Result<NativeStack> MakePlatformStack(const Paths& paths, const std::string& platform, int pool_size = 0);

// The platforms names a server holds ("native,docker,gvisor"): each known name, once.
// kInvalid for an unknown or repeated one, or an empty list.
Result<std::vector<std::string>> ParsePlatformNames(const std::string& list);
// The server's platforms: `names` (ParsePlatformNames), `default_name` among them (added
// if missing) and made now, so that a server that cannot run its default does not start;
// the others are made on first use. The native sandbox (prepared ahead: `pool_size`) only
// when "native" is one of them, or when the host allows it for reading versions.
Result<NativeStack> MakeServerStack(const Paths& paths, std::vector<std::string> names,
                                    const std::string& default_name, int pool_size);

// The exact version a runtime's toolchain reports ("3.11.2"), read by running its
// version_command in the sandbox once and cached under <data>/cache; "" if unknown.
std::string DetectVersion(NativeStack& stack, const Paths& paths, const runtime::Runtime& runtime);
// Whether `runtime` can run here: its exact version and "" when it can, else "" and why
// not, with the fix for the operator (the image to build or import, for this runtime).
std::pair<std::string, std::string> CheckRuntime(NativeStack& stack, const Paths& paths, const runtime::Runtime& runtime);

}  // namespace runlet::cli
