// WebSocket frames from a client: after the handshake the server does (an attach
// request, accepted with the server's options and message limit), the input is what the
// client sends; each message goes to the API's attach channel (RunAttach), as in the
// server's reader.
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdint>

#include "fuzz/api_fixture.h"
#include "http/request_reader.h"

namespace {
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ws = beast::websocket;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& fixture = runlet::fuzz::ApiFixture::Get();
  fixture.Restore();

  bhttp::request<bhttp::string_body> upgrade{bhttp::verb::get,
                                             std::string("/api/v1/runs/") + runlet::fuzz::ApiFixture::kRunId + "/attach", 11};
  upgrade.set(bhttp::field::host, "localhost");
  upgrade.set(bhttp::field::upgrade, "websocket");
  upgrade.set(bhttp::field::connection, "upgrade");
  upgrade.set(bhttp::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  upgrade.set(bhttp::field::sec_websocket_version, "13");
  upgrade.set(bhttp::field::authorization, std::string("Bearer ") + runlet::fuzz::ApiFixture::kUserToken);
  bool ok = true;
  runlet::api::Request request = runlet::http::ConvertRequest(upgrade, "127.0.0.1", ok);
  auto response = fixture.Dispatch(request);
  if (!ok || !response.websocket) std::abort();  // the fixture's attach must be served
  auto channel = response.websocket;

  boost::asio::io_context ioc;
  ws::stream<beast::test::stream> server(ioc);
  beast::test::stream client(ioc);
  server.next_layer().connect(client);
  server.set_option(ws::stream_base::timeout::suggested(beast::role_type::server));
  server.read_message_max(runlet::http::kWebSocketMessageLimit);
  beast::error_code ec;
  server.accept(upgrade, ec);
  if (ec) std::abort();
  server.next_layer().append(std::string_view(reinterpret_cast<const char*>(data), size));
  if (size > 0 && size % 3 == 0) server.next_layer().read_size(1 + data[0] % 61);
  server.next_layer().close_remote();  // end of stream after the input

  for (int i = 0; i < 64; ++i) {
    beast::flat_buffer buffer;
    server.read(buffer, ec);
    if (ec) break;
    channel->OnMessage(beast::buffers_to_string(buffer.data()));
    for (const auto& message : channel->Next().messages) {
      server.text(!message.binary);
      server.write(boost::asio::buffer(message.data), ec);
      if (ec) break;
    }
  }
  return 0;
}
