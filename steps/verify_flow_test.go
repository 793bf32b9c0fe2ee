package steps

import (
	"context"
	"sync"
	"testing"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
)

// flowSpy records the IP flow verify questions the applier asks.
type flowSpy struct {
	*azure.Client
	mu     sync.Mutex
	checks []azure.FlowCheck
}

func (f *flowSpy) VerifyIPFlow(ctx context.Context, watcherID string, c azure.FlowCheck) (string, string, error) {
	f.mu.Lock()
	f.checks = append(f.checks, c)
	f.mu.Unlock()
	return f.Client.VerifyIPFlow(ctx, watcherID, c)
}

// After adding the proxy path's rules, each is verified for the traffic it
// lets through: outbound from a VM to the proxy's port, inbound to the
// proxy on its own port (the local port: the client's is any), and the
// proxy out to the Internet on 443.
func TestVerifyAsksForTheRulesTraffic(t *testing.T) {
	env := newApplyEnv(t, nil, sim.Options{})
	closeProxyPath(t, env.api)
	p := gatewayProxyPlan(3128)
	spy := &flowSpy{Client: env.api}
	if out, _ := env.runProxy(t, p, spy); out.Failed() {
		t.Fatalf("outcome %v %v", out.States, out.Errs)
	}
	var in, toProxy, toInternet bool
	for _, c := range spy.checks {
		switch {
		case c.Direction == "Inbound":
			in = c.LocalPort == "3128" && c.RemotePort == "*"
			if !in {
				t.Errorf("inbound check on ports local %q remote %q, want 3128 and *", c.LocalPort, c.RemotePort)
			}
		case c.RemotePort == "3128":
			toProxy = c.LocalPort == "*"
		case c.RemotePort == "443":
			toInternet = true
		}
	}
	if !in || !toProxy || !toInternet {
		t.Errorf("checks asked: %+v", spy.checks)
	}
}
