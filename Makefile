# Builds build/mod_semguard.so the way httpd modules are built: every C++ source
# is compiled through apxs' libtool, and `apxs -c` links the module.
# The engine (mod_semguard/core) gets no httpd or APR include path.
#
#   make            build/mod_semguard.so
#   make install    apxs -i (then: a2enmod semguard)
#   make test       CMake build + every test (unit, contract, integration)
#   make demo       a real apache2 with the module in a private IPC namespace
#   make bench      benchmarks, results in bench/results/
#   make fuzz       libFuzzer harnesses, bounded time
#   make format     clang-format (.clang-format) every C/C++ source in place
#   make format-check  list the sources clang-format would change; fails if any

APXS     ?= apxs
CXX      ?= g++
# CMake builds the module through this Makefile into its own tree (BUILD=...),
# so the module the tests load is compiled and linked exactly as the one
# `make install` ships. EXTRA_CXXFLAGS adds instrumentation (sanitizers) and
# EXTRA_LIBS the runtimes that go with it.
BUILD    ?= build
EXTRA_CXXFLAGS ?=
EXTRA_LIBS ?=
OBJDIR   := $(BUILD)/apxs
LIBTOOL  := $(shell $(APXS) -q LIBTOOL)
# Debian's APR libtool is configured for C only (it would say "ignoring unknown
# tag CXX"): --tag=CXX only for a libtool that has that tag.
LT_TAG   := $(if $(LIBTOOL),$(shell grep -qs 'TAG CONFIG: CXX' $(firstword $(LIBTOOL)) && echo --tag=CXX))
# -shared: only the PIC object a module needs, not a second non-PIC one.
LT_COMPILE := $(LIBTOOL) --silent --mode=compile $(LT_TAG) $(CXX) -shared
SYSCONFDIR := $(shell $(APXS) -q SYSCONFDIR)
LIBEXECDIR := $(shell $(APXS) -q LIBEXECDIR)
HTTPD_INC := -I$(shell $(APXS) -q INCLUDEDIR) -I$(shell $(APXS) -q APR_INCLUDEDIR) \
             -I$(shell $(APXS) -q APU_INCLUDEDIR) $(shell $(APXS) -q EXTRA_CPPFLAGS)
# The one definition of the compiler flags: CMake reads them (make print-flags)
# for the engine library that the unit tests link.
CXXSTD   := -std=c++17 -O2 -g -Wall -Wextra -Wshadow -Wno-unused-parameter \
            -fstack-protector-strong -D_FORTIFY_SOURCE=2 $(EXTRA_CXXFLAGS)

CORE_SRC := $(sort $(wildcard mod_semguard/core/*/*.cc))
GLUE_SRC := $(sort $(wildcard mod_semguard/httpd/*.cc))
CORE_LO  := $(patsubst mod_semguard/core/%.cc,$(OBJDIR)/core/%.lo,$(CORE_SRC))
GLUE_LO  := $(patsubst mod_semguard/httpd/%.cc,$(OBJDIR)/httpd/%.lo,$(GLUE_SRC))
HEADERS  := $(wildcard mod_semguard/core/*.h mod_semguard/core/*/*.h mod_semguard/httpd/*.h)

.PHONY: all install test demo bench fuzz soak clean print-flags format format-check
all: $(BUILD)/mod_semguard.so

$(OBJDIR)/core/%.lo: mod_semguard/core/%.cc $(HEADERS)
	@mkdir -p $(dir $@)
	$(LT_COMPILE) $(CXXSTD) -Imod_semguard/core -c -o $@ $<

$(OBJDIR)/httpd/%.lo: mod_semguard/httpd/%.cc $(HEADERS)
	@mkdir -p $(dir $@)
	$(LT_COMPILE) $(CXXSTD) -Imod_semguard/core $(HTTPD_INC) -c -o $@ $<

# Exports only the module record (mod_semguard/httpd/exports.map says why).
EXPORTS  := mod_semguard/httpd/exports.map

$(BUILD)/mod_semguard.so: $(CORE_LO) $(GLUE_LO) $(EXPORTS)
	$(APXS) -c -o $(OBJDIR)/mod_semguard.la $(GLUE_LO) $(CORE_LO) $(EXTRA_LIBS) -lstdc++ \
	    -Wl,--version-script=$(CURDIR)/$(EXPORTS)
	cp $(OBJDIR)/.libs/mod_semguard.so $@

# DESTDIR (empty by default) stages the files for a package instead.
install: $(BUILD)/mod_semguard.so
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(SYSCONFDIR)/mods-available
	$(APXS) -i -S LIBEXECDIR=$(DESTDIR)$(LIBEXECDIR) -n semguard $(OBJDIR)/mod_semguard.la
	install -m 644 conf/semguard.load conf/semguard.conf $(DESTDIR)$(SYSCONFDIR)/mods-available/
	@echo "installed; enable with: a2enmod semguard && systemctl reload apache2"

test:
	bash scripts/test.sh

demo:
	bash scripts/demo.sh

bench:
	bash bench/run.sh

fuzz:
	bash scripts/fuzz.sh

soak:
	SEMGUARD_SOAK=1 bash scripts/test.sh

print-flags:
	@echo $(CXXSTD)

# The style is .clang-format's, for clang-format 14 (Debian 12's).
CLANG_FORMAT ?= $(shell command -v clang-format-14 || echo clang-format)
FORMAT_SRC = $(sort $(shell find mod_semguard tests -type f \( -name '*.cc' -o -name '*.h' -o -name '*.c' \)))

format:
	$(CLANG_FORMAT) -i --style=file $(FORMAT_SRC)

format-check:
	@files=0; lines=0; \
	for f in $(FORMAT_SRC); do \
	    n=$$($(CLANG_FORMAT) --style=file "$$f" | diff "$$f" - | grep -c '^<'); \
	    if [ "$$n" -gt 0 ]; then echo "$$f: $$n line(s) differ"; files=$$((files + 1)); lines=$$((lines + n)); fi; \
	done; \
	echo "format-check: $$files file(s), $$lines line(s) differ from .clang-format"; \
	[ "$$files" -eq 0 ]

clean:
	rm -rf $(BUILD)
