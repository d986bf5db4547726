package bench

import (
	"slices"
	gosync "sync"
	"time"
)

// cpuTraceEvery is how often a cpuTrace reads the processes' CPU time:
// often enough for the tenths of a W1 cold sync (some 5 s each), at a
// cost of reading a few /proc files.
const cpuTraceEvery = 250 * time.Millisecond

// cpuTrace reads every process's CPU time (readCPU) at cpuTraceEvery
// while a phase runs, so that the timeline can say how busy the machine
// was in each tenth of it, and with what.
type cpuTrace struct {
	dir        string
	capstanPID int
	stop, done chan struct{}
	ended      gosync.Once
	samples    []cpuSample
	err        error
}

// cpuSample is one reading and when it was taken.
type cpuSample struct {
	at time.Time
	r  cpuReading
}

// traceCPU starts a trace of the control plane in dir, capstan (pid 0:
// none) and the benchmark, with a first reading taken before it returns.
func traceCPU(dir string, capstanPID int) *cpuTrace {
	t := &cpuTrace{dir: dir, capstanPID: capstanPID, stop: make(chan struct{}), done: make(chan struct{})}
	t.read()
	go func() {
		defer close(t.done)
		tick := time.NewTicker(cpuTraceEvery)
		defer tick.Stop()
		for t.err == nil {
			select {
			case <-t.stop:
				return
			case <-tick.C:
				t.read()
			}
		}
	}()
	return t
}

func (t *cpuTrace) read() {
	if t.err != nil {
		return
	}
	r, err := readCPU(t.dir, t.capstanPID)
	if err != nil {
		t.err = err
		return
	}
	t.samples = append(t.samples, cpuSample{at: time.Now(), r: r})
}

// end stops the trace after a last reading, and returns its samples or
// the first reading that failed. Calls after the first only return them.
func (t *cpuTrace) end() ([]cpuSample, error) {
	t.ended.Do(func() {
		close(t.stop)
		<-t.done
		t.read()
	})
	return t.samples, t.err
}

// addCores sets, on each point of a timeline begun at start, the cores
// that all processes, kube-apiserver, and capstan with its render workers
// kept busy over the tenth that ends at the point, from samples taken
// across it. A moment between two samples takes a CPU time in proportion
// between theirs; the points keep no cores when the samples do not
// bracket the timeline.
func addCores(tl []TimelinePoint, start time.Time, samples []cpuSample) {
	if len(samples) < 2 || len(tl) == 0 || samples[0].at.After(start) ||
		samples[len(samples)-1].at.Before(start.Add(seconds(tl[len(tl)-1].Seconds))) {
		return
	}
	series := []func(cpuReading) float64{
		func(r cpuReading) float64 { return cpuTotal(r) },
		func(r cpuReading) float64 { return r[cpuAPIServer] },
		func(r cpuReading) float64 { return r[cpuCapstan] + r[cpuWorkers] },
	}
	prev := 0.0
	for i := range tl {
		p := &tl[i]
		span := p.Seconds - prev
		if span <= 0 {
			continue
		}
		from, to := start.Add(seconds(prev)), start.Add(seconds(p.Seconds))
		cores := make([]float64, len(series))
		for j, f := range series {
			cores[j] = (cpuAt(samples, to, f) - cpuAt(samples, from, f)) / span
		}
		p.Cores, p.APIServerCores, p.CapstanCores = cores[0], cores[1], cores[2]
		prev = p.Seconds
	}
}

// cpuAt is f of the reading at t, between the samples around it
// (samples bracket t, in order of time).
func cpuAt(samples []cpuSample, t time.Time, f func(cpuReading) float64) float64 {
	i, _ := slices.BinarySearchFunc(samples, t, func(s cpuSample, t time.Time) int { return s.at.Compare(t) })
	if i == 0 {
		return f(samples[0].r)
	}
	if i == len(samples) {
		return f(samples[i-1].r)
	}
	a, b := samples[i-1], samples[i]
	share := float64(t.Sub(a.at)) / float64(b.at.Sub(a.at))
	return f(a.r) + share*(f(b.r)-f(a.r))
}

// seconds is s seconds as a Duration.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
