package sim

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"

	"github.com/backupready/backupready/azure"
)

// answers records the status and headers of every answer.
type answers struct {
	mu   sync.Mutex
	list []answer
}

type answer struct {
	path   string
	status int
	header http.Header
}

func (a *answers) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if resp != nil {
		a.mu.Lock()
		a.list = append(a.list, answer{req.Raw().URL.Path, resp.StatusCode, resp.Header.Clone()})
		a.mu.Unlock()
	}
	return resp, err
}

func (a *answers) statuses(status int) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, x := range a.list {
		if x.status == status {
			n++
		}
	}
	return n
}

// limitedCloud is the demo tenant (or sc) under limits, with SDK options
// that never retry and record every answer.
func limitedCloud(t *testing.T, sc *Scenario, l *Limits) (*Cloud, *answers, *policy.RetryOptions) {
	t.Helper()
	if sc == nil {
		sc = Demo()
	}
	sc.Latency = 0
	sc.Limits = l
	c, err := New(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c, &answers{}, &policy.RetryOptions{MaxRetries: -1}
}

var wholeSpan = regexp.MustCompile(`^\d\d:\d\d:\d\d$`)

func TestLimitsGraphQuotaHeadersAnd429(t *testing.T) {
	c, rec, retry := limitedCloud(t, nil, &Limits{Graph: &GraphLimit{Quota: 2, Window: time.Hour}})
	opts := c.ClientOptions()
	opts.Retry = *retry
	opts.PerRetryPolicies = append(opts.PerRetryPolicies, rec)
	graph, err := armresourcegraph.NewClient(c.Credential(), opts)
	if err != nil {
		t.Fatal(err)
	}
	q := armresourcegraph.QueryRequest{Query: to.Ptr(azure.QueryVaults), Subscriptions: []*string{to.Ptr(demoProd)},
		Options: &armresourcegraph.QueryRequestOptions{ResultFormat: to.Ptr(armresourcegraph.ResultFormatObjectArray)}}
	var errs []error
	for range 3 {
		_, err := graph.Resources(context.Background(), q, nil)
		errs = append(errs, err)
	}
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("within the quota: %v", errs)
	}
	e, ok := azure.AsError(azure.Classify("graph", errs[2]))
	if !ok || e.Kind != azure.KindThrottled || e.Code != "RateLimiting" || e.RetryAfter < 59*time.Minute || e.RetryAfter > time.Hour {
		t.Fatalf("past the quota: %+v", e)
	}
	for i, want := range []string{"1", "0", "0"} {
		h := rec.list[i].header
		if got := h.Get("x-ms-user-quota-remaining"); got != want {
			t.Errorf("answer %d: remaining %q, want %q", i, got, want)
		}
		if ra := h.Get("x-ms-user-quota-resets-after"); !wholeSpan.MatchString(ra) || ra > "01:00:00" || ra < "00:59:00" {
			t.Errorf("answer %d: resets-after %q, want hh:mm:ss within the hour", i, ra)
		}
	}
	// Other calls carry no quota.
	subs, err := azure.New(c.Credential(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := subs.Subscriptions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if last := rec.list[len(rec.list)-1]; last.header.Get("x-ms-user-quota-remaining") != "" {
		t.Errorf("a subscription list carries the graph quota")
	}
}

func TestLimitsComputeBucketsPerSubscription(t *testing.T) {
	data, err := GenerateFleetIn(40, 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := LoadScenario(data, "fleet.json")
	if err != nil {
		t.Fatal(err)
	}
	c, rec, retry := limitedCloud(t, sc, &Limits{Compute: &ComputeLimit{PerSubscription: 2, Window: time.Hour}})
	opts := c.ClientOptions()
	opts.Retry = *retry
	opts.PerRetryPolicies = append(opts.PerRetryPolicies, rec)
	ctx := context.Background()
	// one VM per subscription (found without the recorder)
	plain, err := azure.New(c.Credential(), c.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	inv, err := plain.Inventory(ctx, []string{sc.Subscriptions[0].ID, sc.Subscriptions[1].ID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	picked := map[string]string{}
	for _, vm := range inv.VMs {
		if picked[vm.SubscriptionID] == "" {
			picked[vm.SubscriptionID] = vm.ID
		}
	}
	if len(picked) != 2 {
		t.Fatalf("VMs in %d subscriptions", len(picked))
	}
	read := func(vmID string) error {
		parts := strings.Split(vmID, "/")
		cl, err := armcompute.NewVirtualMachinesClient(parts[2], c.Credential(), opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = cl.InstanceView(ctx, parts[4], parts[8], nil)
		return err
	}
	var first, second string
	for _, id := range picked {
		if first == "" {
			first = id
		} else {
			second = id
		}
	}
	for i := range 3 {
		err := read(first)
		if i < 2 && err != nil {
			t.Fatalf("read %d within the bucket: %v", i, err)
		}
		if i == 2 {
			e, _ := azure.AsError(azure.Classify("instance-view", err))
			if e == nil || e.Kind != azure.KindThrottled || e.Code != "OperationNotAllowed" || e.RetryAfter <= 0 {
				t.Fatalf("past the bucket: %+v", e)
			}
		}
	}
	wantHdr := []string{
		"Microsoft.Compute/LowCostGet3Min;1,Microsoft.Compute/LowCostGet30Min;19",
		"Microsoft.Compute/LowCostGet3Min;0,Microsoft.Compute/LowCostGet30Min;18",
	}
	for i, want := range wantHdr {
		if got := rec.list[i].header.Get("x-ms-ratelimit-remaining-resource"); got != want {
			t.Errorf("answer %d: %q, want %q", i, got, want)
		}
	}
	if rec.list[2].status != http.StatusTooManyRequests || rec.list[2].header.Get("Retry-After") == "" {
		t.Errorf("third read: %d, Retry-After %q", rec.list[2].status, rec.list[2].header.Get("Retry-After"))
	}
	// The other subscription has a bucket of its own.
	if err := read(second); err != nil {
		t.Fatalf("the other subscription was throttled: %v", err)
	}
	if got := rec.list[3].header.Get("x-ms-ratelimit-remaining-resource"); !strings.HasPrefix(got, "Microsoft.Compute/LowCostGet3Min;1,") {
		t.Errorf("other subscription: %q", got)
	}
}

func TestScenarioLimits(t *testing.T) {
	sc, err := LoadScenario([]byte("limits:\n  graph: {quota: 15, window: 5s}\n  compute: {perSubscription: 200, window: 3m}\n"), "l.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if g := sc.Limits.Graph; g == nil || g.Quota != 15 || g.Window != 5*time.Second {
		t.Errorf("graph %+v", g)
	}
	if cl := sc.Limits.Compute; cl == nil || cl.PerSubscription != 200 || cl.Window != 3*time.Minute {
		t.Errorf("compute %+v", cl)
	}
	for _, bad := range []string{
		"limits:\n  graph: {quota: 15}\n",
		"limits:\n  graph: {quota: 0, window: 5s}\n",
		"limits:\n  compute: {perSubscription: 5, window: soon}\n",
		"limits:\n  network: {}\n",
	} {
		if _, err := LoadScenario([]byte(bad), "l.yaml"); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	if _, err := New(&Scenario{Limits: &Limits{Graph: &GraphLimit{Quota: -1, Window: time.Second}}}, Options{}); err == nil {
		t.Error("a negative quota was accepted in code")
	}
}

// TestGraphLimiterKeepsUnderTheSimQuota runs inventories against the
// simulator's Resource Graph quota: the client's limiter holds queries back
// until each window resets, so none is refused, and says so.
func TestGraphLimiterKeepsUnderTheSimQuota(t *testing.T) {
	const window = 300 * time.Millisecond
	c, rec, _ := limitedCloud(t, nil, &Limits{Graph: &GraphLimit{Quota: 3, Window: window}})
	opts, _ := sdkOptions(c)
	opts.PerRetryPolicies = append(opts.PerRetryPolicies, rec)
	cl, err := azure.New(c.Credential(), opts)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var notices []azure.ThrottleWait
	ctx := azure.WithThrottleNotice(context.Background(), func(w azure.ThrottleWait) {
		mu.Lock()
		notices = append(notices, w)
		mu.Unlock()
	})
	start := time.Now()
	for range 3 { // 3 queries each: 9 queries, 3 per window
		if _, err := cl.Inventory(ctx, []string{demoProd, demoDev}, nil); err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	if n := rec.statuses(http.StatusTooManyRequests); n != 0 {
		t.Errorf("%d queries refused: the limiter let them past the quota", n)
	}
	if elapsed < 2*window-50*time.Millisecond {
		t.Errorf("9 queries at 3 per %v took %v: the quota was not honoured", window, elapsed)
	}
	if len(notices) == 0 {
		t.Fatal("no wait reported")
	}
	for _, w := range notices {
		if w.Service != "graph" || w.RetryAfter || w.Wait <= 0 || w.Wait > window {
			t.Errorf("notice %+v", w)
		}
	}
	// the simulator's sub-second window is written with a fraction
	if ra := rec.list[0].header.Get("x-ms-user-quota-resets-after"); !strings.HasPrefix(ra, "00:00:00.") {
		t.Errorf("resets-after %q", ra)
	}
}

// TestComputeLimiterUnderTheSimBuckets reads the agents of a fleet in three
// subscriptions against buckets smaller than the reads: the client shrinks
// its reads in flight as the buckets drain, waits out the 429s' Retry-After
// (past the test client's MaxRetryDelay) visibly, and reads every agent.
func TestComputeLimiterUnderTheSimBuckets(t *testing.T) {
	data, err := GenerateFleetIn(150, 3, 11)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := LoadScenario(data, "fleet.json")
	if err != nil {
		t.Fatal(err)
	}
	c, rec, _ := limitedCloud(t, sc, &Limits{Compute: &ComputeLimit{PerSubscription: 24, Window: 500 * time.Millisecond}})
	c.latency = 40 * time.Millisecond // reads overlap, as on Azure
	opts, _ := sdkOptions(c)
	opts.PerRetryPolicies = append(opts.PerRetryPolicies, rec)
	cl, err := azure.New(c.Credential(), opts)
	if err != nil {
		t.Fatal(err)
	}
	subs := make([]string, len(sc.Subscriptions))
	for i, s := range sc.Subscriptions {
		subs[i] = s.ID
	}
	inv, err := cl.Inventory(context.Background(), subs, nil)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var notices []azure.ThrottleWait
	ctx := azure.WithThrottleNotice(context.Background(), func(w azure.ThrottleWait) {
		mu.Lock()
		notices = append(notices, w)
		mu.Unlock()
	})
	running := map[string]int{}
	for _, vm := range inv.VMs {
		if vm.Running() {
			running[vm.SubscriptionID]++
		}
	}
	if err := cl.ReadAgents(ctx, inv.VMs, 32, nil); err != nil {
		t.Fatal(err)
	}
	for _, vm := range inv.VMs {
		if vm.Running() && vm.AgentErr != nil {
			t.Fatalf("%s: %v", vm.Name, vm.AgentErr)
		}
	}
	throttled := rec.statuses(http.StatusTooManyRequests)
	over := 0
	for _, n := range running {
		if n > 24 {
			over++
		}
	}
	if over == 0 {
		t.Fatalf("no subscription has more running VMs than its bucket: %v", running)
	}
	if throttled == 0 || len(notices) == 0 {
		t.Fatalf("%d refusals, %d notices: the buckets were never reached", throttled, len(notices))
	}
	// Without the shrinking bound, the reads in flight when a bucket runs
	// out are all refused (26 to 32 here: 32 workers over three
	// subscriptions); with it, a subscription whose bucket is low sends one
	// read at a time (one refusal per subscription here), and a 429 pauses
	// the subscription for its Retry-After.
	if throttled > 3*len(running) {
		t.Errorf("%d reads refused for %d subscriptions", throttled, len(running))
	}
}
