# sluice: a Kubernetes node dataplane in BPF.
# `make` builds everything into build/; `make test` runs all three test tiers;
# `make demo` runs a simulated node. V=1 shows full commands.

OUT := build
BIN := $(OUT)/bin
CLANG ?= clang
BPFTOOL ?= bpftool
LLVM_STRIP ?= llvm-strip
CC ?= gcc
DEPS ?= all
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

PKG_LIBS := libbpf libnl-route-3.0 libcjson yaml-0.1 libcurl libmicrohttpd
# Expanded when a recipe runs, after `deps` has installed pkg-config and the libraries.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKG_LIBS) 2>/dev/null)
PKG_LDLIBS = $(shell pkg-config --libs $(PKG_LIBS) 2>/dev/null) -lelf -lz

WARN := -Wall -Wextra -Werror -Wshadow -Wimplicit-fallthrough
CFLAGS ?= -O2 -g
USER_CFLAGS = $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -I. -Iinclude -Iuser \
	-I$(OUT) $(PKG_CFLAGS) -MMD -MP
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) \
	-Iinclude -Ibpf -I$(OUT) -MMD -MP
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

BPF_PROGS := tc_pod tc_node sock_lb
BPF_OBJS := $(patsubst %,$(OUT)/bpf/%.bpf.o,$(BPF_PROGS))
SKELS := $(patsubst %,$(OUT)/%.skel.h,$(BPF_PROGS))

# Each binary is its main.c plus libraries; everything else is testable code.
LIB_SRCS := $(wildcard user/lib/*.c)
LB_SRCS := $(wildcard user/lb/*.c)
K8S_SRCS := $(wildcard user/k8s/*.c)
POLICY_SRCS := $(wildcard user/policy/*.c)
AGENT_SRCS := $(wildcard user/agent/*.c) $(K8S_SRCS) $(LB_SRCS) $(POLICY_SRCS)
CLI_SRCS := $(wildcard user/cli/*.c)
CNI_SRCS := $(filter-out cni/main.c,$(wildcard cni/*.c))
UNIT_SRCS := $(wildcard selftests/unit/*.c)
BPFTEST_SRCS := $(wildcard selftests/bpf/*.c)

obj = $(patsubst %.c,$(OUT)/obj/%.o,$(1))
san_obj = $(patsubst %.c,$(OUT)/san/%.o,$(1))

.PHONY: all bpf deps test test-unit test-bpf test-bpf-clangs test-e2e demo bench clean
.DELETE_ON_ERROR:


all: deps bpf $(BIN)/sluice $(BIN)/sluice-cni

# Naming the objects here keeps make from treating them as intermediates.
bpf: $(BPF_OBJS) $(SKELS)

# Installs missing packages and mounts bpffs; quick when nothing is missing.
# DEPS=build installs only what building needs (the image build).
deps:
	$(Q)tools/install-deps.sh $(DEPS)

$(OUT)/vmlinux.h: | deps
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(OUT)/vmlinux.h | deps
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MT $@ -MF $@.d -c $< -o $@.raw
	$(Q)$(BPFTOOL) gen object $@.linked $@.raw
	$(Q)$(LLVM_STRIP) -g $@.linked -o $@
	$(Q)rm -f $@.raw $@.linked

$(OUT)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(OUT)/obj/%.o: %.c $(SKELS) | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(OUT)/san/%.o: %.c $(SKELS) | deps
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(OUT)/libsluice.a: $(call obj,$(LIB_SRCS))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/libsluicecni.a: $(call obj,$(CNI_SRCS))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN)/sluice: $(call obj,$(CLI_SRCS) $(AGENT_SRCS)) $(OUT)/libsluice.a
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LDLIBS)

$(BIN)/sluice-cni: $(call obj,cni/main.c) $(OUT)/libsluicecni.a $(OUT)/libsluice.a
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LDLIBS)

# Unit tests run under AddressSanitizer and UBSan: they link sanitized
# copies of the code they test.
$(OUT)/selftests/unit_tests: $(call san_obj,$(UNIT_SRCS) $(CNI_SRCS) $(LIB_SRCS) $(AGENT_SRCS) \
		$(filter-out user/cli/main.c,$(CLI_SRCS)))
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(PKG_LDLIBS) -lcriterion

$(OUT)/selftests/bpf_tests: $(call obj,$(BPFTEST_SRCS) $(LB_SRCS) user/agent/ct_gc.c) \
		$(OUT)/libsluice.a
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LDLIBS) -lcriterion

# The programs must build and pass the verifier with each clang Debian 12
# ships, not only the default (clang 14): a newer one lays out stack and
# branches differently, and a program near a verifier limit fails there
# first. Each builds its own copy of the BPF tests under $(OUT)/CLANG.
BPF_CLANGS ?= clang-15 clang-16

test: test-unit test-bpf test-bpf-clangs test-e2e

test-unit: $(OUT)/selftests/unit_tests
	$(Q)$< --jobs=2

test-bpf: $(OUT)/selftests/bpf_tests
	$(Q)$< --jobs=1

test-bpf-clangs: | deps
	$(Q)for c in $(BPF_CLANGS); do \
		echo "BPF tests built with $$c:"; \
		$(MAKE) --no-print-directory OUT=$(OUT)/$$c CLANG=$$c \
			$(OUT)/$$c/selftests/bpf_tests && \
		$(OUT)/$$c/selftests/bpf_tests --jobs=1 || exit 1; \
	done

# Small clients the e2e tests run inside namespaces.
$(OUT)/selftests/sock_client: selftests/e2e/tools/sock_client.c | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(WARN) -o $@ $<

test-e2e: all $(OUT)/selftests/sock_client
	$(Q)selftests/e2e/run.sh

demo: all
	$(Q)tools/demo.sh

bench: all
	$(Q)tools/bench/pod2pod.sh

clean:
	$(Q)rm -rf $(OUT)

-include $(shell find $(OUT) -name '*.d' 2>/dev/null)
