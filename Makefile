# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# make          build/lockdepd
# make test     every test suite (installs missing Debian packages first)
# make demo     boots a Debian kernel under QEMU and shows live reports
# make fuzz     libFuzzer targets, long runs
# make bench    offline benchmarks: report throughput, merge of 1,000 state files (tests/bench/)
# make install  PREFIX=/usr/local DESTDIR=

CC       := clang
CLANG    := clang
LLVM_STRIP ?= llvm-strip
BPFTOOL  ?= bpftool
PREFIX   ?= /usr/local
DESTDIR  ?=
OUT      := build

CFLAGS   ?= -O2 -g
WARNINGS := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
CPPFLAGS := -D_GNU_SOURCE -Iinclude -Idaemon -Ibpf -I$(OUT)
LIBS     := -lbpf -lelf -lz -lzstd -lyaml -ljson-c -lsystemd -lgvc -lcgraph -lm
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# daemon/<part>/: every .c but the CLI's main() goes into liblockdepd.a.
MAIN_SRC    := daemon/cli/main.c
DAEMON_SRCS := $(filter-out $(MAIN_SRC),$(shell find daemon -name '*.c' | sort))
BPF_SRCS    := $(wildcard bpf/*.bpf.c)
SKELS       := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
# tests/unit/ holds one test per part; every other tests/<suite>/test_*.c
# (scenarios/, host/, ...) builds the same way into build/tests/<suite>/.
UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
SUITE_SRCS  := $(filter-out tests/unit/%,$(wildcard tests/*/test_*.c))
# Helpers the CLI tests run (tests/cli/<script>/*.c): plain programs.
CLI_TOOL_SRCS := $(wildcard tests/cli/*/*.c)
FUZZ_SRCS   := $(wildcard tests/fuzz/fuzz_*.c)
# ar keys members by file name: two parts must not both have a foo.c.
ifneq ($(words $(notdir $(DAEMON_SRCS))),$(words $(sort $(notdir $(DAEMON_SRCS)))))
$(error two files under daemon/ share a name: $(sort $(notdir $(DAEMON_SRCS))))
endif
HEADERS     := $(wildcard include/*.h) $(shell find daemon -name '*.h')

OBJS      := $(patsubst daemon/%.c,$(OUT)/obj/%.o,$(DAEMON_SRCS))
SAN_OBJS  := $(patsubst daemon/%.c,$(OUT)/san/obj/%.o,$(DAEMON_SRCS))
FUZZ_OBJS := $(patsubst daemon/%.c,$(OUT)/fuzz/obj/%.o,$(DAEMON_SRCS))
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
SAN_UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/san/tests/%,$(UNIT_SRCS))
SUITE_BINS := $(patsubst tests/%.c,$(OUT)/tests/%,$(SUITE_SRCS))
SAN_SUITE_BINS := $(patsubst tests/%.c,$(OUT)/san/tests/%,$(SUITE_SRCS))
CLI_TOOLS := $(patsubst tests/cli/%.c,$(OUT)/tests/cli/%,$(CLI_TOOL_SRCS))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(FUZZ_SRCS))

.PHONY: all deps test demo fuzz bench bench-merge bench-live install clean format unit-bins san-bins fuzz-bins static kernel-rules

all: $(OUT)/lockdepd

deps:
	@./tests/deps.sh

# --- BPF ---------------------------------------------------------------
# CO-RE: one vmlinux.h from the build machine's BTF serves every kernel.
$(OUT)/vmlinux.h:
	@mkdir -p $(OUT)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(OUT)/vmlinux.h $(wildcard include/*.h) $(wildcard bpf/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -Iinclude -Ibpf -I$(OUT) -c $< -o $@
	$(LLVM_STRIP) -g $@

$(OUT)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# --- user space --------------------------------------------------------
# The default rules, built in as a C string: the binary works from any
# directory, installed or not, with the annotations of the kernel it knows.
$(OUT)/kernel_rules.h: rules/kernel.yaml rules/kernel-hand.yaml
	@mkdir -p $(OUT)
	{ echo '/* Generated from rules/kernel.yaml and rules/kernel-hand.yaml by the Makefile. */'; \
	  for f in $^; do \
	    echo "static const char $$(basename $$f .yaml | tr -- - _)_rules_yaml[] ="; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$$/\\n"/' $$f; \
	    echo ';'; \
	  done; } > $@.tmp && mv $@.tmp $@

GENERATED := $(SKELS) $(OUT)/kernel_rules.h

$(OUT)/obj/%.o: daemon/%.c $(HEADERS) $(GENERATED)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) $(CPPFLAGS) -c $< -o $@

$(OUT)/liblockdepd.a: $(OBJS)
	rm -f $@
	ar rcs $@ $^

$(OUT)/lockdepd: $(OUT)/obj/cli/main.o $(OUT)/liblockdepd.a
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# A static build for the QEMU guest, whose initramfs has no libraries and no systemd.
$(OUT)/static/obj/%.o: daemon/%.c $(HEADERS) $(GENERATED)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) $(CPPFLAGS) -DLOCKDEPD_NO_SYSTEMD -DLOCKDEPD_NO_GRAPHVIZ -c $< -o $@

$(OUT)/static/lockdepd: $(patsubst daemon/%.c,$(OUT)/static/obj/%.o,$(DAEMON_SRCS) $(MAIN_SRC))
	$(CC) -static $(CFLAGS) -o $@ $^ -lbpf -lelf -lz -lzstd -lyaml -ljson-c -lm

static: $(OUT)/static/lockdepd

# --- tests -------------------------------------------------------------
$(UNIT_BINS): $(OUT)/tests/%: tests/unit/%.c $(OUT)/liblockdepd.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) $(CPPFLAGS) -o $@ $< $(OUT)/liblockdepd.a -lcmocka $(LIBS)

$(SUITE_BINS): $(OUT)/tests/%: tests/%.c $(OUT)/liblockdepd.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) $(CPPFLAGS) -o $@ $< $(OUT)/liblockdepd.a -lcmocka $(LIBS)

$(CLI_TOOLS): $(OUT)/tests/cli/%: tests/cli/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) $(CPPFLAGS) -o $@ $<

$(OUT)/san/obj/%.o: daemon/%.c $(HEADERS) $(GENERATED)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(WARNINGS) $(CPPFLAGS) -c $< -o $@

$(OUT)/san/liblockdepd.a: $(SAN_OBJS)
	rm -f $@
	ar rcs $@ $^

$(OUT)/san/lockdepd: $(MAIN_SRC) $(OUT)/san/liblockdepd.a $(HEADERS)
	$(CC) -O1 -g $(SAN) $(WARNINGS) $(CPPFLAGS) -o $@ $< $(OUT)/san/liblockdepd.a $(LIBS)

$(SAN_UNIT_BINS): $(OUT)/san/tests/%: tests/unit/%.c $(OUT)/san/liblockdepd.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(WARNINGS) $(CPPFLAGS) -o $@ $< $(OUT)/san/liblockdepd.a -lcmocka $(LIBS)

$(SAN_SUITE_BINS): $(OUT)/san/tests/%: tests/%.c $(OUT)/san/liblockdepd.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(WARNINGS) $(CPPFLAGS) -o $@ $< $(OUT)/san/liblockdepd.a -lcmocka $(LIBS)

$(OUT)/fuzz/obj/%.o: daemon/%.c $(HEADERS) $(GENERATED)
	@mkdir -p $(dir $@)
	$(CLANG) -O1 -g -fsanitize=fuzzer-no-link,address,undefined $(WARNINGS) $(CPPFLAGS) -c $< -o $@

$(OUT)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CLANG) -O1 -g -fsanitize=fuzzer,address,undefined $(WARNINGS) $(CPPFLAGS) -o $@ $< $(FUZZ_OBJS) $(LIBS)

# unit-bins: every plain test program (unit, the other suites, CLI helpers).
unit-bins: $(UNIT_BINS) $(SUITE_BINS) $(CLI_TOOLS)
san-bins: $(SAN_UNIT_BINS) $(SAN_SUITE_BINS) $(OUT)/san/lockdepd
fuzz-bins: $(FUZZ_BINS)

# tests/run.sh runs every suite and prints the one summary line CI reads.
test: deps
	$(MAKE) all unit-bins san-bins fuzz-bins
	./tests/run.sh

fuzz: deps
	$(MAKE) fuzz-bins
	./tests/fuzz/run.sh 300

# --- main job and benchmarks ------------------------------------------
demo: deps
	$(MAKE) -s all static
	./tests/e2e/demo.sh

$(OUT)/bench-gen: tests/bench/gen.c tests/bench/rng.h $(OUT)/liblockdepd.a $(HEADERS)
	$(CC) $(CFLAGS) $(WARNINGS) $(CPPFLAGS) -o $@ $< $(OUT)/liblockdepd.a $(LIBS)

$(OUT)/bench-merge-gen: tests/bench/merge-gen.c tests/bench/rng.h $(OUT)/liblockdepd.a $(HEADERS)
	$(CC) $(CFLAGS) $(WARNINGS) $(CPPFLAGS) -o $@ $< $(OUT)/liblockdepd.a $(LIBS)

bench: deps
	$(MAKE) all $(OUT)/bench-gen $(OUT)/bench-merge-gen
	./tests/bench/run.sh
	./tests/bench/merge.sh

# The merge benchmark alone: 100 and 1,000 synthetic state files (BENCHMARKS.md).
bench-merge: deps
	$(MAKE) all $(OUT)/bench-merge-gen
	./tests/bench/merge.sh

# bench-live's floor: tests/bench/floor.bpf.c's empty programs on lockdepd's
# probe points, for the guest; it checks them against lockdepd's own object.
$(OUT)/bench/floor.bpf.o: tests/bench/floor.bpf.c $(OUT)/vmlinux.h include/lockdepd_event.h
	@mkdir -p $(dir $@)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -Iinclude -Ibpf -I$(OUT) -c $< -o $@
	$(LLVM_STRIP) -g $@

$(OUT)/bench/floor.skel.h: $(OUT)/bench/floor.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(OUT)/static/floor: tests/bench/floor.c $(OUT)/bench/floor.skel.h $(SKELS) $(HEADERS) \
		$(patsubst daemon/%.c,$(OUT)/static/obj/%.o,$(DAEMON_SRCS))
	$(CC) -static $(CFLAGS) $(WARNINGS) $(CPPFLAGS) -I$(OUT)/bench -DLOCKDEPD_NO_SYSTEMD -o $@ \
		$< $(filter %.o,$^) -lbpf -lelf -lz -lzstd -lyaml -ljson-c -lm

bench-live: deps
	$(MAKE) all static $(OUT)/static/floor
	./tests/bench/live.sh

# Real drivers and ordinary kernel activity in the guest: lockdepd's defaults
# plus rules/i915.yaml must report nothing (tests/e2e/README.md). Part of
# make test; this runs it alone.
.PHONY: e2e-drivers
e2e-drivers: deps
	$(MAKE) static
	./tests/e2e/drivers.sh

# lockdep's verdicts beside lockdepd's on the fixture and the drivers
# workload (docs/fidelity.md). Builds a PROVE_LOCKING kernel the first time
# (~11 min on 2 cores, cached under build/lockdep-kernel/). Not part of make test.
.PHONY: compare-lockdep
compare-lockdep: deps
	@./tests/lockdep/deps.sh
	OUT=$(OUT) ./tests/lockdep/compare.sh

# rules/kernel.yaml from a kernel's source (Debian: apt-get install linux-source-6.1).
KSRC ?= $(lastword $(sort $(wildcard /usr/src/linux-source-*.tar.xz)))
kernel-rules:
	@[ -n "$(KSRC)" ] || { echo "kernel-rules: no KSRC (apt-get install linux-source-6.1)"; exit 2; }
	python3 rules/gen-kernel-rules.py $(KSRC) > rules/kernel.yaml.tmp && mv rules/kernel.yaml.tmp rules/kernel.yaml

# --- install -----------------------------------------------------------
# The unit goes where systemd looks for locally installed units; /etc/lockdepd
# gets the rules once (an operator's edits survive reinstalls) and must stay
# root-owned: the daemon refuses exec alerts from a file others can write.
install: all
	install -D -m 0755 $(OUT)/lockdepd $(DESTDIR)$(PREFIX)/bin/lockdepd
	install -d $(DESTDIR)$(PREFIX)/share/lockdepd/rules $(DESTDIR)$(PREFIX)/lib/systemd/system \
		$(DESTDIR)/etc/lockdepd $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 rules/*.yaml $(DESTDIR)$(PREFIX)/share/lockdepd/rules/
	sed 's|/usr/local/bin/lockdepd|$(PREFIX)/bin/lockdepd|' lockdepd.service \
		>$(DESTDIR)$(PREFIX)/lib/systemd/system/lockdepd.service
	[ -e $(DESTDIR)/etc/lockdepd/i915.yaml ] || install -m 0644 rules/i915.yaml $(DESTDIR)/etc/lockdepd/i915.yaml
	scdoc <docs/lockdepd.8.scd >$(DESTDIR)$(PREFIX)/share/man/man8/lockdepd.8

format:
	clang-format -i $(DAEMON_SRCS) $(MAIN_SRC) $(filter-out include/%,$(HEADERS)) $(wildcard include/*.h bpf/*.c bpf/*.h tests/unit/*.c tests/fuzz/*.c $(SUITE_SRCS) $(CLI_TOOL_SRCS) tests/bench/*.c tests/bench/*.h)

clean:
	rm -rf $(OUT)
