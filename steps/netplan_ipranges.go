package steps

import "github.com/backupready/backupready/azure"

// ipRangeChanges plans network mode ipRanges (not carried out yet: one
// Skip says so).
func ipRangeChanges(p *Plan, _ LiveState, _ []*azure.VM, region string, _ *PlanConflicts) []Change {
	return []Change{{Kind: Skip, Action: ActionNetworkMode, Target: p.Network.Mode, Region: region,
		Reason: "change.reason.network-mode-later", Args: []any{"Mode", p.Network.Mode}}}
}
