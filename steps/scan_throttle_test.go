package steps

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
)

// TestScanReportsThrottleWaits scans the demo tenant twice under a Resource
// Graph quota of three queries per window: the second scan's progress says
// that (and for how long) the quota holds it back, with the phase it is in.
func TestScanReportsThrottleWaits(t *testing.T) {
	sc := sim.Demo()
	sc.Latency = 0
	const window = 400 * time.Millisecond
	sc.Limits = &sim.Limits{Graph: &sim.GraphLimit{Quota: 3, Window: window}}
	c, err := sim.New(sc, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	api, err := azure.New(c.Credential(), c.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	subs, err := api.Subscriptions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range subs {
		if s.Enabled() {
			ids = append(ids, s.ID)
		}
	}
	var mu sync.Mutex
	var waits []ScanProgress
	plain := 0
	// The first scan spends the window's three queries; the second waits
	// for the window to reset.
	if _, _, err := Scan(context.Background(), api, ids, Scope{}, RuleConfig{}, nil); err != nil {
		t.Fatal(err)
	}
	_, results, err := Scan(context.Background(), api, ids, Scope{}, RuleConfig{}, func(p ScanProgress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Throttle.Wait > 0 {
			waits = append(waits, p)
		} else {
			plain++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 || plain == 0 {
		t.Fatalf("%d results, %d progress events", len(results), plain)
	}
	if len(waits) == 0 {
		t.Fatal("a scan after the quota was spent reported no wait")
	}
	for _, w := range waits {
		if w.Phase != PhaseInventory || w.Throttle.Service != "graph" || w.Throttle.Wait > window || w.Throttle.RetryAfter || w.Throttle.Until.IsZero() {
			t.Errorf("wait event %+v", w)
		}
	}
}
