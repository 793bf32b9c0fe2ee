package azure

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// Throttling on real tenants (AZURE.md §8). Three pipeline policies keep a
// fleet scan inside Azure's limits instead of tripping them:
//
//   - graphQuota (per retry, Resource Graph client only) reads
//     x-ms-user-quota-remaining and x-ms-user-quota-resets-after from every
//     answer and holds the next query back until the window resets once the
//     quota is spent (15 queries per 5 s per user by default).
//   - computeGate (per retry, every client; acts on Compute GETs) bounds the
//     reads in flight per subscription, shrinks that bound as
//     x-ms-ratelimit-remaining-resource (and ARM's
//     x-ms-ratelimit-remaining-subscription-reads) run low, and pauses the
//     whole subscription for a 429's Retry-After.
//   - longRetryAfter (per call, reads only) waits out a 429 whose Retry-After
//     is longer than azcore's MaxRetryDelay (azcore gives up on those at
//     once), up to a cap, when the context carries a ThrottleWait callback
//     (WithThrottleNotice) to say so: a wait nobody sees would look like a
//     hang. Writes are left to the applier, which waits visibly itself.

// ThrottleWait is a wait Azure's throttling imposed on a request, reported
// through the callback of WithThrottleNotice.
type ThrottleWait struct {
	// Service is "graph" (Resource Graph's per-user quota), "compute"
	// (Compute's per-subscription buckets) or "arm" (any other 429).
	Service string
	// Wait is how long the request is held back; Until is when it goes on.
	Wait  time.Duration
	Until time.Time
	// RetryAfter is true when Azure answered 429 with this Retry-After;
	// false when the client held a request back before sending it because
	// the quota Azure reported was spent.
	RetryAfter bool
}

type throttleNoticeKey struct{}

// WithThrottleNotice returns a context whose Azure calls report every wait
// imposed by throttling to fn (from any goroutine), so that a screen or a
// headless run can say "Azure asked to wait 45 s" instead of looking stuck.
func WithThrottleNotice(ctx context.Context, fn func(ThrottleWait)) context.Context {
	if fn == nil {
		return ctx
	}
	return context.WithValue(ctx, throttleNoticeKey{}, fn)
}

func notifyWait(ctx context.Context, w ThrottleWait) {
	if fn, ok := ctx.Value(throttleNoticeKey{}).(func(ThrottleWait)); ok && w.Wait > 0 {
		fn(w)
	}
}

// Throttling defaults.
const (
	// DefaultComputePerSubscription bounds the Compute reads in flight per
	// subscription. It equals ReadAgents' overall DefaultConcurrency, so a
	// scan of one subscription is as parallel as before the bound existed
	// (with 16, BenchmarkCheck's 5,000 VMs took 9.7 s instead of 7.9 s:
	// half the reads in flight once its smaller subscription was done); what keeps a subscription inside Compute's and
	// ARM's buckets is the bound shrinking as their headers run low, and the
	// pause after a 429. A larger overall concurrency stays bounded here.
	DefaultComputePerSubscription = DefaultConcurrency
	// graphMaxWait is the longest one Resource Graph query is held back for
	// its quota; past it the query goes anyway (Azure's 429 then decides).
	graphMaxWait = 60 * time.Second
	// longWaitCap is the longest Retry-After waited out past azcore's
	// MaxRetryDelay; a longer one fails with its Retry-After in the error.
	longWaitCap = 10 * time.Minute
	// longWaitTries is how many such waits one call may take.
	longWaitTries = 3
	// azcoreMaxRetryDelay is azcore's default RetryOptions.MaxRetryDelay.
	azcoreMaxRetryDelay = 60 * time.Second
)

// Header names (AZURE.md §8.1, §8.2).
const (
	hdrQuotaRemaining = "x-ms-user-quota-remaining"
	hdrQuotaResets    = "x-ms-user-quota-resets-after"
	hdrComputeLimits  = "x-ms-ratelimit-remaining-resource"
	hdrSubReads       = "x-ms-ratelimit-remaining-subscription-reads"
)

// clock is what the limiters need of time; tests replace it.
type clock struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

func realClock() clock { return clock{now: time.Now, sleep: Sleep} }

// Sleep waits d or until ctx ends (ctx's error then); d <= 0 only checks
// ctx. The limiters here and the applier's waits (steps) use it.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ---- Resource Graph --------------------------------------------------------

// graphQuota is the client-side limiter of Resource Graph queries. It
// counts queries down from the quota the last answer reported (so that
// parallel queries do not all go on the last unit) and, once none is left,
// holds each query until the window resets, at most maxWait per query.
type graphQuota struct {
	clock
	maxWait time.Duration
	// maxRetryDelay is azcore's: a 429 with a Retry-After up to it is
	// waited by azcore's retry policy, and reported here.
	maxRetryDelay time.Duration

	mu        sync.Mutex
	known     bool // a quota was reported for the current window
	remaining int
	resetAt   time.Time
}

func newGraphQuota(maxRetryDelay time.Duration) *graphQuota {
	return &graphQuota{clock: realClock(), maxWait: graphMaxWait, maxRetryDelay: maxRetryDelay}
}

// Do implements policy.Policy.
func (q *graphQuota) Do(req *policy.Request) (*http.Response, error) {
	if err := q.acquire(req.Raw().Context()); err != nil {
		return nil, err
	}
	resp, err := req.Next()
	if resp != nil {
		q.observe(resp.Header)
		if wait := retryAfter(resp.Header); resp.StatusCode == http.StatusTooManyRequests && wait > 0 && wait <= q.maxRetryDelay {
			notifyWait(req.Raw().Context(), ThrottleWait{Service: "graph", Wait: wait, Until: q.now().Add(wait), RetryAfter: true})
		}
	}
	return resp, err
}

// acquire takes one query from the quota, waiting for the window's reset
// when none is left. It returns ctx's error if ctx ends first.
func (q *graphQuota) acquire(ctx context.Context) error {
	q.mu.Lock()
	now := q.now()
	if !q.known || !now.Before(q.resetAt) {
		q.known = false // the window passed: the quota is whole again
		q.mu.Unlock()
		return ctx.Err()
	}
	if q.remaining > 0 {
		q.remaining--
		q.mu.Unlock()
		return ctx.Err()
	}
	wait := min(q.resetAt.Sub(now), q.maxWait)
	q.mu.Unlock()
	notifyWait(ctx, ThrottleWait{Service: "graph", Wait: wait, Until: now.Add(wait)})
	// One wait per query: after it the query goes, even if the reset Azure
	// announced is further away than maxWait (Azure's 429 then decides).
	return q.sleep(ctx, wait)
}

// observe takes the quota an answer reports.
func (q *graphQuota) observe(h http.Header) {
	rem, after, ok := parseGraphQuota(h)
	if !ok {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	if !q.known || !now.Before(q.resetAt) {
		q.known, q.remaining, q.resetAt = true, rem, now.Add(after)
		return
	}
	// Same window: answers to parallel queries arrive in any order; the
	// lowest count is the one that has seen the most queries.
	q.remaining = min(q.remaining, rem)
}

// parseGraphQuota reads Resource Graph's quota headers.
func parseGraphQuota(h http.Header) (remaining int, resetsAfter time.Duration, ok bool) {
	rv, tv := h.Get(hdrQuotaRemaining), h.Get(hdrQuotaResets)
	if rv == "" || tv == "" {
		return 0, 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(rv))
	if err != nil || n < 0 {
		return 0, 0, false
	}
	d, ok := parseTimeSpan(tv)
	if !ok {
		return 0, 0, false
	}
	return n, d, true
}

// parseTimeSpan reads a .NET TimeSpan as Azure writes it: hh:mm:ss, with an
// optional leading "d." and an optional fraction of a second (".fffffff").
func parseTimeSpan(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "+-") {
		return 0, false
	}
	var days int
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, false
	}
	if dh := strings.SplitN(parts[0], ".", 2); len(dh) == 2 {
		d, err := strconv.Atoi(dh[0])
		if err != nil || d < 0 {
			return 0, false
		}
		days, parts[0] = d, dh[1]
	}
	h, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	sec, err3 := strconv.ParseFloat(parts[2], 64)
	if err1 != nil || err2 != nil || err3 != nil || h < 0 || m < 0 || m > 59 || sec < 0 || sec >= 60 {
		return 0, false
	}
	total := time.Duration(days)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(sec*float64(time.Second))
	return total, true
}

// ---- Compute ---------------------------------------------------------------

// computeGate bounds Compute reads per subscription. The bound is perSub
// while the buckets are unknown or full, shrinks to half of what the lowest
// reported bucket has left (never below one request at a time), and a 429
// closes the subscription's gate for its Retry-After so that the other
// workers wait with it instead of collecting 429s of their own.
type computeGate struct {
	clock
	perSub int

	mu   sync.Mutex
	subs map[string]*subGate
}

type subGate struct {
	inflight, peak int
	remaining      int // lowest bucket left as last reported; -1 unknown
	pausedUntil    time.Time
	wake           chan struct{} // closed when a request finishes or the gate changes
}

func newComputeGate(perSub int) *computeGate {
	if perSub <= 0 {
		perSub = DefaultComputePerSubscription
	}
	return &computeGate{clock: realClock(), perSub: perSub, subs: map[string]*subGate{}}
}

// computeRead returns the subscription of a Compute read, or "".
func computeRead(r *http.Request) string {
	if r.Method != http.MethodGet {
		return ""
	}
	p := r.URL.Path
	lp := strings.ToLower(p)
	if !strings.Contains(lp, "/providers/microsoft.compute/") || !strings.HasPrefix(lp, "/subscriptions/") {
		return ""
	}
	rest := p[len("/subscriptions/"):]
	if i := strings.IndexByte(rest, '/'); i > 0 {
		return strings.ToLower(rest[:i])
	}
	return ""
}

// Do implements policy.Policy.
func (g *computeGate) Do(req *policy.Request) (*http.Response, error) {
	sub := computeRead(req.Raw())
	if sub == "" {
		return req.Next()
	}
	ctx := req.Raw().Context()
	if err := g.acquire(ctx, sub); err != nil {
		return nil, err
	}
	resp, err := req.Next()
	g.release(ctx, sub, resp)
	return resp, err
}

func (g *computeGate) gate(sub string) *subGate {
	s := g.subs[sub]
	if s == nil {
		s = &subGate{remaining: -1, wake: make(chan struct{})}
		g.subs[sub] = s
	}
	return s
}

// limit is how many reads may be in flight in a subscription now.
func (g *computeGate) limit(s *subGate) int {
	if s.remaining < 0 {
		return g.perSub
	}
	return max(1, min(g.perSub, s.remaining/2))
}

func (g *computeGate) acquire(ctx context.Context, sub string) error {
	for {
		g.mu.Lock()
		s := g.gate(sub)
		now := g.now()
		if now.Before(s.pausedUntil) {
			until := s.pausedUntil
			g.mu.Unlock()
			if err := g.sleep(ctx, until.Sub(now)); err != nil {
				return err
			}
			continue
		}
		if s.inflight < g.limit(s) {
			s.inflight++
			s.peak = max(s.peak, s.inflight)
			g.mu.Unlock()
			return ctx.Err()
		}
		wake := s.wake
		g.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
	}
}

func (g *computeGate) release(ctx context.Context, sub string, resp *http.Response) {
	g.mu.Lock()
	s := g.gate(sub)
	s.inflight--
	var notice *ThrottleWait
	if resp != nil {
		if rem, ok := lowestRemaining(resp.Header); ok {
			s.remaining = rem
		} else if resp.StatusCode < 300 {
			s.remaining = -1 // an answer that reports no bucket: nothing known
		}
		if wait := min(retryAfter(resp.Header), longWaitCap); resp.StatusCode == http.StatusTooManyRequests && wait > 0 {
			until := g.now().Add(wait)
			if until.After(s.pausedUntil) {
				s.pausedUntil = until
				notice = &ThrottleWait{Service: "compute", Wait: wait, Until: until, RetryAfter: true}
			}
			s.remaining = 0
		} else if resp.StatusCode == http.StatusTooManyRequests {
			s.remaining = 0
		}
	}
	close(s.wake)
	s.wake = make(chan struct{})
	g.mu.Unlock()
	if notice != nil {
		notifyWait(ctx, *notice)
	}
}

// peak returns the most reads that were in flight at once in sub.
func (g *computeGate) peak(sub string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.gate(strings.ToLower(sub)).peak
}

// lowestRemaining reads what is left of the tightest bucket an answer
// reports: Compute's x-ms-ratelimit-remaining-resource
// ("Microsoft.Compute/LowCostGet3Min;N,Microsoft.Compute/LowCostGet30Min;M")
// and ARM's x-ms-ratelimit-remaining-subscription-reads.
func lowestRemaining(h http.Header) (int, bool) {
	low, found := 0, false
	take := func(n int) {
		if !found || n < low {
			low, found = n, true
		}
	}
	for _, v := range h.Values(hdrComputeLimits) {
		for _, part := range strings.Split(v, ",") {
			_, num, ok := strings.Cut(part, ";")
			if !ok {
				continue
			}
			if n, err := strconv.Atoi(strings.TrimSpace(num)); err == nil && n >= 0 {
				take(n)
			}
		}
	}
	if v := h.Get(hdrSubReads); v != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
			take(n)
		}
	}
	return low, found
}

// ---- Long Retry-After ------------------------------------------------------

// longRetryAfter is a per-call policy (it sees what azcore's retry policy
// finally returns). A read answered 429 with a Retry-After longer than
// azcore's MaxRetryDelay comes back from azcore at once; this policy waits
// it out (reporting the wait) and sends the request again, at most tries
// times and never for a Retry-After longer than capWait.
type longRetryAfter struct {
	clock
	maxRetryDelay time.Duration // azcore's: shorter waits are azcore's own
	capWait       time.Duration
	tries         int
}

func newLongRetryAfter(o policy.RetryOptions) *longRetryAfter {
	mrd := o.MaxRetryDelay
	if mrd == 0 {
		mrd = azcoreMaxRetryDelay
	}
	return &longRetryAfter{clock: realClock(), maxRetryDelay: mrd, capWait: longWaitCap, tries: longWaitTries}
}

// isRead says whether a request only reads: GET, HEAD, and Resource Graph
// queries (POSTs that change nothing).
func isRead(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return true
	case http.MethodPost:
		return strings.Contains(strings.ToLower(r.URL.Path), "/providers/microsoft.resourcegraph/")
	}
	return false
}

// Do implements policy.Policy.
func (p *longRetryAfter) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	ctx := req.Raw().Context()
	if p.maxRetryDelay < 0 || !isRead(req.Raw()) || ctx.Value(throttleNoticeKey{}) == nil {
		// azcore waits any Retry-After itself; or a write; or nobody would
		// see the wait (the 429 then says how long Azure asked to wait).
		return resp, err
	}
	for try := 0; try < p.tries; try++ {
		if err != nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
			return resp, err
		}
		wait := retryAfter(resp.Header)
		if wait <= p.maxRetryDelay || wait > p.capWait {
			return resp, err // azcore's to wait, or too long to wait here
		}
		service := "arm"
		if strings.Contains(strings.ToLower(req.Raw().URL.Path), "/providers/microsoft.resourcegraph/") {
			service = "graph"
		} else if computeRead(req.Raw()) != "" {
			service = "compute"
		}
		runtime.Drain(resp)
		notifyWait(ctx, ThrottleWait{Service: service, Wait: wait, Until: p.now().Add(wait), RetryAfter: true})
		if serr := p.sleep(ctx, wait); serr != nil {
			return nil, serr
		}
		if rerr := req.RewindBody(); rerr != nil {
			return nil, rerr
		}
		resp, err = req.Next()
	}
	return resp, err
}
