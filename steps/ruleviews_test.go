package steps

import (
	"strings"
	"testing"

	"github.com/backupready/backupready/azure"
)

// The before/after view of a rule the plan rewrites shows the rule as it
// will be, once, marked; a new rule is added in its priority's place.
func TestRuleViewsShowRewrittenAndNewRules(t *testing.T) {
	nsgID := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg-a"
	old := azure.SecurityRule{Name: ProxyOutboundRuleName, Priority: 150, Direction: "Outbound", Access: "Allow", Protocol: "Tcp",
		Sources: []string{"10.0.1.0/24"}, Destinations: []string{"10.0.0.5/32"}, DestPorts: []string{"3128"}}
	deny := azure.SecurityRule{Name: "DenyInternet", Priority: 200, Direction: "Outbound", Access: "Deny", Protocol: "*",
		Sources: []string{"*"}, Destinations: []string{"Internet"}, DestPorts: []string{"*"}}
	inv := &azure.Inventory{NSGs: map[string]*azure.NSG{}}
	inv.NSGs[strings.ToLower(nsgID)] = &azure.NSG{ID: nsgID, Name: "nsg-a", Rules: []azure.SecurityRule{old, deny}}

	rewritten := old
	rewritten.DestPorts = []string{"8080"}
	added := BackupRule("westeurope", 120)
	views := RuleViews([]Change{
		{Kind: Modify, Action: ActionNSGRule, Target: nsgID + "/securityRules/" + old.Name, Rule: &rewritten, To: "150",
			Args: []any{"Rule", "DenyInternet", "Direction", "Outbound"}},
		{Kind: Create, Action: ActionNSGRule, Target: nsgID + "/securityRules/" + added.Name, Rule: &added, To: "120",
			Args: []any{"Rule", "DenyInternet", "Direction", "Outbound"}},
	}, inv)
	if len(views) != 2 {
		t.Fatalf("views = %d", len(views))
	}
	m := views[0]
	n := 0
	for _, r := range m.Rules {
		if r.Name == old.Name {
			n++
		}
	}
	if n != 1 || m.New < 0 || m.Rules[m.New].DestPorts[0] != "8080" {
		t.Errorf("rewritten view: %+v (new %d)", m.Rules, m.New)
	}
	c := views[1]
	if len(c.Rules) != 3 || c.New != 0 || c.Rules[0].Name != BackupRuleName {
		t.Errorf("added view: %+v (new %d)", c.Rules, c.New)
	}
}
