// CNI request parsing: every malformed input maps to the documented spec error code.
#include "cni-plugin/cni_request.h"

#include <gtest/gtest.h>

#include <map>

namespace tcpulse::cni {
namespace {

using Env = std::map<std::string, std::string>;

const char* kPrev =
    R"({"cniVersion":"1.0.0","interfaces":[{"name":"veth1"},{"name":"eth0","sandbox":"/run/netns/x"}],)"
    R"("ips":[{"interface":1,"address":"10.1.0.5/24"}]})";

std::string config(const std::string& version = "1.0.0", const std::string& extra = "") {
  return R"({"cniVersion":")" + version + R"(","name":"net","type":"tcpulse")" + extra +
         R"(,"prevResult":)" + kPrev + "}";
}

Env add_env(const std::string& command = "ADD") {
  return {{"CNI_COMMAND", command}, {"CNI_CONTAINERID", "abc123"}, {"CNI_NETNS", "/run/netns/x"},
          {"CNI_IFNAME", "eth0"},
          {"CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=web-0;K8S_POD_UID=u-1"}};
}

std::variant<CniRequest, CniError> parse(const Env& env, const std::string& in) {
  return parse_request(
      [&](const char* k) {
        auto it = env.find(k);
        return it == env.end() ? nullptr : it->second.c_str();
      },
      in);
}

int error_code(const std::variant<CniRequest, CniError>& r) {
  if (auto* e = std::get_if<CniError>(&r)) return e->code;
  return 0;
}

TEST(CniRequest, ValidAddParsesEverything) {
  auto r = parse(add_env(), config("1.0.0", R"(,"failClosed":true,"pinDir":"/sys/fs/bpf/x","attachMode":"tc")"));
  ASSERT_EQ(error_code(r), 0) << std::get<CniError>(r).msg;
  const auto& req = std::get<CniRequest>(r);
  EXPECT_EQ(req.command, "ADD");
  EXPECT_EQ(req.container_id, "abc123");
  EXPECT_EQ(req.args.at("K8S_POD_NAME"), "web-0");
  EXPECT_TRUE(req.plugin.fail_closed);
  EXPECT_EQ(req.plugin.pin_dir, "/sys/fs/bpf/x");
  EXPECT_EQ(req.plugin.attach_mode, AttachMode::Clsact);
  ASSERT_TRUE(req.prev_result);
  EXPECT_EQ((*req.prev_result)["ips"][0]["address"], "10.1.0.5/24");
}

TEST(CniRequest, DefaultsAndUnknownKeysIgnored) {
  auto r = parse(add_env(), config("1.0.0", R"(,"someFutureKey":{"a":1})"));
  ASSERT_EQ(error_code(r), 0);
  const auto& req = std::get<CniRequest>(r);
  EXPECT_EQ(req.plugin.pin_dir, "/sys/fs/bpf/tcpulse");
  EXPECT_FALSE(req.plugin.fail_closed);
  EXPECT_EQ(req.plugin.attach_mode, AttachMode::Auto);
}

TEST(CniRequest, EveryVersionAccepted) {
  for (const char* v : {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"})
    EXPECT_EQ(error_code(parse(add_env(), config(v))), 0) << v;
}

struct BadInput {
  const char* name;
  Env env;
  std::string stdin_text;
  int code;
};

TEST(CniRequest, MalformedInputGetsTheRightCode) {
  Env no_cmd = add_env();
  no_cmd.erase("CNI_COMMAND");
  Env bad_cmd = add_env("FROB");
  Env no_cid = add_env();
  no_cid.erase("CNI_CONTAINERID");
  Env no_ifname = add_env();
  no_ifname.erase("CNI_IFNAME");
  Env long_ifname = add_env();
  long_ifname["CNI_IFNAME"] = "averyveryverylongname";
  Env slash_ifname = add_env();
  slash_ifname["CNI_IFNAME"] = "eth/0";
  Env no_netns = add_env();
  no_netns.erase("CNI_NETNS");
  std::string no_prev = R"({"cniVersion":"1.0.0","name":"n","type":"tcpulse"})";
  std::vector<BadInput> cases = {
      {"no CNI_COMMAND", no_cmd, config(), kInvalidEnvironment},
      {"unknown CNI_COMMAND", bad_cmd, config(), kInvalidEnvironment},
      {"no CNI_CONTAINERID", no_cid, config(), kInvalidEnvironment},
      {"no CNI_IFNAME", no_ifname, config(), kInvalidEnvironment},
      {"CNI_IFNAME too long", long_ifname, config(), kInvalidEnvironment},
      {"CNI_IFNAME with slash", slash_ifname, config(), kInvalidEnvironment},
      {"no CNI_NETNS on ADD", no_netns, config(), kInvalidEnvironment},
      {"not JSON", add_env(), "{not json", kDecodeFailure},
      {"empty stdin", add_env(), "", kDecodeFailure},
      {"JSON array", add_env(), "[1,2]", kDecodeFailure},
      {"truncated JSON", add_env(), config().substr(0, 40), kDecodeFailure},
      {"huge input", add_env(), std::string(kMaxConfigBytes + 1, ' '), kDecodeFailure},
      {"no cniVersion", add_env(), R"({"name":"n","type":"tcpulse","prevResult":{}})", kInvalidConfig},
      {"cniVersion a number", add_env(), R"({"cniVersion":1,"name":"n","type":"tcpulse"})", kInvalidConfig},
      {"unsupported cniVersion", add_env(), config("0.2.0"), kIncompatibleVersion},
      {"future cniVersion", add_env(), config("9.9.9"), kIncompatibleVersion},
      {"no name", add_env(), R"({"cniVersion":"1.0.0","type":"tcpulse","prevResult":{}})", kInvalidConfig},
      {"no type", add_env(), R"({"cniVersion":"1.0.0","name":"n","prevResult":{}})", kInvalidConfig},
      {"ADD without prevResult", add_env(), no_prev, kInvalidConfig},
      {"CHECK without prevResult", add_env("CHECK"), no_prev, kInvalidConfig},
      {"prevResult a string", add_env(), R"({"cniVersion":"1.0.0","name":"n","type":"tcpulse","prevResult":"x"})", kInvalidConfig},
      {"prevResult.ips not a list", add_env(), R"({"cniVersion":"1.0.0","name":"n","type":"tcpulse","prevResult":{"ips":{}}})", kInvalidConfig},
      {"failClosed not bool", add_env(), config("1.0.0", R"(,"failClosed":"yes")"), kInvalidConfig},
      {"pinDir relative", add_env(), config("1.0.0", R"(,"pinDir":"bpf/x")"), kInvalidConfig},
      {"stateDir not a string", add_env(), config("1.0.0", R"(,"stateDir":7)"), kInvalidConfig},
      {"logLevel unknown", add_env(), config("1.0.0", R"(,"logLevel":"loud")"), kInvalidConfig},
      {"attachMode unknown", add_env(), config("1.0.0", R"(,"attachMode":"ebpf")"), kInvalidConfig},
      {"GC on 1.0.0", add_env("GC"), config("1.0.0"), kIncompatibleVersion},
      {"STATUS on 0.4.0", add_env("STATUS"), config("0.4.0"), kIncompatibleVersion},
  };
  for (const auto& c : cases) EXPECT_EQ(error_code(parse(c.env, c.stdin_text)), c.code) << c.name;
}

TEST(CniRequest, DelNeedsNoNetnsNorPrevResult) {
  Env env = add_env("DEL");
  env.erase("CNI_NETNS");
  auto r = parse(env, R"({"cniVersion":"1.0.0","name":"n","type":"tcpulse"})");
  EXPECT_EQ(error_code(r), 0);
}

TEST(CniRequest, VersionWithEmptyStdin) {
  auto r = parse({{"CNI_COMMAND", "VERSION"}}, "");
  ASSERT_EQ(error_code(r), 0);
  EXPECT_EQ(std::get<CniRequest>(r).cni_version, "1.1.0");
}

TEST(CniArgs, ToleratesMessyInput) {
  auto args = parse_cni_args(" K8S_POD_NAME = web ;;novalue;=x;K8S_POD_NAMESPACE=a=b;IgnoreUnknown=1;");
  EXPECT_EQ(args.at("K8S_POD_NAME"), "web");
  EXPECT_EQ(args.at("K8S_POD_NAMESPACE"), "a=b");  // only the first '=' splits
  EXPECT_EQ(args.at("IgnoreUnknown"), "1");
  EXPECT_EQ(args.count("novalue"), 0u);
  EXPECT_EQ(args.count(""), 0u);
  EXPECT_TRUE(parse_cni_args("").empty());
}

}  // namespace
}  // namespace tcpulse::cni
