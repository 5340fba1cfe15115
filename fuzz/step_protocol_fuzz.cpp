// The Swarm step protocol (platform/swarm/step_protocol.h): the runner's output lines as
// the platform reads them (base64 chunks, "R" fields), and the plan and files the runner
// decodes. The first byte picks the decoder; what decodes must encode and decode again
// to the same value.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "platform/swarm/step_protocol.h"

namespace swarm = runlet::platform::swarm;

namespace {
[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  std::abort();
}
bool SameStep(const swarm::StepSpec& a, const swarm::StepSpec& b) {
  return a.name == b.name && a.argv == b.argv && a.env == b.env && a.cpu_ms == b.cpu_ms && a.wall_ms == b.wall_ms &&
         a.memory_bytes == b.memory_bytes && a.output_bytes == b.output_bytes && a.pids == b.pids &&
         a.file_size_bytes == b.file_size_bytes && a.open_files == b.open_files && a.stack_bytes == b.stack_bytes &&
         a.reads_stdin == b.reads_stdin;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string error;
  switch (data[0] % 4) {
    case 0: {
      std::string out;
      if (swarm::Base64Decode(text, out)) {
        std::string again;
        if (!swarm::Base64Decode(swarm::Base64Encode(out), again) || again != out) Fail("base64 round trip");
      }
      break;
    }
    case 1: {
      auto fields = swarm::ParseFields(text);
      for (const auto& [k, v] : fields)
        if (k.find(' ') != std::string::npos) Fail("a field name with a space");
      break;
    }
    case 2: {
      swarm::Plan plan;
      if (swarm::DecodePlan(text, plan, error)) {
        swarm::Plan again;
        if (!swarm::DecodePlan(swarm::EncodePlan(plan), again, error)) Fail("an encoded plan does not decode: " + error);
        if (again.uid != plan.uid || again.file_parts != plan.file_parts || again.steps.size() != plan.steps.size())
          Fail("plan round trip");
        for (size_t i = 0; i < plan.steps.size(); ++i)
          if (!SameStep(plan.steps[i], again.steps[i])) Fail("plan step round trip");
      }
      break;
    }
    case 3: {
      std::vector<swarm::PlanFile> files;
      if (swarm::DecodeFiles(text, files, error)) {
        std::vector<swarm::PlanFile> again;
        if (!swarm::DecodeFiles(swarm::EncodeFiles(files), again, error)) Fail("encoded files do not decode: " + error);
        if (again.size() != files.size()) Fail("files round trip");
        for (size_t i = 0; i < files.size(); ++i)
          if (again[i].path != files[i].path || again[i].content != files[i].content ||
              again[i].executable != files[i].executable)
            Fail("file round trip");
      }
      break;
    }
  }
  return 0;
}
