// The watchers of an active run share its log entries and the event text made of each.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "runs/run_manager.h"

namespace runlet::runs {
namespace {

std::atomic<int> g_renders{0};

std::string CountingRender(const store::LogEntry& e) {
  g_renders++;
  return "event " + std::to_string(e.seq) + ": " + e.text;
}

TEST(LiveEntry, ManyWatchersRenderAnEntryOnceAndReadTheSameText) {
  g_renders = 0;
  store::LogEntry e;
  e.seq = 7;
  e.text = "hello";
  auto shared = std::make_shared<const LiveEntry>(e);
  std::vector<const std::string*> seen(16);
  std::vector<std::thread> watchers;
  for (size_t i = 0; i < seen.size(); ++i) {
    watchers.emplace_back([&, i] { seen[i] = &shared->Rendered(&CountingRender); });
  }
  for (auto& t : watchers) t.join();
  EXPECT_EQ(g_renders.load(), 1);
  for (const auto* text : seen) {
    EXPECT_EQ(text, seen[0]);  // one string, not a copy per watcher
    EXPECT_EQ(*text, "event 7: hello");
  }
  EXPECT_EQ(shared->entry().text, "hello");
}

}  // namespace
}  // namespace runlet::runs
