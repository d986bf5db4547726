package localkube

import (
	"path/filepath"
	"strconv"
)

// ports are the loopback ports of one cluster, chosen free at start so that
// several clusters run side by side.
type ports struct {
	etcdClient, etcdPeer, apiserver, controllerManager, scheduler, kwok int
}

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

func etcdArgs(dir string, p ports) []string {
	client := "http://" + addr(p.etcdClient)
	peer := "http://" + addr(p.etcdPeer)
	return []string{
		"--name=localkube",
		"--data-dir=" + filepath.Join(dir, "etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=localkube=" + peer,
		// The cluster is thrown away after each run: durability buys nothing
		// and fsync dominates write latency on a small machine.
		"--unsafe-no-fsync=true",
		"--quota-backend-bytes=8589934592",
		"--log-level=warn",
	}
}

func apiserverArgs(dir string, p ports, k *pki, profiling bool) []string {
	return []string{
		"--etcd-servers=http://" + addr(p.etcdClient),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(p.apiserver),
		"--tls-cert-file=" + k.servingCert,
		"--tls-private-key-file=" + k.servingKey,
		"--client-ca-file=" + k.caCert,
		"--token-auth-file=" + filepath.Join(dir, tokensFile),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + k.saPub,
		"--service-account-signing-key-file=" + k.saKey,
		"--api-audiences=https://kubernetes.default.svc.cluster.local",
		// A /12 leaves room for thousands of Services; a /24 runs out at 254.
		"--service-cluster-ip-range=10.96.0.0/12",
		// No kubelet runs here: the node-lifecycle controller is off, so
		// nothing would lift the not-ready taint this plugin puts on a new Node.
		"--disable-admission-plugins=TaintNodesByCondition",
		// The endpoints of the kubernetes Service would name a loopback
		// address, which validation refuses.
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
		"--max-requests-inflight=800",
		"--max-mutating-requests-inflight=400",
		"--profiling=" + strconv.FormatBool(profiling),
		"--v=0",
	}
}

// clientArgs are the flags shared by the controller manager and the scheduler.
func clientArgs(kubeconfig string, port int) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--leader-elect=false",
		// The defaults (20 QPS) would make these components, not the API
		// server, the limit of any scale run.
		"--kube-api-qps=1000",
		"--kube-api-burst=2000",
		"--v=0",
	}
}

func controllerManagerArgs(kubeconfig string, p ports, k *pki) []string {
	return append(clientArgs(kubeconfig, p.controllerManager),
		"--controllers=*,-node-lifecycle-controller",
		"--root-ca-file="+k.caCert,
		"--service-account-private-key-file="+k.saKey,
		"--concurrent-deployment-syncs=20",
		"--concurrent-replicaset-syncs=20",
		"--concurrent-gc-syncs=50",
		"--concurrent-namespace-syncs=20",
	)
}

func schedulerArgs(kubeconfig string, p ports) []string {
	return clientArgs(kubeconfig, p.scheduler)
}

func kwokArgs(kubeconfig, stages string, p ports) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--config=" + stages,
		"--manage-all-nodes=true",
		"--server-address=" + addr(p.kwok),
		"--node-port=" + strconv.Itoa(p.kwok),
		"--node-ip=127.0.0.1",
		"--cidr=10.244.0.0/16",
		"--node-lease-duration-seconds=40",
	}
}
