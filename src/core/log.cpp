#include "core/log.h"

#include <ctime>
#include <iostream>
#include <mutex>

#include "core/json.h"

namespace runlet {
namespace {

std::string NowRfc3339() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  std::tm tm{};
  gmtime_r(&ts.tv_sec, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  const int ms = static_cast<int>(ts.tv_nsec / 1000000);
  return std::string(buf) + "." + static_cast<char>('0' + ms / 100) + static_cast<char>('0' + ms / 10 % 10) +
         static_cast<char>('0' + ms % 10) + "Z";
}

}  // namespace

void Log(const char* level, const std::string& msg, boost::json::object fields) {
  fields["time"] = NowRfc3339();
  fields["level"] = level;
  fields["msg"] = msg;
  const std::string line = JsonText(fields) + "\n";
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::cerr << line << std::flush;
}

}  // namespace runlet
