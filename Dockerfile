# SPDX-License-Identifier: Apache-2.0
# The sluice image: the agent, the CNI plugin, and the installer the
# DaemonSet's init container runs (deploy/). From the repository root:
#   docker build -t sluice:latest .
# The BPF programs are CO-RE: built against this build host's kernel BTF,
# they load on the nodes' kernels.
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN apt-get update -q && tools/install-deps.sh build && make DEPS=build all

FROM debian:12-slim
RUN apt-get update -q && apt-get install -y -q --no-install-recommends \
	libbpf1 libelf1 zlib1g libnl-3-200 libnl-route-3-200 libcjson1 libyaml-0-2 libcurl4 \
	libmicrohttpd12 ca-certificates curl jq containernetworking-plugins \
	&& rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/bin/sluice /src/build/bin/sluice-cni /usr/local/bin/
COPY deploy/install-cni.sh /usr/local/lib/sluice/install-cni.sh
ENTRYPOINT ["/usr/local/bin/sluice"]
