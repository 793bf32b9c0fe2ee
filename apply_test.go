package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const demoSub = "3f2b6c1e-8a4d-4c2e-9b7a-1d5e6f708192"

func demoVM(group, name string) string {
	return "/subscriptions/" + demoSub + "/resourceGroups/" + group + "/providers/Microsoft.Compute/virtualMachines/" + name
}

func writePlan(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func newVaultPlan() string {
	return "version: 1\nsubscription: " + demoSub + "\nvms:\n  - " + demoVM("rg-web-prod", "web-prod-01") +
		"\n  - " + demoVM("rg-apac-prod", "tokyo-app-01") +
		"\nvault: {name: rsv-weu-new, resourceGroup: rg-backup-weu, location: westeurope, create: true}\nredundancy: {storageType: LocallyRedundant}\n"
}

type changeReport struct {
	SchemaVersion int `json:"schemaVersion"`
	Changes       []struct {
		Kind, Action, Target, Region, From, To, Reason string
		Irreversible                                   bool
	} `json:"changes"`
	Summary map[string]int `json:"summary"`
}

func TestApplyDryRunListsChangesAndWritesNothing(t *testing.T) {
	plan := writePlan(t, newVaultPlan())
	trace := filepath.Join(t.TempDir(), "trace.tsv")
	code, stdout, stderr := runCLI(t, nil, false, "apply", "--demo", "--plan", plan, "--dry-run", "--json", "--trace", trace)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r changeReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	var got []string
	for _, c := range r.Changes {
		got = append(got, c.Kind+" "+c.Action)
	}
	want := "noChange provider.register|create resourceGroup.create|create vault.create|modify vault.storageType|skip vm.include|noChange vm.include"
	if strings.Join(got, "|") != want {
		t.Fatalf("changes:\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
	if r.Summary["create"] != 2 || r.Summary["skip"] != 1 {
		t.Fatalf("summary %v", r.Summary)
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(line, "\t")
		if f[1] != "GET" && !(f[1] == "POST" && strings.Contains(f[2], "Microsoft.ResourceGraph")) {
			t.Fatalf("a dry run sent a write: %s", line)
		}
	}
}

func TestApplyRefusesPlansThatCannotWork(t *testing.T) {
	locked := "version: 1\nsubscription: " + demoSub + "\nvms: [" + demoVM("rg-crm-prod", "crm-eastus-01") + "]\n" +
		"vault: {name: rsv-eus-prod, resourceGroup: rg-backup-prod, location: eastus}\nredundancy: {storageType: LocallyRedundant}\n"
	unknown := "version: 1\nsubscription: " + demoSub + "\nvms: [" + demoVM("rg-x", "ghost") + "]\n" +
		"vault: {name: rsv-weu-new, resourceGroup: rg-b, location: westeurope, create: true}\n"
	cases := []struct {
		name, plan, want string
		args             []string
	}{
		{"locked redundancy", locked, "redundancy.storageType", nil},
		{"unknown VM id", unknown, "vms[0]", nil},
		{"unsupported version", "version: 2\n", "line 1", nil},
		{"bad vault name", strings.Replace(newVaultPlan(), "rsv-weu-new", "9vault", 1), "vault.name", nil},
		{"unknown key", newVaultPlan() + "extra: 1\n", "extra", nil},
		{"without --yes and no terminal nothing is carried out", newVaultPlan(), "--yes", []string{"--no-dry-run"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"apply", "--demo", "--plan", writePlan(t, tc.plan), "--dry-run"}
			if tc.args != nil {
				args = args[:len(args)-1]
			}
			code, _, stderr := runCLI(t, nil, false, args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q (want exit 2 mentioning %q)", code, stderr, tc.want)
			}
			if strings.Contains(stderr, "plan.err.") || strings.Contains(stderr, "conflict.") {
				t.Fatalf("a catalog key leaked: %q", stderr)
			}
		})
	}
}

// fastScenario is the demo tenant without latency, with operations that
// take opTime.
func fastScenario(t *testing.T, opTime string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("azure", "sim", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "latency: 30ms\noperationTime: 3s\n", "latency: 0s\noperationTime: "+opTime+"\n", 1)
	if s == string(data) {
		t.Fatal("demo.yaml no longer has the latency lines this test replaces")
	}
	path := filepath.Join(t.TempDir(), "scenario.yaml")
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// traceWrites returns the write requests of a --trace file.
func traceWrites(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 3 {
			continue
		}
		if f[1] == "GET" || f[1] == "HEAD" || (f[1] == "POST" && strings.Contains(f[2], "Microsoft.ResourceGraph")) {
			continue
		}
		out = append(out, f[1]+" "+f[2])
	}
	return out
}

// apply --yes carries the plan out against the simulated tenant and records
// it; a second run over the same --sim-state changes nothing and sends no
// write request (asserted through --trace).
func TestApplyYesThenIdempotent(t *testing.T) {
	dir := t.TempDir()
	scenario, state := fastScenario(t, "0s"), filepath.Join(dir, "state.json")
	plan := writePlan(t, newVaultPlan()+"protect: {enabled: true, policy: DefaultPolicy, backupNow: true}\n")
	trace1, trace2 := filepath.Join(dir, "t1.tsv"), filepath.Join(dir, "t2.tsv")
	code, stdout, stderr := runCLI(t, nil, false, "apply", "--scenario", scenario, "--sim-state", state, "--plan", plan, "--yes", "--trace", trace1)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"Done (", "rsv-weu-new", "web-prod-01", "Journal: " + plan + ".journal"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if w := traceWrites(t, trace1); len(w) == 0 {
		t.Fatal("the first run sent no write")
	}
	code, stdout, stderr = runCLI(t, nil, false, "apply", "--scenario", scenario, "--sim-state", state, "--plan", plan, "--yes", "--trace", trace2)
	if code != 0 {
		t.Fatalf("second run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if w := traceWrites(t, trace2); len(w) != 0 {
		t.Fatalf("re-applying a finished plan sent writes:\n%s", strings.Join(w, "\n"))
	}
	if !strings.Contains(stdout, "0 done") {
		t.Errorf("second run should report nothing done:\n%s", stdout)
	}
}

// apply --json writes one JSON event per line; a refused write exits 4 and
// names the failure.
func TestApplyJSONEventsAndFailureExit4(t *testing.T) {
	dir := t.TempDir()
	data, _ := os.ReadFile(fastScenario(t, "0s"))
	faulty := string(data) + "faults:\n- {match: \"(?i)PUT .*/resourcegroups/rg-backup-weu\\\\?\", status: 403, code: AuthorizationFailed}\n"
	scenario := filepath.Join(dir, "faulty.yaml")
	if err := os.WriteFile(scenario, []byte(faulty), 0o600); err != nil {
		t.Fatal(err)
	}
	plan := writePlan(t, newVaultPlan())
	code, stdout, stderr := runCLI(t, nil, false, "apply", "--scenario", scenario, "--plan", plan, "--yes", "--json")
	if code != 4 {
		t.Fatalf("exit %d, want 4\n%s\n%s", code, stdout, stderr)
	}
	var failed bool
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var ev struct {
			Action, State, Message string
			Error                  *struct{ Kind, Code string }
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not one JSON object per line: %q: %v", line, err)
		}
		if ev.State == "failed" {
			failed = true
			if ev.Action != "resourceGroup.create" || ev.Error == nil || ev.Error.Kind != "forbidden" || !strings.Contains(ev.Message, "denied") {
				t.Errorf("failure event: %+v", ev)
			}
		}
	}
	if !failed {
		t.Fatalf("no failed event:\n%s", stdout)
	}
}

// Without --yes at a terminal, apply shows the changes and asks: anything
// but yes changes nothing (exit 0, no write sent); y carries the plan out.
func TestApplyAsksAtATerminal(t *testing.T) {
	dir := t.TempDir()
	scenario, state := fastScenario(t, "0s"), filepath.Join(dir, "state.json")
	plan := writePlan(t, newVaultPlan())
	trace := filepath.Join(dir, "no.tsv")
	code, stdout, stderr := runCLIInput(t, nil, true, "n\n", "apply", "--scenario", scenario, "--sim-state", state, "--plan", plan, "--trace", trace)
	if code != 0 || !strings.Contains(stdout, "Carry out these") || !strings.Contains(stdout, "Nothing was changed.") {
		t.Fatalf("declined: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if w := traceWrites(t, trace); len(w) != 0 {
		t.Fatalf("a declined apply sent writes: %v", w)
	}
	code, stdout, stderr = runCLIInput(t, nil, true, "y\n", "apply", "--scenario", scenario, "--sim-state", state, "--plan", plan)
	if code != 0 || !strings.Contains(stdout, "Done (") {
		t.Fatalf("accepted: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
