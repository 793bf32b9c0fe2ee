package steps

import (
	"context"
	"net/netip"
	"slices"
	"strings"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// Routes of the backup path (AZURE.md §4.1, §4.5). Before NSGs, a subnet's
// routes decide where traffic to Azure Storage goes: the most specific
// route covering Storage in the region wins. A 0.0.0.0/0 user route to a
// virtual appliance or a virtual network gateway is forced tunnelling: the
// appliance (a firewall) or the network behind the gateway decides, and NSG
// rules alone cannot open the path. A route to None drops it. A service
// endpoint for Storage carries it over the platform whatever the routes.
// Traffic that goes to the Internet next hop still needs a way out: default
// outbound access, a NAT gateway, a public IP or a load balancer.
// 168.63.129.16 (the agent's WireServer) is never subject to routes.

// Kinds of a backup path's route (RoutePath.Kind).
const (
	PathInternet   = "internet"   // to the Internet, with a way out
	PathEndpoint   = "endpoint"   // a Storage service endpoint of the subnet
	PathNoEgress   = "noegress"   // to the Internet, with no way out
	PathAppliance  = "appliance"  // forced tunnelling to a virtual appliance
	PathGateway    = "gateway"    // forced tunnelling to a virtual network gateway
	PathDropped    = "dropped"    // a route to None (or VnetLocal) drops it
	PathUnreadable = "unreadable" // the subnet's route table could not be read
)

// RoutePath is how a subnet routes outbound traffic to Azure Storage in a
// region, naming the deciding route (none: Azure's system route).
type RoutePath struct {
	Kind    string
	Table   string // the route table's name ("" for a system route)
	Route   string // the deciding route's name ("" for a system route)
	Prefix  string // its address prefix: 0.0.0.0/0, Storage.WestEurope, …
	NextHop string // its next hop type
	HopIP   string // the appliance's address
	Subnet  string // the subnet's name
	BGP     bool   // learned from a virtual network gateway (effective routes)
}

// Forced reports whether an appliance or a gateway decides the path.
func (p RoutePath) Forced() bool { return p.Kind == PathAppliance || p.Kind == PathGateway }

// storagePrefixRank says how specifically a route prefix covers Azure
// Storage in region: 0 for 0.0.0.0/0, then the service tags a route accepts
// from the widest to the narrowest; -1 when it does not cover all of it
// (which of Storage's addresses a narrower CIDR holds is not known here).
func storagePrefixRank(prefix, region string) int {
	p := strings.ToLower(strings.TrimSpace(prefix))
	if pf, err := netip.ParsePrefix(p); err == nil {
		if pf.Bits() == 0 && pf.Addr().Is4() {
			return 0
		}
		return -1
	}
	regional := func(tag string) bool {
		r, ok := strings.CutPrefix(p, tag+".")
		return ok && region != "" && azure.NormalizeLocation(r) == azure.NormalizeLocation(region)
	}
	switch {
	case p == "azurecloud":
		return 1
	case regional("azurecloud"):
		return 2
	case p == "storage":
		return 3
	case regional("storage"):
		return 4
	}
	return -1
}

// hopKind is the path kind of a next hop type.
func hopKind(hop string) string {
	switch strings.ToLower(hop) {
	case "internet":
		return PathInternet
	case "virtualappliance":
		return PathAppliance
	case "virtualnetworkgateway":
		return PathGateway
	case "none", "vnetlocal":
		return PathDropped
	case strings.ToLower(hopServiceEndpoint):
		return PathEndpoint
	}
	return ""
}

const hopServiceEndpoint = "VirtualNetworkServiceEndpoint"

// storageEndpoint reports whether the subnet has a service endpoint for
// Storage in region.
func storageEndpoint(s *azure.Subnet, region string) bool {
	for _, e := range s.ServiceEndpoints {
		switch strings.ToLower(e.Service) {
		case "microsoft.storage.global":
			return true
		case "microsoft.storage":
			if len(e.Locations) == 0 || slices.ContainsFunc(e.Locations, func(l string) bool {
				return l == "*" || azure.NormalizeLocation(l) == azure.NormalizeLocation(region)
			}) {
				return true
			}
		}
	}
	return false
}

// BackupRoute judges the backup path's route for a NIC in a subnet from the
// inventory: the subnet's route table (the most specific route covering
// Storage in region), its service endpoints, and for the Internet next hop
// whether there is a way out. The rule network.outbound and the Network
// step both judge with it.
func BackupRoute(inv *azure.Inventory, nic azure.NIC, s *azure.Subnet, region string) RoutePath {
	p := RoutePath{Kind: PathInternet, Subnet: lastSegment(s.ID), NextHop: "Internet", Prefix: "0.0.0.0/0"}
	if storageEndpoint(s, region) {
		p.Kind, p.NextHop, p.Prefix = PathEndpoint, hopServiceEndpoint, ""
		return p
	}
	if s.RouteTableID != "" {
		var rt *azure.RouteTable
		if inv != nil {
			rt = inv.RouteTable(s.RouteTableID)
		}
		if rt == nil {
			p.Kind, p.Table = PathUnreadable, lastSegment(s.RouteTableID)
			return p
		}
		p.Table = rt.Name
		best := -1
		for _, r := range rt.Routes {
			rank := storagePrefixRank(r.AddressPrefix, region)
			kind := hopKind(r.NextHopType)
			if rank <= best || kind == "" || kind == PathEndpoint {
				continue
			}
			best = rank
			p.Kind, p.Table, p.Route, p.Prefix, p.NextHop, p.HopIP = kind, rt.Name, r.Name, r.AddressPrefix, r.NextHopType, r.NextHopIP
		}
	}
	if p.Kind == PathInternet && isFalse(s.DefaultOutboundAccess) && s.NATGatewayID == "" && nic.PublicIPs == 0 && !nic.LoadBalanced {
		p.Kind = PathNoEgress
	}
	return p
}

// EffectiveRoutePath judges the backup path's route from a NIC's effective
// route table: the active route most specific for Storage in region. A user
// route listed with a service tag's addresses is known by its name in the
// subnet's route table (rt, may be nil); a service endpoint route counts
// when the subnet (s, may be nil) has a Storage endpoint for the region.
// Effective routes do not say whether there is a way out: the Internet next
// hop reads as PathInternet.
func EffectiveRoutePath(routes []azure.EffectiveRoute, s *azure.Subnet, rt *azure.RouteTable, region string) RoutePath {
	p := RoutePath{Kind: PathInternet, NextHop: "Internet", Prefix: "0.0.0.0/0"}
	if s != nil {
		p.Subnet = lastSegment(s.ID)
	}
	best := -1
	for _, r := range routes {
		if r.State != "" && !strings.EqualFold(r.State, "Active") {
			continue
		}
		kind := hopKind(r.NextHopType)
		if kind == "" {
			continue
		}
		rank, prefix := -1, ""
		for _, pre := range r.AddressPrefixes {
			if k := storagePrefixRank(pre, region); k > rank {
				rank, prefix = k, pre
			}
		}
		if strings.EqualFold(r.Source, "User") && rt != nil && r.Name != "" {
			for _, ur := range rt.Routes {
				if strings.EqualFold(ur.Name, r.Name) {
					if k := storagePrefixRank(ur.AddressPrefix, region); k > rank {
						rank, prefix = k, ur.AddressPrefix
					}
				}
			}
		}
		if kind == PathEndpoint {
			if s == nil || !storageEndpoint(s, region) {
				continue
			}
			rank, prefix = 5, ""
		}
		if rank <= best {
			continue
		}
		best = rank
		p = RoutePath{Kind: kind, Route: r.Name, Prefix: prefix, NextHop: r.NextHopType, Subnet: p.Subnet,
			BGP: strings.EqualFold(r.Source, "VirtualNetworkGateway")}
		if len(r.NextHopIPs) > 0 {
			p.HopIP = r.NextHopIPs[0]
		}
		if strings.EqualFold(r.Source, "User") && rt != nil {
			p.Table = rt.Name
		}
	}
	return p
}

// routeClass is what effective routes can confirm of a path: where it goes.
func routeClass(kind string) string {
	switch kind {
	case PathNoEgress:
		return PathInternet
	case PathUnreadable:
		return ""
	}
	return kind
}

// ---- managed rules ----

// AssocNetworkManager is the association of Azure Virtual Network Manager
// security admin rules among a NIC's effective rules.
const AssocNetworkManager = "NetworkManager"

// managedVerdict evaluates the Virtual Network Manager admin rules among
// the effective rules; they come before NSG rules. A Deny decides (no NSG
// rule can open it), an AlwaysAllow decides (NSGs are skipped), an Allow or
// no match leaves it to the NSGs (ok false). admin counts the admin rules.
func managedVerdict(nsgs []azure.EffectiveNSG, region string, ips []netip.Addr) (v NetVerdict, ok bool, admin int) {
	var rules []azure.SecurityRule
	access := map[string]string{}
	for _, e := range nsgs {
		if !strings.EqualFold(e.Association, AssocNetworkManager) {
			continue
		}
		for _, r := range e.Rules {
			name := effectiveRuleName(r.Name)
			rules = append(rules, azure.SecurityRule{Name: name, Priority: r.Priority, Direction: r.Direction, Access: r.Access,
				Protocol: r.Protocol, Sources: r.Sources, Destinations: r.Destinations, DestPorts: r.DestPorts})
			access[name] = r.Access
		}
	}
	admin = len(rules)
	if admin == 0 {
		return NetVerdict{}, false, 0
	}
	f := storageFlow(region, ips)
	f.fallback = nsgVerdict{rule: ""}
	d := evalFlow(&azure.NSG{Rules: rules}, f)
	if d.rule == "" {
		return NetVerdict{}, false, admin
	}
	switch strings.ToLower(access[d.rule]) {
	case "deny":
		return NetVerdict{State: NetManaged, Rule: d.rule, Priority: d.priority, NSG: AssocNetworkManager, Managed: true}, true, admin
	case "alwaysallow":
		return NetVerdict{State: NetAllowed, Rule: d.rule, Priority: d.priority, NSG: AssocNetworkManager, Managed: true}, true, admin
	}
	return NetVerdict{}, false, admin
}

// effectiveRuleName is a rule's name without "securityRules/",
// "defaultSecurityRules/" or "DefaultRule_".
func effectiveRuleName(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return strings.TrimPrefix(name, "DefaultRule_")
}

// ---- the Network step ----

// routesAPI reads effective route tables; *azure.Client does.
type routesAPI interface {
	BeginEffectiveRoutes(ctx context.Context, nicID, resumeToken string) (*azure.Operation, func() []azure.EffectiveRoute, error)
}

// routeArgs are the catalog arguments of a path.
func routeArgs(p RoutePath, region string) []any {
	return []any{"Route", p.Route, "Table", p.Table, "Prefix", p.Prefix, "IP", p.HopIP, "Subnet", p.Subnet, "Tag", StorageTag(region)}
}

// pathText says where a path goes (routes.path.<kind>), naming the route.
func pathText(tr *ui.Translator, p RoutePath, region string) string {
	k := "routes.path." + p.Kind
	switch {
	case p.BGP && p.Kind == PathGateway:
		k += ".bgp"
	case p.Route == "" && (p.Kind == PathInternet || p.Kind == PathNoEgress):
		k += ".system"
	}
	return tr.T(k, routeArgs(p, region)...)
}

// verdictText is a VM's verdict in words: the NSG's or the route's, with
// managed rules said as such.
func (m networkStep) verdictText(d NetVerdict) string {
	tr := m.c.Tr
	args := []any{"Rule", d.Rule, "Priority", int(d.Priority), "NSG", d.NSG, "Subnet", d.Subnet}
	switch {
	case d.State == NetManaged:
		return tr.T("routes.verdict.managed", args...)
	case d.State == NetAllowed && d.Managed:
		return tr.T("routes.verdict.allowed.managed", args...)
	case d.State == NetForced || d.State == NetDropped:
		return tr.T("routes.verdict."+d.Path.Kind, routeArgs(d.Path, m.region)...)
	case d.State == NetUnknown && d.Path.Kind == PathUnreadable:
		return tr.T("routes.verdict.unreadable", routeArgs(d.Path, m.region)...)
	}
	t := tr.T("network.verdict."+d.State, args...)
	if d.State == NetBlocked && (d.Path.Forced() || d.Path.Kind == PathDropped) {
		t += "; " + tr.T("routes.also."+d.Path.Kind, routeArgs(d.Path, m.region)...)
	}
	return t
}

// effLines are what the effective read of one VM says: the rules agree or
// not, the admin rules of Virtual Network Manager, and the routes.
func (m networkStep) effLines(d NetVerdict, e netEffRead) []struct {
	text string
	bad  bool
} {
	type line = struct {
		text string
		bad  bool
	}
	tr := m.c.Tr
	var out []line
	if effClass(e.verdict) == effClass(d) {
		out = append(out, line{tr.T("network.eff.agree"), false})
	} else {
		out = append(out, line{tr.T("network.eff.disagree", "Verdict", m.verdictText(e.verdict)), true})
	}
	if e.admin > 0 && !e.verdict.Managed {
		out = append(out, line{tr.T("routes.eff.avnm", "Count", e.admin), false})
	}
	switch {
	case e.routeErr != nil:
		what, _, _ := Explain(e.routeErr).Text(tr)
		out = append(out, line{tr.T("routes.eff.failed", "Error", what), true})
	case e.routeRead && routeClass(e.route.Kind) == routeClass(d.Path.Kind):
		out = append(out, line{tr.T("routes.eff.agree", "Path", pathText(tr, e.route, m.region)), false})
	case e.routeRead:
		out = append(out, line{tr.T("routes.eff.disagree", "Path", pathText(tr, e.route, m.region)), true})
	}
	return out
}

// effClass is what the effective rules can confirm of a verdict: blocked
// by an NSG, blocked by an admin rule, or open.
func effClass(v NetVerdict) string {
	switch v.State {
	case NetBlocked, NetManaged:
		return v.State
	}
	return "open"
}

// effRouteRead reads the effective route table of the NIC (after its
// effective rules), when the API can.
func effRouteRead(ctx context.Context, api networkStepAPI, nicID string, wait func(*azure.Operation) error) ([]azure.EffectiveRoute, bool, error) {
	ra, ok := api.(routesAPI)
	if !ok {
		return nil, false, nil
	}
	op, res, err := ra.BeginEffectiveRoutes(ctx, nicID, "")
	if err == nil {
		err = wait(op)
	}
	if err != nil {
		return nil, true, err
	}
	return res(), true, nil
}

// effDone records an effective read: the rules' verdict, the admin rules
// and the routes' path for the VM's primary NIC subnet.
func (m networkStep) effDone(msg netEffMsg) netEffRead {
	if msg.err != nil {
		return netEffRead{state: stateFailed, err: msg.err}
	}
	var ips []netip.Addr
	var vm *azure.VM
	for _, d := range m.diag {
		if d.VM.ID == msg.vm {
			vm = d.VM
			for _, n := range d.VM.NICs {
				ips = append(ips, nicAddrs(n)...)
			}
		}
	}
	r := netEffRead{state: stateReady, verdict: EffectiveVerdict(msg.nsgs, m.region, ips)}
	_, _, r.admin = managedVerdict(msg.nsgs, m.region, ips)
	r.routeErr, r.routeRead = msg.routeErr, msg.routesRead && msg.routeErr == nil
	if r.routeRead && vm != nil {
		var s *azure.Subnet
		var rt *azure.RouteTable
		if nic, ok := primaryNIC(vm); ok && len(nic.SubnetIDs) > 0 && m.sess.Inventory != nil {
			s = m.sess.Inventory.Subnet(nic.SubnetIDs[0])
			if s != nil {
				rt = m.sess.Inventory.RouteTable(s.RouteTableID)
			}
		}
		r.route = EffectiveRoutePath(msg.routes, s, rt, m.region)
	}
	return r
}

// primaryNIC is the VM's primary NIC, else its first.
func primaryNIC(vm *azure.VM) (azure.NIC, bool) {
	if len(vm.NICs) == 0 {
		return azure.NIC{}, false
	}
	nic := vm.NICs[0]
	for _, n := range vm.NICs {
		if n.Primary {
			nic = n
		}
	}
	return nic, true
}
