package sim

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
)

// Route tables (AZURE.md §4.5): scenario resources of type
// Microsoft.Network/routeTables, named by a subnet's properties.routeTable,
// answered by Resource Graph (graph.go) and used here for a NIC's effective
// route table:
//
//   - POST …/networkInterfaces/{nic}/effectiveRouteTable: 202 with
//     Azure-AsyncOperation and Location, like the effective security rules;
//     the Location URL answers {"value": [routes]} once done. The VM must run.
//
// The routes are the system routes (the VNet's address space to VnetLocal,
// 0.0.0.0/0 to Internet, the private and shared ranges outside the address
// space to None, service endpoints of the subnet to
// VirtualNetworkServiceEndpoint), then the subnet's route table's routes
// (source User). A user route with the prefix of a system route makes that
// system route Invalid. A user route to a service tag is listed with the
// tag's prefixes (UNCONFIRMED: how Azure lists it).

const (
	typeRouteTable     = "microsoft.network/routetables"
	opEffectiveRoutes  = "network.effectiveRoutes"
	hopServiceEndpoint = "VirtualNetworkServiceEndpoint"
)

func init() {
	finishers[opEffectiveRoutes] = finishEffectiveRoutes
}

// effectiveRoutesRoute is the native route of the effective route table
// (put in front of the generic routes by newRouter).
func (c *Cloud) effectiveRoutesRoute() nativeRoute {
	const rg = `(?i)^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Network`
	return nativeRoute{method: http.MethodPost, re: regexp.MustCompile(rg + `/networkInterfaces/([^/]+)/effectiveRouteTable$`), serve: c.effectiveRoutes}
}

func (c *Cloud) effectiveRoutes(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	return c.startNICRead(req, m, opEffectiveRoutes, "Getting the effective route table")
}

// routeTableDoc is the part of a route table document the simulator reads.
// It repeats the client's routeTableRow (azure/inventory.go) on purpose: the
// simulator plays Azure and reads its own documents, so a client that
// misreads a route table is not hidden by sharing its decoding.
type routeTableDoc struct {
	Properties struct {
		DisableBgpRoutePropagation bool `json:"disableBgpRoutePropagation"`
		Routes                     []struct {
			Name       string `json:"name"`
			Properties struct {
				AddressPrefix    string `json:"addressPrefix"`
				NextHopType      string `json:"nextHopType"`
				NextHopIPAddress string `json:"nextHopIpAddress"`
			} `json:"properties"`
		} `json:"routes"`
	} `json:"properties"`
}

// systemNone are the ranges Azure routes to None unless the VNet uses them.
var systemNone = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"}

// effectiveRouteTable computes the effective routes of a NIC's primary
// subnet. Caller holds the state lock.
func effectiveRouteTable(st *state, nic *resource) []map[string]any {
	n := readNIC(nic)
	region := normLocation(nic.Location)
	sr := readSubnet(st, n.subnetFor(""))
	var table routeTableDoc
	if sr.routeTableID != "" {
		if rt := st.res[strings.ToLower(sr.routeTableID)]; rt != nil {
			_ = json.Unmarshal(rt.doc, &table)
		}
	}
	bgpOff := table.Properties.DisableBgpRoutePropagation
	route := func(name, source string, prefixes []string, hop string, hopIPs []string) map[string]any {
		if hopIPs == nil {
			hopIPs = []string{}
		}
		r := map[string]any{"source": source, "state": "Active", "addressPrefix": prefixes, "nextHopType": hop,
			"nextHopIpAddress": hopIPs, "disableBgpRoutePropagation": bgpOff}
		if name != "" {
			r["name"] = name
		}
		return r
	}
	// user routes, their prefixes expanded
	var user []map[string]any
	overridden := map[string]bool{}
	for _, r := range table.Properties.Routes {
		p := r.Properties
		if p.AddressPrefix == "" || p.NextHopType == "" {
			continue
		}
		prefixes := []string{p.AddressPrefix}
		if _, err := netip.ParsePrefix(p.AddressPrefix); err != nil {
			if tp, ok := tagPrefixes(p.AddressPrefix); ok {
				prefixes = tp
			}
		} else {
			overridden[p.AddressPrefix] = true
		}
		var ips []string
		if p.NextHopIPAddress != "" {
			ips = []string{p.NextHopIPAddress}
		}
		user = append(user, route(r.Name, "User", prefixes, p.NextHopType, ips))
	}
	var out []map[string]any
	system := func(prefix, hop string) {
		r := route("", "Default", []string{prefix}, hop, nil)
		if overridden[prefix] {
			r["state"] = "Invalid"
		}
		out = append(out, r)
	}
	for _, p := range sr.vnetPrefixes {
		system(p, "VnetLocal")
	}
	system("0.0.0.0/0", "Internet")
	for _, p := range systemNone {
		if !overlapsAny(p, sr.vnetPrefixes) {
			system(p, "None")
		}
	}
	for _, se := range sr.serviceEndpoints {
		tag := ""
		switch strings.ToLower(se.Service) {
		case "microsoft.storage":
			tag = "Storage." + tagSuffix(region)
		case "microsoft.storage.global":
			tag = "Storage"
		}
		if tag == "" {
			continue
		}
		if tp, ok := tagPrefixes(tag); ok {
			out = append(out, route("", "Default", tp, hopServiceEndpoint, nil))
		}
	}
	return append(out, user...)
}

// overlapsAny reports whether prefix p overlaps one of the list.
func overlapsAny(p string, list []string) bool {
	a, err := netip.ParsePrefix(p)
	if err != nil {
		return false
	}
	for _, q := range list {
		if b, err := netip.ParsePrefix(q); err == nil && a.Overlaps(b) {
			return true
		}
	}
	return false
}

// finishEffectiveRoutes computes the routes as they are when the operation
// finishes.
func finishEffectiveRoutes(_ *Cloud, st *state, op *simOp) {
	d := opData[netOpData](op)
	nic := st.res[strings.ToLower(d.NIC)]
	if nic == nil {
		op.Status, op.Code, op.Message = opFailed, "NotFound", "The network interface was deleted."
		return
	}
	routes := effectiveRouteTable(st, nic)
	if routes == nil {
		routes = []map[string]any{}
	}
	d.Result, _ = json.Marshal(map[string]any{"value": routes})
	setOpData(op, d)
}
