package shard

import (
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/pflag"
)

// Environment variables Argo CD's application controller reads; capstan
// reads the same ones, so that a StatefulSet written for it carries over.
const (
	EnvReplicas  = "ARGOCD_CONTROLLER_REPLICAS"
	EnvShard     = "ARGOCD_CONTROLLER_SHARD"
	EnvAlgorithm = "ARGOCD_CONTROLLER_SHARDING_ALGORITHM"
	// ParamAlgorithm is the key of argocd-cmd-params-cm naming the
	// algorithm; the flag or the environment wins over it.
	ParamAlgorithm = "controller.sharding.algorithm"
)

// Options are a replica's sharding flags. Their defaults come from the
// environment.
type Options struct {
	// Shards is the number of shards (Argo CD's replicas); 1 means no
	// sharding.
	Shards int
	// Shard is this replica's shard; -1 means from the hostname's
	// StatefulSet ordinal.
	Shard int
	// Algorithm is empty for argocd-cmd-params-cm's, else legacy.
	Algorithm string
}

// BindFlags adds --shards, --shard and --sharding-algorithm, defaulting to
// the environment variables.
func (o *Options) BindFlags(fs *pflag.FlagSet) {
	fs.IntVar(&o.Shards, "shards", envInt(EnvReplicas, 1), "number of shards the destination clusters are divided into, one per replica (default $"+EnvReplicas+", else 1: no sharding)")
	fs.IntVar(&o.Shard, "shard", envInt(EnvShard, -1), "this replica's shard, from 0 (default $"+EnvShard+", else the ordinal at the end of the hostname, as in a StatefulSet)")
	fs.StringVar(&o.Algorithm, "sharding-algorithm", os.Getenv(EnvAlgorithm), "legacy, round-robin or consistent-hashing (default $"+EnvAlgorithm+", else "+ParamAlgorithm+" of argocd-cmd-params-cm, else legacy)")
}

// envInt is the integer in the environment variable name, or def when it
// is unset or not a number.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

// Config is the sharding a replica runs with.
type Config struct {
	Shards    int
	Shard     int
	Algorithm Algorithm
}

// Enabled reports whether clusters are divided at all.
func (c Config) Enabled() bool { return c.Shards > 1 }

// Resolve completes the options: the shard from hostname when not given,
// the algorithm from param (argocd-cmd-params-cm) when not given.
func (o Options) Resolve(hostname, param string) (Config, error) {
	c := Config{Shards: max(o.Shards, 1), Shard: o.Shard}
	alg := o.Algorithm
	if alg == "" {
		alg = param
	}
	var err error
	if c.Algorithm, err = ParseAlgorithm(alg); err != nil {
		return Config{}, err
	}
	if c.Shards == 1 {
		c.Shard = 0
		return c, nil
	}
	if c.Shard < 0 {
		if c.Shard, err = Ordinal(hostname); err != nil {
			return Config{}, err
		}
	}
	if c.Shard >= c.Shards {
		return Config{}, fmt.Errorf("shard %d does not exist: there are %d shards (0 to %d)", c.Shard, c.Shards, c.Shards-1)
	}
	return c, nil
}
