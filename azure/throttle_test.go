package azure

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseTimeSpan(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"00:00:03", 3 * time.Second, true},
		{"00:00:05", 5 * time.Second, true},
		{"00:01:30", 90 * time.Second, true},
		{"01:00:00", time.Hour, true},
		{"1.02:00:00", 26 * time.Hour, true},
		{"00:00:00.2500000", 250 * time.Millisecond, true},
		{" 00:00:01 ", time.Second, true},
		{"00:00:00", 0, true},
		{"3s", 0, false},
		{"00:60:00", 0, false},
		{"00:00:60", 0, false},
		{"-00:00:01", 0, false},
		{"", 0, false},
		{"00:00", 0, false},
	} {
		got, ok := parseTimeSpan(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("parseTimeSpan(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	h := http.Header{}
	h.Set("x-ms-user-quota-remaining", "10")
	h.Set("x-ms-user-quota-resets-after", "00:00:03")
	if n, d, ok := parseGraphQuota(h); !ok || n != 10 || d != 3*time.Second {
		t.Errorf("quota headers read as %d, %v, %v", n, d, ok)
	}
	h.Set("x-ms-user-quota-remaining", "lots")
	if _, _, ok := parseGraphQuota(h); ok {
		t.Error("a quota that is not a number was taken")
	}
}

func TestLowestRemainingBucket(t *testing.T) {
	h := http.Header{}
	if _, ok := lowestRemaining(h); ok {
		t.Fatal("no header, yet a bucket was read")
	}
	h.Set("x-ms-ratelimit-remaining-resource", "Microsoft.Compute/LowCostGet3Min;140,Microsoft.Compute/LowCostGet30Min;700")
	if n, ok := lowestRemaining(h); !ok || n != 140 {
		t.Errorf("compute buckets read as %d, %v; want 140", n, ok)
	}
	h.Set("x-ms-ratelimit-remaining-subscription-reads", "20")
	if n, _ := lowestRemaining(h); n != 20 {
		t.Errorf("ARM's subscription reads are tighter: got %d, want 20", n)
	}
	h = http.Header{}
	h.Add("x-ms-ratelimit-remaining-resource", "Microsoft.Compute/HighCostGet3Min;9")
	h.Add("x-ms-ratelimit-remaining-resource", "Microsoft.Compute/LowCostGet3Min;4")
	if n, _ := lowestRemaining(h); n != 4 {
		t.Errorf("one header per policy: got %d, want 4", n)
	}
}

// fakeClock is a clock whose sleeps return at once, moving time on.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (f *fakeClock) clock() clock {
	return clock{
		now: func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t },
		sleep: func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			f.sleeps = append(f.sleeps, d)
			f.t = f.t.Add(d)
			f.mu.Unlock()
			return ctx.Err()
		},
	}
}

func (f *fakeClock) slept() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

func quotaHeader(remaining int, resets string) http.Header {
	h := http.Header{}
	h.Set("x-ms-user-quota-remaining", strconv.Itoa(remaining))
	h.Set("x-ms-user-quota-resets-after", resets)
	return h
}

func TestGraphQuotaWaitsUntilReset(t *testing.T) {
	fc := newFakeClock()
	q := newGraphQuota(time.Minute)
	q.clock = fc.clock()
	var notices []ThrottleWait
	ctx := WithThrottleNotice(context.Background(), func(w ThrottleWait) { notices = append(notices, w) })

	// Nothing known yet: queries go.
	for range 3 {
		if err := q.acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	q.observe(quotaHeader(2, "00:00:03"))
	// Two left in this window: they go at once; the third waits for the reset.
	for range 2 {
		if err := q.acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if s := fc.slept(); len(s) != 0 {
		t.Fatalf("waited %v with quota left", s)
	}
	// A later answer of the same window reporting more left is older news.
	q.observe(quotaHeader(5, "00:00:02"))
	if err := q.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if s := fc.slept(); len(s) != 1 || s[0] != 3*time.Second {
		t.Fatalf("slept %v, want one wait of 3s (until the reset)", s)
	}
	if len(notices) != 1 || notices[0].Service != "graph" || notices[0].Wait != 3*time.Second || notices[0].RetryAfter {
		t.Fatalf("notices %+v", notices)
	}
	// The window has passed: the quota is whole again.
	if err := q.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if s := fc.slept(); len(s) != 1 {
		t.Fatalf("waited again after the reset: %v", s)
	}
}

func TestGraphQuotaWaitIsCapped(t *testing.T) {
	fc := newFakeClock()
	q := newGraphQuota(time.Minute)
	q.clock = fc.clock()
	q.maxWait = 20 * time.Second
	q.observe(quotaHeader(0, "00:10:00"))
	if err := q.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := fc.slept(); len(s) != 1 || s[0] != 20*time.Second {
		t.Fatalf("slept %v, want the cap of 20s", s)
	}
}

func TestGraphQuotaWaitHonoursCancel(t *testing.T) {
	q := newGraphQuota(time.Minute) // real clock
	q.observe(quotaHeader(0, "00:00:30"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := q.acquire(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("cancel took %v", d)
	}
}

// graphFake answers Resource Graph queries: one VM row per subscription
// named in the request, pageSize rows a page; every other query is empty.
type graphFake struct {
	pageSize int
	mu       sync.Mutex
	requests int
	maxSubs  int
	subsSeen map[string]int
}

func (f *graphFake) Do(req *http.Request) (*http.Response, error) {
	var body struct {
		Query         string   `json:"query"`
		Subscriptions []string `json:"subscriptions"`
		Options       struct {
			SkipToken string `json:"$skipToken"`
		} `json:"options"`
	}
	data, _ := io.ReadAll(req.Body)
	if err := json.Unmarshal(data, &body); err != nil {
		return nil, err
	}
	skip := 0
	if body.Options.SkipToken != "" {
		skip, _ = strconv.Atoi(body.Options.SkipToken)
	}
	f.mu.Lock()
	f.requests++
	f.maxSubs = max(f.maxSubs, len(body.Subscriptions))
	f.mu.Unlock()
	rows := []any{}
	total := 0
	if body.Query == QueryVMs {
		total = len(body.Subscriptions)
		for i := skip; i < min(skip+f.pageSize, total); i++ {
			s := body.Subscriptions[i]
			f.mu.Lock()
			f.subsSeen[s]++
			f.mu.Unlock()
			rows = append(rows, map[string]any{
				"id":   "/subscriptions/" + s + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
				"name": "vm", "type": "microsoft.compute/virtualmachines", "subscriptionId": s, "resourceGroup": "rg", "location": "westeurope",
			})
		}
	}
	out := map[string]any{"totalRecords": total, "count": len(rows), "data": rows, "resultTruncated": "false"}
	if skip+f.pageSize < total {
		out["$skipToken"] = strconv.Itoa(skip + f.pageSize)
	}
	b, _ := json.Marshal(out)
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(b)), Request: req}, nil
}

func TestInventoryBatchesSubscriptions(t *testing.T) {
	fake := &graphFake{pageSize: 100, subsSeen: map[string]int{}}
	c := testClient(t, fake)
	subs := make([]string, 1250)
	for i := range subs {
		subs[i] = fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
	}
	var last InventoryProgress
	inv, err := c.Inventory(context.Background(), subs, func(p InventoryProgress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	if fake.maxSubs > graphBatch || graphBatch > 1000 {
		t.Errorf("a request named %d subscriptions; batches hold at most %d (Azure CLI's limit is 1,000)", fake.maxSubs, graphBatch)
	}
	if len(inv.VMs) != len(subs) || len(fake.subsSeen) != len(subs) {
		t.Fatalf("%d VMs from %d subscriptions, want %d", len(inv.VMs), len(fake.subsSeen), len(subs))
	}
	for s, n := range fake.subsSeen {
		if n != 1 {
			t.Fatalf("subscription %s queried %d times", s, n)
		}
	}
	// VMs: 1250 rows in pages of 100 within batches of 300 (3 pages + 1 for
	// each full batch... counted exactly): network and vaults: one per batch.
	batches := (len(subs) + graphBatch - 1) / graphBatch
	vmPages := 0
	for start := 0; start < len(subs); start += graphBatch {
		n := min(graphBatch, len(subs)-start)
		vmPages += (n + fake.pageSize - 1) / fake.pageSize
	}
	if want := vmPages + 2*batches; fake.requests != want {
		t.Errorf("%d requests, want %d", fake.requests, want)
	}
	if last.VMs != len(subs) || last.Total != len(subs) {
		t.Errorf("last progress %+v, want %d of %d", last, len(subs), len(subs))
	}
}

// computeFake answers instance-view reads after a short delay, counting the
// reads in flight per subscription.
type computeFake struct {
	delay time.Duration
	// answer, when set, decides the status and headers of a read.
	answer func(sub string, n int) (int, http.Header)

	mu        sync.Mutex
	inflight  map[string]int
	peak      map[string]int
	total     int
	peakTotal int
	calls     map[string]int
	// lateAfter: reads after this many per subscription count in peakLate
	lateAfter int
	peakLate  int
}

func newComputeFake(delay time.Duration) *computeFake {
	return &computeFake{delay: delay, inflight: map[string]int{}, peak: map[string]int{}, calls: map[string]int{}}
}

func (f *computeFake) Do(req *http.Request) (*http.Response, error) {
	sub := strings.Split(req.URL.Path, "/")[2]
	f.mu.Lock()
	f.inflight[sub]++
	f.total++
	f.peak[sub] = max(f.peak[sub], f.inflight[sub])
	f.peakTotal = max(f.peakTotal, f.total)
	f.calls[sub]++
	n := f.calls[sub]
	if f.lateAfter > 0 && n > f.lateAfter {
		f.peakLate = max(f.peakLate, f.inflight[sub])
	}
	f.mu.Unlock()
	time.Sleep(f.delay)
	status, h := http.StatusOK, http.Header{}
	if f.answer != nil {
		status, h = f.answer(sub, n)
	}
	f.mu.Lock()
	f.inflight[sub]--
	f.total--
	f.mu.Unlock()
	h.Set("Content-Type", "application/json")
	body := `{}`
	if status != http.StatusOK {
		body = `{"error":{"code":"OperationNotAllowed","message":"too many requests"}}`
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
}

func runningVMs(subs, perSub int) []VM {
	var vms []VM
	for s := range subs {
		sub := fmt.Sprintf("00000000-0000-0000-0000-%012d", s)
		for i := range perSub {
			vms = append(vms, VM{ID: fmt.Sprintf("/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm%d", sub, i),
				SubscriptionID: sub, PowerState: "running"})
		}
	}
	return vms
}

func TestComputeReadsBoundedPerSubscription(t *testing.T) {
	fake := newComputeFake(3 * time.Millisecond)
	c := testClient(t, fake)
	c.compute.perSub = 3
	vms := runningVMs(4, 15)
	if err := c.ReadAgents(context.Background(), vms, 32, nil); err != nil {
		t.Fatal(err)
	}
	for i := range vms {
		if vms[i].Agent == nil {
			t.Fatalf("%s not read: %v", vms[i].ID, vms[i].AgentErr)
		}
	}
	for sub, p := range fake.peak {
		if p > 3 {
			t.Errorf("subscription %s had %d reads in flight; the bound is 3", sub, p)
		}
	}
	// The bound is per subscription: the subscriptions were read side by side.
	if fake.peakTotal <= 3 {
		t.Errorf("at most %d reads in flight overall: subscriptions were not read in parallel", fake.peakTotal)
	}
}

func TestComputeReadsSlowDownAsTheBucketDrains(t *testing.T) {
	fake := newComputeFake(2 * time.Millisecond)
	// The bucket reports 2 left on every answer: after the first answers,
	// one read at a time (half of what is left, at least one).
	fake.answer = func(string, int) (int, http.Header) {
		h := http.Header{}
		h.Set("x-ms-ratelimit-remaining-resource", "Microsoft.Compute/LowCostGet3Min;2,Microsoft.Compute/LowCostGet30Min;500")
		return http.StatusOK, h
	}
	fake.lateAfter = 8
	c := testClient(t, fake)
	c.compute.perSub = 8
	vms := runningVMs(1, 40)
	if err := c.ReadAgents(context.Background(), vms, 32, nil); err != nil {
		t.Fatal(err)
	}
	sub := vms[0].SubscriptionID
	c.compute.mu.Lock()
	g := c.compute.subs[strings.ToLower(sub)]
	limit := c.compute.limit(g)
	c.compute.mu.Unlock()
	if limit != 1 {
		t.Errorf("with 2 left the bound is %d, want 1", limit)
	}
	// Only the first wave (sent before any answer) may have more than one
	// read in flight; every later read went alone.
	if p := fake.peak[sub]; p > 8 {
		t.Errorf("peak %d above the bound of 8", p)
	}
	if fake.peakLate != 1 {
		t.Errorf("after the bucket reported 2 left, %d reads were in flight at once; want 1", fake.peakLate)
	}
}

func TestCompute429PausesTheSubscription(t *testing.T) {
	fake := newComputeFake(0)
	fake.answer = func(_ string, n int) (int, http.Header) {
		h := http.Header{}
		if n == 1 {
			h.Set("Retry-After", "7")
			return http.StatusTooManyRequests, h
		}
		return http.StatusOK, h
	}
	c := testClient(t, fake)
	fc := newFakeClock()
	c.compute.clock = fc.clock()
	c.compute.perSub = 1
	c.longWait.tries = 0 // this test watches the gate, not the long-wait policy
	var notices []ThrottleWait
	var mu sync.Mutex
	ctx := WithThrottleNotice(context.Background(), func(w ThrottleWait) { mu.Lock(); notices = append(notices, w); mu.Unlock() })
	vms := runningVMs(1, 3)
	if err := c.ReadAgents(ctx, vms, 1, nil); err != nil {
		t.Fatal(err)
	}
	// The first read was answered 429 Retry-After 7 (past the test client's
	// MaxRetryDelay, so azcore returned it): the subscription's next read
	// waited those 7 s before going.
	if e := vms[0].AgentErr; e == nil || e.Kind != KindThrottled {
		t.Fatalf("first read: %v", vms[0].AgentErr)
	}
	for _, vm := range vms[1:] {
		if vm.Agent == nil {
			t.Fatalf("%s not read: %v", vm.ID, vm.AgentErr)
		}
	}
	s := fc.slept()
	if len(s) == 0 || s[0] != 7*time.Second {
		t.Fatalf("the subscription's next read waited %v, want 7s", s)
	}
	if len(notices) == 0 || notices[0].Service != "compute" || notices[0].Wait != 7*time.Second || !notices[0].RetryAfter {
		t.Fatalf("notices %+v", notices)
	}
}

// retryAfterFake answers GET /subscriptions with 429 and the given
// Retry-After for the first times requests, then an empty list.
type retryAfterFake struct {
	retryAfter string
	times      int
	mu         sync.Mutex
	n          int
	methods    []string
}

func (f *retryAfterFake) Do(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.n++
	n := f.n
	f.methods = append(f.methods, req.Method)
	f.mu.Unlock()
	h := http.Header{"Content-Type": {"application/json"}}
	if n <= f.times {
		h.Set("Retry-After", f.retryAfter)
		return &http.Response{StatusCode: http.StatusTooManyRequests, Header: h, Request: req,
			Body: io.NopCloser(strings.NewReader(`{"error":{"code":"TooManyRequests","message":"slow down"}}`))}, nil
	}
	body := `{"value":[]}`
	if req.Method == http.MethodPut {
		body = `{"id":"/subscriptions/s/resourceGroups/rg","name":"rg","location":"westeurope"}`
	}
	return &http.Response{StatusCode: http.StatusOK, Header: h, Request: req, Body: io.NopCloser(strings.NewReader(body))}, nil
}

func TestLongRetryAfterIsWaitedOutAndReported(t *testing.T) {
	fake := &retryAfterFake{retryAfter: "120", times: 1}
	c := testClient(t, fake) // MaxRetryDelay 5 ms: azcore gives the 429 back at once
	fc := newFakeClock()
	c.longWait.clock = fc.clock()
	var notices []ThrottleWait
	ctx := WithThrottleNotice(context.Background(), func(w ThrottleWait) { notices = append(notices, w) })
	if _, err := c.Subscriptions(ctx); err != nil {
		t.Fatalf("a 429 with Retry-After 120 was not waited out: %v", err)
	}
	if s := fc.slept(); len(s) != 1 || s[0] != 120*time.Second {
		t.Fatalf("slept %v, want 120s", s)
	}
	if len(notices) != 1 || notices[0].Wait != 120*time.Second || !notices[0].RetryAfter || notices[0].Service != "arm" {
		t.Fatalf("notices %+v", notices)
	}
	if fake.n != 2 {
		t.Errorf("%d requests, want 2", fake.n)
	}
}

func TestLongRetryAfterLimits(t *testing.T) {
	ctxWith := func() context.Context {
		return WithThrottleNotice(context.Background(), func(ThrottleWait) {})
	}
	t.Run("past the cap fails at once", func(t *testing.T) {
		fake := &retryAfterFake{retryAfter: "3600", times: 1}
		c := testClient(t, fake)
		fc := newFakeClock()
		c.longWait.clock = fc.clock()
		_, err := c.Subscriptions(ctxWith())
		e, ok := AsError(err)
		if !ok || e.Kind != KindThrottled || e.RetryAfter != time.Hour {
			t.Fatalf("err = %v", err)
		}
		if s := fc.slept(); len(s) != 0 {
			t.Fatalf("waited %v for a Retry-After past the cap", s)
		}
	})
	t.Run("a few waits at most", func(t *testing.T) {
		fake := &retryAfterFake{retryAfter: "90", times: 100}
		c := testClient(t, fake)
		fc := newFakeClock()
		c.longWait.clock = fc.clock()
		_, err := c.Subscriptions(ctxWith())
		if e, ok := AsError(err); !ok || e.Kind != KindThrottled {
			t.Fatalf("err = %v", err)
		}
		if s := fc.slept(); len(s) != longWaitTries {
			t.Fatalf("waited %d times, want %d", len(s), longWaitTries)
		}
	})
	t.Run("writes are the applier's", func(t *testing.T) {
		fake := &retryAfterFake{retryAfter: "120", times: 1}
		c := testClient(t, fake)
		fc := newFakeClock()
		c.longWait.clock = fc.clock()
		_, err := c.CreateResourceGroup(ctxWith(), "00000000-0000-0000-0000-000000000001", "rg", "westeurope")
		if e, ok := AsError(err); !ok || e.Kind != KindThrottled || e.RetryAfter != 120*time.Second {
			t.Fatalf("err = %v", err)
		}
		if s := fc.slept(); len(s) != 0 {
			t.Fatalf("a write was waited out here: %v", s)
		}
	})
	t.Run("nobody to show it", func(t *testing.T) {
		fake := &retryAfterFake{retryAfter: "120", times: 1}
		c := testClient(t, fake)
		fc := newFakeClock()
		c.longWait.clock = fc.clock()
		if _, err := c.Subscriptions(context.Background()); err == nil {
			t.Fatal("waited without a callback to report the wait")
		}
	})
	t.Run("cancel ends the wait", func(t *testing.T) {
		fake := &retryAfterFake{retryAfter: "120", times: 1}
		c := testClient(t, fake) // real clock
		ctx, cancel := context.WithTimeout(ctxWith(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Subscriptions(ctx)
		if e, ok := AsError(err); !ok || (e.Kind != KindTimeout && e.Kind != KindCanceled) {
			t.Fatalf("err = %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("the wait outlived the context: %v", d)
		}
	})
}
