package steps

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
)

// BenchmarkProtect100 turns on protection for 100 VMs of a generated fleet
// against the simulator with 50 ms of latency per request and enabling
// protection taking 60 s in Azure (the "configure backup" job), polling every
// 5 s as against Azure. It reports wall time, and requests and writes per VM.
// Targets (reported, not asserted): 2.5 minutes or less, at most 16 requests
// and 2 writes per VM. For comparison, `az backup protection enable-for-vm`
// in a loop takes 40-110 s per VM in sequence (AZURE.md §8.3a).
//
// It runs for about a minute per iteration: go test -run '^$' -bench
// BenchmarkProtect100 -benchtime 1x ./steps
func BenchmarkProtect100(b *testing.B) {
	data, err := sim.GenerateFleet(600, 7)
	if err != nil {
		b.Fatal(err)
	}
	sc, err := sim.LoadScenario(data, "fleet.json")
	if err != nil {
		b.Fatal(err)
	}
	sc.Latency, sc.OperationTime = 50*time.Millisecond, 60*time.Second
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cloud, err := sim.New(sc, sim.Options{})
		if err != nil {
			b.Fatal(err)
		}
		counter := azure.NewRequestCounter()
		opts := cloud.ClientOptions()
		opts.PerRetryPolicies = append(opts.PerRetryPolicies, counter)
		api, err := azure.New(cloud.Credential(), opts)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		plan := benchPlan(b, ctx, api, cloud, 100)
		live, err := ReadLiveState(ctx, api, plan)
		if err != nil {
			b.Fatal(err)
		}
		changes, err := Changes(plan, live)
		if err != nil {
			b.Fatal(err)
		}
		protects := 0
		for _, c := range changes {
			if c.Action == ActionProtect && c.Kind == Create {
				protects++
			}
		}
		before, beforeWrites := counter.Count("total"), counter.Writes()
		a := &Applier{API: api, Plan: plan, PollEvery: 5 * time.Second}
		b.StartTimer()
		start := time.Now()
		out := a.Run(ctx, changes, func(ApplyEvent) {})
		wall := time.Since(start)
		b.StopTimer()
		if out.Failed() || out.Count(RunDone) < protects {
			b.Fatalf("protect run: %d done of %d, errors %v", out.Count(RunDone), protects, out.Errs)
		}
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(float64(protects), "vms")
		b.ReportMetric(float64(counter.Count("total")-before)/float64(protects), "requests/vm")
		b.ReportMetric(float64(counter.Writes()-beforeWrites)/float64(protects), "writes/vm")
	}
}

// benchPlan protects n VMs of one subscription and region that has a vault,
// none of them protected yet, with the vault's DefaultPolicy.
func benchPlan(b *testing.B, ctx context.Context, api *azure.Client, cloud *sim.Cloud, n int) *Plan {
	subs := cloud.Subscriptions()
	inv, err := api.Inventory(ctx, []string{subs[0].ID}, nil)
	if err != nil {
		b.Fatal(err)
	}
	byRegion := map[string][]string{}
	for _, vm := range inv.VMs {
		if vm.Protection == nil && len(inv.VaultsIn(vm.SubscriptionID, vm.Location)) > 0 {
			byRegion[vm.Location] = append(byRegion[vm.Location], vm.ID)
		}
	}
	regions := make([]string, 0, len(byRegion))
	for r := range byRegion {
		regions = append(regions, r)
	}
	sort.Slice(regions, func(i, j int) bool { return len(byRegion[regions[i]]) > len(byRegion[regions[j]]) })
	if len(regions) == 0 || len(byRegion[regions[0]]) < n {
		b.Fatalf("the generated fleet has no region with %d unprotected VMs and a vault", n)
	}
	region := regions[0]
	v := inv.VaultsIn(subs[0].ID, region)[0]
	return &Plan{Version: 1, Cloud: CloudPublic, Subscription: subs[0].ID, VMs: byRegion[region][:n],
		Vault:      PlanVault{Name: v.Name, ResourceGroup: v.ResourceGroup, Location: region},
		Redundancy: PlanRedundancy{Keep: true},
		Protect:    PlanProtect{Enabled: true, Policy: "DefaultPolicy"}}
}
