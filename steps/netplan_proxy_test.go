package steps

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
)

// The proxy-path tests' network: web-1 (10.0.1.4, snet-app) and db-1
// (10.0.2.4, snet-db), both behind the subnet NSG nsg-app, web-1 also
// behind its NIC NSG nsg-web; the proxy VM proxy-1 (10.0.9.5, snet-edge)
// behind its NIC NSG nsg-proxy. Every VM runs Linux with a Ready agent.
const (
	ppNet   = "/subscriptions/" + ptSub + "/resourceGroups/rg-net/providers/Microsoft.Network/"
	ppApp   = ppNet + "networkSecurityGroups/nsg-app"
	ppWeb   = ppNet + "networkSecurityGroups/nsg-web"
	ppProxy = ppNet + "networkSecurityGroups/nsg-proxy"
)

type ppNSGs struct{ app, web, proxy []azure.SecurityRule }

var ppDefaults = []azure.SecurityRule{
	{Name: "AllowVnetInBound", Priority: 65000, Direction: "Inbound", Access: "Allow", Protocol: "*", Sources: []string{"VirtualNetwork"}, Destinations: []string{"VirtualNetwork"}, DestPorts: []string{"*"}, Default: true},
	{Name: "DenyAllInBound", Priority: 65500, Direction: "Inbound", Access: "Deny", Protocol: "*", Sources: []string{"*"}, Destinations: []string{"*"}, DestPorts: []string{"*"}, Default: true},
	{Name: "AllowVnetOutBound", Priority: 65000, Direction: "Outbound", Access: "Allow", Protocol: "*", Sources: []string{"VirtualNetwork"}, Destinations: []string{"VirtualNetwork"}, DestPorts: []string{"*"}, Default: true},
	{Name: "AllowInternetOutBound", Priority: 65001, Direction: "Outbound", Access: "Allow", Protocol: "*", Sources: []string{"*"}, Destinations: []string{"Internet"}, DestPorts: []string{"*"}, Default: true},
}

func ppVM(name, ip, subnet, nsg string) azure.VM {
	vm := *ptVM(name, "westeurope", "")
	vm.SubscriptionID, vm.OSType, vm.PowerState = ptSub, "Linux", "running"
	vm.Agent = &azure.AgentState{Status: "Ready"}
	vm.NICs = []azure.NIC{{ID: ppNet + "networkInterfaces/" + name + "-nic", Primary: true, NSGID: nsg,
		SubnetIDs: []string{ppNet + "virtualNetworks/vnet/subnets/" + subnet}, PrivateIPs: []string{ip}}}
	return vm
}

// ppLive is live state over that network; the plan VMs are web-1 and db-1.
func ppLive(n ppNSGs) LiveState {
	inv := &azure.Inventory{
		VMs: []azure.VM{ppVM("web-1", "10.0.1.4", "snet-app", ppWeb), ppVM("db-1", "10.0.2.4", "snet-db", ""), ppVM("proxy-1", "10.0.9.5", "snet-edge", ppProxy)},
		NSGs: map[string]*azure.NSG{
			strings.ToLower(ppApp):   {ID: ppApp, Name: "nsg-app", Rules: append(slices.Clone(n.app), ppDefaults...)},
			strings.ToLower(ppWeb):   {ID: ppWeb, Name: "nsg-web", Rules: append(slices.Clone(n.web), ppDefaults...)},
			strings.ToLower(ppProxy): {ID: ppProxy, Name: "nsg-proxy", Rules: append(slices.Clone(n.proxy), ppDefaults...)},
		},
		Subnets: map[string]*azure.Subnet{},
	}
	for name, prefix := range map[string]string{"snet-app": "10.0.1.0/24", "snet-db": "10.0.2.0/24", "snet-edge": "10.0.9.0/24"} {
		id := ppNet + "virtualNetworks/vnet/subnets/" + name
		s := &azure.Subnet{ID: id, AddressPrefixes: []string{prefix}}
		if name != "snet-edge" {
			s.NSGID = ppApp
		}
		inv.Subnets[strings.ToLower(id)] = s
	}
	l := ptLive(existingVault("GeoRedundant", "Unlocked", false, 0))
	l.VMs = map[string]*azure.VM{}
	for i := range inv.VMs {
		l.VMs[strings.ToLower(inv.VMs[i].ID)] = &inv.VMs[i]
	}
	l.Inventory = inv
	return l
}

func ppPlan(host string, port int) *Plan {
	return ptPlan(func(p *Plan) {
		p.Vault.Create = false
		p.VMs = []string{ptVM("web-1", "westeurope", "").ID, ptVM("db-1", "westeurope", "").ID}
		p.Network = PlanNetwork{Mode: NetworkProxy, NSGRulePriority: PriorityAuto, Proxy: &PlanProxy{Host: host, Port: port}}
	})
}

func ppDeny(name string, prio int32, dir, remote, port string) azure.SecurityRule {
	r := azure.SecurityRule{Name: name, Priority: prio, Direction: dir, Access: "Deny", Protocol: "*", Sources: []string{"*"}, Destinations: []string{remote}, DestPorts: []string{port}}
	if dir == "Inbound" {
		r.Sources, r.Destinations = []string{remote}, []string{"*"}
	}
	return r
}

func ppChanges(t *testing.T, p *Plan, l LiveState) []Change {
	t.Helper()
	cs, err := Changes(p, l)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// ruleLines are the NSG rule changes as "kind nsg name direction prio sources>dests:ports".
func ruleLines(cs []Change) []string {
	var out []string
	for _, c := range cs {
		if c.Action != ActionNSGRule {
			continue
		}
		nsg, name, _ := strings.Cut(c.Target, "/securityRules/")
		l := string(c.Kind) + " " + lastSegment(nsg) + " " + name
		if r := c.Rule; r != nil {
			l += " " + r.Direction + " " + c.To + " " + strings.Join(r.Sources, ",") + ">" + strings.Join(r.Destinations, ",") + ":" + strings.Join(r.DestPorts, ",")
		}
		out = append(out, l)
	}
	return out
}

func changeOf(cs []Change, action string) *Change {
	for i := range cs {
		if cs[i].Action == action {
			return &cs[i]
		}
	}
	return nil
}

// The VMs' side: a rule only where an NSG blocks TCP <port> to the proxy,
// one per NSG for all the VMs behind it, from their subnets.
func TestProxyPathVMSide(t *testing.T) {
	cases := []struct {
		name string
		nsgs ppNSGs
		want []string
	}{
		{"open path: nothing", ppNSGs{}, nil},
		{"a deny for another port", ppNSGs{web: []azure.SecurityRule{ppDeny("DenyHttpAlt", 300, "Outbound", "VirtualNetwork", "8080")}}, nil},
		{"a deny of the Internet does not stop a private proxy", ppNSGs{web: []azure.SecurityRule{ppDeny("DenyInternet", 300, "Outbound", "Internet", "*")}}, nil},
		{"web-1's NIC NSG", ppNSGs{web: []azure.SecurityRule{ppDeny("DenyVnet", 300, "Outbound", "VirtualNetwork", "*")}},
			[]string{"create nsg-web AllowBackupProxyOutbound Outbound 299 10.0.1.0/24>10.0.9.5/32:3128"}},
		{"the subnet NSG both VMs share: one rule for both", ppNSGs{app: []azure.SecurityRule{ppDeny("DenyProxy", 1000, "Outbound", "10.0.9.0/24", "3128")}},
			[]string{"create nsg-app AllowBackupProxyOutbound Outbound 999 10.0.1.0/24,10.0.2.0/24>10.0.9.5/32:3128"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs := ppChanges(t, ppPlan("10.0.9.5", 3128), ppLive(tc.nsgs))
			if got := ruleLines(cs); !slices.Equal(got, tc.want) {
				t.Fatalf("rules\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			for _, c := range cs {
				if c.Action != ActionNSGRule {
					continue
				}
				if c.Reason != "change.reason.proxy-vm-rule" || argString(c.Args, "Sources") == "" || argString(c.Args, "Proxy") != "10.0.9.5:3128" {
					t.Errorf("reason %s args %v", c.Reason, c.Args)
				}
				if pr := c.Probe; pr == nil || pr.Direction != "Outbound" || pr.RemoteIP != "10.0.9.5" || pr.RemotePort != "3128" ||
					(pr.IP != "10.0.1.4" && pr.IP != "10.0.2.4") {
					t.Errorf("probe %+v", c.Probe)
				}
			}
		})
	}
	// both VMs named as blocked by the shared NSG
	cs := ppChanges(t, ppPlan("10.0.9.5", 3128), ppLive(cases[4].nsgs))
	if c := changeOf(cs, ActionNSGRule); argString(c.Args, "VMs") != "db-1, web-1" && argString(c.Args, "VMs") != "web-1, db-1" {
		t.Errorf("VMs %q", argString(c.Args, "VMs"))
	}
}

// The proxy's side: in from the VMs' subnets on the port, out to the
// Internet on 80 and 443, each only where the proxy's NSGs block it.
func TestProxyPathProxySide(t *testing.T) {
	denyIn := ppDeny("DenyVnetIn", 500, "Inbound", "VirtualNetwork", "*")
	denyOut := ppDeny("DenyInternetOut", 400, "Outbound", "Internet", "*")
	cases := []struct {
		name  string
		proxy []azure.SecurityRule
		want  []string
	}{
		{"open", nil, nil},
		{"inbound blocked", []azure.SecurityRule{denyIn},
			[]string{"create nsg-proxy AllowBackupProxyInbound Inbound 499 10.0.1.0/24,10.0.2.0/24>10.0.9.5/32:3128"}},
		{"outbound blocked", []azure.SecurityRule{denyOut},
			[]string{"create nsg-proxy AllowBackupProxyInternetOutbound Outbound 399 10.0.9.5/32>Internet:80,443"}},
		{"only 443 blocked: the rule has both ports", []azure.SecurityRule{ppDeny("Deny443", 400, "Outbound", "Internet", "443")},
			[]string{"create nsg-proxy AllowBackupProxyInternetOutbound Outbound 399 10.0.9.5/32>Internet:80,443"}},
		{"both", []azure.SecurityRule{denyIn, denyOut}, []string{
			"create nsg-proxy AllowBackupProxyInbound Inbound 499 10.0.1.0/24,10.0.2.0/24>10.0.9.5/32:3128",
			"create nsg-proxy AllowBackupProxyInternetOutbound Outbound 399 10.0.9.5/32>Internet:80,443"}},
		{"our rules already there: nothing", []azure.SecurityRule{denyIn, denyOut,
			{Name: ProxyInboundRuleName, Priority: 499, Direction: "Inbound", Access: "Allow", Protocol: "Tcp", Sources: []string{"10.0.1.0/24", "10.0.2.0/24"}, Destinations: []string{"10.0.9.5/32"}, DestPorts: []string{"3128"}},
			{Name: ProxyInternetRuleName, Priority: 399, Direction: "Outbound", Access: "Allow", Protocol: "Tcp", Sources: []string{"10.0.9.5/32"}, Destinations: []string{"Internet"}, DestPorts: []string{"80", "443"}},
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs := ppChanges(t, ppPlan("10.0.9.5", 3128), ppLive(ppNSGs{proxy: tc.proxy}))
			if got := ruleLines(cs); !slices.Equal(got, tc.want) {
				t.Fatalf("rules\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			for _, c := range cs {
				if c.Action != ActionNSGRule {
					continue
				}
				pr := c.Probe
				switch c.Rule.Name {
				case ProxyInboundRuleName:
					if c.Reason != "change.reason.proxy-in-rule" || pr == nil || pr.Direction != "Inbound" || pr.IP != "10.0.9.5" || pr.RemotePort != "3128" ||
						!strings.HasPrefix(pr.RemoteIP, "10.0.") || !strings.HasSuffix(pr.VMID, "/proxy-1") {
						t.Errorf("inbound: %s probe %+v", c.Reason, pr)
					}
				case ProxyInternetRuleName:
					if c.Reason != "change.reason.proxy-out-rule" || pr == nil || pr.Direction != "Outbound" || pr.IP != "10.0.9.5" || pr.RemotePort != "443" {
						t.Errorf("internet: %s probe %+v", c.Reason, pr)
					}
				}
			}
			if changeOf(cs, ActionProxyPath) != nil {
				t.Errorf("a proxy VM of the inventory is not outside Azure")
			}
		})
	}
}

// A proxy no VM holds is someone else's: the plan says what its owner must
// allow, with the VMs' subnets; the VMs' side is still planned.
func TestProxyPathOutside(t *testing.T) {
	l := ppLive(ppNSGs{web: []azure.SecurityRule{ppDeny("DenyVnet", 300, "Outbound", "VirtualNetwork", "*")}})
	cs := ppChanges(t, ppPlan("10.0.50.7", 8080), l)
	c := changeOf(cs, ActionProxyPath)
	if c == nil || c.Kind != Skip || c.Reason != "change.reason.proxy-path-outside" || argString(c.Args, "Sources") != "10.0.1.0/24, 10.0.2.0/24" {
		t.Fatalf("outside: %+v", c)
	}
	text := translator(t, "en").T(c.Reason, c.Args...)
	for _, want := range []string{"inbound TCP 8080 from 10.0.1.0/24, 10.0.2.0/24", "outbound TCP 80 and 443 to the Internet", "westeurope"} {
		if !strings.Contains(text, want) {
			t.Errorf("%q lacks %q", text, want)
		}
	}
	if got := ruleLines(cs); !slices.Equal(got, []string{"create nsg-web AllowBackupProxyOutbound Outbound 299 10.0.1.0/24>10.0.50.7/32:8080"}) {
		t.Errorf("rules %q", got)
	}
	if changeOf(cs, ActionProxyFirewall) != nil {
		t.Errorf("no firewall change for a proxy outside Azure")
	}
}

// A host name is placed only by the inventory's VM names: no DNS lookup.
func TestProxyPathHostName(t *testing.T) {
	deny := ppNSGs{web: []azure.SecurityRule{ppDeny("DenyVnet", 300, "Outbound", "VirtualNetwork", "*")}, proxy: []azure.SecurityRule{ppDeny("DenyVnetIn", 500, "Inbound", "VirtualNetwork", "*")}}
	for _, host := range []string{"proxy-1", "PROXY-1.contoso.internal"} {
		cs := ppChanges(t, ppPlan(host, 3128), ppLive(deny))
		got := ruleLines(cs)
		if len(got) != 2 || !strings.Contains(got[0], ">10.0.9.5/32:3128") || !strings.Contains(got[1], "AllowBackupProxyInbound") {
			t.Errorf("%s: rules %q", host, got)
		}
		if fw := changeOf(cs, ActionProxyFirewall); fw == nil || fw.Kind != Create {
			t.Errorf("%s: firewall %+v", host, fw)
		}
	}
	cs := ppChanges(t, ppPlan("squid.corp.example", 3128), ppLive(deny))
	if got := ruleLines(cs); got != nil {
		t.Errorf("an unknown name cannot be judged, yet rules %q", got)
	}
	c := changeOf(cs, ActionProxyPath)
	if c == nil || c.Kind != Skip || c.Reason != "change.reason.proxy-path-unknown" {
		t.Fatalf("unknown name: %+v", c)
	}
	text := translator(t, "en").T(c.Reason, c.Args...)
	if !strings.Contains(text, "squid.corp.example") || !strings.Contains(text, "from 10.0.1.0/24, 10.0.2.0/24") || !strings.Contains(text, "does not look names up") {
		t.Errorf("text %q", text)
	}
	if changeOf(cs, ActionProxyFirewall) != nil {
		t.Errorf("no firewall change for a proxy that cannot be placed")
	}
	// the guest part does not depend on where the proxy is
	if n := len(guestChanges(cs)); n != 2 {
		t.Errorf("%d guest changes", n)
	}
}

// testJournal is a journal in a temporary folder holding entries.
func testJournal(t *testing.T, entries ...JournalEntry) *Journal {
	t.Helper()
	j, err := OpenJournal(filepath.Join(t.TempDir(), "plan.yaml"+JournalSuffix))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	for _, e := range entries {
		if e.Time.IsZero() {
			e.Time = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
		}
		if err := j.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	return j
}

// The proxy VM's firewall: Run Command when it runs with a Ready agent,
// the commands to run by hand otherwise; a run the journal remembers for
// the same port and subnets is not repeated, another is.
func TestProxyFirewallChange(t *testing.T) {
	proxyID := ptVM("proxy-1", "westeurope", "").ID
	want := "tcp/3128 10.0.1.0/24,10.0.2.0/24"
	cases := []struct {
		name   string
		mod    func(vm *azure.VM)
		j      []JournalEntry
		kind   ChangeKind
		reason string
	}{
		{"ready", nil, nil, Create, "proxy-firewall"},
		{"windows", func(vm *azure.VM) { vm.OSType = "Windows" }, nil, Create, "proxy-firewall-windows"},
		{"agent not ready", func(vm *azure.VM) { vm.Agent.Status = "Not Ready" }, nil, Skip, "proxy-firewall-manual"},
		{"stopped", func(vm *azure.VM) { vm.PowerState, vm.Agent = "deallocated", nil }, nil, Skip, "proxy-firewall-manual"},
		{"stopped windows", func(vm *azure.VM) { vm.OSType, vm.PowerState = "Windows", "stopped" }, nil, Skip, "proxy-firewall-manual-windows"},
		{"os unknown", func(vm *azure.VM) { vm.OSType = "" }, nil, Skip, "proxy-firewall-os-unknown"},
		{"done for the same", nil, []JournalEntry{{Action: ActionProxyFirewall, Target: proxyID, State: JournalDone, To: want}}, NoChange, "proxy-firewall-done"},
		{"done for another port", nil, []JournalEntry{{Action: ActionProxyFirewall, Target: proxyID, State: JournalDone, To: "tcp/8080 10.0.1.0/24"}}, Modify, "proxy-firewall-again"},
		{"failed earlier", nil, []JournalEntry{{Action: ActionProxyFirewall, Target: proxyID, State: JournalFailed}}, Create, "proxy-firewall"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := ppLive(ppNSGs{})
			if tc.mod != nil {
				tc.mod(l.VMs[strings.ToLower(proxyID)])
			}
			if tc.j != nil {
				l.Journal = testJournal(t, tc.j...)
			}
			p := ppPlan("10.0.9.5", 3128)
			cs := ppChanges(t, p, l)
			c := changeOf(cs, ActionProxyFirewall)
			if c == nil || c.Kind != tc.kind || c.Reason != "change.reason."+tc.reason || c.Target != proxyID || c.To != want {
				t.Fatalf("firewall %+v", c)
			}
			text := translator(t, "en").T(c.Reason, c.Args...)
			if strings.Contains(text, "{{") || strings.Contains(text, "<no value>") {
				t.Errorf("text %q", text)
			}
			lang, script, ok := ChangeScript(p, *c)
			if ok != (tc.kind == Create || tc.kind == Modify) {
				t.Fatalf("script shown: %v", ok)
			}
			switch {
			case !ok:
			case tc.name == "windows":
				if lang != "powershell" || !strings.Contains(script, "$sources = @('10.0.1.0/24', '10.0.2.0/24')") {
					t.Errorf("%s script:\n%s", lang, script)
				}
			default:
				if lang != "sh" || !strings.Contains(script, "SOURCES='10.0.1.0/24 10.0.2.0/24'") || !strings.Contains(script, "PORT='3128'") {
					t.Errorf("%s script:\n%s", lang, script)
				}
			}
			if tc.reason == "proxy-firewall-manual" && !strings.Contains(text, "sudo ufw allow proto tcp from 10.0.1.0/24 to any port 3128") {
				t.Errorf("manual text %q", text)
			}
			if tc.reason == "proxy-firewall-manual-windows" && !strings.Contains(text, "New-NetFirewallRule -DisplayName 'backupready proxy 3128'") {
				t.Errorf("manual text %q", text)
			}
		})
	}
}

// A guest push remembers what it set: a plan whose proxy changed pushes
// again (Modify, from the old to the new), the same proxy does not.
func TestGuestProxyRepush(t *testing.T) {
	webID := ptVM("web-1", "westeurope", "").ID
	done := func(to string) JournalEntry {
		return JournalEntry{Action: ActionGuestProxy, Target: webID, State: JournalDone, To: to}
	}
	cases := []struct {
		name  string
		plan  *Plan
		entry JournalEntry
		kind  ChangeKind
	}{
		{"same proxy", ppPlan("10.0.9.5", 3128), done("10.0.9.5:3128"), NoChange},
		{"other host", ppPlan("10.0.9.6", 3128), done("10.0.9.5:3128"), Modify},
		{"other port", ppPlan("10.0.9.5", 8080), done("10.0.9.5:3128"), Modify},
		{"a journal that did not say: taken as done", ppPlan("10.0.9.6", 3128), done(""), NoChange},
		{"no-proxy entries added", func() *Plan {
			p := ppPlan("10.0.9.5", 3128)
			p.Network.Proxy.NoProxy = []string{".contoso.com"}
			return p
		}(), done("10.0.9.5:3128"), Modify},
		{"same no-proxy entries", func() *Plan {
			p := ppPlan("10.0.9.5", 3128)
			p.Network.Proxy.NoProxy = []string{".contoso.com"}
			return p
		}(), done("10.0.9.5:3128 no_proxy .contoso.com"), NoChange},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := ppLive(ppNSGs{})
			l.Journal = testJournal(t, tc.entry)
			cs := ppChanges(t, tc.plan, l)
			var c *Change
			for i := range cs {
				if cs[i].Action == ActionGuestProxy && cs[i].Target == webID {
					c = &cs[i]
				}
			}
			if c == nil || c.Kind != tc.kind {
				t.Fatalf("guest push %+v", c)
			}
			if tc.kind == Modify {
				if c.From != tc.entry.To || c.To == c.From || c.Reason != "change.reason.guest-proxy-again" {
					t.Errorf("from %q to %q reason %s", c.From, c.To, c.Reason)
				}
				text := translator(t, "en").T(c.Reason, c.Args...)
				if !strings.Contains(text, tc.entry.To) || !strings.Contains(text, c.To) {
					t.Errorf("text %q", text)
				}
				if _, _, ok := ChangeScript(tc.plan, *c); !ok {
					t.Errorf("the script of a push again is not shown")
				}
			}
		})
	}
}

// The path's rules and the firewall come before the guest pushes: the
// applier runs them first, as a chain, and the VMs' changes after.
func TestProxyPathOrder(t *testing.T) {
	l := ppLive(ppNSGs{web: []azure.SecurityRule{ppDeny("DenyVnet", 300, "Outbound", "VirtualNetwork", "*")},
		proxy: []azure.SecurityRule{ppDeny("DenyVnetIn", 500, "Inbound", "VirtualNetwork", "*")}})
	cs := ppChanges(t, ppPlan("10.0.9.5", 3128), l)
	last, first := -1, len(cs)
	for i, c := range cs {
		switch c.Action {
		case ActionNSGRule, ActionProxyFirewall:
			last = i
			if vmAction(c.Action) {
				t.Errorf("%s would run per VM", c.Action)
			}
		case ActionGuestProxy:
			first = min(first, i)
		}
	}
	if last < 0 || first == len(cs) || last > first {
		t.Fatalf("order: path up to %d, guest from %d\n%s", last, first, summary(cs))
	}
	if n := len(ruleLines(cs)); n != 2 {
		t.Errorf("%d rules", n)
	}
}

// backupready's rule of that name, for another proxy: rewritten in place at
// its priority, keeping the subnets it had.
func TestProxyRuleRewrite(t *testing.T) {
	old := azure.SecurityRule{Name: ProxyOutboundRuleName, Priority: 299, Direction: "Outbound", Access: "Allow", Protocol: "Tcp",
		Sources: []string{"10.0.7.0/24"}, Destinations: []string{"10.0.9.9/32"}, DestPorts: []string{"3128"}}
	l := ppLive(ppNSGs{web: []azure.SecurityRule{old, ppDeny("DenyVnet", 300, "Outbound", "VirtualNetwork", "*")}})
	cs := ppChanges(t, ppPlan("10.0.9.5", 3128), l)
	got := ruleLines(cs)
	if !slices.Equal(got, []string{"modify nsg-web AllowBackupProxyOutbound Outbound 299 10.0.1.0/24,10.0.7.0/24>10.0.9.5/32:3128"}) {
		t.Fatalf("rules %q", got)
	}
	c := changeOf(cs, ActionNSGRule)
	if c.Reason != "change.reason.proxy-rule-rewrite" || c.From != "299" {
		t.Errorf("%s from %q", c.Reason, c.From)
	}
	if text := translator(t, "en").T(c.Reason, c.Args...); !strings.Contains(text, "10.0.9.9/32:3128") || !strings.Contains(text, "10.0.9.5/32:3128") {
		t.Errorf("text %q", text)
	}
	// ours, the same traffic, but losing: not edited, a conflict in words
	same := old
	same.Priority, same.Sources, same.Destinations = 400, []string{"10.0.1.0/24"}, []string{"10.0.9.5/32"}
	l = ppLive(ppNSGs{web: []azure.SecurityRule{same, ppDeny("DenyVnet", 300, "Outbound", "VirtualNetwork", "*")}})
	cs, err := Changes(ppPlan("10.0.9.5", 3128), l)
	var conf PlanConflicts
	if !errors.As(err, &conf) || conf[0].Reason != "conflict.proxy-rule-loses" {
		t.Fatalf("want conflict.proxy-rule-loses, got %v", err)
	}
	if c := changeOf(cs, ActionNSGRule); c == nil || c.Kind != Skip || c.Reason != "change.reason.proxy-rule-loses" {
		t.Errorf("loses: %+v", c)
	}
}

// The proxy VM among the plan's VMs: it is not its own client.
func TestProxyPathProxyInPlan(t *testing.T) {
	l := ppLive(ppNSGs{proxy: []azure.SecurityRule{ppDeny("DenyVnetIn", 500, "Inbound", "VirtualNetwork", "*"),
		ppDeny("DenyVnetOut", 500, "Outbound", "VirtualNetwork", "*")}})
	p := ppPlan("10.0.9.5", 3128)
	p.VMs = append(p.VMs, ptVM("proxy-1", "westeurope", "").ID)
	cs := ppChanges(t, p, l)
	got := ruleLines(cs)
	// no outbound rule for proxy-1 to itself; the inbound rule from the other VMs' subnets only
	if !slices.Equal(got, []string{"create nsg-proxy AllowBackupProxyInbound Inbound 499 10.0.1.0/24,10.0.2.0/24>10.0.9.5/32:3128"}) {
		t.Errorf("rules %q", got)
	}
	if c := changeOf(cs, ActionNSGRule); c != nil && strings.Contains(argString(c.Args, "VMs"), "proxy-1") {
		t.Errorf("proxy-1 is named as kept out of itself: %v", c.Args)
	}
}

// The proxy VM's agent is read with the plan VMs' (Run Command needs it).
func TestReadGuestAgentsProxyVM(t *testing.T) {
	l := ppLive(ppNSGs{})
	for _, vm := range l.VMs {
		vm.Agent = nil
	}
	r := &agentRecorder{}
	if err := ReadGuestAgents(t.Context(), r, ppPlan("10.0.9.5", 3128), l); err != nil {
		t.Fatal(err)
	}
	slices.Sort(r.names)
	if strings.Join(r.names, " ") != "db-1 proxy-1 web-1" {
		t.Errorf("agents read: %q", r.names)
	}
	if vm := l.VMs[strings.ToLower(ptVM("proxy-1", "westeurope", "").ID)]; vm.Agent == nil || vm.Agent.Status != "Ready" {
		t.Errorf("the proxy VM's agent did not land: %+v", vm.Agent)
	}
}

type agentRecorder struct{ names []string }

func (r *agentRecorder) ReadAgents(_ context.Context, vms []azure.VM, _ int, _ func(int, int)) error {
	for i := range vms {
		r.names = append(r.names, vms[i].Name)
		vms[i].Agent = &azure.AgentState{Status: "Ready"}
	}
	return nil
}
