/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A Service and its EndpointSlice as the API server returns them (v1 and
 * discovery.k8s.io/v1, fields as in the API reference, server-set ones
 * included), shared by the parser and frontend tests. Each test parses
 * its own copy, so a test may edit the tree before parsing it.
 */
#ifndef SLUICE_SELFTEST_K8S_JSON_FIXTURES_H
#define SLUICE_SELFTEST_K8S_JSON_FIXTURES_H

/*
 * A dual-stack LoadBalancer with every field sluice reads: clusterIPs with
 * an IPv6 second, three ports (TCP with a numeric targetPort, UDP with a
 * named one, SCTP), external IPs of both families, an ingress list with an
 * IPv4, a hostname-only and an IPv6 entry, ClientIP affinity for 600 s and
 * externalTrafficPolicy Local.
 */
#define FX_SERVICE_JSON								\
	"{"									\
	"  \"apiVersion\": \"v1\","						\
	"  \"kind\": \"Service\","						\
	"  \"metadata\": {"							\
	"    \"name\": \"web\","						\
	"    \"namespace\": \"shop\","						\
	"    \"uid\": \"0b3c5a8e-6a55-4b9e-9d0e-4c1f2b7a9e11\","		\
	"    \"resourceVersion\": \"48213\","					\
	"    \"labels\": { \"app\": \"web\" }"					\
	"  },"									\
	"  \"spec\": {"								\
	"    \"type\": \"LoadBalancer\","					\
	"    \"selector\": { \"app\": \"web\" },"				\
	"    \"clusterIP\": \"10.96.0.10\","					\
	"    \"clusterIPs\": [\"10.96.0.10\", \"fd00:10:96::a\"],"		\
	"    \"ipFamilies\": [\"IPv4\", \"IPv6\"],"				\
	"    \"ipFamilyPolicy\": \"PreferDualStack\","				\
	"    \"ports\": ["							\
	"      { \"name\": \"http\", \"protocol\": \"TCP\", \"port\": 80,"	\
	"        \"targetPort\": 8080, \"nodePort\": 30080 },"			\
	"      { \"name\": \"dns\", \"protocol\": \"UDP\", \"port\": 53,"	\
	"        \"targetPort\": \"dns-udp\", \"nodePort\": 30053 },"		\
	"      { \"name\": \"sig\", \"protocol\": \"SCTP\", \"port\": 9000,"	\
	"        \"targetPort\": 9000, \"nodePort\": 30900 }"			\
	"    ],"								\
	"    \"externalIPs\": [\"192.0.2.10\", \"2001:db8::10\"],"		\
	"    \"sessionAffinity\": \"ClientIP\","				\
	"    \"sessionAffinityConfig\": { \"clientIP\": { \"timeoutSeconds\": 600 } }," \
	"    \"externalTrafficPolicy\": \"Local\","				\
	"    \"internalTrafficPolicy\": \"Cluster\","				\
	"    \"healthCheckNodePort\": 32000,"					\
	"    \"allocateLoadBalancerNodePorts\": true"				\
	"  },"									\
	"  \"status\": {"							\
	"    \"loadBalancer\": {"						\
	"      \"ingress\": ["							\
	"        { \"ip\": \"203.0.113.7\", \"ipMode\": \"VIP\" },"		\
	"        { \"hostname\": \"web.lb.example.com\" },"			\
	"        { \"ip\": \"2001:db8::7\" }"					\
	"      ]"								\
	"    }"									\
	"  }"									\
	"}"

/* The smallest valid Service: every optional field left to its default. */
#define FX_SERVICE_MINIMAL_JSON							\
	"{ \"apiVersion\": \"v1\", \"kind\": \"Service\","			\
	"  \"metadata\": { \"name\": \"db\" },"					\
	"  \"spec\": { \"clusterIP\": \"10.96.0.20\","				\
	"    \"ports\": [ { \"port\": 5432 } ] } }"

/*
 * The controller-made slice of FX_SERVICE_JSON: one endpoint per condition
 * combination that matters (ready; terminating and serving; terminating and
 * not serving; all conditions null; no conditions at all with two
 * addresses), and ports with and without a number.
 */
#define FX_SLICE_JSON								\
	"{"									\
	"  \"apiVersion\": \"discovery.k8s.io/v1\","				\
	"  \"kind\": \"EndpointSlice\","					\
	"  \"metadata\": {"							\
	"    \"name\": \"web-x7k2p\","						\
	"    \"namespace\": \"shop\","						\
	"    \"generateName\": \"web-\","					\
	"    \"labels\": {"							\
	"      \"kubernetes.io/service-name\": \"web\","			\
	"      \"endpointslice.kubernetes.io/managed-by\": \"endpointslice-controller.k8s.io\"" \
	"    },"								\
	"    \"ownerReferences\": [ { \"apiVersion\": \"v1\", \"kind\": \"Service\"," \
	"      \"name\": \"web\", \"uid\": \"0b3c5a8e-6a55-4b9e-9d0e-4c1f2b7a9e11\"," \
	"      \"controller\": true, \"blockOwnerDeletion\": true } ]"		\
	"  },"									\
	"  \"addressType\": \"IPv4\","						\
	"  \"endpoints\": ["							\
	"    { \"addresses\": [\"10.244.1.5\"],"				\
	"      \"conditions\": { \"ready\": true, \"serving\": true, \"terminating\": false }," \
	"      \"nodeName\": \"node-a\", \"zone\": \"zone-1\","			\
	"      \"targetRef\": { \"kind\": \"Pod\", \"namespace\": \"shop\","	\
	"        \"name\": \"web-1\" } },"						\
	"    { \"addresses\": [\"10.244.2.6\"],"				\
	"      \"conditions\": { \"ready\": false, \"serving\": true, \"terminating\": true }," \
	"      \"nodeName\": \"node-b\" },"					\
	"    { \"addresses\": [\"10.244.2.7\"],"				\
	"      \"conditions\": { \"ready\": false, \"serving\": false, \"terminating\": true }," \
	"      \"nodeName\": \"node-b\" },"					\
	"    { \"addresses\": [\"10.244.3.8\"],"				\
	"      \"conditions\": { \"ready\": null, \"serving\": null, \"terminating\": null }," \
	"      \"nodeName\": \"node-c\" },"					\
	"    { \"addresses\": [\"10.244.3.9\", \"10.244.3.10\"] }"		\
	"  ],"									\
	"  \"ports\": ["							\
	"    { \"name\": \"http\", \"protocol\": \"TCP\", \"port\": 8080,"	\
	"      \"appProtocol\": \"http\" },"						\
	"    { \"name\": \"dns\", \"protocol\": \"UDP\", \"port\": 5353 },"	\
	"    { \"name\": \"any\", \"protocol\": \"TCP\", \"port\": null },"	\
	"    { \"name\": \"all\", \"protocol\": \"TCP\" }"			\
	"  ]"									\
	"}"

#endif
