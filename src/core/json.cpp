#include "core/json.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>

namespace runlet {
namespace json = boost::json;
namespace {

// Counts values and top-level items; builds nothing.
class CountingHandler {
 public:
  static constexpr size_t max_object_size = std::numeric_limits<size_t>::max();
  static constexpr size_t max_array_size = std::numeric_limits<size_t>::max();
  static constexpr size_t max_key_size = std::numeric_limits<size_t>::max();
  static constexpr size_t max_string_size = std::numeric_limits<size_t>::max();

  explicit CountingHandler(const JsonLimits& limits) : limits_(limits) {}
  std::string problem;  // set when a limit stopped the parse

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code& ec) {
    if (!Value(ec)) return false;
    if (depth_ == 0) top_is_array_ = true;
    ++depth_;
    return true;
  }
  bool on_array_end(size_t, json::error_code&) {
    --depth_;
    return true;
  }
  bool on_object_begin(json::error_code& ec) {
    if (!Value(ec)) return false;
    ++depth_;
    return true;
  }
  bool on_object_end(size_t, json::error_code&) {
    --depth_;
    return true;
  }
  bool on_string_part(std::string_view, size_t, json::error_code&) { return true; }
  bool on_string(std::string_view, size_t, json::error_code& ec) { return Value(ec); }
  bool on_key_part(std::string_view, size_t, json::error_code&) { return true; }
  bool on_key(std::string_view, size_t, json::error_code&) { return true; }
  bool on_number_part(std::string_view, json::error_code&) { return true; }
  bool on_int64(int64_t, std::string_view, json::error_code& ec) { return Value(ec); }
  bool on_uint64(uint64_t, std::string_view, json::error_code& ec) { return Value(ec); }
  bool on_double(double, std::string_view, json::error_code& ec) { return Value(ec); }
  bool on_bool(bool, json::error_code& ec) { return Value(ec); }
  bool on_null(json::error_code& ec) { return Value(ec); }
  bool on_comment_part(std::string_view, json::error_code&) { return true; }
  bool on_comment(std::string_view, json::error_code&) { return true; }

 private:
  bool Value(json::error_code& ec) {
    if (++values_ > limits_.max_values) {
      problem = "a JSON document here may hold at most " + std::to_string(limits_.max_values) + " values";
    } else if (depth_ == 1 && top_is_array_ && ++top_items_ > limits_.max_top_items) {
      problem = "at most " + std::to_string(limits_.max_top_items) + " items in the array";
    }
    if (!problem.empty()) {
      ec = std::make_error_code(std::errc::value_too_large);
      return false;
    }
    return true;
  }

 private:
  const JsonLimits& limits_;
  size_t values_ = 0, top_items_ = 0, depth_ = 0;
  bool top_is_array_ = false;
};

void Write(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::null: out += "null"; return;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; return;
    case json::kind::int64: out += std::to_string(v.get_int64()); return;
    case json::kind::uint64: out += std::to_string(v.get_uint64()); return;
    case json::kind::double_: {
      const double d = v.get_double();
      if (!std::isfinite(d)) {
        out += "null";
      } else if (d == std::trunc(d) && std::fabs(d) < 9007199254740992.0) {  // 2^53: exact integers
        out += std::to_string(static_cast<int64_t>(d));
      } else {
        char buf[64];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
        out.append(buf, end);
      }
      return;
    }
    case json::kind::string: out += json::serialize(v.get_string()); return;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        Write(item, out);
      }
      out += ']';
      return;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(json::string_view(key));
        out += ':';
        Write(item, out);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

Result<json::value> ParseJson(std::string_view text, const JsonLimits& limits) {
  json::parse_options options;
  options.max_depth = limits.max_depth;
  {
    json::basic_parser<CountingHandler> counter(options, limits);
    json::error_code ec;
    counter.write_some(false, text.data(), text.size(), ec);
    if (!counter.handler().problem.empty()) return Fail(ErrorKind::kTooLarge, counter.handler().problem);
    if (ec) return Fail(ErrorKind::kInvalid, "malformed JSON: " + ec.message());
  }
  json::error_code ec;
  json::value value = json::parse(text, ec, {}, options);
  if (ec) return Fail(ErrorKind::kInvalid, "malformed JSON: " + ec.message());
  return value;
}

std::string JsonText(const json::value& value) {
  std::string out;
  Write(value, out);
  return out;
}

}  // namespace runlet
