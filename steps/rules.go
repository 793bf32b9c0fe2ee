package steps

import "github.com/backupready/backupready/azure"

// RuleConfig tunes the readiness rules.
type RuleConfig struct {
	// AgentFloor is the lowest acceptable VM agent version per OS type
	// ("Windows", "Linux"); empty entries use the defaults.
	AgentFloor map[string]string
	// Concurrency bounds parallel instance-view reads (0: the azure default).
	Concurrency int
}

// Evaluate runs every readiness rule on one VM, in the fixed order of Rules.
func Evaluate(vm *azure.VM, inv *azure.Inventory, cfg RuleConfig) []Finding {
	return nil
}
