package sim

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/backupready/backupready/azure"
)

// faultCloud is the demo tenant with the given faults and latency.
func faultCloud(t *testing.T, latency time.Duration, faults ...Fault) (*Cloud, *azure.Client, *azure.RequestCounter) {
	t.Helper()
	sc := Demo()
	sc.Latency = latency
	sc.Faults = faults
	c, err := New(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts, counter := sdkOptions(c)
	cl, err := azure.New(c.Credential(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, cl, counter
}

func asAzureError(t *testing.T, err error) *azure.Error {
	t.Helper()
	e, ok := azure.AsError(err)
	if !ok {
		t.Fatalf("want *azure.Error, got %T %v", err, err)
	}
	return e
}

func TestFaultThrottledRetryAfter(t *testing.T) {
	_, cl, counter := faultCloud(t, 0, Fault{Match: `^GET /subscriptions\?`, Status: 429, RetryAfter: time.Second})
	// one retry honouring Retry-After: 1 s (azcore's MaxRetryDelay must allow it)
	ctx := context.Background()
	start := time.Now()
	opts := azureRetry(1, time.Millisecond, 2*time.Second)
	_, err := cl.Subscriptions(withRetry(ctx, opts))
	elapsed := time.Since(start)
	e := asAzureError(t, err)
	if e.Kind != azure.KindThrottled || e.Status != 429 || e.RetryAfter != time.Second || e.Code != "TooManyRequests" {
		t.Errorf("got %+v", e)
	}
	if n := counter.Count("GET"); n != 2 {
		t.Errorf("requests = %d, want 2 (the first try and azcore's retry)", n)
	}
	if elapsed < 900*time.Millisecond {
		t.Errorf("azcore did not wait for Retry-After: %v", elapsed)
	}
	// other requests are untouched
	if _, err := cl.Locations(ctx, demoProd); err != nil {
		t.Errorf("locations: %v", err)
	}
}

func TestFaultServerError(t *testing.T) {
	_, cl, counter := faultCloud(t, 0, Fault{Match: `POST /providers/Microsoft\.ResourceGraph/resources`, Status: 500, Message: "simulated outage"})
	_, err := cl.Inventory(context.Background(), []string{demoProd}, nil)
	e := asAzureError(t, err)
	if e.Kind != azure.KindServer || e.Status != 500 || e.Code != "InternalServerError" || e.Message != "simulated outage" {
		t.Errorf("got %+v", e)
	}
	// azcore retried: 4 tries for the query that failed first (the others may be cancelled)
	if n := counter.Count("graph"); n < 4 {
		t.Errorf("graph requests = %d, want at least 4 (retries count)", n)
	}
}

func TestFaultConflictCode(t *testing.T) {
	_, cl, _ := faultCloud(t, 0, Fault{Match: `/providers/Microsoft\.RecoveryServices\?`, Status: 409, Code: "AnotherOperationInProgress", Message: "busy"})
	_, err := cl.ProviderState(context.Background(), demoProd, "Microsoft.RecoveryServices")
	e := asAzureError(t, err)
	if e.Kind != azure.KindConflict || e.Code != "AnotherOperationInProgress" || e.Message != "busy" {
		t.Errorf("got %+v", e)
	}
	if _, err := cl.ProviderState(context.Background(), demoProd, "Microsoft.Compute"); err != nil {
		t.Errorf("non-matching request failed: %v", err)
	}
}

func TestFaultTimesThenSuccess(t *testing.T) {
	c, cl, counter := faultCloud(t, 0, Fault{Match: `instanceView`, Status: 500, Times: 1})
	st, err := cl.InstanceView(context.Background(), "/subscriptions/"+demoProd+"/resourceGroups/rg-web-prod/providers/Microsoft.Compute/virtualMachines/web-prod-01")
	if err != nil {
		t.Fatalf("times: 1 should fail once and let azcore's retry succeed: %v", err)
	}
	if st.Status != "Ready" || counter.Count("instanceView") != 2 {
		t.Errorf("status %q after %d requests", st.Status, counter.Count("instanceView"))
	}
	if seen, fired := counts(c.faults[0]); fired != 1 || seen != 2 {
		t.Errorf("fault fired %d of %d", fired, seen)
	}
}

func TestFaultEvery(t *testing.T) {
	c, cl, _ := faultCloud(t, 0, Fault{Match: `/locations\?`, Status: 503, Every: 2})
	opts := azureRetry(-1, 0, 0) // no retries: see every answer
	ctx := withRetry(context.Background(), opts)
	var failed []int
	for i := 1; i <= 6; i++ {
		if _, err := cl.Locations(ctx, demoProd); err != nil {
			if e := asAzureError(t, err); e.Kind != azure.KindServer || e.Status != 503 {
				t.Errorf("request %d: %+v", i, e)
			}
			failed = append(failed, i)
		}
	}
	if len(failed) != 3 || failed[0] != 2 || failed[1] != 4 || failed[2] != 6 {
		t.Errorf("every: 2 failed requests %v, want [2 4 6]", failed)
	}
	if seen, _ := counts(c.faults[0]); seen != 6 {
		t.Errorf("seen %d", seen)
	}
}

func TestLatencyAndCancel(t *testing.T) {
	_, cl, _ := faultCloud(t, 80*time.Millisecond)
	start := time.Now()
	if _, err := cl.Subscriptions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("latency not applied: %v", d)
	}

	_, slow, _ := faultCloud(t, 30*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start = time.Now()
	_, err := slow.Subscriptions(ctx)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancel took %v", d)
	}
	if e := asAzureError(t, err); e.Kind != azure.KindCanceled {
		t.Errorf("got %+v", e)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error chain lacks context.Canceled: %v", err)
	}

	// a deadline is a timeout
	ctx, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	_, err = slow.Inventory(ctx, []string{demoProd}, nil)
	if e := asAzureError(t, err); e.Kind != azure.KindTimeout {
		t.Errorf("deadline: got %+v", e)
	}
}

func TestFaultValidationInNew(t *testing.T) {
	sc := Demo()
	sc.Faults = []Fault{{Match: "(", Status: 500}}
	if _, err := New(sc, Options{}); err == nil || !strings.Contains(err.Error(), "match") {
		t.Errorf("bad regex: %v", err)
	}
	sc.Faults = []Fault{{Match: "x", Status: 200}}
	if _, err := New(sc, Options{}); err == nil {
		t.Error("status 200 accepted as a fault")
	}
}

func azureRetry(maxRetries int32, delay, maxDelay time.Duration) policy.RetryOptions {
	return policy.RetryOptions{MaxRetries: maxRetries, RetryDelay: delay, MaxRetryDelay: maxDelay}
}

func withRetry(ctx context.Context, o policy.RetryOptions) context.Context {
	return policy.WithRetryOptions(ctx, o)
}

// counts reads a fault's counters under its lock.
func counts(f *faultRule) (seen, fired int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen, f.fired
}
