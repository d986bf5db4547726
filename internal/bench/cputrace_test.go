package bench

import (
	"math"
	"testing"
	"time"
)

// TestAddCoresByTenths checks the cores busy in each tenth of a timeline,
// from samples that neither fall on its tenths nor come at a steady pace.
func TestAddCoresByTenths(t *testing.T) {
	start := time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC)
	// kube-apiserver uses 1.5 cores for the first 5 s, then 0.5; capstan
	// 0.25 and its render workers 0.25 throughout; etcd 0.2.
	reading := func(s float64) cpuReading {
		api := 1.5 * min(s, 5)
		if s > 5 {
			api += 0.5 * (s - 5)
		}
		return cpuReading{"kube-apiserver": api, "etcd": 0.2 * s, cpuCapstan: 0.25 * s, cpuWorkers: 0.25 * s}
	}
	var samples []cpuSample
	for _, s := range []float64{-0.3, 0.4, 1.7, 2.2, 3.9, 5, 6.1, 6.3, 8.8, 10.2} {
		samples = append(samples, cpuSample{at: start.Add(seconds(s)), r: reading(s)})
	}
	var tl []TimelinePoint
	for i := 1; i <= 10; i++ {
		tl = append(tl, TimelinePoint{Percent: 10 * i, Seconds: float64(i)})
	}
	// Between samples the readings are taken as linear, so a tenth whose
	// samples straddle the change at 5 s gets no blend: the change falls
	// on a sample.
	addCores(tl, start, samples)
	for i, p := range tl {
		api := 1.5
		if i >= 5 {
			api = 0.5
		}
		want := []float64{api + 0.2 + 0.5, api, 0.5}
		got := []float64{p.Cores, p.APIServerCores, p.CapstanCores}
		for j := range want {
			if math.Abs(got[j]-want[j]) > 1e-9 {
				t.Errorf("tenth %d: cores all, API server, capstan = %.3f, want %.3f", i+1, got, want)
				break
			}
		}
	}

	// Samples that do not cover the timeline give no cores.
	short := TimelinePoint{Percent: 10, Seconds: 11}
	tl = []TimelinePoint{short}
	addCores(tl, start, samples)
	if tl[0] != short {
		t.Errorf("a tenth past the last sample got cores: %+v", tl[0])
	}
}
