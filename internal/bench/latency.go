package bench

import (
	"context"
	"math"
	"slices"
)

// histogram is a cumulative Prometheus histogram: each bucket counts the
// observations at or below its upper bound, the last bound is +Inf.
type histogram []bucket

type bucket struct {
	upper, count float64
}

// histogramOf converts the parsed buckets, adding the +Inf bucket when
// the exposition left it implicit.
func histogramOf(bounds, counts []float64, total float64) histogram {
	h := make(histogram, 0, len(bounds)+1)
	for i, ub := range bounds {
		h = append(h, bucket{upper: ub, count: counts[i]})
	}
	if len(h) == 0 || !math.IsInf(h[len(h)-1].upper, +1) {
		h = append(h, bucket{upper: math.Inf(+1), count: total})
	}
	return h
}

// total is the number of observations.
func (h histogram) total() float64 {
	if len(h) == 0 {
		return 0
	}
	return h[len(h)-1].count
}

// plus adds o's counts to h's, bucket by upper bound; a bound only one of
// them has is kept with the counts of the other's next bound below,
// which is what a cumulative count means there.
func (h histogram) plus(o histogram) histogram {
	var bounds []float64
	for _, b := range h {
		bounds = append(bounds, b.upper)
	}
	for _, b := range o {
		bounds = append(bounds, b.upper)
	}
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	out := make(histogram, len(bounds))
	for i, ub := range bounds {
		out[i] = bucket{upper: ub, count: h.at(ub) + o.at(ub)}
	}
	return out
}

// minus is h's observations since the earlier reading before.
func (h histogram) minus(before histogram) histogram {
	out := make(histogram, len(h))
	for i, b := range h {
		out[i] = bucket{upper: b.upper, count: b.count - before.at(b.upper)}
	}
	return out
}

// at is the cumulative count at or below ub.
func (h histogram) at(ub float64) float64 {
	c := 0.0
	for _, b := range h {
		if b.upper > ub {
			break
		}
		c = b.count
	}
	return c
}

// quantile estimates the q-quantile (0 ≤ q ≤ 1) as Prometheus'
// histogram_quantile does: find the bucket holding the rank q × total and
// interpolate linearly inside it, from the bound below (0 for the first
// bucket) to its own. A rank in the +Inf bucket gives the highest finite
// bound. NaN when there are no observations.
func (h histogram) quantile(q float64) float64 {
	if len(h) < 2 || h.total() == 0 {
		return math.NaN()
	}
	rank := q * h.total()
	i, _ := slices.BinarySearchFunc(h, rank, func(b bucket, r float64) int {
		if b.count < r {
			return -1
		}
		return 1 // the first bucket whose count reaches the rank
	})
	if i == len(h)-1 {
		return h[len(h)-2].upper
	}
	if i == 0 && h[0].upper <= 0 {
		return h[0].upper
	}
	start, below := 0.0, 0.0
	if i > 0 {
		start, below = h[i-1].upper, h[i-1].count
	}
	in := h[i].count - below
	if in == 0 {
		return h[i].upper
	}
	return start + (h[i].upper-start)*(rank-below)/in
}

// serverHists are the API server's request-duration histograms, resource
// requests only (discovery, /metrics and health checks aside), summed
// over every client, reads and writes apart; watches are not latency.
type serverHists struct {
	reads, writes histogram
}

// requestVerbs sorts the API server's verb label ("APPLY" is a
// server-side-apply PATCH) into reads and writes.
var requestVerbs = map[string]bool{
	"GET": false, "LIST": false,
	"POST": true, "PUT": true, "PATCH": true, "APPLY": true, "DELETE": true, "DELETECOLLECTION": true,
}

// serverHistsOf sums apiserver_request_duration_seconds from a scrape.
func serverHistsOf(s samples) serverHists {
	var out serverHists
	for _, x := range s {
		if x.name != "apiserver_request_duration_seconds" || x.hist == nil || x.labels["resource"] == "" {
			continue
		}
		write, ok := requestVerbs[x.labels["verb"]]
		switch {
		case !ok:
		case write:
			out.writes = out.writes.plus(bucketsOf(x.hist))
		default:
			out.reads = out.reads.plus(bucketsOf(x.hist))
		}
	}
	return out
}

func (h serverHists) minus(before serverHists) serverHists {
	return serverHists{reads: h.reads.minus(before.reads), writes: h.writes.minus(before.writes)}
}

// latency summarises the window h covers, under a phase's name.
func (h serverHists) latency(phase string) ServerLatency {
	return ServerLatency{Phase: phase, Reads: summariseHist(h.reads), Writes: summariseHist(h.writes)}
}

func summariseHist(h histogram) HistLatency {
	n := h.total()
	if n == 0 {
		return HistLatency{}
	}
	return HistLatency{N: n, P50: h.quantile(0.50), P99: h.quantile(0.99)}
}

// serverHists reads the API server's request-duration histograms.
func (c *cluster) serverHists(ctx context.Context) (serverHists, error) {
	s, err := c.scrapeAPIServer(ctx)
	if err != nil {
		return serverHists{}, err
	}
	return serverHistsOf(s), nil
}
