// The native platform: jobs run in the built-in Linux sandbox on this machine.
#pragma once

#include <memory>

#include "image/image_store.h"
#include "platform/platform.h"
#include "sandbox/sandbox.h"

namespace runlet::platform {

class NativePlatform final : public Platform {
 public:
  // `sandbox` and `images` must outlive the platform.
  NativePlatform(sandbox::Sandbox& sandbox, const image::ImageStore& images)
      : sandbox_(sandbox), images_(images) {}

  std::string_view Name() const override { return "native"; }
  Result<JobResult> Run(const runtime::Job& job, const JobCallbacks& callbacks, int cancel_fd) override;
  Health Check() override;

 private:
  sandbox::Sandbox& sandbox_;
  const image::ImageStore& images_;
};

}  // namespace runlet::platform
