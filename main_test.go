package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runCLI runs backupready in-process with the given args and environment,
// returning exit code, stdout and stderr. Terminal detection is pinned.
func runCLI(t *testing.T, env map[string]string, tty bool, args ...string) (int, string, string) {
	t.Helper()
	return runCLIInput(t, env, tty, "", args...)
}

// runCLIInput is runCLI with what the user types on standard input.
func runCLIInput(t *testing.T, env map[string]string, tty bool, input string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env["LANG"]; !ok {
		env["LANG"] = "en_US.UTF-8"
	}
	ios := &ioStreams{
		in: strings.NewReader(input), out: &out, err: &errb,
		getenv:  func(k string) string { return env[k] },
		environ: func() []string { return []string{"TERM=xterm-256color", "NO_COLOR=1"} },
		ttyIn:   &tty, ttyOut: &tty, ttyErr: &tty,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := run(ctx, args, ios)
	return code, out.String(), errb.String()
}

type report struct {
	SchemaVersion int `json:"schemaVersion"`
	VMs           []struct {
		ID, Name, SubscriptionID, ResourceGroup, Location, OSType, Verdict string
		Findings                                                           []struct {
			Rule, Verdict, Message, Fix, Docs string
		}
	} `json:"vms"`
	Summary map[string]int `json:"summary"`
}

func decodeReport(t *testing.T, s string) report {
	t.Helper()
	var r report
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("check --json did not write JSON: %v\n%s", err, s)
	}
	return r
}

func TestNoTerminalPointsToHeadlessCommands(t *testing.T) {
	for lang, want := range map[string]string{"en": "interactive terminal", "zh": "交互式终端", "ja": "対話型ターミナル"} {
		code, _, stderr := runCLI(t, nil, false, "--demo", "--lang", lang)
		if code != 2 {
			t.Fatalf("%s: exit %d, want 2", lang, code)
		}
		if !strings.Contains(stderr, want) || !strings.Contains(stderr, "backupready check") {
			t.Fatalf("%s: stderr does not explain: %q", lang, stderr)
		}
	}
}

func TestCheckDemoJSON(t *testing.T) {
	code, stdout, stderr := runCLI(t, nil, false, "check", "--demo", "--json")
	if code != 1 {
		t.Fatalf("the demo tenant has fixable VMs: want exit 1, got %d (stderr %q)", code, stderr)
	}
	r := decodeReport(t, stdout)
	if r.SchemaVersion != 1 || len(r.VMs) < 10 {
		t.Fatalf("schema %d with %d VMs", r.SchemaVersion, len(r.VMs))
	}
	for _, k := range []string{"ok", "info", "warn", "fixable", "blocked"} {
		if _, ok := r.Summary[k]; !ok {
			t.Fatalf("summary lacks %q: %v", k, r.Summary)
		}
	}
	total := 0
	for _, n := range r.Summary {
		total += n
	}
	if total != len(r.VMs) {
		t.Fatalf("summary counts %d VMs, report has %d", total, len(r.VMs))
	}
	rules := len(r.VMs[0].Findings)
	for _, vm := range r.VMs {
		if len(vm.Findings) != rules || rules < 13 {
			t.Fatalf("%s has %d findings, want one per rule (%d)", vm.Name, len(vm.Findings), rules)
		}
		for _, f := range vm.Findings {
			if f.Message == "" || strings.HasPrefix(f.Message, "rule.") {
				t.Fatalf("%s %s: message not translated: %q", vm.Name, f.Rule, f.Message)
			}
		}
	}
}

func TestCheckScopeFlagsAndEnv(t *testing.T) {
	_, stdout, _ := runCLI(t, nil, false, "check", "--demo", "--json", "--location", "japaneast")
	r := decodeReport(t, stdout)
	if len(r.VMs) == 0 {
		t.Fatal("no VM in japaneast")
	}
	for _, vm := range r.VMs {
		if vm.Location != "japaneast" {
			t.Fatalf("%s is in %s", vm.Name, vm.Location)
		}
	}
	// The same through the environment.
	_, stdout2, _ := runCLI(t, map[string]string{"BACKUPREADY_LOCATION": "japaneast", "BACKUPREADY_JSON": "true"}, false, "check", "--demo")
	if stdout2 != stdout {
		t.Fatalf("BACKUPREADY_LOCATION gave another report")
	}
	// A tag filter and a VM filter.
	_, stdout3, _ := runCLI(t, nil, false, "check", "--demo", "--json", "--vm", r.VMs[0].Name)
	if r3 := decodeReport(t, stdout3); len(r3.VMs) != 1 || r3.VMs[0].Name != r.VMs[0].Name {
		t.Fatalf("--vm %s gave %d VMs", r.VMs[0].Name, len(r3.VMs))
	}
}

func TestCheckLanguages(t *testing.T) {
	_, en, _ := runCLI(t, nil, false, "check", "--demo", "--json", "--vm", "web-prod-01")
	_, ja, _ := runCLI(t, map[string]string{"LANG": "ja_JP.UTF-8"}, false, "check", "--demo", "--json", "--vm", "web-prod-01")
	_, zh, _ := runCLI(t, nil, false, "check", "--demo", "--json", "--vm", "web-prod-01", "--lang", "zh")
	if en == ja || en == zh || ja == zh {
		t.Fatal("messages should differ by language")
	}
}

func TestCheckHumanReportFits80Columns(t *testing.T) {
	for _, lang := range []string{"en", "zh", "ja"} {
		code, stdout, _ := runCLI(t, nil, false, "check", "--demo", "--lang", lang)
		if code != 1 {
			t.Fatalf("%s: exit %d", lang, code)
		}
		if strings.Contains(stdout, "\x1b[") {
			t.Fatalf("%s: colour escapes in output to a pipe", lang)
		}
		for _, line := range strings.Split(stdout, "\n") {
			if w := displayWidth(line); w > 80 {
				t.Fatalf("%s: line is %d cells wide: %q", lang, w, line)
			}
		}
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	cases := [][]string{
		{"check", "--demo", "--tag", "=x"},
		{"check", "--demo", "--cloud", "Mars"},
		{"check", "--demo", "--subscription", "no-such-subscription"},
		{"check", "--no-such-flag"},
		{"demo", "fleet", "--vms", "0"},
		{"demo", "fleet", "--vms", "10", "--subscriptions", "0"},
	}
	for _, args := range cases {
		code, _, stderr := runCLI(t, nil, false, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, stderr)
		}
		if strings.TrimSpace(stderr) == "" || strings.Contains(stderr, "panic") {
			t.Errorf("%v: no explanation on stderr: %q", args, stderr)
		}
	}
}

func TestBadScenarioNamesTheLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(path, []byte("subscriptions: []\nlatency: soon\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, nil, false, "check", "--scenario", path)
	if code != 2 || !strings.Contains(stderr, "line 2") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestTraceWritesOneLinePerRequestWithoutSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.tsv")
	code, _, _ := runCLI(t, nil, false, "check", "--demo", "--json", "--trace", path)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) < 4 {
		t.Fatalf("only %d trace lines", len(lines))
	}
	for _, l := range lines {
		if len(strings.Split(l, "\t")) != 5 {
			t.Fatalf("not 5 fields: %q", l)
		}
		if strings.Contains(l, "eyJ") || strings.Contains(strings.ToLower(l), "bearer") || strings.Contains(strings.ToLower(l), "authorization") {
			t.Fatalf("trace line leaks a token: %q", l)
		}
	}
}

func TestDemoFleetIsDeterministic(t *testing.T) {
	_, a, _ := runCLI(t, nil, false, "demo", "fleet", "--vms", "25", "--seed", "7")
	_, b, _ := runCLI(t, nil, false, "demo", "fleet", "--vms", "25", "--seed", "7")
	_, c, _ := runCLI(t, nil, false, "demo", "fleet", "--vms", "25", "--seed", "8")
	if a == "" || a != b || a == c {
		t.Fatal("same seed must give the same file, another seed another file")
	}
	path := filepath.Join(t.TempDir(), "fleet.json")
	if err := os.WriteFile(path, []byte(a), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, nil, false, "check", "--scenario", path, "--json")
	if code > 1 {
		t.Fatalf("check on the generated fleet: exit %d %s", code, stderr)
	}
	if r := decodeReport(t, stdout); len(r.VMs) != 25 {
		t.Fatalf("want 25 VMs, got %d", len(r.VMs))
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runCLI(t, nil, false, "version")
	if code != 0 || !strings.HasPrefix(stdout, "backupready ") {
		t.Fatalf("version: %d %q", code, stdout)
	}
}

func TestRealAzureSignInFailureExits3(t *testing.T) {
	if _, err := exec.LookPath("az"); err == nil {
		t.Skip("az is installed here; this test needs a machine without a sign-in")
	}
	for _, k := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential")
	code, _, stderr := runCLI(t, nil, false, "check", "--json")
	if code != 3 {
		t.Fatalf("exit %d, want 3; stderr %q", code, stderr)
	}
	if !strings.Contains(stderr, "az login") || !strings.Contains(stderr, "AZURE_CLIENT_ID") {
		t.Fatalf("stderr should say to run az login or set AZURE_* variables: %q", stderr)
	}
}

// A scenario with dangling references and missing optional fields still gives
// a report naming every VM, with warn/unknown findings instead of a crash.
func TestCheckToleratesDanglingReferences(t *testing.T) {
	const sub = "11111111-1111-4111-8111-111111111111"
	scenario := `subscriptions: [{id: ` + sub + `, name: Sparse, tenantId: t}]
resources:
  - id: /subscriptions/` + sub + `/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/bare
    name: bare
    type: Microsoft.Compute/virtualMachines
    location: westeurope
    properties: {}
  - id: /subscriptions/` + sub + `/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/dangling
    name: dangling
    type: Microsoft.Compute/virtualMachines
    location: westeurope
    properties:
      storageProfile: {osDisk: {osType: Linux, managedDisk: {storageAccountType: Premium_LRS}}}
      networkProfile: {networkInterfaces: [{id: /subscriptions/` + sub + `/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/gone}]}
  - id: /subscriptions/` + sub + `/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/orphan
    name: orphan
    type: Microsoft.Network/networkInterfaces
    location: westeurope
    properties:
      virtualMachine: {id: /subscriptions/` + sub + `/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/dangling2}
      networkSecurityGroup: {id: /subscriptions/` + sub + `/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/missing}
`
	path := filepath.Join(t.TempDir(), "sparse.yaml")
	if err := os.WriteFile(path, []byte(scenario), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, nil, false, "check", "--scenario", path, "--json")
	if code > 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := decodeReport(t, stdout)
	if len(r.VMs) != 2 {
		t.Fatalf("want both VMs reported, got %d", len(r.VMs))
	}
	for _, vm := range r.VMs {
		warned := false
		for _, f := range vm.Findings {
			if f.Verdict == "warn" {
				warned = true
			}
		}
		if !warned {
			t.Errorf("%s: missing data should give warn findings: %+v", vm.Name, vm.Findings)
		}
	}
}

// --sim-state creates the tenant file on first use and reads it on the next
// run: the two reports agree.
func TestCheckSimStateChains(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	code1, out1, _ := runCLI(t, nil, false, "check", "--sim-state", path, "--json")
	data, err := os.ReadFile(path)
	if err != nil || !json.Valid(data) {
		t.Fatalf("state file not written as JSON: %v", err)
	}
	code2, out2, _ := runCLI(t, nil, false, "check", "--sim-state", path, "--json")
	if code1 != 1 || code2 != 1 || out1 != out2 {
		t.Fatalf("runs differ: %d %d", code1, code2)
	}
}

func TestCheckRefusesScopesThatMatchNothing(t *testing.T) {
	for _, args := range [][]string{
		{"check", "--demo", "--vm", "web-prod-O1"},
		{"check", "--demo", "--location", "westeuropa"},
		{"check", "--demo", "--tag", "env=staging"},
		{"check", "--demo", "--lang", "fr"},
	} {
		code, _, stderr := runCLI(t, nil, false, args...)
		if code != 2 || strings.TrimSpace(stderr) == "" {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with a reason", args, code, stderr)
		}
	}
}
