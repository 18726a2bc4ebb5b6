# ipcbuf: `make demo` shows the four kinds shared between two processes;
# `make test` runs every test, in every build the tags allow, and the
# Windows build's tests under Wine (test-windows).

GO      ?= go
CC      ?= gcc
# go test's default limit is 10 minutes a package; the race run of the
# library, with the ring's process and kill tests, comes near it on a
# loaded 2-core machine. A hang still fails, later.
TESTTIMEOUT ?= 30m
TAGSETS := ipcbuf_noposix ipcbuf_nosysv ipcbuf_noposix,ipcbuf_nosysv

.PHONY: all demo demo-windows bench test test-race test-tags test-nocgo test-goos test-windows test-windows-or-skip windows-tools windows-tests windows-exe vet-windows test-node-long oracle test-soak test-sanitize fuzz vet cshim-check clean

all: test

demo:
	$(GO) run ./cmd/ipcbuf demo

test: vet cshim-check test-goos test-race test-tags test-nocgo test-windows-or-skip

vet:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: the files above need formatting"; exit 1; }
	$(GO) vet ./...

# The shim on its own, with both backends in, as strict as gcc gets.
cshim-check:
	$(CC) -std=gnu11 -Wall -Wextra -Werror -pedantic -DIPCBUF_POSIX -DIPCBUF_SYSV -fsyntax-only cshim/shm.c cshim/sem.c

# Every test, under the race detector. The root package's run is long (the
# codec suite reruns at each SIMD level), so go test's default 10-minute
# limit leaves no margin on a busy machine.
test-race:
	$(GO) test -timeout $(TESTTIMEOUT) -race -count=1 ./...

# The builds that leave a backend out: the tests check that those kinds fail
# with errors.ErrUnsupported and that the rest still work.
test-tags:
	@set -e; for tags in $(TAGSETS); do \
		echo "go test -tags $$tags"; \
		$(GO) test -timeout $(TESTTIMEOUT) -count=1 -tags $$tags . ./cmd/...; \
	done

test-nocgo:
	CGO_ENABLED=0 $(GO) vet ./...
	CGO_ENABLED=0 $(GO) test -timeout $(TESTTIMEOUT) -count=1 .

# Every GOOS builds. The cgo backends call Linux's C library, so with cgo
# asked for, no C or cgo file may be part of a darwin or freebsd build (they
# get memory buffers and errors.ErrUnsupported, as CGO_ENABLED=0 does); and
# the builds without cgo, test files included (go vet compiles them), must
# succeed for darwin, freebsd and windows.
test-goos:
	@set -e; for os in darwin freebsd; do \
		echo "GOOS=$$os CGO_ENABLED=1 go list: no C or cgo files"; \
		files=$$(GOOS=$$os CGO_ENABLED=1 $(GO) list -f '{{.ImportPath}}: {{.CgoFiles}} {{.CFiles}} {{.CXXFiles}}' ./...); \
		bad=$$(echo "$$files" | grep -v ': \[\] \[\] \[\]$$' || true); \
		if [ -n "$$bad" ]; then echo "GOOS=$$os with cgo would compile Linux-only C or cgo files:"; echo "$$bad"; exit 1; fi; \
	done
	@set -e; for os in darwin freebsd windows; do \
		echo "GOOS=$$os CGO_ENABLED=0 go build and go vet"; \
		GOOS=$$os CGO_ENABLED=0 $(GO) build ./...; \
		GOOS=$$os CGO_ENABLED=0 $(GO) vet ./...; \
	done

# The Windows build (windows/amd64 with cgo, through mingw-w64) and its tests,
# run under Wine by wine/run.sh, which makes the Wine prefix on first use
# (in WINEDIR, which git ignores) and gives it the ProcessPrng that Go's
# runtime needs where Wine lacks it (see wine/prng.c and TESTING.md).
# Processes a test starts share the prefix's wineserver, so they share named
# objects as on Windows.
MINGW_CC      ?= x86_64-w64-mingw32-gcc
WINDOWS_ENV   := GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=$(MINGW_CC)
WINDOWS_BIN   ?= build/windows
WINEDIR       ?= build/wine
# The test binaries' own limit, and wine/run.sh's hard one a little above
# it, so that a hang inside Wine ends with go test's stack dump first.
WINETESTTIMEOUT ?= 20m
WINEHARDTIMEOUT ?= 25m
WINEFLAGS     ?= -test.count=1 -test.timeout=$(WINETESTTIMEOUT)
# IPCBUF_REQUIRE_NODE and IPCBUF_REQUIRE_INTEROP promise node and python3,
# Linux programs that a Windows process cannot start: under Wine the Node
# tests replay Node's recorded answers and the interop tests skip. IPCBUF_CI
# stays.
WINEENV        = env -u IPCBUF_REQUIRE_NODE -u IPCBUF_REQUIRE_INTEROP IPCBUF_WINE_TIMEOUT=$(WINEHARDTIMEOUT) MINGW_CC=$(MINGW_CC)
WINERUN        = $(WINEENV) IPCBUF_WINE_DIR=$(WINEDIR) sh wine/run.sh
WINDOWS_PKGS  := wine wine64 gcc-mingw-w64-x86-64
windows_missing = $(strip $(foreach t,wine wineserver $(MINGW_CC),$(if $(shell command -v $(t) 2>/dev/null),,$(t))))

windows-tools:
	@if [ -n "$(windows_missing)" ]; then \
		echo "test-windows: missing $(windows_missing): install the Debian packages $(WINDOWS_PKGS) (apt-get install --no-install-recommends $(WINDOWS_PKGS))" >&2; \
		exit 1; \
	fi

# go vet of the Windows build, and its C as strict as mingw-w64's gcc gets.
vet-windows: windows-tools
	$(WINDOWS_ENV) $(GO) vet ./...
	$(MINGW_CC) -std=gnu11 -Wall -Wextra -Werror -pedantic -fsyntax-only cshim/win.c cshim/winsem.c cshim/winobj.c

windows-tests: windows-tools
	@mkdir -p $(WINDOWS_BIN)
	$(WINDOWS_ENV) $(GO) test -c -o $(WINDOWS_BIN)/ipcbuf.test.exe .
	$(WINDOWS_ENV) $(GO) test -c -o $(WINDOWS_BIN)/ipcbuf-cmd.test.exe ./cmd/ipcbuf

windows-exe: windows-tools
	@mkdir -p $(WINDOWS_BIN)
	$(WINDOWS_ENV) $(GO) build -o $(WINDOWS_BIN)/ipcbuf.exe ./cmd/ipcbuf

# Each test binary runs in its package's directory, as go test runs it (the
# tests read testdata/). Both run, then the demo; the target fails if any
# of them failed.
test-windows: vet-windows windows-tests windows-exe
	@status=0; \
	echo "wine: ipcbuf.test.exe $(WINEFLAGS)"; \
	$(WINERUN) $(WINDOWS_BIN)/ipcbuf.test.exe $(WINEFLAGS) || status=1; \
	echo "wine: cmd/ipcbuf's ipcbuf-cmd.test.exe $(WINEFLAGS)"; \
	(cd cmd/ipcbuf && $(WINEENV) IPCBUF_WINE_DIR=$(abspath $(WINEDIR)) \
		sh ../../wine/run.sh ../../$(WINDOWS_BIN)/ipcbuf-cmd.test.exe $(WINEFLAGS)) || status=1; \
	echo "wine: ipcbuf.exe demo"; \
	$(WINERUN) $(WINDOWS_BIN)/ipcbuf.exe demo || status=1; \
	if [ $$status -ne 0 ]; then echo "test-windows: FAIL (see above)"; exit 1; fi; \
	echo "test-windows: ok"

# make demo's Windows counterpart: ipcbuf.exe demo under Wine.
demo-windows: windows-exe
	$(WINERUN) $(WINDOWS_BIN)/ipcbuf.exe demo

# make test runs test-windows; on a machine without Wine or mingw-w64 it
# says so and skips, so that make test passes with only Go, gcc and make
# (issue 13), except under CI (IPCBUF_CI=1), where a missing tool fails.
test-windows-or-skip:
	@if [ -n "$(windows_missing)" ] && [ "$$IPCBUF_CI" != 1 ]; then \
		echo "SKIP test-windows: missing $(windows_missing) (Debian packages: $(WINDOWS_PKGS)); the Windows build's tests did not run"; \
	else \
		$(MAKE) --no-print-directory test-windows; \
	fi

# Record Node's answers: the generators of the tests against Node, run in
# the live Node.js 20, write testdata/node_corpus.jsonl.gz, which go test
# replays where there is no Node. Run it after changing a generator.
oracle:
	IPCBUF_ORACLE_RECORD=1 $(GO) test -count=1 -v -run '^TestNodeCorpusRecord$$' .

# The differential test against the real Node.js 20 at full size: at least
# 100,000 generated calls spread over every method: by default 1,000,000
# (make test runs 20,000).
NODE_CASES ?= 1000000
test-node-long:
	IPCBUF_REQUIRE_NODE=1 IPCBUF_NODE_CASES=$(NODE_CASES) $(GO) test -count=1 -v -run '^TestNodeDifferential$$' .

# Every fuzz target in the package, each for FUZZTIME inputs. A count, not a
# duration: with a duration, Go before 1.27 can end the run mid-input and
# report "context deadline exceeded" as a failure (golang/go#75804).
FUZZTIME ?= 1000000x
fuzz:
	@set -e; for f in $$($(GO) test -list '^Fuzz' . | grep '^Fuzz'); do \
		echo "fuzz $$f for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) . ; \
	done

# The reliability tests at full size: 100,000 open/close/remove cycles and
# many SIGKILL rounds (make test runs short versions).
test-soak:
	IPCBUF_SOAK=1 $(GO) test -timeout 60m -count=1 -v -run '^Test(Soak|Leak|Durab|SemaphoreWaiterKilled|WaitRacingClose|LeaseRacesClose)' .

# The C shim under AddressSanitizer, UndefinedBehaviorSanitizer and
# valgrind; the Go tests with cgocheck2 and checkfinalizers.
test-sanitize:
	GO=$(GO) sh cshim/testdata/sanitize.sh

# The performance table: ipcbuf against plain memory, pipes, sockets, direct
# system calls, files, Go's standard library and Node, side by side in one
# run (bench/ is its own module, so the library takes none of its
# dependencies).
# BENCHFLAGS=-quick checks that it runs; BENCHFLAGS=-only=2,3 picks rows.
BENCHFLAGS ?=
bench:
	cd bench && $(GO) run . $(BENCHFLAGS)

# clean leaves the Wine prefix (build/wine), which takes a while to make;
# rm -rf build removes it too.
clean:
	$(GO) clean -testcache
	rm -rf $(WINDOWS_BIN)
