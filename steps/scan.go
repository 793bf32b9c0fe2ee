package steps

import (
	"context"
	"sync"
	"time"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// scanAPI is what a readiness scan calls in Azure.
type scanAPI interface {
	Inventory(ctx context.Context, subscriptions []string, progress func(azure.InventoryProgress)) (*azure.Inventory, error)
	ReadAgents(ctx context.Context, vms []azure.VM, concurrency int, progress func(done, total int)) error
}

// ScanPhase names what a scan is doing.
type ScanPhase string

// The phases of a scan.
const (
	PhaseInventory ScanPhase = "inventory" // Resource Graph pages
	PhaseAgents    ScanPhase = "agents"    // instance views of running VMs
)

// ScanProgress reports a scan's progress; Total is 0 until known. An event
// whose Throttle.Wait is not zero says that Azure's throttling holds the
// scan back for that long (Done and Total are then the last ones reported).
type ScanProgress struct {
	Phase       ScanPhase
	Done, Total int
	Throttle    azure.ThrottleWait
}

// scanTracker remembers the last progress so that a throttle wait, reported
// from any request, carries it.
type scanTracker struct {
	mu   sync.Mutex
	last ScanProgress
	fn   func(ScanProgress)
}

func (t *scanTracker) report(p ScanProgress) {
	if t.fn == nil {
		return
	}
	t.mu.Lock()
	if p.Throttle.Wait == 0 {
		t.last = p
	} else {
		p.Phase, p.Done, p.Total = t.last.Phase, t.last.Done, t.last.Total
	}
	t.mu.Unlock()
	t.fn(p)
}

// watchThrottle makes ctx's Azure calls report throttle waits through t.
func (t *scanTracker) watchThrottle(ctx context.Context, phase ScanPhase) context.Context {
	if t.fn == nil {
		return ctx
	}
	t.mu.Lock()
	if t.last.Phase == "" {
		t.last.Phase = phase
	}
	t.mu.Unlock()
	return azure.WithThrottleNotice(ctx, func(w azure.ThrottleWait) { t.report(ScanProgress{Throttle: w}) })
}

// Scan reads the fleet of the given subscriptions, keeps the VMs in scope,
// reads their agents and judges every VM by every rule. It is what `check`
// runs, and what the wizard runs in two halves (LoadInventory in the scope
// step, Assess in preflight).
func Scan(ctx context.Context, api scanAPI, subscriptions []string, scope Scope, cfg RuleConfig, progress func(ScanProgress)) (*azure.Inventory, []VMResult, error) {
	inv, err := LoadInventory(ctx, api, subscriptions, progress)
	if err != nil {
		return nil, nil, err
	}
	kept := inv.VMs[:0]
	for i := range inv.VMs {
		if scope.Matches(&inv.VMs[i]) {
			kept = append(kept, inv.VMs[i])
		}
	}
	clear(inv.VMs[len(kept):])
	inv.VMs = kept
	results, err := Assess(ctx, api, inv, inv.VMs, cfg, progress)
	return inv, results, err
}

// LoadInventory reads the fleet from Resource Graph.
func LoadInventory(ctx context.Context, api scanAPI, subscriptions []string, progress func(ScanProgress)) (*azure.Inventory, error) {
	t := &scanTracker{fn: progress}
	ctx = t.watchThrottle(ctx, PhaseInventory)
	return api.Inventory(ctx, subscriptions, func(p azure.InventoryProgress) {
		t.report(ScanProgress{Phase: PhaseInventory, Done: p.VMs, Total: p.Total})
	})
}

// Assess reads the agents of vms (the running ones) and evaluates every rule.
// vms is updated in place with what was read.
func Assess(ctx context.Context, api scanAPI, inv *azure.Inventory, vms []azure.VM, cfg RuleConfig, progress func(ScanProgress)) ([]VMResult, error) {
	t := &scanTracker{fn: progress}
	err := api.ReadAgents(t.watchThrottle(ctx, PhaseAgents), vms, cfg.Concurrency, func(done, total int) {
		t.report(ScanProgress{Phase: PhaseAgents, Done: done, Total: total})
	})
	if err != nil {
		return nil, err
	}
	results := make([]VMResult, len(vms))
	for i := range vms {
		results[i] = VMResult{VM: &vms[i], Findings: Evaluate(&vms[i], inv, cfg)}
		results[i].Finalize()
	}
	return results, nil
}

// ThrottleText says that Azure's throttling holds reads back: which service,
// for how long and until when, and that nothing is wrong.
func ThrottleText(tr *ui.Translator, w azure.ThrottleWait) string {
	key := "scan.throttle.quota"
	if w.RetryAfter {
		key = "scan.throttle.asked"
	}
	secs := int((w.Wait + time.Second - 1) / time.Second)
	return tr.T(key, "Service", tr.T("scan.throttle.service."+or(w.Service, "arm")), "Seconds", secs, "Until", w.Until.Local().Format("15:04:05"))
}
