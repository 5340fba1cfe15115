// A RunRequest as bytes, for the shared run queue (several servers on one PostgreSQL):
// the server that accepts a run writes it, the one that claims it reads it back. The
// format is private to this version of runlet (length-prefixed fields, a version byte
// first); files keep their bytes exactly.
#pragma once

#include <string>

#include "core/error.h"
#include "runs/run_manager.h"

namespace runlet::runs {

std::string EncodeRequest(const RunRequest& request);
// kInvalid when `bytes` is not what EncodeRequest makes (cut, another version).
Result<RunRequest> DecodeRequest(const std::string& bytes);

}  // namespace runlet::runs
