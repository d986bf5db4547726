package bench

import (
	"math"
	"slices"
	"time"
)

// Result holds every figure of a run; it is what --json writes.
type Result struct {
	Scale    Scale     `json:"scale"`
	Capstan  Capstan   `json:"capstan"`
	Machine  Machine   `json:"machine"`
	Settings Settings  `json:"settings"`
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"`

	Ceiling  *Ceiling  `json:"ceiling,omitempty"`
	ColdSync *ColdSync `json:"coldSync,omitempty"`
	// Rounds are every measurement of the ceiling and the cold sync, this
	// run's last (see Options.Rounds).
	Rounds  []Round  `json:"rounds,omitempty"`
	Idle    *Idle    `json:"idle,omitempty"`
	Change  *Change  `json:"change,omitempty"`
	Drift   *Drift   `json:"drift,omitempty"`
	Restart *Restart `json:"restart,omitempty"`
	Memory  *Memory  `json:"memory,omitempty"`
	// APIServer is the API server's own request latency in the
	// ceiling's full apply loop and in each phase of capstan's run.
	APIServer []ServerLatency `json:"apiServerLatency,omitempty"`
}

// ServerLatency is the API server's own latency in a window, from the
// deltas of its apiserver_request_duration_seconds histogram over every
// client: resource requests, reads (GET, LIST) and writes (POST, PUT,
// PATCH, APPLY, DELETE) apart, watches aside.
type ServerLatency struct {
	Phase  string      `json:"phase"`
	Reads  HistLatency `json:"reads"`
	Writes HistLatency `json:"writes"`
}

// HistLatency is a request count and quantiles in seconds, interpolated
// within the histogram's buckets.
type HistLatency struct {
	N   float64 `json:"n"`
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
}

// serverLatency returns the figures of phase, if measured.
func (r *Result) serverLatency(phase string) (ServerLatency, bool) {
	for _, l := range r.APIServer {
		if l.Phase == phase {
			return l, true
		}
	}
	return ServerLatency{}, false
}

// Scale is the size of the workload.
type Scale struct {
	Apps           int `json:"apps"`
	ObjectsPerApp  int `json:"objectsPerApp"`
	Objects        int `json:"objects"`
	ConfigMapBytes int `json:"configMapBytes"`
}

// Capstan identifies the binary measured: its own version line, which
// names the commit it was built from, and the commit of the checkout the
// benchmark ran in.
type Capstan struct {
	Version  string `json:"version"`
	Checkout string `json:"checkout"`
}

// Settings are the knobs of the run.
type Settings struct {
	PollInterval       float64  `json:"pollIntervalSeconds"`
	PollChangeInterval float64  `json:"pollChangeIntervalSeconds"`
	Workers            int      `json:"workers"`
	CapstanArgs        []string `json:"capstanArgs,omitempty"`
	DriftFraction      float64  `json:"driftFraction"`
	ChangeFraction     float64  `json:"changeFraction"`
}

// Ceiling is R_max: a bare server-side-apply loop over the W1 objects.
type Ceiling struct {
	Concurrency      int     `json:"concurrency"`
	Objects          int     `json:"objects"`
	Namespaces       int     `json:"namespaces"`
	Seconds          float64 `json:"seconds"`
	ObjectsPerSecond float64 `json:"objectsPerSecond"`
	Probes           []Probe `json:"probes"`
	// AvailableSeconds is from the start of the full run to its last
	// Deployment Available, after the loop waited (bounded) for them;
	// Available counts those that became so, of Namespaces.
	AvailableSeconds float64 `json:"availableSeconds"`
	Available        int     `json:"available"`
	// CPU is what each process used from the start of the full run to
	// its last Deployment Available, in seconds (see readCPU).
	CPU map[string]float64 `json:"cpuByProcess,omitempty"`
	// Profiles are the API server's CPU profiles over the same window,
	// with Options.APIServerProfiles.
	Profiles []string `json:"apiServerProfiles,omitempty"`
}

// Probe is a short apply loop at one concurrency.
type Probe struct {
	Concurrency      int     `json:"concurrency"`
	Objects          int     `json:"objects"`
	Seconds          float64 `json:"seconds"`
	ObjectsPerSecond float64 `json:"objectsPerSecond"`
}

// Requests are capstan's API requests in a window: by verb as the API
// server counted them, and by method as capstan's client counted them.
type Requests struct {
	ByVerb      map[string]float64 `json:"byVerb"`
	Total       float64            `json:"total"`
	Writes      float64            `json:"writes"`
	DryRun      float64            `json:"dryRunWrites"`
	Client      map[string]float64 `json:"clientByMethod,omitempty"`
	ClientTotal float64            `json:"clientTotal"`
}

// ColdSync is W1 from no Application to all Synced and Healthy.
type ColdSync struct {
	Seconds        float64 `json:"seconds"`
	CreateSeconds  float64 `json:"createSeconds"`
	ImpliedSeconds float64 `json:"impliedSeconds"`
	Ratio          float64 `json:"ratio"`
	// AvailableRatio divides Seconds by the ceiling's time to all its
	// Deployments Available, the floor of a sync that must end Healthy.
	AvailableRatio float64 `json:"availableRatio"`
	Converged      int     `json:"converged"`
	// The breakdown, in seconds from the first Application's creation,
	// from the benchmark's watches: the first and the last of capstan's
	// Deployments to appear (its applies the watch sees),
	// and the last Deployment to become Available. Seconds is the last
	// Application Synced and Healthy.
	FirstCreatedSeconds  float64 `json:"firstCreatedSeconds"`
	LastCreatedSeconds   float64 `json:"lastCreatedSeconds"`
	LastAvailableSeconds float64 `json:"lastAvailableSeconds"`
	// Timeline is the progress at each tenth of Seconds.
	Timeline   []TimelinePoint `json:"timeline,omitempty"`
	CPUSeconds float64         `json:"cpuSeconds"`
	// CPU is what each process used from the first Application's
	// creation to the last Synced and Healthy, in seconds (see readCPU).
	CPU            map[string]float64 `json:"cpuByProcess,omitempty"`
	Requests       Requests           `json:"requests"`
	RequestsPerApp float64            `json:"requestsPerApp"`
	// MinRequestsPerApp is what the first sync of an app cannot do
	// without: see minRequestsPerApp.
	MinRequestsPerApp float64 `json:"minRequestsPerApp"`
	// Profiles are the API server's CPU profiles over the window of CPU,
	// with Options.APIServerProfiles.
	Profiles []string `json:"apiServerProfiles,omitempty"`
}

// TimelinePoint counts what had happened at Percent of a cold sync:
// Applications first Synced and Healthy, Deployments created and first
// Available. Cores is how many of the machine's cores all the processes
// (the control plane, capstan with its render workers, the benchmark)
// kept busy over the tenth that ends at the point; APIServerCores and
// CapstanCores are kube-apiserver's and capstan's parts of it.
type TimelinePoint struct {
	Percent        int     `json:"percent"`
	Seconds        float64 `json:"seconds"`
	Synced         int     `json:"syncedHealthy"`
	Created        int     `json:"deploymentsCreated"`
	Available      int     `json:"deploymentsAvailable"`
	Cores          float64 `json:"cores,omitempty"`
	APIServerCores float64 `json:"apiServerCores,omitempty"`
	CapstanCores   float64 `json:"capstanCores,omitempty"`
}

// minRequestsPerApp is the fewest API requests the first sync of a W1 app
// needs: its namespace created, one apply per object, one status write.
const minRequestsPerApp = 1 + ObjectsPerApp + 1

// against sets the time that the ceiling c implies for objects, and the
// ratio of the cold sync's time to it.
func (cs *ColdSync) against(c *Ceiling, objects int) {
	if c == nil || c.ObjectsPerSecond <= 0 {
		return
	}
	cs.ImpliedSeconds = float64(objects) / c.ObjectsPerSecond
	cs.Ratio = cs.Seconds / cs.ImpliedSeconds
}

// Round is one measurement of the ceiling and of the cold sync, each on
// a fresh control plane.
type Round struct {
	// Concurrency is the ceiling's: the probes chose it.
	Concurrency      int     `json:"concurrency"`
	CeilingSeconds   float64 `json:"ceilingSeconds"`
	ObjectsPerSecond float64 `json:"objectsPerSecond"`
	ColdSyncSeconds  float64 `json:"coldSyncSeconds"`
	Ratio            float64 `json:"ratio"`
	// The CPU-seconds of every process, and of the API server, in the
	// ceiling (its loop and the wait for the Deployments to be
	// Available) and in the cold sync: the machine's speed moves from
	// round to round, and a round's CPU tells whether the same work cost
	// more or more work was done.
	CeilingCPU           float64 `json:"ceilingCpuSeconds,omitempty"`
	CeilingAPIServerCPU  float64 `json:"ceilingApiServerCpuSeconds,omitempty"`
	ColdSyncCPU          float64 `json:"coldSyncCpuSeconds,omitempty"`
	ColdSyncAPIServerCPU float64 `json:"coldSyncApiServerCpuSeconds,omitempty"`
}

// roundOf is r's round, when r measured a cold sync ratio.
func roundOf(r *Result) (Round, bool) {
	c, cs := r.Ceiling, r.ColdSync
	if c == nil || cs == nil || cs.Ratio <= 0 {
		return Round{}, false
	}
	return Round{
		Concurrency: c.Concurrency, CeilingSeconds: c.Seconds, ObjectsPerSecond: c.ObjectsPerSecond, ColdSyncSeconds: cs.Seconds, Ratio: cs.Ratio,
		CeilingCPU: cpuTotal(c.CPU), CeilingAPIServerCPU: c.CPU[cpuAPIServer],
		ColdSyncCPU: cpuTotal(cs.CPU), ColdSyncAPIServerCPU: cs.CPU[cpuAPIServer],
	}, true
}

// ratioSpread is the median, the lowest and the highest ratio of rounds
// (at least one).
func ratioSpread(rounds []Round) (median, lo, hi float64) {
	ratios := make([]float64, len(rounds))
	for i, r := range rounds {
		ratios[i] = r.Ratio
	}
	slices.Sort(ratios)
	n := len(ratios)
	median = ratios[n/2]
	if n%2 == 0 {
		median = (ratios[n/2-1] + ratios[n/2]) / 2
	}
	return median, ratios[0], ratios[n-1]
}

// Idle is a window in which nothing changes.
type Idle struct {
	Seconds          float64  `json:"seconds"`
	Requests         Requests `json:"requests"`
	StatusWrites     float64  `json:"statusWrites"`
	LsRemote         int      `json:"lsRemote"`
	Fetch            int      `json:"fetch"`
	ExpectedLsRemote float64  `json:"expectedLsRemote"`
	CPUSeconds       float64  `json:"cpuSeconds"`
}

// Latency summarises latencies in seconds.
type Latency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Change is commit-to-applied latency.
type Change struct {
	// Single is one commit per app touching one app each, through the webhook.
	Single Latency `json:"single"`
	// Batch is one commit touching ChangeFraction of the apps, webhook.
	Batch         Latency  `json:"batch"`
	BatchRequests Requests `json:"batchRequests"`
	// RequestsPerApp is BatchRequests per changed app, one object each.
	RequestsPerApp float64 `json:"requestsPerApp"`
	// Cost decomposes BatchRequests against the target.
	Cost ChangeCost `json:"batchCost"`
	// Poll is the same batch size through polling alone.
	Poll Latency `json:"poll"`
}

// ChangeCost decomposes the requests of the batch change against the
// target of DESIGN.md §5: per changed app (one changed object each) at
// most 2 requests besides status writes, and at most one status write per
// app whose status really changed. A push refreshes every app of the
// repository, so the status.sync.revision of apps with nothing changed
// moves too: those writes are kept apart.
type ChangeCost struct {
	ChangedApps int `json:"changedApps"`
	// Requests per changed app as the API server counted them: patches
	// (server-side applies), reads (get, list), Event writes (capstan
	// records Events on Applications; --record-events=false turns them
	// off) and other non-watch verbs but status writes. Watches are
	// renewals of informers, counted apart.
	AppliesPerApp float64 `json:"appliesPerApp"`
	ReadsPerApp   float64 `json:"readsPerApp"`
	EventsPerApp  float64 `json:"eventsPerApp"`
	OtherPerApp   float64 `json:"otherPerApp"`
	Watches       float64 `json:"watches"`
	// StatusWrites are the status writes the API server counted; the
	// rest are stored writes seen on the Applications' watch (moves of
	// their resourceVersion), by whose: changed apps, apps whose only
	// change was status.sync.revision, and any other app.
	StatusWrites       float64 `json:"statusWrites"`
	ChangedAppsWritten int     `json:"changedAppsWritten"`
	ChangedAppWrites   int     `json:"changedAppWrites"`
	RevisionOnlyApps   int     `json:"revisionOnlyApps"`
	RevisionOnlyWrites int     `json:"revisionOnlyWrites"`
	OtherApps          int     `json:"otherApps"`
	OtherWrites        int     `json:"otherWrites"`
}

// RequestsPerApp is the requests per changed app besides status writes
// and watches, Events included; the target is 2.
func (c ChangeCost) RequestsPerApp() float64 {
	return c.AppliesPerApp + c.ReadsPerApp + c.EventsPerApp + c.OtherPerApp
}

// StatusChangedApps are the apps whose status had a reason to change:
// the changed apps written and those whose sync revision moved. One
// status write each is the target; the writes of other apps are excess.
func (c ChangeCost) StatusChangedApps() int { return c.ChangedAppsWritten + c.RevisionOnlyApps }

// StoredWrites are the Application writes seen on the watch.
func (c ChangeCost) StoredWrites() int {
	return c.ChangedAppWrites + c.RevisionOnlyWrites + c.OtherWrites
}

// Met reports whether the change met the target.
func (c ChangeCost) Met() bool {
	return c.ChangedApps > 0 && c.RequestsPerApp() <= 2 && c.StatusWrites <= float64(c.StatusChangedApps())
}

// Drift is the time until capstan reverts edits by another client.
type Drift struct {
	Objects int      `json:"objects"`
	Latency Latency  `json:"latency"`
	Request Requests `json:"requests"`
}

// RequestsPerObject is the drift phase's requests per object reverted,
// watch renewals aside.
func (d Drift) RequestsPerObject() float64 {
	if d.Objects == 0 {
		return 0
	}
	return (d.Request.Total - d.Request.ByVerb["watch"]) / float64(d.Objects)
}

// Restart is a stop and start of capstan while all is in sync.
type Restart struct {
	StopSeconds       float64  `json:"stopSeconds"`
	ReadySeconds      float64  `json:"readySeconds"`
	ReconciledSeconds float64  `json:"reconciledSeconds"`
	Requests          Requests `json:"requests"`
	// Changed counts Applications and managed objects whose
	// resourceVersion moved: writes that were stored.
	Changed int `json:"changed"`
}

// Memory is capstan's resident memory: that of its process and of its
// render workers, which are processes of the same binary.
//
// The budget is judged on what the machine gives them: the highest PSS
// sampled of the process and its live workers (every 250 ms), which counts
// once each page they share, and capstan's own VmHWM, which the kernel
// keeps and no sample can miss. PeakBytes and RestartPeakBytes add every
// process's VmHWM instead: they count a shared page once per process that
// maps it and add tops that came at different moments, so they err high.
type Memory struct {
	PeakBytes        int64 `json:"peakBytes"`
	SteadyBytes      int64 `json:"steadyBytes"`
	RestartPeakBytes int64 `json:"restartPeakBytes"`
	BudgetBytes      int64 `json:"budgetBytes"`
	// SelfPeakBytes is the first process's VmHWM, its workers aside, or
	// its highest VmRSS sampled where that is higher, as PeakBytes is
	// with its workers (VmHWM read at the end has come out under an
	// earlier sample); PeakPSSBytes the highest PSS sampled of it and its
	// workers, which counts the pages they share (the binary's) once.
	SelfPeakBytes int64 `json:"selfPeakBytes"`
	PeakPSSBytes  int64 `json:"peakPssBytes"`
	// RestartSelfPeakBytes and RestartPeakPSSBytes are the same of the
	// restarted process, from its start to the memory phase.
	RestartSelfPeakBytes int64 `json:"restartSelfPeakBytes"`
	RestartPeakPSSBytes  int64 `json:"restartPeakPssBytes"`
	// PeakPhase names the phase in which the highest VmRSS of the first
	// process and its workers was sampled; SelfPeakPhase the phase of
	// the highest VmRSS of that process alone. They are the phases of the
	// highest samples, one every 250 ms: a shorter top in another phase
	// may set VmHWM unsampled.
	PeakPhase     string `json:"peakPhase"`
	SelfPeakPhase string `json:"selfPeakPhase"`
	// SelfPeakByPhase is the highest VmRSS sampled of the first process
	// alone in each phase it ran, in their order: where the top of one
	// phase falls, another's may come close.
	SelfPeakByPhase []PhasePeak `json:"selfPeakByPhase"`
	// Resident memory split into RssAnon (heap, stacks) and RssFile
	// (mostly the binary's text): at the highest VmRSS sampled of the
	// first process (every 250 ms, cold sync to restart), at the end of
	// the idle window, and of the restarted process at the end of the run.
	Peak    RSS `json:"peakSample"`
	Steady  RSS `json:"steadySample"`
	Restart RSS `json:"restartSample"`
	// HeapProfiles are capstan's heap profiles (pprof format) at that
	// highest sample ("peak") and at the end of the idle window ("idle").
	HeapProfiles map[string]string `json:"heapProfiles,omitempty"`
	// BenchPeakBytes is the benchmark program's own VmHWM.
	BenchPeakBytes int64 `json:"benchPeakBytes"`
}

// PhasePeak is the highest VmRSS of capstan alone sampled in a phase,
// and the most of its child processes, its render workers, sampled alive
// in it: a worker that served a render lives a minute at least, so the
// samples, four a second, see it; one that failed to start, or was
// killed with a failed render, may die unseen.
type PhasePeak struct {
	Phase        string `json:"phase"`
	SelfRSSBytes int64  `json:"selfRssBytes"`
	Workers      int    `json:"renderWorkers"`
}

// RSS is one reading of VmRSS and its anonymous and file-backed parts,
// capstan's workers included; with PSS, capstan's own VmRSS and the
// number of workers alive.
type RSS struct {
	RSSBytes     int64 `json:"rssBytes"`
	AnonBytes    int64 `json:"rssAnonBytes"`
	FileBytes    int64 `json:"rssFileBytes"`
	PSSBytes     int64 `json:"pssBytes"`
	SelfRSSBytes int64 `json:"selfRssBytes"`
	Workers      int   `json:"renderWorkers"`
}

func rssOf(m memory) RSS {
	return RSS{RSSBytes: m.RSS, AnonBytes: m.Anon, FileBytes: m.File, PSSBytes: m.PSS, SelfRSSBytes: m.SelfRSS, Workers: m.Workers}
}

// summarise computes the latency percentiles of xs (nearest rank).
func summarise(xs []float64) Latency {
	if len(xs) == 0 {
		return Latency{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return Latency{N: len(s), P50: rank(0.50), P95: rank(0.95), P99: rank(0.99), Max: s[len(s)-1]}
}

// requests builds Requests from the server's and the client's counts.
func requests(server apiCounts, client map[string]float64) Requests {
	r := Requests{ByVerb: server.ByVerb, Total: server.total(), Writes: server.writes(), DryRun: server.DryRun, Client: client}
	for _, v := range client {
		r.ClientTotal += v
	}
	return r
}
