package sim

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

// The compute, network and backup fakes close their result channel when the
// request context ends while the handler goroutine may still send on it; a
// cancelled request must never reach them with a cancellable context (the
// process would panic: send on closed channel).
func TestCancelDuringDispatchDoesNotPanic(t *testing.T) {
	c, _ := newDemo(t)
	opts, _ := sdkOptions(c)
	vms, _ := armcompute.NewVirtualMachinesClient(demoProd, c.Credential(), opts)
	for round := 0; round < 20; round++ {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					_, _ = vms.InstanceView(ctx, "rg-web-prod", "web-prod-01", nil)
				}
			}()
		}
		time.Sleep(5 * time.Millisecond)
		cancel()
		wg.Wait()
	}
	time.Sleep(20 * time.Millisecond) // let stray fake goroutines finish (and panic, if they would)
}
