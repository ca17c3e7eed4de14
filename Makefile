# procsync build, test and release targets. Run `make help` for a summary.

GO        ?= go
BIN       := bin/procsync
PKG       := ./cmd/procsync
VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# Platforms IT admins run: mostly Windows and macOS, plus Linux servers.
DIST_PLATFORMS := windows/amd64 darwin/arm64 darwin/amd64 linux/amd64 linux/arm64
# Cross builds that `make test` checks, so nothing Linux-only slips in.
CROSS_PLATFORMS := windows/amd64 darwin/arm64
# End-to-end scripts; later issues add theirs under test/e2e/.
E2E_SCRIPTS := $(filter-out test/e2e/lib.sh,$(wildcard test/e2e/*.sh))

# Linters run at pinned versions through the module proxy, so that every
# machine and CI judge the code alike.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOIMPORTS   := golang.org/x/tools/cmd/goimports@v0.52.0

.PHONY: all build test fmt-check vet unit cross test-e2e bench demo lint tidy-check imports-check staticcheck dist clean help

all: build

help:
	@echo "make build     build $(BIN) ($(VERSION), $(COMMIT))"
	@echo "make test      gofmt check, go vet, go test -race, cross builds, end-to-end scripts"
	@echo "make bench     run every Go benchmark"
	@echo "make demo      open the terminal UI against the built-in simulated tenant (no accounts needed)"
	@echo "make lint      gofmt, go vet, go mod tidy -diff, goimports -local procsync, staticcheck"
	@echo "make dist      release binaries for $(DIST_PLATFORMS) into dist/"
	@echo "make clean     remove bin/ and dist/"

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) $(PKG)

test: fmt-check vet unit cross test-e2e

fmt-check:
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt: these files need formatting (run gofmt -w):"; echo "$$unformatted"; exit 1; fi
	@echo "gofmt: ok"

vet:
	$(GO) vet ./...

# The race detector slows the big-tenant runs several-fold, so they run
# small under -race and at full size (50,000 members) in a second pass.
unit:
	$(GO) test -race ./...
	$(GO) test -count=1 -run 'TestBigFirstRunReportArrives' ./sync/engine/

# Cross builds check that every package compiles for the platform without
# cgo; building several packages at once discards the binaries.
cross:
	@set -e; for p in $(CROSS_PLATFORMS); do \
		echo "cross build $$p"; \
		CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build ./...; \
	done

# Every script runs even after one fails; the last line sums them up.
test-e2e:
	@pass=0; fail=0; for s in $(E2E_SCRIPTS); do echo "e2e $$s"; \
		if bash "$$s"; then pass=$$((pass+1)); else fail=$$((fail+1)); echo "e2e $$s FAILED"; fi; \
	done; echo "e2e: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]

# Benchmarks run only in packages that have some, found by grepping for
# func Benchmark in test files.
bench:
	@pkgs=$$(grep -rl --include='*_test.go' '^func Benchmark' . | xargs -r -n1 dirname | sort -u); \
	if [ -z "$$pkgs" ]; then echo "no benchmarks"; exit 0; fi; \
	$(GO) test -run '^$$' -bench . -benchmem $$pkgs

demo:
	$(GO) run $(PKG) demo

lint: fmt-check vet tidy-check imports-check staticcheck

tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }
	@echo "go mod tidy: ok"

# Imports in three groups: standard library, third party, procsync.
imports-check:
	@out=$$($(GO) run $(GOIMPORTS) -local procsync -l .); \
	if [ -n "$$out" ]; then echo "goimports: these files need goimports -local procsync -w:"; echo "$$out"; exit 1; fi
	@echo "goimports: ok"

staticcheck:
	$(GO) run $(STATICCHECK) ./...

dist:
	@set -e; mkdir -p dist; for p in $(DIST_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ "$$os" = windows ] && ext=.exe; \
		out=dist/procsync-$(VERSION)-$$os-$$arch$$ext; echo "$$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o "$$out" $(PKG); \
	done

clean:
	rm -rf bin dist
