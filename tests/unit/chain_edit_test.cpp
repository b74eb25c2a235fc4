// The installer's text edits: spans found past strings that hold brackets, commas and escaped
// quotes; an escaped key; the entry added, replaced and removed with every other byte kept.
#include <gtest/gtest.h>

#include "install/chain_edit.h"
#include "install/cni_config_dir.h"
#include "install/install_error.h"
#include "install/json_spans.h"

namespace tcpulse::install {
namespace {

TEST(JsonSpans, FindsTheLastValueOfAKeyPastTrickyStrings) {
  std::string text = R"( {"a": "x]},\"{[", "plugins": [1], "\u0070lugins" : [ {"s":"]"} , "q\"" ,[[]] ] } )";
  auto v = member_value(text, "plugins");
  ASSERT_TRUE(v);
  auto elements = array_elements(text, *v);
  ASSERT_EQ(elements.size(), 3u);
  EXPECT_EQ(elements[0].of(text), R"({"s":"]"})");
  EXPECT_EQ(elements[1].of(text), R"("q\"")");
  EXPECT_EQ(elements[2].of(text), "[[]]");
  EXPECT_FALSE(member_value(text, "nope"));
  EXPECT_FALSE(member_value("[1]", "plugins"));
}

TEST(ChainEdit, AddsReplacesAndRemovesOnlyTheEntry) {
  std::string compact = R"({"name":"n","plugins":[{"type":"bridge","x":"a,]b"},{"type":"portmap"}]})";
  auto entry = tcpulse_entry(ordered_json::parse(R"({"logLevel":"debug"})"));
  std::string added = with_tcpulse_entry(compact, entry);
  EXPECT_EQ(added, R"({"name":"n","plugins":[{"type":"bridge","x":"a,]b"},{"type":"portmap"},{"type":"tcpulse","logLevel":"debug"}]})");
  EXPECT_EQ(with_tcpulse_entry(added, entry), added);
  EXPECT_EQ(count_tcpulse_entries(added), 1u);
  EXPECT_EQ(without_tcpulse_entry(added), compact);

  std::string spaced = "{\"name\": \"n\", \"plugins\": [{\"type\": \"bridge\"}, {\"type\": \"tcpulse\"}]}";
  EXPECT_EQ(with_tcpulse_entry(spaced, entry),
            "{\"name\": \"n\", \"plugins\": [{\"type\": \"bridge\"}, {\"type\": \"tcpulse\", \"logLevel\": \"debug\"}]}");
  std::string first = "{\"name\": \"n\", \"plugins\": [{\"type\": \"tcpulse\"},\n {\"type\": \"bridge\"}]}";
  EXPECT_EQ(without_tcpulse_entry(first), "{\"name\": \"n\", \"plugins\": [{\"type\": \"bridge\"}]}");
}

TEST(ChainEdit, TheEntryIsTcpulseWhateverTheConfigSays) {
  EXPECT_EQ(tcpulse_entry(ordered_json::parse(R"({"b":1,"a":2})")).dump(), R"({"type":"tcpulse","b":1,"a":2})");
  EXPECT_THROW(tcpulse_entry(ordered_json::parse(R"({"type":"bridge"})")), InstallError);
  EXPECT_THROW(tcpulse_entry(ordered_json::parse("[]")), InstallError);
}

TEST(ChainEdit, AWrappedConfLoadsAsAConflistAndKeepsThePlugin) {
  std::string conf = "{\n  \"cniVersion\": \"0.4.0\",\n  \"name\": \"mynet\",\n  \"type\": \"bridge\"\n}\n";
  std::string wrapped = wrap_single_plugin_conf(conf, tcpulse_entry(ordered_json::object()));
  auto judged = judge_cni_config("/x/05-bridge.conflist", wrapped);
  EXPECT_EQ(judged.error, "");
  EXPECT_EQ(judged.network, "mynet");
  EXPECT_EQ(judged.cni_version, "0.4.0");
  auto j = nlohmann::json::parse(wrapped);
  EXPECT_EQ(j["plugins"][0], nlohmann::json::parse(conf));
  EXPECT_EQ(j["plugins"][1], nlohmann::json::parse(R"({"type":"tcpulse"})"));
}

TEST(CniConfigDir, JudgesConfigsAsLibcniDoes) {
  EXPECT_EQ(judge_cni_config("a.conf", R"({"type":"bridge"})").error, "");
  EXPECT_EQ(judge_cni_config("a.json", R"({"name":"x"})").error, "no plugin \"type\"");
  EXPECT_EQ(judge_cni_config("a.conflist", R"({"plugins":[{"type":"b"}]})").error, "a conflist needs a \"name\"");
  EXPECT_EQ(judge_cni_config("a.conflist", R"({"name":"x","plugins":[{}]})").error, "a plugin without a string \"type\"");
  EXPECT_NE(judge_cni_config("a.conflist", "{").error.find("not valid JSON: line 1, column 2"), std::string::npos);
  EXPECT_FALSE(chaining_supported("0.2.0"));
  EXPECT_FALSE(chaining_supported(""));
  EXPECT_TRUE(chaining_supported("0.3.1"));
  EXPECT_TRUE(chaining_supported("1.1.0"));
}

}  // namespace
}  // namespace tcpulse::install
