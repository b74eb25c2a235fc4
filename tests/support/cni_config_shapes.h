// CNI configs in the shapes real primary CNIs write them (written here by hand, byte for byte as
// their installers lay them out): indented with spaces, with tabs, compact on one line, with
// CRLF line ends, with and without `cniVersions`. The installer must keep every byte of them.
#pragma once

#include <string>
#include <vector>

namespace tcpulse::test {

struct CniConfigShape {
  std::string label;
  std::string file_name;
  std::string text;
};

inline std::vector<CniConfigShape> cni_config_shapes() {
  return {
      {"calico", "10-calico.conflist", R"({
  "name": "k8s-pod-network",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "calico",
      "log_level": "info",
      "log_file_path": "/var/log/calico/cni/cni.log",
      "datastore_type": "kubernetes",
      "nodename": "node-1",
      "mtu": 0,
      "ipam": {
          "type": "calico-ipam"
      },
      "policy": {
          "type": "k8s"
      },
      "kubernetes": {
          "kubeconfig": "/etc/cni/net.d/calico-kubeconfig"
      }
    },
    {
      "type": "portmap",
      "snat": true,
      "capabilities": {"portMappings": true}
    },
    {
      "type": "bandwidth",
      "capabilities": {"bandwidth": true}
    }
  ]
}
)"},
      {"flannel-tabs", "10-flannel.conflist",
       "{\n\t\"name\": \"cbr0\",\n\t\"cniVersion\": \"0.3.1\",\n\t\"plugins\": [\n\t\t{\n\t\t\t\"type\": \"flannel\",\n"
       "\t\t\t\"delegate\": {\n\t\t\t\t\"hairpinMode\": true,\n\t\t\t\t\"isDefaultGateway\": true\n\t\t\t}\n\t\t},\n"
       "\t\t{\n\t\t\t\"type\": \"portmap\",\n\t\t\t\"capabilities\": {\n\t\t\t\t\"portMappings\": true\n\t\t\t}\n\t\t}\n"
       "\t]\n}\n"},
      {"podman-bridge-portmap", "87-podman-bridge.conflist", R"({
   "cniVersion": "0.4.0",
   "name": "podman",
   "plugins": [
      {
         "type": "bridge",
         "bridge": "cni-podman0",
         "isGateway": true,
         "ipMasq": true,
         "hairpinMode": true,
         "ipam": {
            "type": "host-local",
            "routes": [
               {
                  "dst": "0.0.0.0/0"
               }
            ],
            "ranges": [
               [
                  {
                     "subnet": "10.88.0.0/16",
                     "gateway": "10.88.0.1"
                  }
               ]
            ]
         }
      },
      {
         "type": "portmap",
         "capabilities": {
            "portMappings": true
         }
      },
      {
         "type": "firewall"
      },
      {
         "type": "tuning"
      }
   ]
}
)"},
      {"kindnet-compact-cniVersions", "10-kindnet.conflist",
       R"({"cniVersion":"1.0.0","cniVersions":["0.3.1","1.0.0"],"name":"kindnet","plugins":[{"type":"ptp","ipMasq":false,"ipam":{"type":"host-local","dataDir":"/run/cni-ipam-state","routes":[{"dst":"0.0.0.0/0"}],"ranges":[[{"subnet":"10.244.0.0/24"}]]},"mtu":1500},{"type":"portmap","capabilities":{"portMappings":true}}]})"},
      {"one-line-plugins-crlf", "10-bridge.conflist",
       "{\r\n  \"cniVersion\": \"1.1.0\",\r\n  \"cniVersions\": [\"1.0.0\", \"1.1.0\"],\r\n  \"name\": \"b\\u0072idge-net\",\r\n"
       "  \"plugins\": [\r\n    {\"type\": \"bridge\", \"bridge\": \"cni0\", \"mtu\": 1.5e3, \"ipam\": {\"type\": \"host-local\", "
       "\"subnet\": \"10.22.0.0/16\"}},\r\n    {\"type\": \"portmap\", \"capabilities\": {\"portMappings\": true}}\r\n  ]\r\n}\r\n"},
  };
}

}  // namespace tcpulse::test
