# ipcbuf: `make demo` shows the four kinds shared between two processes;
# `make test` runs every test, in every build the tags allow.

GO      ?= go
CC      ?= gcc
# go test's default limit is 10 minutes a package; the race run of the
# library, with the ring's process and kill tests, comes near it on a
# loaded 2-core machine. A hang still fails, later.
TESTTIMEOUT ?= 30m
TAGSETS := ipcbuf_noposix ipcbuf_nosysv ipcbuf_noposix,ipcbuf_nosysv

.PHONY: all demo bench test test-race test-tags test-nocgo test-goos test-node-long oracle test-soak test-sanitize fuzz vet cshim-check clean

all: test

demo:
	$(GO) run ./cmd/ipcbuf demo

test: vet cshim-check test-goos test-race test-tags test-nocgo

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

clean:
	$(GO) clean -testcache
