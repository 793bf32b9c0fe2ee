package sim

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits are throttling limits the simulator imposes, as Azure does on real
// tenants (AZURE.md §8). Like latency and faults they are a setting of the
// run, read from the scenario and never stored in a state file; the demo
// tenant has none. In a scenario file:
//
//	limits:
//	  graph:   {quota: 15, window: 5s}             # Resource Graph, per user
//	  compute: {perSubscription: 200, window: 3m}  # Compute reads, per subscription
//
// Graph: every Resource Graph query answer carries x-ms-user-quota-remaining
// (queries left in the window) and x-ms-user-quota-resets-after (hh:mm:ss
// until the window resets; whole seconds rounded up, or with a fraction,
// hh:mm:ss.fffffff, when the window is not a whole number of seconds, which
// only tests use). Past the quota the query is answered 429 RateLimiting with
// Retry-After (whole seconds, rounded up) and the same headers.
//
// Compute: every GET of a VM or of one of its children (instance view,
// extensions, run commands: Compute's Low Cost Get bucket) counts against its
// subscription's window and is answered with
// x-ms-ratelimit-remaining-resource:
// "Microsoft.Compute/LowCostGet3Min;N,Microsoft.Compute/LowCostGet30Min;M"
// (the first is the window, the second ten windows with ten times the
// reads). Past either the read is answered 429 OperationNotAllowed with
// Retry-After. VM lists (High Cost Get) and operation polls do not count.
//
// Windows are fixed: one starts at the first request after the previous one
// ended.
type Limits struct {
	Graph   *GraphLimit
	Compute *ComputeLimit
}

// GraphLimit is Resource Graph's per-user quota: Quota queries per Window.
type GraphLimit struct {
	Quota  int
	Window time.Duration
}

// ComputeLimit is Compute's per-subscription read bucket: PerSubscription
// reads per Window.
type ComputeLimit struct {
	PerSubscription int
	Window          time.Duration
}

// validate refuses limits that cannot be imposed.
func (l *Limits) validate() error {
	if l == nil {
		return nil
	}
	if g := l.Graph; g != nil && (g.Quota <= 0 || g.Window <= 0) {
		return fmt.Errorf("limits.graph needs a quota and a window above zero")
	}
	if c := l.Compute; c != nil && (c.PerSubscription <= 0 || c.Window <= 0) {
		return fmt.Errorf("limits.compute needs perSubscription and a window above zero")
	}
	return nil
}

// window is a fixed-window request counter.
type window struct {
	quota int
	size  time.Duration
	start time.Time
	used  int
}

// take counts a request at now; it returns what is left after it, when the
// window resets, and false when the quota was already spent.
func (w *window) take(now time.Time) (left int, resetsIn time.Duration, ok bool) {
	if w.start.IsZero() || !now.Before(w.start.Add(w.size)) {
		w.start, w.used = now, 0
	}
	resetsIn = w.start.Add(w.size).Sub(now)
	if w.used >= w.quota {
		return 0, resetsIn, false
	}
	w.used++
	return w.quota - w.used, resetsIn, true
}

// limiter imposes a run's Limits; nil imposes none.
type limiter struct {
	now func() time.Time
	l   Limits

	mu      sync.Mutex
	graph   window
	compute map[string]*[2]window // subscription -> 3-minute-style and 30-minute-style windows
}

func newLimiter(l *Limits, now func() time.Time) *limiter {
	if l == nil || (l.Graph == nil && l.Compute == nil) {
		return nil
	}
	lim := &limiter{now: now, l: *l, compute: map[string]*[2]window{}}
	if g := l.Graph; g != nil {
		lim.graph = window{quota: g.Quota, size: g.Window}
	}
	return lim
}

// admit counts a request against the limits. It returns headers for the
// answer, or the 429 to answer instead.
func (lim *limiter) admit(method string, u *url.URL, info reqInfo) (http.Header, *armError) {
	if lim == nil {
		return nil, nil
	}
	switch {
	case lim.l.Graph != nil && isGraphQuery(method, u):
		lim.mu.Lock()
		left, resets, ok := lim.graph.take(lim.now())
		lim.mu.Unlock()
		h := http.Header{}
		h.Set("x-ms-user-quota-remaining", strconv.Itoa(left))
		h.Set("x-ms-user-quota-resets-after", timeSpan(resets, lim.l.Graph.Window))
		if !ok {
			h.Set("Retry-After", retryAfterSeconds(resets))
			return nil, &armError{status: http.StatusTooManyRequests, code: "RateLimiting", header: h,
				message: fmt.Sprintf("Please provide below info when asking for support: timestamp = %s. Details: Rate limit exceeded (quota %d per %s).",
					lim.now().UTC().Format(time.RFC3339), lim.l.Graph.Quota, lim.l.Graph.Window)}
		}
		return h, nil
	case lim.l.Compute != nil && isComputeRead(method, u) && info.sub != "":
		c := lim.l.Compute
		lim.mu.Lock()
		ws := lim.compute[strings.ToLower(info.sub)]
		if ws == nil {
			ws = &[2]window{{quota: c.PerSubscription, size: c.Window}, {quota: 10 * c.PerSubscription, size: 10 * c.Window}}
			lim.compute[strings.ToLower(info.sub)] = ws
		}
		now := lim.now()
		// Both buckets count the request; either being spent refuses it.
		l3, r3, ok3 := ws[0].take(now)
		l30, r30, ok30 := ws[1].take(now)
		lim.mu.Unlock()
		h := http.Header{}
		h.Set("x-ms-ratelimit-remaining-resource", fmt.Sprintf("Microsoft.Compute/LowCostGet3Min;%d,Microsoft.Compute/LowCostGet30Min;%d", l3, l30))
		if ok3 && ok30 {
			return h, nil
		}
		group, wait := "LowCostGet3Min", r3
		if !ok30 {
			group, wait = "LowCostGet30Min", r30
		}
		h.Set("Retry-After", retryAfterSeconds(wait))
		return nil, &armError{status: http.StatusTooManyRequests, code: "OperationNotAllowed", header: h,
			message: "The server rejected the request because too many requests have been received for this subscription.",
			details: []armError{{code: "TooManyRequests", message: fmt.Sprintf(`{"operationGroup":%q,"allowedRequestCount":%d}`, group, c.PerSubscription)}}}
	}
	return nil, nil
}

// isGraphQuery reports a Resource Graph query (POST .../Microsoft.ResourceGraph/resources).
func isGraphQuery(method string, u *url.URL) bool {
	return method == http.MethodPost && strings.HasSuffix(strings.ToLower(strings.TrimRight(u.Path, "/")), "/providers/microsoft.resourcegraph/resources")
}

// isComputeRead reports a Low Cost Get: a GET of one VM or one of its children.
func isComputeRead(method string, u *url.URL) bool {
	if method != http.MethodGet {
		return false
	}
	lp := strings.ToLower(strings.TrimRight(u.Path, "/"))
	const vms = "/providers/microsoft.compute/virtualmachines/"
	i := strings.Index(lp, vms)
	return i >= 0 && len(lp) > i+len(vms)
}

// timeSpan writes d as hh:mm:ss: whole seconds rounded up when the window is
// a whole number of seconds (as Azure writes it), else with seven decimals.
func timeSpan(d, window time.Duration) string {
	if d < 0 {
		d = 0
	}
	if window%time.Second == 0 {
		d = (d + time.Second - 1).Truncate(time.Second)
		s := int64(d / time.Second)
		return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	s := int64(d / time.Second)
	frac := int64(d%time.Second) / 100
	return fmt.Sprintf("%02d:%02d:%02d.%07d", s/3600, s/60%60, s%60, frac)
}
