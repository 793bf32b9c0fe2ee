package main

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
	"github.com/backupready/backupready/steps"
)

// BenchmarkThrottledFleet scans 5,000 VMs in 20 subscriptions with 50 ms of
// simulated latency per request under the simulator's throttling limits
// (Resource Graph: 15 queries per 5 s per user, AZURE.md §8.1; Compute: 60
// reads per 3 s per subscription, far tighter than Azure's Low Cost Get
// bucket so that the limiter has work to do), two ways:
//
//   - scan: what `check` does (Resource Graph inventory in batches of
//     subscriptions, then one instance view per running VM, bounded per
//     subscription and paced by Compute's headers);
//   - naive: one VM at a time as a script would: GET the VM, each NIC, each
//     NIC's NSG, each NIC's subnet and its NSG, then the instance view.
//     Measured over a sample of 200 VMs (every 25th) and extrapolated to the
//     5,000: the *-extrapolated metrics say so. Listing the VMs is not counted.
//
// Reported (not asserted): wall time, requests, requests per VM, 429s
// answered and throttle waits reported.
//
//	go test -run '^$' -bench BenchmarkThrottledFleet -benchtime 1x .
func BenchmarkThrottledFleet(b *testing.B) {
	const vms, subs = 5000, 20
	data, err := sim.GenerateFleetIn(vms, subs, 42)
	if err != nil {
		b.Fatal(err)
	}
	limits := &sim.Limits{
		Graph:   &sim.GraphLimit{Quota: 15, Window: 5 * time.Second},
		Compute: &sim.ComputeLimit{PerSubscription: 60, Window: 3 * time.Second},
	}
	load := func(b *testing.B) *sim.Cloud {
		sc, err := sim.LoadScenario(data, "fleet.json")
		if err != nil {
			b.Fatal(err)
		}
		sc.Latency = 50 * time.Millisecond
		sc.Limits = limits
		cloud, err := sim.New(sc, sim.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return cloud
	}
	b.Run("scan", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			cloud := load(b)
			counter, statuses := azure.NewRequestCounter(), &statusCounter{}
			opts := cloud.ClientOptions()
			opts.PerRetryPolicies = append(opts.PerRetryPolicies, counter, statuses)
			client, err := azure.New(cloud.Credential(), opts)
			if err != nil {
				b.Fatal(err)
			}
			var waits atomic.Int64
			b.StartTimer()

			start := time.Now()
			ids, err := chooseSubscriptions(context.Background(), client, nil)
			if err != nil {
				b.Fatal(err)
			}
			_, results, err := steps.Scan(context.Background(), client, ids, steps.Scope{}, steps.RuleConfig{}, func(p steps.ScanProgress) {
				if p.Throttle.Wait > 0 {
					waits.Add(1)
				}
			})
			if err != nil {
				b.Fatal(err)
			}
			wall := time.Since(start)

			b.StopTimer()
			if len(ids) != subs || len(results) != vms {
				b.Fatalf("scanned %d VMs in %d subscriptions, want %d in %d", len(results), len(ids), vms, subs)
			}
			unread := 0
			for _, r := range results {
				if r.VM.Running() && r.VM.AgentErr != nil {
					unread++
				}
			}
			b.ReportMetric(wall.Seconds(), "wall-s")
			b.ReportMetric(float64(counter.Count("total")), "requests")
			b.ReportMetric(float64(counter.Count("total"))/vms, "requests/vm")
			b.ReportMetric(float64(counter.Count("graph")), "graph-requests")
			b.ReportMetric(float64(statuses.count(http.StatusTooManyRequests)), "429s")
			b.ReportMetric(float64(waits.Load()), "throttle-waits")
			b.ReportMetric(float64(unread), "agents-unread")
			b.StartTimer()
		}
	})
	b.Run("naive", func(b *testing.B) {
		const sample = 200
		var all []string
		var doc struct {
			Resources []struct {
				ID   string `json:"id"`
				Type string `json:"type"`
			} `json:"resources"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			b.Fatal(err)
		}
		for _, r := range doc.Resources {
			if strings.EqualFold(r.Type, "Microsoft.Compute/virtualMachines") {
				all = append(all, r.ID)
			}
		}
		slices.Sort(all)
		var picked []string
		for i := 0; i < len(all) && len(picked) < sample; i += len(all) / sample {
			picked = append(picked, all[i])
		}
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			cloud := load(b)
			counter, statuses := azure.NewRequestCounter(), &statusCounter{}
			opts := cloud.ClientOptions()
			opts.PerRetryPolicies = append(opts.PerRetryPolicies, counter, statuses)
			n := newNaive(cloud, opts)
			b.StartTimer()

			start := time.Now()
			for _, id := range picked {
				if err := n.scanVM(context.Background(), id); err != nil {
					b.Fatal(err)
				}
			}
			wall := time.Since(start)

			b.StopTimer()
			scale := float64(len(all)) / float64(len(picked))
			b.ReportMetric(wall.Seconds(), "sample-wall-s")
			b.ReportMetric(float64(counter.Count("total")), "sample-requests")
			b.ReportMetric(float64(counter.Count("total"))/float64(len(picked)), "requests/vm")
			b.ReportMetric(wall.Seconds()*scale, "wall-s-extrapolated")
			b.ReportMetric(float64(counter.Count("total"))*scale, "requests-extrapolated")
			b.ReportMetric(float64(statuses.count(http.StatusTooManyRequests)), "429s")
			b.StartTimer()
		}
	})
}

// statusCounter counts answers by HTTP status.
type statusCounter struct {
	mu sync.Mutex
	by map[int]int
}

func (s *statusCounter) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if resp != nil {
		s.mu.Lock()
		if s.by == nil {
			s.by = map[int]int{}
		}
		s.by[resp.StatusCode]++
		s.mu.Unlock()
	}
	return resp, err
}

func (s *statusCounter) count(status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.by[status]
}

// naive reads one VM at a time with the SDK clients, as a script would.
type naive struct {
	cloud *sim.Cloud
	opts  *arm.ClientOptions
	vms   map[string]*armcompute.VirtualMachinesClient
	nics  map[string]*armnetwork.InterfacesClient
	nsgs  map[string]*armnetwork.SecurityGroupsClient
	snets map[string]*armnetwork.SubnetsClient
}

func newNaive(cloud *sim.Cloud, opts *arm.ClientOptions) *naive {
	return &naive{cloud: cloud, opts: opts, vms: map[string]*armcompute.VirtualMachinesClient{}, nics: map[string]*armnetwork.InterfacesClient{},
		nsgs: map[string]*armnetwork.SecurityGroupsClient{}, snets: map[string]*armnetwork.SubnetsClient{}}
}

func (n *naive) clients(sub string) error {
	if n.vms[sub] != nil {
		return nil
	}
	cred := n.cloud.Credential()
	var err error
	if n.vms[sub], err = armcompute.NewVirtualMachinesClient(sub, cred, n.opts); err != nil {
		return err
	}
	if n.nics[sub], err = armnetwork.NewInterfacesClient(sub, cred, n.opts); err != nil {
		return err
	}
	if n.nsgs[sub], err = armnetwork.NewSecurityGroupsClient(sub, cred, n.opts); err != nil {
		return err
	}
	n.snets[sub], err = armnetwork.NewSubnetsClient(sub, cred, n.opts)
	return err
}

// scanVM reads what the readiness rules need of one VM, one request at a time.
func (n *naive) scanVM(ctx context.Context, vmID string) error {
	rid, err := arm.ParseResourceID(vmID)
	if err != nil {
		return err
	}
	sub := rid.SubscriptionID
	if err := n.clients(sub); err != nil {
		return err
	}
	vm, err := n.vms[sub].Get(ctx, rid.ResourceGroupName, rid.Name, nil)
	if err != nil {
		return err
	}
	getNSG := func(id string) error {
		r, err := arm.ParseResourceID(id)
		if err != nil {
			return err
		}
		_, err = n.nsgs[r.SubscriptionID].Get(ctx, r.ResourceGroupName, r.Name, nil)
		return err
	}
	if p := vm.Properties; p != nil && p.NetworkProfile != nil {
		for _, ref := range p.NetworkProfile.NetworkInterfaces {
			if ref == nil || ref.ID == nil {
				continue
			}
			nr, err := arm.ParseResourceID(*ref.ID)
			if err != nil {
				return err
			}
			nic, err := n.nics[nr.SubscriptionID].Get(ctx, nr.ResourceGroupName, nr.Name, nil)
			if err != nil {
				return err
			}
			np := nic.Properties
			if np == nil {
				continue
			}
			if np.NetworkSecurityGroup != nil && np.NetworkSecurityGroup.ID != nil {
				if err := getNSG(*np.NetworkSecurityGroup.ID); err != nil {
					return err
				}
			}
			for _, ipc := range np.IPConfigurations {
				if ipc == nil || ipc.Properties == nil || ipc.Properties.Subnet == nil || ipc.Properties.Subnet.ID == nil {
					continue
				}
				sr, err := arm.ParseResourceID(*ipc.Properties.Subnet.ID)
				if err != nil {
					return err
				}
				snet, err := n.snets[sr.SubscriptionID].Get(ctx, sr.ResourceGroupName, sr.Parent.Name, sr.Name, nil)
				if err != nil {
					return err
				}
				if sp := snet.Properties; sp != nil && sp.NetworkSecurityGroup != nil && sp.NetworkSecurityGroup.ID != nil {
					if err := getNSG(*sp.NetworkSecurityGroup.ID); err != nil {
						return err
					}
				}
			}
		}
	}
	_, err = n.vms[sub].InstanceView(ctx, rid.ResourceGroupName, rid.Name, nil)
	return err
}
