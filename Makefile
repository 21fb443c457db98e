# frontdoor — see README.md. Every target works on a fresh machine with Go.
SHELL := /bin/bash
GO ?= go
BIN := bin/frontdoor
EXAMPLE := examples/national-health-platform
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build test fuzz check demo bench bench-compile bench-pr bench-swap bench-gateway bench-tls bench-propagation golden boundaries clean

all: check test

build:
	$(GO) build -o $(BIN) ./cmd/frontdoor

## test: every test, with the race detector (CI runs this); ends with the
## list of skipped tests and why (e.g. ../shared absent, no chromium).
test:
	set -o pipefail; $(GO) test -race -count=1 -json ./... | $(GO) run ./internal/testsummary

## fuzz: every fuzzer, one after another, FUZZTIME each (default 10m; FUZZ=REGEXP picks some).
FUZZTIME ?= 10m
fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

## check: formatting, vet, staticcheck, tidy go.mod, package boundaries.
check: boundaries
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) mod tidy -diff

## boundaries: the pipeline's dependency rules (see STYLE in README).
boundaries:
	@scripts/check-boundaries.sh

## golden: rewrite the golden files (compiler, review), then fail if they changed.
golden:
	FRONTDOOR_UPDATE_GOLDEN=1 $(GO) test ./compiler/ ./review/ -count=1
	git diff --exit-code -- compiler/testdata review/testdata

## demo: compile the embedded example, serve gateway and catalogue locally.
demo: build
	scripts/demo.sh $(EXAMPLE)

## bench: every benchmark (≤ 15 minutes); results go in BENCHMARKS.md.
bench: build
	scripts/bench.sh

## bench-compile: frontdoor vs cue export on the L corpus.
bench-compile:
	scripts/bench-compile.sh

## bench-pr: diff, check-pr and validate --git of a one-file pull request, cold and warm cache, before and after.
bench-pr:
	scripts/bench-pr.sh

## bench-swap: load, verify and swap an L snapshot; swaps under load.
bench-swap: build
	scripts/bench-swap.sh

## bench-gateway: frontdoor vs a bare ReverseProxy vs nginx vs Caddy on loopback (wrk, vegeta).
bench-gateway: build
	scripts/bench-gateway.sh

## bench-tls: frontdoor vs nginx vs Caddy terminating TLS on loopback (wrk, vegeta, s_time, h2load).
bench-tls: build
	scripts/bench-tls.sh -b $(BIN)

## bench-propagation: git push → 3 gateway replicas serving it (webhook, polling).
bench-propagation: build
	scripts/bench-propagation.sh -b $(BIN)

clean:
	rm -rf bin out
