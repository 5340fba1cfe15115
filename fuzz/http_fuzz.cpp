// The HTTP request path: bytes as a client sends them on one keep-alive connection, read
// by Beast's parser under the server's limits (http/request_reader.h, what the server's
// sessions call), converted, routed and handled by the API (fuzz/api_fixture.h). An
// exception that escapes here would escape the server's session coroutine.
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz/api_fixture.h"
#include "http/request_reader.h"
#include "http/server.h"

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;

// A header the handlers set must not break the response it goes into.
void CheckResponse(const runlet::api::Response& response) {
  for (const auto& [name, value] : response.headers) {
    for (const std::string* s : {&name, &value}) {
      if (s->find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
        std::fprintf(stderr, "response header %s carries CR, LF or NUL\n", name.c_str());
        std::abort();
      }
    }
  }
  if (response.status < 100 || response.status > 599) {
    std::fprintf(stderr, "response status %d\n", response.status);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& fixture = runlet::fuzz::ApiFixture::Get();
  fixture.Restore();
  const runlet::http::ServerOptions options;

  boost::asio::io_context ioc;
  beast::test::stream server(ioc), client(ioc);
  server.connect(client);
  server.append(std::string_view(reinterpret_cast<const char*>(data), size));
  // Sometimes the bytes come in small pieces, as from a slow client.
  if (size > 0 && size % 3 == 0) server.read_size(1 + data[0] % 61);
  server.close_remote();  // the client sends nothing more: end of stream after the input

  beast::flat_buffer buffer(runlet::http::RequestBufferLimit(options.header_limit));
  for (int i = 0; i < 16; ++i) {
    runlet::http::RequestParser parser;
    runlet::http::LimitRequestParser(parser, options.header_limit, options.body_limit);
    beast::error_code ec;
    bhttp::read(server, buffer, parser, ec);
    if (ec) break;  // the server answers 400 or 413, or nothing, and closes
    bool ok = true;
    runlet::api::Request request = runlet::http::ConvertRequest(parser.get(), "127.0.0.1", ok);
    if (ok) CheckResponse(fixture.Dispatch(request));  // else 400, and on to the next request
    if (!parser.get().keep_alive()) break;
  }
  return 0;
}
