# Strata — make help lists the targets.
SHELL := /bin/bash
GO ?= go
OUT ?= out
SEED ?= 1
STATICCHECK_VERSION := v0.8.2
PROTOC_GEN_GO_VERSION := v1.36.12
BIN := $(CURDIR)/.bin

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build the strata binary into .bin/strata
	$(GO) build -o $(BIN)/strata ./cmd/strata

.PHONY: test
test: ## go vet, the fast test suite and the smoke testnet (what CI runs)
	$(GO) vet ./...
	$(GO) test ./...
	$(MAKE) testnet-smoke

.PHONY: testnet-smoke
testnet-smoke: build ## Run the 8-process smoke testnet (testnet/scenarios/smoke.yaml, under 2 minutes)
	$(BIN)/strata testnet run testnet/scenarios/smoke.yaml --out $(OUT)

.PHONY: testnet-gossip
testnet-gossip: build ## Run the 300-process gossip testnet (testnet/scenarios/gossip-300.yaml)
	$(BIN)/strata testnet run testnet/scenarios/gossip-300.yaml --out $(OUT)

.PHONY: testnet-mixnet
testnet-mixnet: build ## Run the mixnet testnet: mixes, providers and clients as node processes (testnet/scenarios/mixnet.yaml)
	$(BIN)/strata testnet run testnet/scenarios/mixnet.yaml --out $(OUT)

.PHONY: attacks-overlay
attacks-overlay: build ## Full-size overlay adversaries in process: Sybils (10:1 and beyond), spam floods, first spy (long; see README)
	$(BIN)/strata attack sybil --out $(OUT)
	$(BIN)/strata attack spam --out $(OUT)
	$(BIN)/strata attack firstspy --out $(OUT)

.PHONY: check
check: ## gofmt check, go vet, staticcheck (pinned), and the tests under the race detector
	@fmt=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$fmt" ]; then echo "gofmt needed:"; echo "$$fmt"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	$(GO) test -race ./...

.PHONY: proto
proto: ## Regenerate *.pb.go with protoc (Debian protobuf-compiler) and a pinned protoc-gen-go
	@command -v protoc >/dev/null || { echo "protoc not found: apt-get install -y protobuf-compiler"; exit 1; }
	GOBIN=$(BIN) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	for f in $$(git ls-files '*.proto'); do \
		PATH=$(BIN):$$PATH protoc --go_out=. --go_opt=paths=source_relative $$f || exit 1; \
	done

.PHONY: vectors
vectors: ## Check every layer's test vectors
	$(GO) run ./cmd/strata vectors check --out $(OUT)

.PHONY: bench
bench: ## Run every layer's benchmarks and record results (strata bench)
	$(GO) run ./cmd/strata bench --out $(OUT)

.PHONY: fuzz
fuzz: ## Fuzz every target of every layer for 30 s each (strata fuzz)
	$(GO) run ./cmd/strata fuzz --time 30s --out $(OUT)

.PHONY: audit
audit: ## The main job: vectors, quick benchmarks, short fuzzing, scenarios, report (strata audit --quick)
	$(GO) run ./cmd/strata audit --quick --seed $(SEED) --out $(OUT)

.PHONY: clean
clean: ## Remove build and run outputs
	rm -rf $(BIN) $(OUT)
