package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/backupready/backupready/azure"
)

func TestGenerateFleetDeterministic(t *testing.T) {
	a, err := GenerateFleet(300, 42)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateFleet(300, 42)
	if !bytes.Equal(a, b) {
		t.Fatal("same seed gave different output")
	}
	c, _ := GenerateFleet(300, 43)
	if bytes.Equal(a, c) {
		t.Fatal("different seeds gave the same output")
	}
	if !json.Valid(a) {
		t.Fatal("output is not JSON")
	}
	sc, err := LoadScenario(a, "fleet.json")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Latency.String() != "50ms" || len(sc.Subscriptions) != 2 {
		t.Errorf("latency %v, %d subscriptions", sc.Latency, len(sc.Subscriptions))
	}
	vms, regions := 0, map[string]bool{}
	for _, h := range sc.parsed {
		if h.Type == "Microsoft.Compute/virtualMachines" {
			vms++
			regions[h.Location] = true
		}
	}
	if vms != 300 || len(regions) < 3 || len(regions) > 4 {
		t.Errorf("%d VMs in %d regions", vms, len(regions))
	}
	if _, err := GenerateFleet(-1, 1); err == nil {
		t.Error("negative fleet accepted")
	}
	empty, err := GenerateFleet(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadScenario(empty, "empty.json"); err != nil {
		t.Errorf("empty fleet does not load: %v", err)
	}
}

func TestFleetPaging2500(t *testing.T) {
	data, err := GenerateFleet(2500, 7)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := LoadScenario(data, "fleet.json")
	if err != nil {
		t.Fatal(err)
	}
	sc.Latency = 0
	c, err := New(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts := c.ClientOptions()
	counter := azure.NewRequestCounter()
	opts.PerRetryPolicies = append(opts.PerRetryPolicies, counter)
	cl, err := azure.New(c.Credential(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	subs, err := cl.Subscriptions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{subs[0].ID, subs[1].ID}
	var last azure.InventoryProgress
	inv, err := cl.Inventory(ctx, ids, func(p azure.InventoryProgress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.VMs) != 2500 || last.Total != 2500 || last.VMs != 2500 {
		t.Fatalf("%d VMs, progress %+v", len(inv.VMs), last)
	}
	seen := map[string]bool{}
	running, protected, nics := 0, 0, 0
	for _, vm := range inv.VMs {
		if seen[vm.ID] {
			t.Fatalf("duplicate VM %s", vm.ID)
		}
		seen[vm.ID] = true
		if vm.Running() {
			running++
		}
		if vm.Protection != nil {
			protected++
		}
		for _, n := range vm.NICs {
			if n.Missing {
				t.Errorf("%s: NIC %s not joined", vm.Name, n.ID)
			}
			if inv.NSG(n.NSGID) == nil && n.NSGID != "" {
				t.Errorf("%s: NSG %s missing", vm.Name, n.NSGID)
			}
			nics++
		}
	}
	if got := counter.Count("graph"); got != 5 {
		t.Errorf("Resource Graph requests = %d, want 3 VM pages + network + vaults = 5", got)
	}
	if running < 1800 || running > 2200 {
		t.Errorf("%d of 2500 running, want about 80%%", running)
	}
	if protected == 0 || nics < 2500 || len(inv.NSGs) < 2500/50 || len(inv.Vaults) < 3 {
		t.Errorf("protected %d, NICs %d, NSGs %d, vaults %d", protected, nics, len(inv.NSGs), len(inv.Vaults))
	}
	// one subscription only: the other's VMs stay out
	one, err := cl.Inventory(ctx, ids[:1], nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, vm := range one.VMs {
		if vm.SubscriptionID != ids[0] {
			t.Fatalf("VM of another subscription: %s", vm.ID)
		}
	}
	if len(one.VMs) == 0 || len(one.VMs) == 2500 {
		t.Errorf("%d VMs in the first subscription", len(one.VMs))
	}
}
