package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
	"github.com/backupready/backupready/steps"
)

// BenchmarkCheck measures a full `check` scan over generated fleets with 50 ms
// of simulated latency per request. Targets (reported, not asserted):
// at most ⌈N/1000⌉+2 Resource Graph requests, at most one read per running VM
// and none per stopped VM, no other POSTs; 5,000 VMs in 12 s or less; at most
// 2 KB retained per VM and 64 MB peak heap.
//
// The simulator runs in this process: its state is the baseline subtracted
// from the heap figures, but its work serving requests (the SDK fakes build
// and parse every answer) is inside them. peak-heap-MB counts garbage not yet
// collected, so it scales with that baseline under GOGC; peak-live-MB is the
// most the heap held at a collection.
func BenchmarkCheck(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("vms=%d", n), func(b *testing.B) { benchCheck(b, n) })
	}
}

func benchCheck(b *testing.B, n int) {
	data, err := sim.GenerateFleet(n, 42)
	if err != nil {
		b.Fatal(err)
	}
	sc, err := sim.LoadScenario(data, "fleet.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cloud, err := sim.New(sc, sim.Options{})
		if err != nil {
			b.Fatal(err)
		}
		counter := azure.NewRequestCounter()
		opts := cloud.ClientOptions()
		opts.PerRetryPolicies = append(opts.PerRetryPolicies, counter)
		client, err := azure.New(cloud.Credential(), opts)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		// The simulator's own state is in the heap already; the peak is
		// reported over that baseline (on real Azure it does not exist).
		peak := watchHeap()
		b.StartTimer()

		start := time.Now()
		subs, err := chooseSubscriptions(context.Background(), client, nil)
		if err != nil {
			b.Fatal(err)
		}
		inv, results, err := steps.Scan(context.Background(), client, subs, steps.Scope{}, steps.RuleConfig{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		wall := time.Since(start)

		b.StopTimer()
		peakBytes, peakLive := peak()
		// Retained: what the scan's results hold, measured by dropping them.
		runtime.GC()
		runtime.GC()
		var withResults, without runtime.MemStats
		runtime.ReadMemStats(&withResults)
		running := 0
		for j := range inv.VMs {
			if inv.VMs[j].Running() {
				running++
			}
		}
		if len(results) != n {
			b.Fatalf("scan reported %d VMs, want %d", len(results), n)
		}
		b.ReportMetric(float64(counter.Count("graph")), "graph-requests")
		b.ReportMetric(float64(counter.Count("instanceView"))/float64(max(running, 1)), "reads/running-vm")
		b.ReportMetric(float64(counter.Count("POST")), "other-posts")
		b.ReportMetric(float64(counter.Count("total"))/float64(n), "requests/vm")
		b.ReportMetric(wall.Seconds(), "wall-s")
		inv, results = nil, nil
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&without)
		b.ReportMetric(float64(int64(withResults.HeapAlloc)-int64(without.HeapAlloc))/float64(n), "retained-B/vm")
		b.ReportMetric(float64(int64(peakBytes)-int64(before.HeapAlloc))/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(int64(peakLive)-int64(before.HeapAlloc))/(1<<20), "peak-live-MB")
		b.StartTimer()
	}
}

// watchHeap samples the heap every few milliseconds until the returned func
// is called, which returns the highest heap seen (live objects and garbage not
// yet collected) and the highest live heap measured by a garbage collection.
func watchHeap() func() (heap, live uint64) {
	var peak, peakLive atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			if v := sample[1].Value.Uint64(); v > peakLive.Load() {
				peakLive.Store(v)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return func() (uint64, uint64) {
		close(stop)
		wg.Wait()
		return peak.Load(), peakLive.Load()
	}
}
