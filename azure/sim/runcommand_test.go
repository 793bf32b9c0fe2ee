package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
)

const (
	vmERP = "/subscriptions/" + demoProd + "/resourceGroups/rg-erp-prod/providers/Microsoft.Compute/virtualMachines/erp-legacy-01" // Windows, running, agent Ready
)

// runToEnd starts a script and drives it to its end on the test clock.
func runToEnd(t *testing.T, cl *azure.Client, clock *netClock, vmID, osType, script string) (azure.RunResult, error) {
	t.Helper()
	ctx := context.Background()
	op, result, err := cl.BeginRunCommand(ctx, vmID, osType, script, "")
	if err != nil {
		return azure.RunResult{}, err
	}
	pollRunning(t, op)
	clock.advance(11 * time.Second)
	err = pollDone(t, op)
	return result(), err
}

// A Linux script's echo lines come back as stdout (>&2 as stderr) in Linux's
// shape; a Windows one in Windows' shape.
func TestSimRunCommandOutput(t *testing.T) {
	_, cl, clock := netCloud(t, 10*time.Second, Options{})
	res, err := runToEnd(t, cl, clock, vmAPI, "Linux", "#!/bin/sh\necho hello\necho 'proxy set'\necho \"careful\" >&2\ntrue\n")
	if err != nil {
		t.Fatal(err)
	}
	if res != (azure.RunResult{Stdout: "hello\nproxy set\n", Stderr: "careful\n", Succeeded: true, Code: "ProvisioningState/succeeded"}) {
		t.Fatalf("linux: %+v", res)
	}
	res, err = runToEnd(t, cl, clock, vmERP, "Windows", "Write-Output 'WinHTTP proxy set'\r\nnetsh winhttp show proxy\r\nWrite-Error \"bypass list empty\"\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if res != (azure.RunResult{Stdout: "WinHTTP proxy set\n", Stderr: "bypass list empty\n", Succeeded: true, Code: "ComponentStatus/StdOut/succeeded"}) {
		t.Fatalf("windows: %+v", res)
	}
	// Azure keeps the last 4,096 bytes
	var b strings.Builder
	for i := range 500 {
		fmt.Fprintf(&b, "echo line-%04d-%s\n", i, strings.Repeat("x", 10))
	}
	res, err = runToEnd(t, cl, clock, vmAPI, "Linux", b.String())
	if err != nil || len(res.Stdout) != 4096 || !strings.HasSuffix(res.Stdout, "line-0499-xxxxxxxxxx\n") {
		t.Fatalf("long output: %d bytes %v", len(res.Stdout), err)
	}
}

// A script that exits 1 ends the operation fine and reports the failure,
// with its stderr; what follows exit is not run.
func TestSimRunCommandScriptFails(t *testing.T) {
	_, cl, clock := netCloud(t, 10*time.Second, Options{})
	res, err := runToEnd(t, cl, clock, vmAPI, "Linux", "echo start\necho 'no waagent.conf' >&2\nexit 1\necho never\n")
	if err != nil {
		t.Fatal(err)
	}
	if res != (azure.RunResult{Stdout: "start\n", Stderr: "no waagent.conf\n", Succeeded: false, Code: "ProvisioningState/failed/1"}) {
		t.Fatalf("linux: %+v", res)
	}
	res, err = runToEnd(t, cl, clock, vmERP, "Windows", "Write-Output start\nWrite-Error 'access denied'\nexit 1\n")
	if err != nil {
		t.Fatal(err)
	}
	if res.Succeeded || res.Stderr != "access denied\n" || res.Stdout != "start\n" || res.Code != "ComponentStatus/StdErr/failed" {
		t.Fatalf("windows: %+v", res)
	}
}

// A VM tagged backupready-sim: runcommand-timeout never finishes the script:
// the operation runs for 90 operation times and then fails as Azure's does.
func TestSimRunCommandTimeout(t *testing.T) {
	sc := Demo()
	sc.Latency, sc.OperationTime = 0, 10*time.Second
	for i, raw := range sc.Resources {
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		if id, _ := doc["id"].(string); strings.EqualFold(id, vmAPI) {
			doc["tags"].(map[string]any)["backupready-sim"] = "runcommand-timeout"
			sc.Resources[i], _ = json.Marshal(doc)
		}
	}
	clock := newNetClock()
	_, cl := clientOn(t, sc, Options{Now: clock.now})
	ctx := context.Background()
	op, result, err := cl.BeginRunCommand(ctx, vmAPI, "Linux", "echo hi", "")
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(89 * 10 * time.Second)
	pollRunning(t, op)
	// one script at a time
	_, _, err = cl.BeginRunCommand(ctx, vmAPI, "Linux", "echo again", "")
	if e, ok := azure.AsError(err); !ok || e.Kind != azure.KindConflict || e.Code != codeRunCommandBusy {
		t.Fatalf("second script: %v", err)
	}
	clock.advance(10 * time.Second)
	err = pollDone(t, op)
	e, ok := azure.AsError(err)
	if !ok || e.Kind != azure.KindOperation || e.Code != codeRunCommandTimeout || e.Op != "run-command" || !strings.Contains(e.Message, "timed out") {
		t.Fatalf("timeout: %v", err)
	}
	if result() != (azure.RunResult{}) {
		t.Fatalf("no result after a timeout: %+v", result())
	}
}

// Run Command needs a running VM with its agent Ready, and the command of
// its OS.
func TestSimRunCommandRefusals(t *testing.T) {
	_, cl, _ := netCloud(t, 10*time.Second, Options{})
	ctx := context.Background()
	for _, tc := range []struct {
		name, vm, os, code string
		status             int
	}{
		{"deallocated", vmBuild, "Windows", codeOperationNotAllowed, http.StatusConflict},
		{"agent not ready", vmNoAgent, "Windows", codeAgentNotReady, http.StatusConflict},
		{"wrong command", vmAPI, "Windows", codeBadCommand, http.StatusBadRequest},
	} {
		_, _, err := cl.BeginRunCommand(ctx, tc.vm, tc.os, "echo hi", "")
		if e, ok := azure.AsError(err); !ok || e.Status != tc.status || e.Code != tc.code || e.Op != "run-command" {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	_, _, err := cl.BeginRunCommand(ctx, strings.Replace(vmAPI, "api-01", "nope", 1), "Linux", "echo hi", "")
	if e, ok := azure.AsError(err); !ok || e.Kind != azure.KindNotFound {
		t.Errorf("missing VM: %v", err)
	}
}

// A Run Command's resume token works in another process.
func TestSimRunCommandResumes(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	clock := newNetClock()
	_, cl, _ := netCloud(t, 10*time.Second, Options{StatePath: state, Now: clock.now})
	ctx := context.Background()
	op, _, err := cl.BeginRunCommand(ctx, vmAPI, "Linux", "echo resumed", "")
	if err != nil {
		t.Fatal(err)
	}
	pollRunning(t, op)
	_, cl2, _ := netCloud(t, 10*time.Second, Options{StatePath: state, Now: clock.now})
	op2, result, err := cl2.BeginRunCommand(ctx, vmAPI, "", "", op.ResumeToken())
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(11 * time.Second)
	if err := pollDone(t, op2); err != nil {
		t.Fatal(err)
	}
	if got := result(); got.Stdout != "resumed\n" || !got.Succeeded {
		t.Fatalf("resumed result: %+v", got)
	}
}
