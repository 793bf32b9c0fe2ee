package sim

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
)

const (
	vnetWEU  = "/subscriptions/" + demoProd + "/resourceGroups/rg-network-prod/providers/Microsoft.Network/virtualNetworks/vnet-prod-weu"
	rtHubWEU = "/subscriptions/" + demoProd + "/resourceGroups/rg-network-prod/providers/Microsoft.Network/routeTables/rt-weu-hub"
)

// routeCloud is the demo with route table rt-weu-hub on snet-api (api-01's
// subnet): 0.0.0.0/0 to the firewall at 10.10.0.4, Storage.WestEurope to
// the Internet.
func routeCloud(t *testing.T, opTime time.Duration) (*azure.Client, *netClock) {
	t.Helper()
	clock := newNetClock()
	sc := Demo()
	sc.Latency, sc.OperationTime = 0, opTime
	rt, _ := json.Marshal(map[string]any{
		"id": rtHubWEU, "name": "rt-weu-hub", "type": "Microsoft.Network/routeTables", "location": "westeurope",
		"properties": map[string]any{"disableBgpRoutePropagation": true, "routes": []any{
			map[string]any{"name": "default-to-firewall", "properties": map[string]any{"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.10.0.4"}},
			map[string]any{"name": "storage-direct", "properties": map[string]any{"addressPrefix": "Storage.WestEurope", "nextHopType": "Internet"}},
		}},
	})
	patched := false
	for i, doc := range sc.Resources {
		var m map[string]any
		if json.Unmarshal(doc, &m) != nil || !strings.EqualFold(m["id"].(string), vnetWEU) {
			continue
		}
		for _, s := range m["properties"].(map[string]any)["subnets"].([]any) {
			if sm := s.(map[string]any); sm["name"] == "snet-api" {
				sm["properties"].(map[string]any)["routeTable"] = map[string]any{"id": rtHubWEU}
				patched = true
			}
		}
		sc.Resources[i], _ = json.Marshal(m)
	}
	if !patched {
		t.Fatal("no snet-api in the demo")
	}
	sc.Resources = append(sc.Resources, rt)
	c, err := New(sc, Options{Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	o, _ := sdkOptions(c)
	cl, err := azure.New(c.Credential(), o)
	if err != nil {
		t.Fatal(err)
	}
	return cl, clock
}

// A running VM's effective route table: the system routes, the 0.0.0.0/0
// system route Invalid under the user route of the same prefix, the user
// routes (a service tag listed with its prefixes). Resource Graph lists the
// route table. A VM that does not run is refused.
func TestSimEffectiveRoutes(t *testing.T) {
	cl, clock := routeCloud(t, 5*time.Second)
	ctx := context.Background()
	op, result, err := cl.BeginEffectiveRoutes(ctx, nicAPI, "")
	if err != nil {
		t.Fatal(err)
	}
	pollRunning(t, op)
	if result() != nil {
		t.Fatal("result while running")
	}
	clock.advance(6 * time.Second)
	if err := pollDone(t, op); err != nil {
		t.Fatal(err)
	}
	routes := result()
	find := func(source, prefix string) *azure.EffectiveRoute {
		for i, r := range routes {
			if r.Source == source && slices.Contains(r.AddressPrefixes, prefix) {
				return &routes[i]
			}
		}
		t.Fatalf("no %s route for %s: %+v", source, prefix, routes)
		return nil
	}
	if r := find("Default", "10.10.0.0/16"); r.NextHopType != "VnetLocal" || r.State != "Active" {
		t.Errorf("VNet route: %+v", r)
	}
	if r := find("Default", "0.0.0.0/0"); r.NextHopType != "Internet" || r.State != "Invalid" {
		t.Errorf("the system default route under a user one: %+v", r)
	}
	if r := find("Default", "192.168.0.0/16"); r.NextHopType != "None" {
		t.Errorf("private range: %+v", r)
	}
	for _, r := range routes {
		if r.Source == "Default" && slices.Contains(r.AddressPrefixes, "10.0.0.0/8") {
			t.Errorf("10.0.0.0/8 holds the VNet: no None route for it: %+v", r)
		}
	}
	fw := find("User", "0.0.0.0/0")
	if fw.Name != "default-to-firewall" || fw.NextHopType != "VirtualAppliance" || !slices.Equal(fw.NextHopIPs, []string{"10.10.0.4"}) || fw.State != "Active" {
		t.Errorf("user route: %+v", fw)
	}
	want, _ := tagPrefixes("Storage.WestEurope")
	var st *azure.EffectiveRoute
	for i := range routes {
		if routes[i].Name == "storage-direct" {
			st = &routes[i]
		}
	}
	if st == nil || st.NextHopType != "Internet" || !slices.Equal(st.AddressPrefixes, want) {
		t.Errorf("tag route: %+v, want prefixes %v", st, want)
	}

	inv, err := cl.Inventory(ctx, []string{demoProd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rt := inv.RouteTable(rtHubWEU); rt == nil || len(rt.Routes) != 2 || !rt.DisableBgpRoutePropagation || rt.Routes[0].NextHopIP != "10.10.0.4" {
		t.Errorf("Resource Graph route table: %+v", rt)
	}
	if s := inv.Subnet(vnetWEU + "/subnets/snet-api"); s == nil || !strings.EqualFold(s.RouteTableID, rtHubWEU) {
		t.Errorf("subnet: %+v", s)
	}

	_, _, err = cl.BeginEffectiveRoutes(ctx, nicBuild, "")
	if e, ok := azure.AsError(err); !ok || e.Kind != azure.KindInvalid || e.Status != http.StatusBadRequest || !strings.Contains(e.Message, "running") {
		t.Fatalf("stopped VM: %v", err)
	}
	_, _, err = cl.BeginEffectiveRoutes(ctx, strings.Replace(nicAPI, "api-01-nic", "nope", 1), "")
	if e, ok := azure.AsError(err); !ok || e.Kind != azure.KindNotFound {
		t.Fatalf("missing NIC: %v", err)
	}
}

// Without a route table: the system routes only, 0.0.0.0/0 to the Internet
// active.
func TestSimEffectiveRoutesSystemOnly(t *testing.T) {
	_, cl, _ := netCloud(t, 0, Options{})
	op, result, err := cl.BeginEffectiveRoutes(context.Background(), nicAPI, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Wait(context.Background(), time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range result() {
		if r.Source != "Default" {
			t.Errorf("a user route without a route table: %+v", r)
		}
		if slices.Contains(r.AddressPrefixes, "0.0.0.0/0") && (r.NextHopType != "Internet" || r.State != "Active") {
			t.Errorf("default route: %+v", r)
		}
	}
	if len(result()) < 2 {
		t.Errorf("routes: %+v", result())
	}
}
