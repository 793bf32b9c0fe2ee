package steps

import (
	"context"
	"encoding/json"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
	"github.com/backupready/backupready/ui"
)

const (
	routeTableID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/routeTables/rt-hub"
	subnetID     = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet-app"
)

func routeInv(s *azure.Subnet, routes ...azure.Route) *azure.Inventory {
	inv := &azure.Inventory{Subnets: map[string]*azure.Subnet{strings.ToLower(s.ID): s}, RouteTables: map[string]*azure.RouteTable{}}
	if routes != nil {
		inv.RouteTables[strings.ToLower(routeTableID)] = &azure.RouteTable{ID: routeTableID, Name: "rt-hub", Routes: routes}
	}
	return inv
}

var (
	toAppliance = azure.Route{Name: "default-to-fw", AddressPrefix: "0.0.0.0/0", NextHopType: "VirtualAppliance", NextHopIP: "10.0.0.4"}
	toGateway   = azure.Route{Name: "default-to-onprem", AddressPrefix: "0.0.0.0/0", NextHopType: "VirtualNetworkGateway"}
	toNone      = azure.Route{Name: "blackhole", AddressPrefix: "0.0.0.0/0", NextHopType: "None"}
	toInternet  = azure.Route{Name: "default-out", AddressPrefix: "0.0.0.0/0", NextHopType: "Internet"}
	storageOut  = azure.Route{Name: "storage-direct", AddressPrefix: "Storage.WestEurope", NextHopType: "Internet"}
	onPrem      = azure.Route{Name: "onprem", AddressPrefix: "192.168.0.0/16", NextHopType: "VirtualNetworkGateway"}
)

// The route of the backup path: the most specific route covering Storage in
// the region decides; no route table is the system route; egress needs a
// way out.
func TestBackupRoute(t *testing.T) {
	off, on := new(bool), new(bool)
	*on = true
	cases := []struct {
		name   string
		subnet azure.Subnet
		nic    azure.NIC
		routes []azure.Route
		kind   string
		route  string
	}{
		{"no route table", azure.Subnet{}, azure.NIC{}, nil, PathInternet, ""},
		{"0/0 to an appliance", azure.Subnet{RouteTableID: routeTableID}, azure.NIC{}, []azure.Route{onPrem, toAppliance}, PathAppliance, "default-to-fw"},
		{"0/0 to a gateway", azure.Subnet{RouteTableID: routeTableID}, azure.NIC{}, []azure.Route{toGateway}, PathGateway, "default-to-onprem"},
		{"0/0 to None", azure.Subnet{RouteTableID: routeTableID}, azure.NIC{}, []azure.Route{toNone}, PathDropped, "blackhole"},
		{"0/0 to the Internet", azure.Subnet{RouteTableID: routeTableID, DefaultOutboundAccess: on}, azure.NIC{}, []azure.Route{toInternet}, PathInternet, "default-out"},
		{"a Storage tag route beats 0/0 to an appliance", azure.Subnet{RouteTableID: routeTableID}, azure.NIC{}, []azure.Route{toAppliance, storageOut}, PathInternet, "storage-direct"},
		{"a Storage tag of another region does not", azure.Subnet{RouteTableID: routeTableID}, azure.NIC{},
			[]azure.Route{toAppliance, {Name: "eus", AddressPrefix: "Storage.EastUS", NextHopType: "Internet"}}, PathAppliance, "default-to-fw"},
		{"Storage beats AzureCloud", azure.Subnet{RouteTableID: routeTableID}, azure.NIC{},
			[]azure.Route{{Name: "cloud", AddressPrefix: "AzureCloud", NextHopType: "None"}, {Name: "st", AddressPrefix: "Storage", NextHopType: "VirtualAppliance", NextHopIP: "10.0.0.5"}}, PathAppliance, "st"},
		{"a route table without a default route is no egress", azure.Subnet{RouteTableID: routeTableID, DefaultOutboundAccess: off}, azure.NIC{}, []azure.Route{onPrem}, PathNoEgress, ""},
		{"no egress", azure.Subnet{DefaultOutboundAccess: off}, azure.NIC{}, nil, PathNoEgress, ""},
		{"0/0 to the Internet without a way out", azure.Subnet{RouteTableID: routeTableID, DefaultOutboundAccess: off}, azure.NIC{}, []azure.Route{toInternet}, PathNoEgress, "default-out"},
		{"a NAT gateway gives egress", azure.Subnet{DefaultOutboundAccess: off, NATGatewayID: "/nat"}, azure.NIC{}, nil, PathInternet, ""},
		{"a public IP gives egress", azure.Subnet{DefaultOutboundAccess: off}, azure.NIC{PublicIPs: 1}, nil, PathInternet, ""},
		{"a load balancer gives egress", azure.Subnet{DefaultOutboundAccess: off}, azure.NIC{LoadBalanced: true}, nil, PathInternet, ""},
		{"a Storage service endpoint bypasses the appliance", azure.Subnet{RouteTableID: routeTableID,
			ServiceEndpoints: []azure.ServiceEndpoint{{Service: "Microsoft.Storage", Locations: []string{"westeurope", "northeurope"}}}}, azure.NIC{},
			[]azure.Route{toAppliance}, PathEndpoint, ""},
		{"an endpoint for another region does not", azure.Subnet{RouteTableID: routeTableID,
			ServiceEndpoints: []azure.ServiceEndpoint{{Service: "Microsoft.Storage", Locations: []string{"eastus"}}}}, azure.NIC{},
			[]azure.Route{toAppliance}, PathAppliance, "default-to-fw"},
		{"a dangling route table", azure.Subnet{RouteTableID: routeTableID + "-gone"}, azure.NIC{}, []azure.Route{toAppliance}, PathUnreadable, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := c.subnet
			s.ID = subnetID
			inv := routeInv(&s, c.routes...)
			if c.routes == nil {
				inv.RouteTables = nil
			}
			p := BackupRoute(inv, c.nic, &s, "westeurope")
			if p.Kind != c.kind || p.Route != c.route {
				t.Fatalf("got %+v, want %s by %q", p, c.kind, c.route)
			}
			if p.Subnet != "snet-app" {
				t.Errorf("subnet %q", p.Subnet)
			}
			if c.kind == PathAppliance && c.route == "default-to-fw" && (p.HopIP != "10.0.0.4" || p.Table != "rt-hub" || p.Prefix != "0.0.0.0/0") {
				t.Errorf("the appliance route should name its table, prefix and address: %+v", p)
			}
			if c.kind == PathUnreadable && p.Table != "rt-hub-gone" {
				t.Errorf("the unreadable table should be named: %+v", p)
			}
		})
	}
}

// Effective routes: the active route most specific for Storage decides; a
// user route listed with its tag's addresses is known by its name; an
// Invalid route does not count; a BGP default route is the gateway's.
func TestEffectiveRoutePath(t *testing.T) {
	rt := &azure.RouteTable{ID: routeTableID, Name: "rt-hub", Routes: []azure.Route{toAppliance, storageOut}}
	sys := azure.EffectiveRoute{Source: "Default", State: "Invalid", AddressPrefixes: []string{"0.0.0.0/0"}, NextHopType: "Internet"}
	fw := azure.EffectiveRoute{Name: "default-to-fw", Source: "User", State: "Active", AddressPrefixes: []string{"0.0.0.0/0"}, NextHopType: "VirtualAppliance", NextHopIPs: []string{"10.0.0.4"}}
	st := azure.EffectiveRoute{Name: "storage-direct", Source: "User", State: "Active", AddressPrefixes: []string{"198.51.100.0/28", "2001:db8:100::/64"}, NextHopType: "Internet"}
	s := &azure.Subnet{ID: subnetID, RouteTableID: routeTableID}

	p := EffectiveRoutePath([]azure.EffectiveRoute{sys, fw}, s, rt, "westeurope")
	if p.Kind != PathAppliance || p.Route != "default-to-fw" || p.HopIP != "10.0.0.4" || p.Table != "rt-hub" {
		t.Errorf("0/0 to the firewall: %+v", p)
	}
	p = EffectiveRoutePath([]azure.EffectiveRoute{sys, fw, st}, s, rt, "westeurope")
	if p.Kind != PathInternet || p.Route != "storage-direct" || p.Prefix != "Storage.WestEurope" {
		t.Errorf("the Storage route, known by its name: %+v", p)
	}
	sys.State = "Active"
	if p := EffectiveRoutePath([]azure.EffectiveRoute{sys}, nil, nil, "westeurope"); p.Kind != PathInternet || p.Route != "" {
		t.Errorf("the system route: %+v", p)
	}
	bgp := azure.EffectiveRoute{Source: "VirtualNetworkGateway", State: "Active", AddressPrefixes: []string{"0.0.0.0/0"}, NextHopType: "VirtualNetworkGateway", NextHopIPs: []string{"10.1.0.1"}}
	sys.State = "Invalid"
	if p := EffectiveRoutePath([]azure.EffectiveRoute{sys, bgp}, s, nil, "westeurope"); p.Kind != PathGateway || !p.BGP {
		t.Errorf("a BGP default route: %+v", p)
	}
	se := azure.EffectiveRoute{Source: "Default", State: "Active", AddressPrefixes: []string{"198.51.100.0/28"}, NextHopType: "VirtualNetworkServiceEndpoint"}
	withSE := &azure.Subnet{ID: subnetID, ServiceEndpoints: []azure.ServiceEndpoint{{Service: "Microsoft.Storage", Locations: []string{"*"}}}}
	if p := EffectiveRoutePath([]azure.EffectiveRoute{fw, se}, withSE, rt, "westeurope"); p.Kind != PathEndpoint {
		t.Errorf("a Storage service endpoint: %+v", p)
	}
	if p := EffectiveRoutePath([]azure.EffectiveRoute{fw, se}, s, rt, "westeurope"); p.Kind != PathAppliance {
		t.Errorf("an endpoint of another service does not carry Storage: %+v", p)
	}
}

// The rule network.outbound names the deciding route; an NSG deny stays
// the worst (an NSG rule is what the wizard can add).
func TestRuleNetworkOutboundRoutes(t *testing.T) {
	off := new(bool)
	nsgID := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg-app"
	deny := &azure.NSG{ID: nsgID, Name: "nsg-app", Rules: []azure.SecurityRule{{Name: "DenyInternet", Priority: 200, Direction: "Outbound",
		Access: "Deny", Protocol: "*", Sources: []string{"*"}, Destinations: []string{"Internet"}, DestPorts: []string{"*"}}}}
	cases := []struct {
		name    string
		subnet  azure.Subnet
		routes  []azure.Route
		nsg     bool
		msg     string
		verdict Verdict
		args    map[string]any
	}{
		{"forced tunnel", azure.Subnet{RouteTableID: routeTableID}, []azure.Route{toAppliance}, false, "forced-tunnel", Warn,
			map[string]any{"Route": "default-to-fw", "Table": "rt-hub", "IP": "10.0.0.4", "Tag": "Storage.WestEurope", "Name": "snet-app"}},
		{"gateway", azure.Subnet{RouteTableID: routeTableID}, []azure.Route{toGateway}, false, "forced-tunnel-gateway", Warn, map[string]any{"Route": "default-to-onprem"}},
		{"dropped", azure.Subnet{RouteTableID: routeTableID}, []azure.Route{toNone}, false, "dropped", Warn, map[string]any{"Route": "blackhole", "Prefix": "0.0.0.0/0"}},
		{"tag route overrides", azure.Subnet{RouteTableID: routeTableID}, []azure.Route{toAppliance, storageOut}, false, "no-nsg", OK, nil},
		{"route table without default route", azure.Subnet{RouteTableID: routeTableID, DefaultOutboundAccess: off}, []azure.Route{onPrem}, false, "no-egress-routes", Warn,
			map[string]any{"Table": "rt-hub", "Name": "snet-app"}},
		{"no route table, no egress", azure.Subnet{DefaultOutboundAccess: off}, nil, false, "no-egress", Warn, nil},
		{"NAT gateway", azure.Subnet{DefaultOutboundAccess: off, NATGatewayID: "/nat"}, nil, false, "no-nsg", OK, nil},
		{"unreadable route table", azure.Subnet{RouteTableID: routeTableID + "-gone"}, []azure.Route{toAppliance}, false, "route-table-unreadable", Warn, map[string]any{"Name": "rt-hub-gone"}},
		{"an NSG deny comes first", azure.Subnet{RouteTableID: routeTableID}, []azure.Route{toAppliance}, true, "denied", Warn, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := c.subnet
			s.ID = subnetID
			if c.nsg {
				s.NSGID = nsgID
			}
			inv := routeInv(&s, c.routes...)
			inv.NSGs = map[string]*azure.NSG{strings.ToLower(nsgID): deny}
			vm := &azure.VM{Name: "vm", Location: "westeurope", NICs: []azure.NIC{{ID: "/nic", SubnetIDs: []string{subnetID}, PrivateIPs: []string{"10.0.1.4"}}}}
			var f Finding
			for _, x := range Evaluate(vm, inv, RuleConfig{}) {
				if x.Rule == RuleNetworkOutbound {
					f = x
				}
			}
			if f.Msg != "rule.network.outbound."+c.msg || f.Verdict != c.verdict {
				t.Fatalf("got %s %s, want %s %s", f.Verdict, f.Msg, c.verdict, c.msg)
			}
			for k, want := range c.args {
				if got := argValue(f.Args, k); got != want {
					t.Errorf("%s = %v, want %v", k, got, want)
				}
			}
			// every language says it, with its fix
			for _, lang := range ui.Languages {
				msg, fix := f.Text(translator(t, lang))
				if msg == "" || strings.Contains(msg, "rule.network") || (f.Verdict != OK && (fix == "" || strings.Contains(fix, "rule.network"))) {
					t.Errorf("%s: %q / %q", lang, msg, fix)
				}
			}
		})
	}
}

func argValue(args []any, name string) any {
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == name {
			return args[i+1]
		}
	}
	return nil
}

// Admin rules of Virtual Network Manager come first: a Deny decides and is
// said as managed; AlwaysAllow skips the NSGs; Allow leaves it to them.
func TestEffectiveVerdictNetworkManager(t *testing.T) {
	admin := func(access string) azure.EffectiveNSG {
		return azure.EffectiveNSG{Association: AssocNetworkManager, Rules: []azure.EffectiveRule{
			{Name: "AdminRule_other", Direction: "Outbound", Access: "Deny", Protocol: "Tcp", Priority: 5, Sources: []string{"0.0.0.0/0"}, Destinations: []string{"10.9.0.0/16"}, DestPorts: []string{"0-65535"}},
			{Name: "block-storage", Direction: "Outbound", Access: access, Protocol: "All", Priority: 10, Sources: []string{"0.0.0.0/0"}, Destinations: []string{"Storage"}, DestPorts: []string{"443-443"}},
		}}
	}
	nsg := func(access string) azure.EffectiveNSG {
		return azure.EffectiveNSG{NSGID: "/x/networkSecurityGroups/nsg-app", Association: "Subnet", Rules: []azure.EffectiveRule{
			{Name: "securityRules/web", Direction: "Outbound", Access: access, Protocol: "Tcp", Priority: 300, Sources: []string{"0.0.0.0/0"}, Destinations: []string{"Internet"}, DestPorts: []string{"443-443"}},
		}}
	}
	ips := []netip.Addr{netip.MustParseAddr("10.0.1.4")}
	v := EffectiveVerdict([]azure.EffectiveNSG{nsg("Allow"), admin("Deny")}, "westeurope", ips)
	if v.State != NetManaged || v.Rule != "block-storage" || v.Priority != 10 || !v.Managed {
		t.Errorf("an admin Deny: %+v", v)
	}
	v = EffectiveVerdict([]azure.EffectiveNSG{nsg("Deny"), admin("AlwaysAllow")}, "westeurope", ips)
	if v.State != NetAllowed || v.Rule != "block-storage" || !v.Managed {
		t.Errorf("an admin AlwaysAllow skips the NSG: %+v", v)
	}
	v = EffectiveVerdict([]azure.EffectiveNSG{nsg("Deny"), admin("Allow")}, "westeurope", ips)
	if v.State != NetBlocked || v.Rule != "web" || v.NSG != "nsg-app" || v.Managed {
		t.Errorf("an admin Allow leaves it to the NSG: %+v", v)
	}
	v = EffectiveVerdict([]azure.EffectiveNSG{nsg("Allow")}, "westeurope", ips)
	if v.State != NetAllowed || v.Managed {
		t.Errorf("no admin rules: %+v", v)
	}
	// the verdict says it is managed and never edited, in every language
	for _, lang := range ui.Languages {
		m := newNetworkStep(ui.NewCommon(translator(t, lang)), &Session{}, nil)
		m.region = "westeurope"
		txt := m.verdictText(NetVerdict{State: NetManaged, Rule: "block-storage", Priority: 10, Managed: true})
		if !strings.Contains(txt, "block-storage") || !strings.Contains(txt, "backupready") {
			t.Errorf("%s: %q", lang, txt)
		}
	}
}

// ---- the Network step over the simulator ----

const (
	routeVNet = "/subscriptions/" + simProd + "/resourceGroups/rg-network-prod/providers/Microsoft.Network/virtualNetworks/vnet-prod-weu"
	routeRT   = "/subscriptions/" + simProd + "/resourceGroups/rg-network-prod/providers/Microsoft.Network/routeTables/rt-weu-hub"
)

// routeScenario is the demo with route table rt-weu-hub (0.0.0.0/0 to the
// firewall at 10.10.0.4) on snet-web, web-prod-01's subnet.
func routeScenario(t *testing.T) *sim.Scenario {
	t.Helper()
	sc := sim.Demo()
	sc.Latency, sc.OperationTime = 0, 0
	rt, _ := json.Marshal(map[string]any{
		"id": routeRT, "name": "rt-weu-hub", "type": "Microsoft.Network/routeTables", "location": "westeurope",
		"properties": map[string]any{"provisioningState": "Succeeded", "disableBgpRoutePropagation": true,
			"routes": []any{map[string]any{"name": "default-to-firewall", "id": routeRT + "/routes/default-to-firewall",
				"properties": map[string]any{"provisioningState": "Succeeded", "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.10.0.4"}}},
		},
	})
	found := false
	for i, doc := range sc.Resources {
		var m map[string]any
		if json.Unmarshal(doc, &m) != nil || !strings.EqualFold(m["id"].(string), routeVNet) {
			continue
		}
		for _, s := range m["properties"].(map[string]any)["subnets"].([]any) {
			sm := s.(map[string]any)
			if sm["name"] == "snet-web" {
				sm["properties"].(map[string]any)["routeTable"] = map[string]any{"id": routeRT}
				found = true
			}
		}
		sc.Resources[i], _ = json.Marshal(m)
	}
	if !found {
		t.Fatal("the demo has no snet-web in vnet-prod-weu")
	}
	sc.Resources = append(sc.Resources, rt)
	return sc
}

// avnmAPI is the simulator's client with a Virtual Network Manager admin
// rule that denies HTTPS to Storage added to one NIC's effective rules (the
// simulator has no Virtual Network Manager).
type avnmAPI struct {
	*azure.Client
	nic string
}

func (a avnmAPI) BeginEffectiveRules(ctx context.Context, nicID, token string) (*azure.Operation, func() []azure.EffectiveNSG, error) {
	op, res, err := a.Client.BeginEffectiveRules(ctx, nicID, token)
	if err != nil || !strings.EqualFold(nicID, a.nic) {
		return op, res, err
	}
	return op, func() []azure.EffectiveNSG {
		return append(res(), azure.EffectiveNSG{Association: AssocNetworkManager, Rules: []azure.EffectiveRule{
			{Name: "deny-storage-egress", Direction: "Outbound", Access: "Deny", Protocol: "Tcp", Priority: 20,
				Sources: []string{"0.0.0.0/0"}, Destinations: []string{"Storage"}, DestPorts: []string{"443-443"}},
		}})
	}, nil
}

func routeSession(t *testing.T) (*Session, networkStepAPI) {
	t.Helper()
	c, err := sim.New(routeScenario(t), sim.Options{Now: netClock})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := azure.New(c.Credential(), c.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	inv, err := cl.Inventory(t.Context(), []string{simProd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := protectPlan(false)
	p.Network = PlanNetwork{Mode: NetworkNone, NSGRulePriority: PriorityAuto}
	sess := &Session{Cloud: CloudPublic, Demo: true, Inventory: inv, Plan: p, Selected: p.VMs,
		PlanPath: filepath.Join(t.TempDir(), "plan.yaml"), Log: NewTranscript(netClock)}
	var apiNIC string
	for _, vm := range inv.VMs {
		if vm.Name == "api-01" {
			apiNIC = vm.NICIDs[0]
		}
	}
	return sess, avnmAPI{Client: cl, nic: apiNIC}
}

// web-prod-01's subnet tunnels to a firewall: the diagnosis names the
// route; the effective read confirms it from the effective route table and
// says api-01's admin rule is Virtual Network Manager's.
func TestNetworkRoutesDiagnosis(t *testing.T) {
	sess, api := routeSession(t)
	if rt := sess.Inventory.RouteTable(routeRT); rt == nil || len(rt.Routes) != 1 || !rt.DisableBgpRoutePropagation {
		t.Fatalf("the inventory should hold the route table: %+v", rt)
	}
	d := newNetDriver(t, "en", sess, api)
	got := map[string]NetVerdict{}
	for _, v := range d.m().diag {
		got[v.VM.Name] = v
	}
	if v := got["web-prod-01"]; v.State != NetForced || v.Path.Route != "default-to-firewall" || v.Path.Table != "rt-weu-hub" || v.Path.HopIP != "10.10.0.4" {
		t.Errorf("web-prod-01: %+v", v)
	}
	if v := got["api-01"]; v.State != NetBlocked {
		t.Errorf("api-01: %+v", v)
	}
	if !strings.Contains(d.view(), "forced tunnelling: route default-to-firewall (0.0.0.0/0) in rt-weu-hub sends it to the appliance at 10.10.0.4") {
		t.Errorf("the view should name the route:\n%s", d.view())
	}
	d.key('e')
	m := d.m()
	for _, dv := range m.diag {
		e := m.eff[dv.VM.ID]
		if e.state != stateReady || !e.routeRead {
			t.Fatalf("%s: %+v", dv.VM.Name, e)
		}
		switch dv.VM.Name {
		case "web-prod-01":
			if e.route.Kind != PathAppliance || e.route.Route != "default-to-firewall" || e.route.HopIP != "10.10.0.4" {
				t.Errorf("web-prod-01 effective route: %+v", e.route)
			}
		case "api-01":
			if e.verdict.State != NetManaged || e.verdict.Rule != "deny-storage-egress" || e.route.Kind != PathInternet {
				t.Errorf("api-01 effective: %+v %+v", e.verdict, e.route)
			}
		}
	}
	v := d.view()
	for _, want := range []string{"the effective routes agree: route default-to-firewall (0.0.0.0/0) tunnels it to the appliance at 10.10.0.4",
		"a security admin rule of Azure Virtual Network Manager", "backupready never edits it", "No NSG rule can open it",
		"Azure's system route 0.0.0.0/0 goes to the Internet"} {
		if !strings.Contains(v, want) {
			t.Errorf("the view should say %q:\n%s", want, v)
		}
	}
}

func routeHarness(t *testing.T, lang string, w, h int) *harness {
	t.Helper()
	sess, api := routeSession(t)
	return newStepHarness(t, lang, "network", w, h, func(c *ui.Common) ui.Step {
		m := newNetworkStep(c, sess, api)
		m.pollEvery = time.Millisecond
		return m
	}, func(msg tea.Msg) bool { _, ok := msg.(spinner.TickMsg); return ok })
}

// The effective-rules view: forced tunnelling and the Virtual Network
// Manager rule, every language, both golden sizes.
func TestNetworkEffectiveRoutesView(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		hs := routeHarness(t, lang, w, h)
		hs.waitText("api-01")
		hs.key('e')
		tr := translator(t, lang)
		reading := strings.TrimSuffix(tr.T("network.eff.reading"), "…")
		agree, _, _ := strings.Cut(tr.T("routes.eff.agree", "Path", "\x00"), "\x00")
		agree = strings.TrimRight(agree, ":： ")
		s := hs.waitFor("both effective reads", func(s snapshot) bool {
			return strings.Count(s.view, agree) == 2 && !strings.Contains(s.view, reading)
		})
		checkSize(t, s.view, w, h)
		golden.RequireEqual(t, hs.final())
	})
}
