package steps

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
)

// netLive is live state whose VM web-1 sits behind a NIC NSG and a subnet NSG.
func netLive(nicRules, subnetRules []azure.SecurityRule) LiveState {
	vm := ptVM("web-1", "westeurope", "")
	nsgNIC := "/subscriptions/" + ptSub + "/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/nsg-nic"
	nsgSub := "/subscriptions/" + ptSub + "/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/nsg-subnet"
	subnet := "/subscriptions/" + ptSub + "/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/app"
	vm.NICs = []azure.NIC{{ID: "nic-1", NSGID: nsgNIC, SubnetIDs: []string{subnet}, PrivateIPs: []string{"10.0.1.4"}}}
	defaults := []azure.SecurityRule{
		{Name: "AllowVnetOutBound", Priority: 65000, Direction: "Outbound", Access: "Allow", Protocol: "*", Sources: []string{"VirtualNetwork"}, Destinations: []string{"VirtualNetwork"}, DestPorts: []string{"*"}, Default: true},
		{Name: "AllowInternetOutBound", Priority: 65001, Direction: "Outbound", Access: "Allow", Protocol: "*", Sources: []string{"*"}, Destinations: []string{"Internet"}, DestPorts: []string{"*"}, Default: true},
	}
	inv := &azure.Inventory{
		NSGs: map[string]*azure.NSG{
			strings.ToLower(nsgNIC): {ID: nsgNIC, Name: "nsg-nic", Rules: append(nicRules, defaults...)},
			strings.ToLower(nsgSub): {ID: nsgSub, Name: "nsg-subnet", Rules: append(subnetRules, defaults...)},
		},
		Subnets: map[string]*azure.Subnet{strings.ToLower(subnet): {ID: subnet, NSGID: nsgSub}},
	}
	l := ptLive(existingVault("GeoRedundant", "Unlocked", false, 0), vm)
	l.Inventory = inv
	return l
}

func deny(name string, prio int32, dest string) azure.SecurityRule {
	return azure.SecurityRule{Name: name, Priority: prio, Direction: "Outbound", Access: "Deny", Protocol: "*", Sources: []string{"*"}, Destinations: []string{dest}, DestPorts: []string{"*"}}
}

func allow(name string, prio int32, dest, port string) azure.SecurityRule {
	return azure.SecurityRule{Name: name, Priority: prio, Direction: "Outbound", Access: "Allow", Protocol: "Tcp", Sources: []string{"*"}, Destinations: []string{dest}, DestPorts: []string{port}}
}

// The service-tag mode adds one rule per blocking NSG, at a priority that
// wins over the blocking rule and is free; nothing where the path is open;
// the plan's own number when it works; conflicts in words when none can.
func TestNetworkChanges(t *testing.T) {
	cases := []struct {
		name        string
		nic, subnet []azure.SecurityRule
		priority    string
		want        string // "nsg to" lines
		conflict    string
	}{
		{"open path: nothing to add", nil, nil, "auto", "", ""},
		{"NIC NSG denies Internet", []azure.SecurityRule{deny("DenyInternet", 200, "Internet")}, nil, "auto", "nsg-nic 199", ""},
		{"both NSGs deny, each gets a rule", []azure.SecurityRule{deny("DenyAll", 4000, "*")}, []azure.SecurityRule{deny("DenyStorage", 300, "Storage")}, "auto", "nsg-nic 3999|nsg-subnet 299", ""},
		{"taken priorities are skipped", []azure.SecurityRule{deny("DenyInternet", 200, "Internet"), allow("Web", 199, "Internet", "80"), allow("Dns", 198, "*", "53")}, nil, "auto", "nsg-nic 197", ""},
		{"an allow for another port does not open 443", []azure.SecurityRule{allow("Http", 100, "Internet", "80"), deny("DenyInternet", 110, "Internet")}, nil, "auto", "nsg-nic 109", ""},
		{"an earlier allow for Storage.WestEurope opens the path", []azure.SecurityRule{allow("Storage", 100, "Storage.WestEurope", "443"), deny("DenyInternet", 110, "Internet")}, nil, "auto", "", ""},
		{"the plan's priority", []azure.SecurityRule{deny("DenyInternet", 2000, "Internet")}, nil, "1500", "nsg-nic 1500", ""},
		{"the plan's priority loses", []azure.SecurityRule{deny("DenyInternet", 200, "Internet")}, nil, "300", "", "conflict.nsg-priority-loses"},
		{"the plan's priority is taken", []azure.SecurityRule{deny("DenyInternet", 2000, "Internet"), allow("Other", 1500, "*", "22")}, nil, "1500", "", "conflict.nsg-priority-taken"},
		{"nothing below 100", []azure.SecurityRule{deny("DenyInternet", 100, "Internet")}, nil, "auto", "", "conflict.nsg-no-priority"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := ptPlan(func(p *Plan) {
				p.Vault.Create = false
				p.Network = PlanNetwork{Mode: NetworkServiceTags, NSGRulePriority: tc.priority}
			})
			cs, err := Changes(p, netLive(tc.nic, tc.subnet))
			if tc.conflict != "" {
				var conf PlanConflicts
				if !errors.As(err, &conf) || conf[0].Reason != tc.conflict {
					t.Fatalf("want %s, got %v", tc.conflict, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range cs {
				if c.Action == ActionNSGRule {
					if c.Kind != Create || !strings.HasSuffix(c.Target, "/securityRules/"+BackupRuleName) {
						t.Errorf("change %+v", c)
					}
					got = append(got, lastSegment(strings.TrimSuffix(c.Target, "/securityRules/"+BackupRuleName))+" "+c.To)
				}
			}
			if strings.Join(got, "|") != tc.want {
				t.Fatalf("got %q, want %q", strings.Join(got, "|"), tc.want)
			}
		})
	}
	// the rule is written before the VMs are protected
	p := ptPlan(func(p *Plan) {
		p.Vault.Create = false
		p.Network = PlanNetwork{Mode: NetworkServiceTags, NSGRulePriority: PriorityAuto}
		p.Protect = PlanProtect{Enabled: true, Policy: "DefaultPolicy"}
	})
	l := netLive([]azure.SecurityRule{deny("DenyInternet", 200, "Internet")}, nil)
	l.Policies = []azure.Policy{{Name: "DefaultPolicy", Type: "Standard"}}
	cs, err := Changes(p, l)
	if err != nil {
		t.Fatal(err)
	}
	rule, protect := -1, -1
	for i, c := range cs {
		switch c.Action {
		case ActionNSGRule:
			rule = i
		case ActionProtect:
			protect = i
		}
	}
	if rule < 0 || protect < 0 || rule > protect {
		t.Fatalf("order: rule %d, protect %d", rule, protect)
	}
	// a proxy no VM holds is not silently ignored: the plan says what its owner must allow
	p.Network = PlanNetwork{Mode: NetworkProxy, Proxy: &PlanProxy{Host: "10.0.0.5", Port: 3128}}
	cs, _ = Changes(p, l)
	found := false
	for _, c := range cs {
		if c.Action == ActionProxyPath && c.Kind == Skip && c.Reason == "change.reason.proxy-path-outside" {
			found = true
		}
	}
	if !found {
		t.Error("a proxy plan should say what the proxy's owner must allow")
	}
}

// Against the simulated tenant: api-01's NSG denies Internet at priority
// 200; apply adds the rule at 199 (read back), the path is then open, and a
// second run plans nothing for the network.
func TestApplyAddsNSGRule(t *testing.T) {
	env := newApplyEnv(t, nil, sim.Options{})
	p := protectPlan(false)
	p.Network = PlanNetwork{Mode: NetworkServiceTags, NSGRulePriority: PriorityAuto}
	out, cs, _ := env.run(t, context.Background(), p, nil)
	if out.Failed() {
		t.Fatalf("outcome %v %v", out.States, out.Errs)
	}
	var rule *Change
	for i := range cs {
		if cs[i].Action == ActionNSGRule {
			rule = &cs[i]
			// the rule at 199, and Network Watcher confirms the path for api-01
			if out.States[i] != RunDone || out.Details[i] != "199 · Allow "+BackupRuleName {
				t.Errorf("rule: %s detail %q", out.States[i], out.Details[i])
			}
		}
	}
	if rule == nil || !strings.Contains(rule.Target, "nsg-api-restricted") {
		t.Fatalf("no rule planned for nsg-api-restricted: %v", cs)
	}
	nsg := strings.TrimSuffix(rule.Target, "/securityRules/"+BackupRuleName)
	got, err := env.api.SecurityRule(context.Background(), nsg, BackupRuleName)
	if err != nil || got == nil || got.Priority != 199 || got.Destinations[0] != "Storage.WestEurope" {
		t.Fatalf("rule in Azure: %+v %v", got, err)
	}
	for _, c := range env.plan(t, p, nil) {
		if c.Action == ActionNSGRule {
			t.Errorf("second run plans %s %s", c.Kind, c.Target)
		}
	}
}
