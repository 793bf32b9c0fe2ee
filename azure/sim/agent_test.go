package sim

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/guest"
)

const (
	vmAgentERP = "/subscriptions/" + demoProd + "/resourceGroups/rg-erp-prod/providers/Microsoft.Compute/virtualMachines/erp-legacy-01" // Windows, agent 2.6.1198.600
)

type agentClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *agentClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *agentClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// agentCloud is the demo on a test clock, operations taking opTime.
func agentCloud(t *testing.T, opTime time.Duration) (*azure.Client, *agentClock) {
	t.Helper()
	clock := &agentClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	sc := Demo()
	sc.Latency = 0
	sc.OperationTime = opTime
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

func pollUntil(t *testing.T, op *azure.Operation, clock *agentClock, step time.Duration) error {
	t.Helper()
	for range 50 {
		done, err := op.Poll(context.Background())
		if done {
			return err
		}
		clock.advance(step)
	}
	t.Fatalf("operation %s never ended", op.Op())
	return nil
}

// An agent repair script that succeeds leaves the agent restarting (Not
// Ready) for a while, then Ready with a newer version; Run Command is
// refused while it restarts.
func TestSimAgentRepairThenReadyAfterADelay(t *testing.T) {
	cl, clock := agentCloud(t, 10*time.Second)
	ctx := context.Background()
	before, err := cl.InstanceView(ctx, vmAgentERP)
	if err != nil || before.Status != "Ready" || before.Version != "2.6.1198.600" {
		t.Fatalf("before: %+v %v", before, err)
	}
	script, err := guest.WindowsAgentScript("", 0)
	if err != nil {
		t.Fatal(err)
	}
	op, result, err := cl.BeginRunCommand(ctx, vmAgentERP, "Windows", script, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := pollUntil(t, op, clock, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	res := result()
	if !res.Succeeded || !strings.Contains(res.Stdout, "agent install: scheduled") || res.Stderr != "" {
		t.Fatalf("result %+v", res)
	}
	st, err := cl.InstanceView(ctx, vmAgentERP)
	if err != nil || st.Status != "Not Ready" || !strings.Contains(st.Message, "restarting") {
		t.Fatalf("right after the script: %+v %v", st, err)
	}
	if _, _, err := cl.BeginRunCommand(ctx, vmAgentERP, "Windows", "Write-Output x", ""); err == nil {
		t.Error("Run Command accepted while the agent restarts")
	}
	clock.advance(21 * time.Second)
	st, err = cl.InstanceView(ctx, vmAgentERP)
	if err != nil || st.Status != "Ready" || st.Version != SimLatestWindowsAgent {
		t.Fatalf("after the restart: %+v %v", st, err)
	}
}

// A script that is not an agent repair, or that fails, leaves the agent
// as it was.
func TestSimAgentRepairOnlyWhenItSucceeds(t *testing.T) {
	cl, clock := agentCloud(t, 10*time.Second)
	ctx := context.Background()
	for _, script := range []string{"Write-Output hello", guest.AgentRepairMarker + "\nWrite-Error 'cannot download'\nexit 3\n"} {
		op, _, err := cl.BeginRunCommand(ctx, vmAgentERP, "Windows", script, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := pollUntil(t, op, clock, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		clock.advance(time.Minute)
		st, _ := cl.InstanceView(ctx, vmAgentERP)
		if st.Status != "Ready" || st.Version != "2.6.1198.600" {
			t.Fatalf("after %q: %+v", script, st)
		}
	}
}

// Uninstalling the failed snapshot extension is a long-running DELETE;
// afterwards the instance view shows none; a second DELETE is done at once.
func TestSimSnapshotExtensionUninstall(t *testing.T) {
	cl, clock := agentCloud(t, 10*time.Second)
	ctx := context.Background()
	st, err := cl.InstanceView(ctx, vmSnapFail)
	if err != nil || len(st.Extensions) != 1 || st.Extensions[0].Name != "VMSnapshotLinux" {
		t.Fatalf("before: %+v %v", st.Extensions, err)
	}
	op, err := cl.BeginDeleteExtension(ctx, vmSnapFail, "VMSnapshotLinux", "")
	if err != nil {
		t.Fatal(err)
	}
	if done, err := op.Poll(ctx); done || err != nil {
		t.Fatalf("done at once: %v %v", done, err)
	}
	tok := op.ResumeToken()
	if tok == "" {
		t.Fatal("no resume token")
	}
	// resumed from the token, as an interrupted run does
	op2, err := cl.BeginDeleteExtension(ctx, vmSnapFail, "", tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := pollUntil(t, op2, clock, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	st, _ = cl.InstanceView(ctx, vmSnapFail)
	for _, e := range st.Extensions {
		if azure.IsSnapshotExtension(e.Name, e.Type) {
			t.Fatalf("still there: %+v", e)
		}
	}
	op3, err := cl.BeginDeleteExtension(ctx, vmSnapFail, "VMSnapshotLinux", "")
	if err != nil {
		t.Fatal(err)
	}
	if done, err := op3.Poll(ctx); !done || err != nil {
		t.Fatalf("second delete: done %v err %v", done, err)
	}
	if _, err := cl.BeginDeleteExtension(ctx, vmSnapFail+"-nope", "VMSnapshotLinux", ""); err == nil {
		t.Error("a missing VM accepted")
	}
}

// A backup job in progress is listed for its VM until it ends.
func TestSimRunningBackupJobs(t *testing.T) {
	cl, clock := agentCloud(t, 10*time.Second)
	ctx := context.Background()
	jobs, err := cl.RunningBackupJobs(ctx, vaultEUS)
	if err != nil || len(jobs) != 0 {
		t.Fatalf("before: %+v %v", jobs, err)
	}
	if _, err := cl.TriggerBackup(ctx, vaultEUS, vmCRM, clock.now().Add(30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	var mine []azure.RunningJob
	for range 10 {
		clock.advance(2 * time.Second)
		jobs, err = cl.RunningBackupJobs(ctx, vaultEUS)
		if err != nil {
			t.Fatal(err)
		}
		if mine = azure.JobsFor(jobs, vmCRM); len(mine) > 0 {
			break
		}
	}
	if len(mine) != 1 || mine[0].Operation != "Backup" || !strings.EqualFold(mine[0].Entity, "crm-eastus-01") {
		t.Fatalf("running: %+v", jobs)
	}
	if other := azure.JobsFor(jobs, vmAgentERP); len(other) != 0 {
		t.Errorf("another VM's jobs: %+v", other)
	}
	clock.advance(10 * time.Minute)
	jobs, err = cl.RunningBackupJobs(ctx, vaultEUS)
	if err != nil || len(azure.JobsFor(jobs, vmCRM)) != 0 {
		t.Fatalf("after the end: %+v %v", jobs, err)
	}
}
