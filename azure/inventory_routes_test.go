package azure

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// graphByQuery answers Resource Graph requests: the network query with a
// file's body, the others with no rows.
type graphByQuery struct {
	t    testing.TB
	file string
}

func (g graphByQuery) Do(req *http.Request) (*http.Response, error) {
	var q struct {
		Query string `json:"query"`
	}
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		_ = json.Unmarshal(b, &q)
	}
	body := []byte(`{"totalRecords":0,"count":0,"resultTruncated":"false","data":[]}`)
	if q.Query == QueryNetwork {
		var err error
		if body, err = os.ReadFile(filepath.Join("testdata", g.file)); err != nil {
			g.t.Fatal(err)
		}
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(body)), Request: req}, nil
}

// Route tables come with the network query: routes, BGP propagation, a
// table without properties, a route without properties; subnets keep their
// route table ids (a dangling one too) and service endpoints.
func TestInventoryRouteTables(t *testing.T) {
	c := testClient(t, graphByQuery{t: t, file: "routetables_graph.json"})
	inv, err := c.Inventory(context.Background(), []string{"00000000-0000-0000-0000-000000000000"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const base = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-hub/providers/Microsoft.Network/routeTables/"
	rt := inv.RouteTable(strings.ToUpper(base + "rt-spoke-default"))
	if rt == nil || rt.Name != "rt-spoke-default" || rt.Location != "westeurope" || !rt.DisableBgpRoutePropagation || len(rt.Routes) != 2 {
		t.Fatalf("rt-spoke-default: %+v", rt)
	}
	if r := rt.Routes[0]; r != (Route{Name: "default-to-azfw", AddressPrefix: "0.0.0.0/0", NextHopType: "VirtualAppliance", NextHopIP: "10.0.1.4"}) {
		t.Errorf("route: %+v", r)
	}
	if r := rt.Routes[1]; r.NextHopType != "VirtualNetworkGateway" || r.NextHopIP != "" {
		t.Errorf("route: %+v", r)
	}
	if e := inv.RouteTable(base + "rt-empty"); e == nil || len(e.Routes) != 0 || e.DisableBgpRoutePropagation {
		t.Errorf("a table without properties: %+v", e)
	}
	odd := inv.RouteTable(base + "rt-odd")
	if odd == nil || odd.Location != "westeurope" || len(odd.Routes) != 2 || odd.Routes[0] != (Route{Name: "half-written"}) ||
		odd.Routes[1].AddressPrefix != "Storage.WestEurope" {
		t.Errorf("a route without properties keeps its name: %+v", odd)
	}
	if inv.RouteTable(base+"rt-deleted") != nil || inv.RouteTable("") != nil {
		t.Error("a dangling id names no table")
	}
	const vnet = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-spoke/providers/Microsoft.Network/virtualNetworks/vnet-spoke/subnets/"
	s := inv.Subnet(vnet + "snet-app")
	if s == nil || !strings.HasSuffix(s.RouteTableID, "rt-spoke-default") || s.DefaultOutboundAccess == nil || *s.DefaultOutboundAccess {
		t.Fatalf("snet-app: %+v", s)
	}
	if len(s.ServiceEndpoints) != 1 || s.ServiceEndpoints[0].Service != "Microsoft.Storage" ||
		!slices.Equal(s.ServiceEndpoints[0].Locations, []string{"westeurope", "northeurope"}) {
		t.Errorf("service endpoints: %+v", s.ServiceEndpoints)
	}
	if g := inv.Subnet(vnet + "snet-gone"); g == nil || !strings.HasSuffix(g.RouteTableID, "rt-deleted") {
		t.Errorf("snet-gone: %+v", g)
	}
	var nilInv Inventory
	if nilInv.RouteTable(base+"rt-empty") != nil {
		t.Error("an inventory without route tables answers nil")
	}
}

// A route table row in a shape that cannot be read is left out, not fatal.
func TestDecodeRouteTableTolerant(t *testing.T) {
	for _, raw := range []string{
		`{"id":"/x/routeTables/a","type":"Microsoft.Network/routeTables","properties":{"routes":"not a list"}}`,
		`{"type":"microsoft.network/routetables"}`,
	} {
		d, err := decodeNetwork(json.RawMessage(raw))
		if err != nil || d.routes != nil || d.nsg != nil || d.subnets != nil {
			t.Errorf("%s: %+v %v", raw, d, err)
		}
	}
	d, err := decodeNetwork(json.RawMessage(`{"id":"/x/routeTables/b","type":"Microsoft.Network/routeTables","properties":{"routes":[{"name":"r","properties":{"addressPrefix":" 0.0.0.0/0 ","nextHopType":"None"}}]}}`))
	if err != nil || d.routes == nil || d.routes.Name != "b" || d.routes.Routes[0].AddressPrefix != "0.0.0.0/0" {
		t.Errorf("%+v %v", d.routes, err)
	}
}
