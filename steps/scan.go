package steps

import (
	"context"

	"github.com/backupready/backupready/azure"
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

// ScanProgress reports a scan's progress; Total is 0 until known.
type ScanProgress struct {
	Phase       ScanPhase
	Done, Total int
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
	return api.Inventory(ctx, subscriptions, func(p azure.InventoryProgress) {
		if progress != nil {
			progress(ScanProgress{Phase: PhaseInventory, Done: p.VMs, Total: p.Total})
		}
	})
}

// Assess reads the agents of vms (the running ones) and evaluates every rule.
// vms is updated in place with what was read.
func Assess(ctx context.Context, api scanAPI, inv *azure.Inventory, vms []azure.VM, cfg RuleConfig, progress func(ScanProgress)) ([]VMResult, error) {
	err := api.ReadAgents(ctx, vms, cfg.Concurrency, func(done, total int) {
		if progress != nil {
			progress(ScanProgress{Phase: PhaseAgents, Done: done, Total: total})
		}
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
