#include "agent/query_string.h"

#include <gtest/gtest.h>

#include "agent/json_views.h"

namespace tcpulse::agent {
namespace {

TEST(QueryString, DecodesKeysAndValues) {
  auto q = query_params("/flows?namespace=kube%2Dsystem&pod=a+b&limit=5&flag");
  EXPECT_EQ(q["namespace"], "kube-system");
  EXPECT_EQ(q["pod"], "a b");
  EXPECT_EQ(q["limit"], "5");
  EXPECT_TRUE(q.count("flag"));
  EXPECT_TRUE(query_params("/flows").empty());
  EXPECT_EQ(query_params("/x?a=%zz%4")["a"], "%zz%4") << "a malformed escape stays as it is";
}

TEST(FlowQuery, ReadsTheFiltersAndRefusesABadLimit) {
  std::string error;
  auto q = flow_query("/flows?namespace=shop&pod=cart&limit=0", &error);
  EXPECT_TRUE(error.empty());
  EXPECT_EQ(q.pod_namespace, "shop");
  EXPECT_EQ(q.pod_name, "cart");
  EXPECT_EQ(q.limit, 0u);
  EXPECT_EQ(flow_query("/flows", &error).limit, 1000u);
  flow_query("/flows?limit=ten", &error);
  EXPECT_NE(error.find("limit"), std::string::npos);
}

}  // namespace
}  // namespace tcpulse::agent
