#!/usr/bin/env bash
# make demo: capstan end to end on a local control plane. A Git repository
# is made from examples/ (the guestbook as YAML, Kustomize, Helm and
# Jsonnet) and served over HTTP by bin/gitserve, four Applications point at
# it, and `capstan run` converges them in the foreground. Ctrl-C stops
# capstan, the Git server and the control plane.
# DEMO_EXIT=1 stops once every Application is Synced and Healthy.
set -euo pipefail
cd "$(dirname "$0")/.."

dir="$PWD/.cache/demo"
kubeconfig="$dir/kubeconfig"
rm -rf "$dir"
mkdir -p "$dir"
k() { kubectl --kubeconfig "$kubeconfig" "$@"; }

capstan_pid=""
gitserve_pid=""
stop_pid() { [ -n "$1" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null || true; }
cleanup() {
	stop_pid "$capstan_pid"
	stop_pid "$gitserve_pid"
	bin/localkube down "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bin/localkube up "$dir"

# The Git repository the Applications follow.
work="$dir/work"
cp -r examples "$work"
git -C "$work" init -q -b main
git -C "$work" -c user.name=demo -c user.email=demo@capstan.invalid add -A
git -C "$work" -c user.name=demo -c user.email=demo@capstan.invalid commit -q -m "guestbook in four forms"
mkdir "$dir/git"
git clone -q --bare "$work" "$dir/git/repo.git"

# Served over HTTP on a free port of 127.0.0.1; gitserve prints its URL.
bin/gitserve --root "$dir/git" --address 127.0.0.1:0 >"$dir/gitserve.log" 2>&1 &
gitserve_pid=$!
url=""
for _ in $(seq 100); do
	url=$(sed -n 's|^gitserve: serving .* at \(http://[^ ]*\)/$|\1|p' "$dir/gitserve.log")
	[ -n "$url" ] && break
	kill -0 "$gitserve_pid" 2>/dev/null || { echo "gitserve stopped:"; cat "$dir/gitserve.log"; exit 1; }
	sleep 0.1
done
[ -n "$url" ] || { echo "gitserve did not start:"; cat "$dir/gitserve.log"; exit 1; }
repo="$url/repo.git"
git ls-remote "$repo" HEAD >/dev/null
echo "Git repository served at $repo"

k apply --server-side -f config/crd/ >/dev/null
for crd in applications appprojects applicationsets; do
	for _ in $(seq 100); do
		[ "$(k get crd "$crd.argoproj.io" -o jsonpath='{.status.conditions[?(@.type=="Established")].status}' 2>/dev/null)" = True ] && break
		sleep 0.1
	done
done
k create namespace argocd >/dev/null
sed "s|REPO|$repo|" hack/demo/apps.yaml | k apply -f - >/dev/null

bin/capstan run --kubeconfig "$kubeconfig" --namespace argocd --leader-elect=false \
	--server-address 127.0.0.1:18080 --metrics-bind-address 127.0.0.1:18082 --health-probe-bind-address 127.0.0.1:18081 \
	--cache-dir "$dir/cache" >"$dir/capstan.log" 2>&1 &
capstan_pid=$!
echo "capstan is running (log: $dir/capstan.log); waiting for the Applications to converge"

began=$(date +%s)
while :; do
	k get apps -n argocd
	ready=$(k get apps -n argocd -o jsonpath='{range .items[*]}{.status.sync.status}/{.status.health.status}{"\n"}{end}' | grep -c '^Synced/Healthy$' || true)
	if [ "$ready" = 4 ]; then
		echo "all 4 Applications Synced and Healthy after $(( $(date +%s) - began ))s"
		break
	fi
	if ! kill -0 "$capstan_pid" 2>/dev/null; then
		echo "capstan stopped; its log:"; tail -20 "$dir/capstan.log"; exit 1
	fi
	if [ $(( $(date +%s) - began )) -gt 180 ]; then
		echo "not converged after 180s; capstan's log:"; tail -20 "$dir/capstan.log"; exit 1
	fi
	sleep 2
	echo
done
k get deployments,services -A -l capstan.dev/managed=true
echo
echo "API: https://127.0.0.1:18080 (self-signed certificate, in Secret argocd/argocd-secret)"
echo "log in as admin with password: $(k -n argocd get secret argocd-initial-admin-secret -o jsonpath='{.data.password}' | base64 -d)"

[ "${DEMO_EXIT:-}" = 1 ] && exit 0
echo
echo "capstan keeps the cluster in sync; try: kubectl --kubeconfig $kubeconfig -n guestbook scale deployment guestbook-ui --replicas=5"
echo "Ctrl-C stops capstan and the control plane."
wait "$capstan_pid"
