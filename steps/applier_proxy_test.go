package steps

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
)

const (
	simNSGEdge = "/subscriptions/" + simProd + "/resourceGroups/rg-network-prod/providers/Microsoft.Network/networkSecurityGroups/nsg-edge-weu"
	simNSGAPI  = "/subscriptions/" + simProd + "/resourceGroups/rg-api-prod/providers/Microsoft.Network/networkSecurityGroups/nsg-api-restricted"
	simGateway = "/subscriptions/" + simProd + "/resourceGroups/rg-edge-prod/providers/Microsoft.Compute/virtualMachines/gateway-01"
)

// closeProxyPath puts, in the simulated demo tenant, the rules that close
// the proxy path through gateway-01's WAN address (10.10.4.4): its NSG
// keeps the VNet out and itself off the Internet, and api-01's NSG keeps it
// from the VNet. The demo's own rules are left as they are.
func closeProxyPath(t *testing.T, api *azure.Client) {
	t.Helper()
	ctx := context.Background()
	for _, x := range []struct {
		nsg  string
		rule azure.SecurityRule
	}{
		{simNSGEdge, azure.SecurityRule{Name: "DenyVnetInbound", Priority: 4000, Direction: "Inbound", Access: "Deny", Protocol: "*",
			Sources: []string{"VirtualNetwork"}, Destinations: []string{"*"}, DestPorts: []string{"*"}}},
		{simNSGEdge, azure.SecurityRule{Name: "DenyInternetOutbound", Priority: 4000, Direction: "Outbound", Access: "Deny", Protocol: "*",
			Sources: []string{"*"}, Destinations: []string{"Internet"}, DestPorts: []string{"*"}}},
		{simNSGAPI, azure.SecurityRule{Name: "DenyVnetOutbound", Priority: 300, Direction: "Outbound", Access: "Deny", Protocol: "*",
			Sources: []string{"*"}, Destinations: []string{"VirtualNetwork"}, DestPorts: []string{"*"}}},
	} {
		op, err := api.BeginPutSecurityRule(ctx, x.nsg, x.rule, "")
		if err == nil {
			err = op.Wait(ctx, time.Millisecond, nil)
		}
		if err != nil {
			t.Fatalf("%s: %v", x.rule.Name, err)
		}
	}
}

// gatewayProxyPlan is network mode proxy through gateway-01 for web-prod-01
// and api-01, without protection.
func gatewayProxyPlan(port int) *Plan {
	return &Plan{Version: 1, Cloud: CloudPublic, Subscription: simProd, VMs: []string{simWebVM, simAPIVM},
		Vault:      PlanVault{Name: "rsv-weu-prod", ResourceGroup: "rg-backup-prod", Location: "westeurope"},
		Redundancy: PlanRedundancy{Keep: true},
		Network:    PlanNetwork{Mode: NetworkProxy, NSGRulePriority: PriorityAuto, Proxy: &PlanProxy{Host: "10.10.4.4", Port: port}}}
}

// planned are the changes that do something, as "action kind subject".
func planned(cs []Change) []string {
	var out []string
	for _, c := range cs {
		if c.Kind == Create || c.Kind == Modify {
			s := lastSegment(c.Target)
			if c.Action == ActionNSGRule {
				nsg, name, _ := strings.Cut(c.Target, "/securityRules/")
				s = lastSegment(nsg) + "/" + name
			}
			out = append(out, c.Action+" "+string(c.Kind)+" "+s)
		}
	}
	return out
}

// Against the simulated tenant: the proxy is gateway-01; apply adds the
// three rules of the path (read back, then checked with IP flow verify),
// opens gateway-01's firewall with Run Command and pushes the guest
// configuration; a second run changes nothing. A new port rewrites the
// rules that no longer let it through, opens the firewall and pushes again,
// and then nothing is left either.
func TestApplyProxyPath(t *testing.T) {
	env := newApplyEnv(t, nil, sim.Options{})
	closeProxyPath(t, env.api)
	p := gatewayProxyPlan(3128)

	cs, _ := env.planProxy(t, p, nil)
	want := []string{
		"nsg.rule create nsg-api-restricted/AllowBackupProxyOutbound",
		"nsg.rule create nsg-edge-weu/AllowBackupProxyInbound",
		"nsg.rule create nsg-edge-weu/AllowBackupProxyInternetOutbound",
		"proxy.firewall create gateway-01",
		"vm.guestProxy create api-01",
		"vm.guestProxy create web-prod-01",
	}
	if got := planned(cs); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("planned\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Review shows the firewall script before it runs, and the az export runs it
	var fw *ScriptGroup
	for _, g := range PlanScripts(p, cs) {
		if g.Action == ActionProxyFirewall {
			fw = &g
		}
	}
	if fw == nil || fw.Lang != "sh" || strings.Join(fw.VMs, ",") != "gateway-01" || !strings.Contains(fw.Script, "SOURCES='10.10.1.0/24 10.10.5.0/24'") {
		t.Fatalf("firewall script in Review: %+v", fw)
	}
	if az := PlanScript(p, cs, "plan.yaml"); !strings.Contains(az, "az vm run-command invoke --ids "+simGateway+" --command-id RunShellScript") ||
		!strings.Contains(az, "--destination-address-prefixes Internet --destination-port-ranges 80 443") {
		t.Errorf("the az export lacks the firewall script or the Internet rule:\n%s", az)
	}

	out, cs := env.runProxy(t, p, env.api)
	if out.Failed() {
		t.Fatalf("outcome %v %v", out.States, out.Errs)
	}
	ctx := context.Background()
	for i, c := range cs {
		switch c.Action {
		case ActionNSGRule:
			// read back, and Network Watcher lets the path through by our rule
			if out.States[i] != RunDone || out.Details[i] != c.To+" · Allow "+c.Rule.Name {
				t.Errorf("%s: %s %q", c.Target, out.States[i], out.Details[i])
			}
			nsg := strings.TrimSuffix(c.Target, "/securityRules/"+c.Rule.Name)
			got, err := env.api.SecurityRule(ctx, nsg, c.Rule.Name)
			if err != nil || got == nil || strconv.Itoa(int(got.Priority)) != c.To || !sameRule(*got, *c.Rule) {
				t.Errorf("%s in Azure: %+v %v", c.Rule.Name, got, err)
			}
		case ActionProxyFirewall:
			if out.States[i] != RunDone || !strings.Contains(out.Details[i], "backupready proxy firewall: TCP") {
				t.Errorf("firewall: %s %q", out.States[i], out.Details[i])
			}
		case ActionGuestProxy:
			if out.States[i] != RunDone {
				t.Errorf("guest %s: %s", c.Target, out.States[i])
			}
		}
	}
	j, err := OpenJournal(env.journal)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := j.Last(ActionProxyFirewall, simGateway); !ok || e.State != JournalDone || e.To != "tcp/3128 10.10.1.0/24,10.10.5.0/24" {
		t.Errorf("journal: %+v", e)
	}
	if e, ok := j.Last(ActionGuestProxy, simAPIVM); !ok || e.State != JournalDone || e.To != "10.10.4.4:3128" {
		t.Errorf("journal: %+v", e)
	}
	_ = j.Close()

	// a second run: nothing to do, nothing written
	before := env.count.Writes()
	out, cs = env.runProxy(t, p, env.api)
	if got := planned(cs); len(got) != 0 || env.count.Writes() != before || out.Count(RunDone) != 0 {
		t.Fatalf("second run plans %q, %d writes", got, env.count.Writes()-before)
	}

	// another port
	p = gatewayProxyPlan(8080)
	j, err = OpenJournal(env.journal)
	if err != nil {
		t.Fatal(err)
	}
	cs, _ = env.planProxy(t, p, j)
	_ = j.Close()
	want = []string{
		"nsg.rule modify nsg-api-restricted/AllowBackupProxyOutbound",
		"nsg.rule modify nsg-edge-weu/AllowBackupProxyInbound",
		"proxy.firewall modify gateway-01",
		"vm.guestProxy modify api-01",
		"vm.guestProxy modify web-prod-01",
	}
	if got := planned(cs); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("new port planned\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range cs {
		if c.Action == ActionNSGRule && c.Kind == Modify && (c.From != c.To || c.Rule.DestPorts[0] != "8080") {
			t.Errorf("%s: from %s to %s, ports %v", c.Target, c.From, c.To, c.Rule.DestPorts)
		}
		if c.Action == ActionGuestProxy && (c.From != "10.10.4.4:3128" || c.To != "10.10.4.4:8080") {
			t.Errorf("%s: from %q to %q", c.Target, c.From, c.To)
		}
	}
	out, _ = env.runProxy(t, p, env.api)
	if out.Failed() || out.Count(RunDone) != len(want) {
		t.Fatalf("new port: %v %v", out.States, out.Errs)
	}
	got, err := env.api.SecurityRule(ctx, simNSGEdge, ProxyInboundRuleName)
	if err != nil || got == nil || strings.Join(got.DestPorts, ",") != "8080" {
		t.Errorf("the inbound rule: %+v %v", got, err)
	}
	_, cs = env.runProxy(t, p, env.api)
	if got := planned(cs); len(got) != 0 {
		t.Errorf("after the new port, still planned: %q", got)
	}
}
