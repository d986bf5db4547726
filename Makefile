# capstan's build. `make test` and `make demo` are the two set-up commands a
# new machine needs; everything else they need is built from pinned modules.

SHELL      := /usr/bin/env bash
GO         ?= go
BIN        := $(CURDIR)/bin
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT     ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS    := -X github.com/capstan-cd/capstan/internal/version.Version=$(VERSION) \
              -X github.com/capstan-cd/capstan/internal/version.Commit=$(COMMIT)
# Kustomize's loader of Go plugins (never used: capstan refuses Kustomize
# plugins) imports package plugin, which makes the linker export every
# symbol and keep every exported method: 144 MB of binary instead of 109.
GOTAGS     := kustomize_disable_go_plugin_support

# The Kubernetes release the local control plane is built from; the tools
# module pins the same release (and its staging modules) in tools/go.mod.
K8S_VERSION := v1.37.2
K8S_LDFLAGS := -X k8s.io/component-base/version.gitVersion=$(K8S_VERSION) \
               -X k8s.io/component-base/version.gitMajor=1 \
               -X k8s.io/component-base/version.gitMinor=37 \
               -X k8s.io/component-base/version.gitTreeState=clean \
               -X k8s.io/client-go/pkg/version.gitVersion=$(K8S_VERSION)
CONTROLPLANE_STAMP := $(BIN)/.controlplane
KWOK_STAGES := node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
               pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml

TEST_FLAGS ?= -count=1 -timeout=30m

.PHONY: all build controlplane generate verify lint test fuzz fuzz-short bench demo demo-down clean image chart ui-screenshots

all: build

# capstan and its render worker, capstan-render, which the controller
# runs from beside its own binary (docs/render.md).
build:
	$(GO) build -tags '$(GOTAGS)' -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/capstan ./cmd/capstan-render
	$(GO) build -o $(BIN)/localkube ./cmd/localkube
	$(GO) build -o $(BIN)/gitserve ./cmd/gitserve

# The control plane and controller-gen, from the tools module. Rebuilt only
# when the pinned versions (tools/go.mod, tools/go.sum) or etcd's main change;
# the Go build cache makes a rebuild of unchanged sources take seconds.
controlplane: $(CONTROLPLANE_STAMP)

$(CONTROLPLANE_STAMP): tools/go.mod tools/go.sum tools/cmd/etcd/main.go
	@mkdir -p $(BIN)
	cd tools && $(GO) build -ldflags '$(K8S_LDFLAGS)' -o $(BIN)/ \
		./cmd/etcd \
		k8s.io/kubernetes/cmd/kube-apiserver \
		k8s.io/kubernetes/cmd/kube-controller-manager \
		k8s.io/kubernetes/cmd/kube-scheduler \
		sigs.k8s.io/kwok/cmd/kwok \
		sigs.k8s.io/controller-tools/cmd/controller-gen
	cd tools && $(GO) mod download sigs.k8s.io/kwok && \
		dir=$$($(GO) list -m -f '{{.Dir}}' sigs.k8s.io/kwok) && \
		for f in $(KWOK_STAGES); do cat "$$dir/kustomize/stage/$$f"; echo '---'; done > $(BIN)/kwok-stages.yaml
	@touch $@

# The CNCF Distribution registry that the OCI chart tests push to, from its
# own module so that its dependencies stay out of the Kubernetes tools module.
# Both names, so that `make bin/registry` works too.
$(BIN)/registry bin/registry: tools/registry/go.mod tools/registry/go.sum
	cd tools/registry && $(GO) build -o $(BIN)/registry github.com/distribution/distribution/v3/cmd/registry

generate: controlplane
	$(BIN)/controller-gen object:headerFile="" paths=./api/...
	$(BIN)/controller-gen crd:crdVersions=v1,maxDescLen=0 paths=./api/... output:crd:artifacts:config=config/crd
	rm -f charts/capstan/files/crds/*.yaml && cp config/crd/*.yaml charts/capstan/files/crds/
	$(GO) run ./cmd/capstan-chart manifests --out config
	$(GO) run ./cmd/capstan-apidoc

# The container image (docs/install.md): static binaries per platform
# (capstan and capstan-render) in an OCI layout under bin/image, pushed to
# IMAGE when it is set.
IMAGE_PLATFORMS  ?= linux/amd64 linux/arm64
IMAGE            ?=
IMAGE_PUSH_FLAGS ?=
LICENSES         ?= NOASSERTION
image:
	@set -e; bins=; for p in $(IMAGE_PLATFORMS); do \
		out=$(BIN)/image/$${p/\//-}; \
		CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -trimpath -tags '$(GOTAGS)' -ldflags '$(LDFLAGS)' -o $$out/ ./cmd/capstan ./cmd/capstan-render; \
		bins="$$bins --binary $$p=$$out/capstan --worker $$p=$$out/capstan-render"; \
	done; \
	$(GO) run ./cmd/capstan-image $$bins --version $(VERSION) --revision $(COMMIT) --licenses '$(LICENSES)' \
		--layout $(BIN)/image/oci $(if $(IMAGE),--push $(IMAGE) $(IMAGE_PUSH_FLAGS))

# The Helm chart packaged for a release: chart version VERSION without its
# "v", appVersion (the image tag) VERSION.
chart:
	$(GO) run ./cmd/capstan-chart package --version $(VERSION) --out $(BIN)/chart

# Fails when anything generated or tidied is stale, or the tree is unformatted.
verify: generate lint
	$(GO) mod tidy -diff
	cd tools && $(GO) mod tidy -diff
	@changed=$$(git diff --name-only -- api config charts; git ls-files --others --exclude-standard -- api config charts); \
	if [ -n "$$changed" ]; then echo "generated files are stale; run make generate and commit:"; echo "$$changed"; exit 1; fi

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	cd tools && $(GO) vet ./...

test: controlplane build $(BIN)/registry
	$(GO) test $(TEST_FLAGS) ./...
	$(MAKE) fuzz-short

# Every fuzz target of the repository for a while each: FUZZTIME_SHORT in
# `make test`, FUZZTIME in `make fuzz` (see hack/fuzz.sh).
FUZZTIME       ?= 2m
FUZZTIME_SHORT ?= 5s
fuzz-short:
	GO=$(GO) ./hack/fuzz.sh $(FUZZTIME_SHORT)

fuzz:
	GO=$(GO) ./hack/fuzz.sh $(FUZZTIME)

# The screenshots of docs/ui.md, taken by the UI's browser tests.
ui-screenshots: controlplane
	@mkdir -p docs/ui
	CAPSTAN_UI_SCREENSHOTS=$(CURDIR)/docs/ui $(GO) test -count=1 ./internal/ui/

# Benchmarks: timings are measured here, never asserted by tests.
# BENCH_FLAGS sizes the end-to-end run (see docs/performance.md), e.g.
# BENCH_FLAGS='--apps 3000 --idle 10m' on a larger machine.
BENCH_FLAGS ?=
bench: controlplane build $(BIN)/registry
	$(GO) test -run '^$$' -bench . -benchmem ./internal/render/ ./internal/sandbox/
	$(GO) test -run '^$$' -bench ApplicationsListPage -benchtime 5x ./internal/ui/
	$(GO) test -run '^$$' -bench GitPush -benchtime 5x ./internal/source/
	$(GO) test -run '^$$' -bench ListApps -benchtime 20x ./internal/controller/imageupdater/
	$(GO) build -o $(BIN)/capstan-bench ./cmd/capstan-bench
	$(BIN)/capstan-bench --bin-dir $(BIN) --json bench.json $(BENCH_FLAGS)

# Runs capstan end to end on a local control plane in .cache/demo, in the
# foreground; Ctrl-C stops everything.
demo: controlplane build
	./hack/demo.sh

demo-down:
	-$(BIN)/localkube down $(CURDIR)/.cache/demo

clean:
	rm -rf $(BIN) .cache
