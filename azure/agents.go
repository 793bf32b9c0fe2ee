package azure

import (
	"context"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

// DefaultConcurrency bounds parallel per-VM reads.
const DefaultConcurrency = 32

// ReadAgents reads the instance view of every running VM in vms (one GET each;
// stopped VMs cost nothing because their agent cannot report) and stores it in
// vms[i].Agent, or the failure in vms[i].AgentErr. progress is called after each
// read with the number done and the number to do. It returns early, with the
// context's error, when ctx is cancelled.
func (c *Client) ReadAgents(ctx context.Context, vms []VM, concurrency int, progress func(done, total int)) error {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	var todo []int
	for i := range vms {
		if vms[i].Running() && !vms[i].Classic {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	todo = interleaveBySubscription(vms, todo)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
		jobs = make(chan int)
	)
	for w := 0; w < min(concurrency, len(todo)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				st, err := c.InstanceView(ctx, vms[i].ID)
				if err != nil {
					e, _ := AsError(err)
					vms[i].AgentErr = e
				} else {
					vms[i].Agent = &st
				}
				if progress != nil {
					mu.Lock()
					done++
					d := done
					mu.Unlock()
					progress(d, len(todo))
				}
			}
		}()
	}
feed:
	for _, i := range todo {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Classify("read-agents", err)
	}
	return nil
}

// interleaveBySubscription orders the reads round-robin over the VMs'
// subscriptions. Compute's limits (and the client's bound on reads in flight,
// computeGate) are per subscription: workers taking the VMs in inventory
// order would queue behind one subscription's bound while the others idle.
func interleaveBySubscription(vms []VM, todo []int) []int {
	var order []string
	bySub := map[string][]int{}
	for _, i := range todo {
		sub := strings.ToLower(vms[i].SubscriptionID)
		if _, ok := bySub[sub]; !ok {
			order = append(order, sub)
		}
		bySub[sub] = append(bySub[sub], i)
	}
	if len(order) < 2 {
		return todo
	}
	out := make([]int, 0, len(todo))
	for len(out) < len(todo) {
		for _, sub := range order {
			if q := bySub[sub]; len(q) > 0 {
				out = append(out, q[0])
				bySub[sub] = q[1:]
			}
		}
	}
	return out
}

// InstanceView reads one VM's instance view.
func (c *Client) InstanceView(ctx context.Context, vmID string) (AgentState, error) {
	const op = "instance-view"
	rid, err := arm.ParseResourceID(vmID)
	if err != nil {
		return AgentState{}, &Error{Kind: KindInvalid, Op: op, Message: "not a VM resource id", Err: err}
	}
	sc, err := c.forSub(rid.SubscriptionID)
	if err != nil {
		return AgentState{}, Classify(op, err)
	}
	resp, err := sc.vms.InstanceView(ctx, rid.ResourceGroupName, rid.Name, nil)
	if err != nil {
		return AgentState{}, Classify(op, err)
	}
	return AgentFromInstanceView(&resp.VirtualMachineInstanceView), nil
}

// AgentFromInstanceView reads the agent, power and extension state out of an
// instance view. Any part may be missing; missing parts stay empty.
func AgentFromInstanceView(iv *armcompute.VirtualMachineInstanceView) AgentState {
	var st AgentState
	if iv == nil {
		return st
	}
	st.OSName, st.OSVersion = intern(str(iv.OSName)), intern(str(iv.OSVersion))
	if iv.HyperVGeneration != nil {
		st.HyperVGen = string(*iv.HyperVGeneration)
	}
	for _, s := range iv.Statuses {
		if s == nil || s.Code == nil {
			continue
		}
		code := *s.Code
		switch {
		case strings.HasPrefix(code, "PowerState/"):
			st.PowerState = intern(strings.ToLower(strings.TrimPrefix(code, "PowerState/")))
		case strings.HasPrefix(code, "ProvisioningState/"):
			st.Provision = intern(strings.ToLower(strings.TrimPrefix(code, "ProvisioningState/")))
		}
	}
	if a := iv.VMAgent; a != nil {
		st.Version = intern(str(a.VMAgentVersion))
		for _, s := range a.Statuses {
			if s == nil {
				continue
			}
			st.Status, st.Code, st.Message = intern(str(s.DisplayStatus)), intern(str(s.Code)), intern(str(s.Message))
			break
		}
	}
	for _, e := range iv.Extensions {
		if e == nil {
			continue
		}
		es := ExtensionState{Name: intern(str(e.Name)), Type: intern(str(e.Type)), Version: intern(str(e.TypeHandlerVersion))}
		for _, s := range e.Statuses {
			if s == nil {
				continue
			}
			es.Code, es.Message = intern(str(s.Code)), intern(str(s.Message))
			if s.Level != nil {
				es.Level = intern(string(*s.Level))
			}
			break
		}
		st.Extensions = append(st.Extensions, es)
	}
	// The snapshot extension of a managed VM may be missing from the
	// extension list (AZURE.md §5.2) while its handler reports under the
	// agent: take the handler's status then.
	if a := iv.VMAgent; a != nil && !hasSnapshotExt(st.Extensions) {
		for _, h := range a.ExtensionHandlers {
			if h == nil || !IsSnapshotExtension("", str(h.Type)) {
				continue
			}
			typ := str(h.Type)
			es := ExtensionState{Name: intern(typ[strings.LastIndexByte(typ, '.')+1:]), Type: intern(typ), Version: intern(str(h.TypeHandlerVersion))}
			if s := h.Status; s != nil {
				es.Code, es.Message = intern(str(s.Code)), intern(str(s.Message))
				if s.Level != nil {
					es.Level = intern(string(*s.Level))
				}
			}
			st.Extensions = append(st.Extensions, es)
			break
		}
	}
	return st
}

func hasSnapshotExt(es []ExtensionState) bool {
	for _, e := range es {
		if IsSnapshotExtension(e.Name, e.Type) {
			return true
		}
	}
	return false
}
