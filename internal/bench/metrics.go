package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// sample is one series of a Prometheus text exposition.
type sample struct {
	name   string
	labels map[string]string
	value  float64
	// hist is a histogram's parsed form, value then its count; read
	// its buckets with bucketsOf, only where needed: most scrapes are
	// of capstan, whose thousands of histograms the benchmark never reads.
	hist *dto.Histogram
}

// samples is a scraped exposition.
type samples []sample

// parseMetrics reads the Prometheus text format.
func parseMetrics(r io.Reader) (samples, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	var out samples
	for name, fam := range fams {
		for _, m := range fam.GetMetric() {
			labels := make(map[string]string, len(m.GetLabel()))
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			var v float64
			var h *dto.Histogram
			switch {
			case m.Counter != nil:
				v = m.GetCounter().GetValue()
			case m.Gauge != nil:
				v = m.GetGauge().GetValue()
			case m.Untyped != nil:
				v = m.GetUntyped().GetValue()
			case m.Histogram != nil:
				v = float64(m.GetHistogram().GetSampleCount())
				h = m.GetHistogram()
			default:
				continue
			}
			out = append(out, sample{name: name, labels: labels, value: v, hist: h})
		}
	}
	return out, nil
}

// bucketsOf reads a classic histogram's cumulative buckets.
func bucketsOf(h *dto.Histogram) histogram {
	bounds := make([]float64, len(h.GetBucket()))
	counts := make([]float64, len(h.GetBucket()))
	for i, b := range h.GetBucket() {
		bounds[i], counts[i] = b.GetUpperBound(), float64(b.GetCumulativeCount())
	}
	return histogramOf(bounds, counts, float64(h.GetSampleCount()))
}

// sum adds the series of a metric whose labels match every pair of match.
func (s samples) sum(name string, match map[string]string) float64 {
	total := 0.0
	for _, x := range s {
		if x.name != name {
			continue
		}
		ok := true
		for k, v := range match {
			if x.labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			total += x.value
		}
	}
	return total
}

// by adds a metric's series up by the value of one label.
func (s samples) by(name, label string, keep func(map[string]string) bool) map[string]float64 {
	out := map[string]float64{}
	for _, x := range s {
		if x.name == name && (keep == nil || keep(x.labels)) {
			out[x.labels[label]] += x.value
		}
	}
	return out
}

// scrapeAPIServer reads the API server's /metrics as the admin.
func (c *cluster) scrapeAPIServer(ctx context.Context) (samples, error) {
	body, err := c.cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the API server's /metrics: %w", err)
	}
	return parseMetrics(bytes.NewReader(body))
}

// scrapeHTTP reads a /metrics endpoint, uncompressed: on loopback gzip
// only costs the measured process CPU (a third of capstan's while it
// served the benchmark's scrapes at 1000 apps).
func scrapeHTTP(ctx context.Context, url string) (samples, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read %s: %s", url, resp.Status)
	}
	return parseMetrics(resp.Body)
}

// apiCounts are capstan's requests as the API server counted them, by verb
// (through the FlowSchemas), and the dry-run writes of the managed kinds.
type apiCounts struct {
	ByVerb map[string]float64
	// DryRun counts dry-run mutating requests on the kinds capstan
	// manages; only capstan sends those, so they are capstan's.
	DryRun float64
}

// apiServerCounts reads capstan's request counts from the API server.
func (c *cluster) apiServerCounts(ctx context.Context) (apiCounts, error) {
	s, err := c.scrapeAPIServer(ctx)
	if err != nil {
		return apiCounts{}, err
	}
	out := apiCounts{ByVerb: map[string]float64{}}
	byFS := s.by("apiserver_flowcontrol_dispatched_requests_total", "flow_schema", nil)
	for _, vs := range verbSchemas {
		out.ByVerb[vs.verb] = byFS[vs.name]
	}
	out.DryRun = s.sum("apiserver_request_total", map[string]string{"dry_run": "All"})
	return out, nil
}

// sub returns the requests counted between before and c.
func (c apiCounts) sub(before apiCounts) apiCounts {
	out := apiCounts{ByVerb: map[string]float64{}, DryRun: c.DryRun - before.DryRun}
	for k, v := range c.ByVerb {
		out.ByVerb[k] = v - before.ByVerb[k]
	}
	return out
}

// total is the number of requests of every verb.
func (c apiCounts) total() float64 {
	t := 0.0
	for _, v := range c.ByVerb {
		t += v
	}
	return t
}

// writes counts the requests that may change state: status writes and
// every mutating verb, dry runs included.
func (c apiCounts) writes() float64 {
	w := 0.0
	for k, v := range c.ByVerb {
		switch k {
		case "status-write", "event-write", "create", "update", "patch", "delete":
			w += v
		}
	}
	return w
}

// clientCounts are capstan's own count of its requests, by HTTP method
// (controller-runtime's rest_client_requests_total).
func clientCounts(s samples) map[string]float64 {
	return s.by("rest_client_requests_total", "method", nil)
}

// subMap returns after-before per key.
func subMap(after, before map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}
