# picket — make run serves on embedded defaults; make test runs every test.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/picket
PKGS  := ./...
# The shared corpus (make eval, eval-peers, train): CORPUS=dir or PICKET_CORPUS=dir;
# by default ../shared/corpus, where it sits next to a checkout in the picket workspace.
PICKET_CORPUS ?= ../shared/corpus
CORPUS ?= $(PICKET_CORPUS)
# Build tags: nomsgpack leaves gin's MessagePack codec (github.com/ugorji/go/codec, which
# picket never uses) out of the binary: it was the single slowest package of a cold build.
GOTAGS ?= nomsgpack
# make run LISTEN=127.0.0.1:9090 serves on another address.
LISTEN ?=
FUZZTIME ?= 20s

.PHONY: all build run corpus test test-go test-sdk test-examples tools bench eval eval-peers train train-check fuzz plugins clean vet

all: build

build:
	$(GO) build -trimpath -tags $(GOTAGS) -o $(BIN) ./host/cmd/picket

## run: serve on 127.0.0.1:8080 (or LISTEN=host:port) with embedded defaults (prints the API key at first start)
run: build
	./$(BIN) serve $(if $(LISTEN),--listen $(LISTEN))

## test: every test of every module, with the race detector
test: tools test-go test-sdk test-examples

test-go:
	$(GO) vet $(PKGS)
	$(GO) test -race -timeout 20m $(PKGS)

test-sdk:
	cd sdk && $(GO) vet ./... && $(GO) test -race -timeout 10m ./...

# Third-party-style plugins build on the SDK alone, outside the workspace.
test-examples:
	@for d in plugins/examples/*/; do \
	  if [ -f "$$d/go.mod" ]; then \
	    echo "== $$d (GOWORK=off)"; \
	    (cd "$$d" && GOWORK=off $(GO) vet ./... && GOWORK=off $(GO) test ./...) || exit 1; \
	  fi; \
	done

## tools: install what the tests need and this machine lacks (Debian packages)
tools:
	@missing=""; \
	command -v wat2wasm >/dev/null || missing="$$missing wabt"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null || \
	    echo "could not install$$missing: tests that need them will skip (set PICKET_REQUIRE_TOOLS=1 to make that an error)"; \
	fi

## plugins: build the first-party and example detectors as go-plugin binaries and WASM modules
plugins:
	./plugins/build.sh

## bench: benchmarks (ratios against baselines measured in the same run)
bench:
	$(GO) test -run '^$$' -bench . -skip BenchmarkSecrets -benchmem -count 1 ./host/server/ ./host/engine/ ./host/aperture/ ./detectors/...
	$(GO) test -run '^$$' -bench BenchmarkSecrets -benchtime 1x -benchmem -cpu 1 ./detectors/secrets/
	cd sdk && $(GO) test -run '^$$' -bench . -benchmem -count 1 ./...
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./host/runtime/

# corpus: stop with what to set when the corpus is not where CORPUS says.
corpus:
	@if [ ! -f "$(CORPUS)/secrets.malicious.jsonl" ]; then \
	  echo "make: no corpus at CORPUS=$(CORPUS) (looked for $(CORPUS)/secrets.malicious.jsonl)."; \
	  echo "      Set CORPUS to the shared corpus directory, e.g. 'make $(MAKECMDGOALS) CORPUS=/path/to/shared/corpus',"; \
	  echo "      or export PICKET_CORPUS=/path/to/shared/corpus once for every target."; \
	  exit 2; \
	fi

## load: 20,000-event bursts against real `picket serve` processes (SQLite, and PostgreSQL at PICKET_TEST_POSTGRES_DSN): intake and drain rates, SIGKILL and restart, two replicas with one killed
LOAD_EVENTS ?= 20000
PICKET_TEST_POSTGRES_DSN ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
load: build
	$(GO) run ./host/cmd/picket-load -bin $(BIN) -events $(LOAD_EVENTS) -postgres '$(PICKET_TEST_POSTGRES_DSN)'

## eval: precision, recall and false-positive rate per detector family on the shared corpus, then the recorded real traffic blocked by the default policy
eval: corpus
	$(GO) run ./detectors/secrets/cmd/eval -corpus $(CORPUS)
	$(GO) run ./detectors/injection/cmd/eval -corpus $(CORPUS)
	$(GO) run ./detectors/commands/cmd/eval -corpus $(CORPUS)
	$(GO) run ./internal/policyeval/cmd/recorded

## eval-peers: the same, side by side with gitleaks and the npm peers (installed into ~/.cache/picket/peers; never in CI)
eval-peers: corpus
	./detectors/secrets/cmd/eval/install-gitleaks.sh
	$(GO) run ./detectors/secrets/cmd/eval -corpus $(CORPUS) -gitleaks
	./detectors/injection/cmd/eval/install-peer.sh
	$(GO) run ./detectors/injection/cmd/eval -corpus $(CORPUS) -peer
	./detectors/commands/cmd/eval/install-peer.sh
	$(GO) run ./detectors/commands/cmd/eval -corpus $(CORPUS) -peer

## train: retrain the injection classifier from the corpus (deterministic)
train: corpus
	$(GO) run ./detectors/injection/cmd/train -corpus $(CORPUS) -out detectors/injection/model/weights.bin

## train-check: retrain the injection classifier in memory and check it reproduces the shipped weights bit for bit
train-check: corpus
	$(GO) run ./detectors/injection/cmd/train -corpus $(CORPUS) -check

## fuzz: run each fuzz target for FUZZTIME
fuzz:
	@set -e; for spec in \
	  ./host/aperture:FuzzParse ./host/aperture:FuzzNormalize ./host/llmapi:FuzzReplaceString \
	  ./host/llmapi/jsonscan:FuzzValidate ./host/adapters/claudecode:FuzzDecode ./host/adapters/shield:FuzzGuard \
	  ./host/adapters/litellm:FuzzGuardrail ./host/adapters/extproc:FuzzBodies ./detectors/injection/internal/norm:FuzzNormalize \
	  ./detectors/secrets:FuzzDetect ./detectors/injection:FuzzDetect ./detectors/commands:FuzzDetect \
	  ./detectors/commands/internal/pwsh:FuzzParse ./detectors/commands/internal/cmdexe:FuzzParse \
	  ./host/sink/spool:FuzzDecodeRecord ./host/sink/spool:FuzzDecodeAck ./host/sink/spool:FuzzReplay; do \
	  pkg=$${spec%%:*}; fn=$${spec##*:}; \
	  echo "== $$pkg $$fn"; \
	  $(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

vet:
	$(GO) vet $(PKGS)
	cd sdk && $(GO) vet ./...

clean:
	rm -rf bin plugins/bin
