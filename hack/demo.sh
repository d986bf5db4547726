#!/usr/bin/env bash
# make demo: a local control plane in .cache/demo with capstan's CRDs and the
# Application of the article our users follow. Stop it with `make demo-down`.
set -euo pipefail
cd "$(dirname "$0")/.."

dir="$PWD/.cache/demo"
kubeconfig="$dir/kubeconfig"
mkdir -p "$dir"

if ! bin/localkube up "$dir" 2>/dev/null; then
	# Already running from an earlier `make demo`: reuse it when it answers.
	kubectl --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1 || {
		bin/localkube down "$dir"
		bin/localkube up "$dir"
	}
fi
k() { kubectl --kubeconfig "$kubeconfig" "$@"; }

k apply --server-side -f config/crd/ >/dev/null
for crd in applications appprojects applicationsets; do
	for _ in $(seq 100); do
		established=$(k get crd "$crd.argoproj.io" -o jsonpath='{.status.conditions[?(@.type=="Established")].status}')
		[ "$established" = True ] && break
		sleep 0.1
	done
done
k create namespace argocd --dry-run=client -o yaml | k apply -f - >/dev/null
k apply --server-side -f hack/demo/guestbook.yaml

echo
k version 2>/dev/null | sed -n 's/^Server Version/Kubernetes server/p'
bin/capstan version
echo
k get apps -n argocd -o wide
echo
echo "The cluster keeps running. Use it with:"
echo "  export KUBECONFIG=$kubeconfig"
echo "Stop it with: make demo-down"
