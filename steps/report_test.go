package steps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// rtFleet is one VM per verdict, judged by the real rules, so the report
// tests and goldens show real catalog text.
func rtFleet() []VMResult {
	inv := rtHealthyInv()
	var vms []*azure.VM

	web := rtHealthyVM() // ok
	web.Name, web.ResourceGroup = "web-1", "rg-web"
	vms = append(vms, web)

	app := rtHealthyVM() // info: 20 disks, Trusted Launch
	app.Name, app.ResourceGroup = "app-2", "rg-财务系统"
	app.DataDisks = rtDisks(20, true)
	app.SecurityType = "TrustedLaunch"
	vms = append(vms, app)

	db := rtHealthyVM() // warn: deallocated Windows, NSG denies 443
	db.Name, db.ResourceGroup = "db-3", "rg-data"
	rtWindows(db, "Windows Server 2019 Datacenter", "10.0.17763")
	rtStop("deallocated")(db, inv)
	db.NICs[0].NSGID = rtAddNSG(inv, "nsg-data", rtOutRule("deny-internet-out", 110, "Deny", "*", "Internet", "*"))
	vms = append(vms, db)

	legacy := rtHealthyVM() // fixable: agent Not Ready and old, no vault in its region
	legacy.Name, legacy.ResourceGroup, legacy.Location = "legacy-4", "rg-legacy", "northeurope"
	legacy.Agent.Status, legacy.Agent.Code = "Not Ready", "ProvisioningState/Unavailable"
	legacy.Agent.Message = "VM status blob is found but not yet populated."
	legacy.Agent.Version = "2.2.45"
	vms = append(vms, legacy)

	old := rtHealthyVM() // blocked: 17 unmanaged disks, Windows Server 2008 R2
	old.Name, old.ResourceGroup = "old-5", "rg-legacy"
	rtWindows(old, "Windows Server 2008 R2 Datacenter", "6.1.7601")
	old.OSDisk.Managed = false
	old.DataDisks = rtDisks(17, false)
	vms = append(vms, old)

	cfg := RuleConfig{Today: rtToday}
	out := make([]VMResult, len(vms))
	for i, vm := range vms {
		out[i] = VMResult{VM: vm, Findings: Evaluate(vm, inv, cfg)}
		out[i].Finalize()
	}
	return out
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func requireKeys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := keysOf(m); !slices.Equal(got, want) {
		t.Fatalf("%s keys = %v, want %v", what, got, want)
	}
}

func decodeReport(t *testing.T, rep Report) map[string]any {
	t.Helper()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestBuildReportSchema(t *testing.T) {
	trs := rtTranslators(t)
	results := rtFleet()
	for _, lang := range ui.Languages {
		t.Run(lang, func(t *testing.T) {
			doc := decodeReport(t, BuildReport(results, trs[lang]))
			requireKeys(t, "document", doc, "schemaVersion", "vms", "summary")
			if v, ok := doc["schemaVersion"].(float64); !ok || v != 1 {
				t.Fatalf("schemaVersion = %#v", doc["schemaVersion"])
			}
			vms, ok := doc["vms"].([]any)
			if !ok || len(vms) != len(results) {
				t.Fatalf("vms = %#v", doc["vms"])
			}
			for i, x := range vms {
				vm, ok := x.(map[string]any)
				if !ok {
					t.Fatalf("vm %d is %T", i, x)
				}
				requireKeys(t, "vm", vm, "id", "name", "subscriptionId", "resourceGroup", "location", "osType", "verdict", "findings")
				for _, k := range []string{"id", "name", "subscriptionId", "resourceGroup", "location", "osType", "verdict"} {
					if _, ok := vm[k].(string); !ok {
						t.Errorf("vm.%s is %T", k, vm[k])
					}
				}
				if vm["name"] != results[i].VM.Name || vm["verdict"] != string(results[i].Verdict) {
					t.Errorf("vm %d = %v %v", i, vm["name"], vm["verdict"])
				}
				fs, ok := vm["findings"].([]any)
				if !ok || len(fs) != len(Rules) {
					t.Fatalf("findings = %#v", vm["findings"])
				}
				for j, y := range fs {
					f := y.(map[string]any)
					requireKeys(t, "finding", f, "rule", "verdict", "message", "fix", "docs")
					for _, k := range []string{"rule", "verdict", "message", "fix", "docs"} {
						if _, ok := f[k].(string); !ok {
							t.Errorf("finding.%s is %T", k, f[k])
						}
					}
					if f["rule"] != Rules[j] {
						t.Errorf("finding %d rule = %v", j, f["rule"])
					}
					msg := f["message"].(string)
					if msg == "" || strings.HasPrefix(msg, "rule.") {
						t.Errorf("finding %s message = %q", f["rule"], msg)
					}
					if f["verdict"] == "ok" && f["fix"] != "" {
						t.Errorf("ok finding %s has a fix", f["rule"])
					}
					if f["verdict"] != "ok" && f["fix"] == "" {
						t.Errorf("%s finding %s has no fix", f["verdict"], f["rule"])
					}
					if lang != "en" && !hasWide(msg) {
						t.Errorf("%s message not translated: %q", lang, msg)
					}
				}
			}
			sum, ok := doc["summary"].(map[string]any)
			if !ok {
				t.Fatalf("summary = %#v", doc["summary"])
			}
			requireKeys(t, "summary", sum, "ok", "info", "warn", "fixable", "blocked")
			for _, v := range Verdicts {
				if n, ok := sum[string(v)].(float64); !ok || n != 1 {
					t.Errorf("summary.%s = %#v, want 1", v, sum[string(v)])
				}
			}
		})
	}
}

func hasWide(s string) bool {
	for _, r := range s {
		if ansi.StringWidth(string(r)) == 2 {
			return true
		}
	}
	return false
}

func TestBuildReportEmpty(t *testing.T) {
	tr := rtTranslators(t)["en"]
	b, err := json.Marshal(BuildReport(nil, tr))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schemaVersion":1,"vms":[],"summary":{"ok":0,"info":0,"warn":0,"fixable":0,"blocked":0}}`
	if string(b) != want {
		t.Fatalf("got %s\nwant %s", b, want)
	}
	// A result without a VM or findings still gives a well-formed entry.
	doc := decodeReport(t, BuildReport([]VMResult{{}}, tr))
	vm := doc["vms"].([]any)[0].(map[string]any)
	if fs, ok := vm["findings"].([]any); !ok || len(fs) != 0 || vm["verdict"] != "ok" {
		t.Fatalf("empty result = %v", vm)
	}
}

func TestSummaryAndExitCode(t *testing.T) {
	res := func(vs ...Verdict) []VMResult {
		out := make([]VMResult, len(vs))
		for i, v := range vs {
			out[i] = VMResult{VM: &azure.VM{Name: fmt.Sprint(i)}, Findings: []Finding{{Rule: RuleOS, Verdict: v}}}
			out[i].Finalize()
		}
		return out
	}
	tests := []struct {
		name string
		in   []VMResult
		sum  Summary
		exit int
	}{
		{"none", nil, Summary{}, ExitOK},
		{"all ok", res(OK, OK), Summary{OK: 2}, ExitOK},
		{"info and warn pass", res(OK, Info, Warn, Warn), Summary{OK: 1, Info: 1, Warn: 2}, ExitOK},
		{"fixable fails", res(OK, Fixable), Summary{OK: 1, Fixable: 1}, ExitBlocking},
		{"blocked fails", res(Blocked, Warn), Summary{Warn: 1, Blocked: 1}, ExitBlocking},
		{"unfinalized result", []VMResult{{Findings: []Finding{{Verdict: OK}, {Verdict: Blocked}}}}, Summary{Blocked: 1}, ExitBlocking},
	}
	tr := rtTranslators(t)["en"]
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := BuildReport(tc.in, tr).Summary; got != tc.sum {
				t.Errorf("summary = %+v, want %+v", got, tc.sum)
			}
			if got := ExitCode(tc.in); got != tc.exit {
				t.Errorf("exit = %d, want %d", got, tc.exit)
			}
		})
	}
}

func renderHuman(t *testing.T, results []VMResult, tr *ui.Translator, st ui.Styles, width int) string {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderHuman(&buf, results, tr, st, width); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// Plain styles (--no-color) at 80 columns, in every language.
func TestRenderHuman(t *testing.T) {
	trs := rtTranslators(t)
	results := rtFleet()
	for _, lang := range ui.Languages {
		t.Run(lang, func(t *testing.T) {
			out := renderHuman(t, results, trs[lang], ui.Styles{}, 80)
			if strings.Contains(out, "\x1b") {
				t.Fatal("plain styles must not emit escape codes")
			}
			golden.RequireEqual(t, []byte(out))
		})
	}
}

func requireFits(t *testing.T, out string, width int) {
	t.Helper()
	for i, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if w := ansi.StringWidth(l); w > width {
			t.Errorf("line %d is %d cells wide (max %d): %q", i+1, w, width, ansi.Strip(l))
		}
	}
}

// Every line of every language fits, coloured or not, at 80 columns and at
// other widths; colour adds escape codes and nothing else.
func TestRenderHumanWidth(t *testing.T) {
	trs := rtTranslators(t)
	results := rtFleet()
	for _, lang := range ui.Languages {
		for _, width := range []int{80, 60, 40, 120} {
			t.Run(fmt.Sprintf("%s/%d", lang, width), func(t *testing.T) {
				plain := renderHuman(t, results, trs[lang], ui.Styles{}, width)
				requireFits(t, plain, width)
				colored := renderHuman(t, results, trs[lang], ui.NewStyles(true), width)
				requireFits(t, colored, width)
				if !strings.Contains(colored, "\x1b[") {
					t.Error("coloured output has no colour")
				}
				if got := trimLines(ansi.Strip(colored)); got != trimLines(plain) {
					t.Errorf("colour changed the text:\n%s\n---\n%s", got, plain)
				}
				// The verdict word is always there, not just its colour.
				for _, r := range results {
					word := trs[lang].T("verdict." + string(r.Verdict))
					if !strings.Contains(plain, word) {
						t.Errorf("verdict word %q missing", word)
					}
				}
			})
		}
	}
}

func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

func TestRenderHumanContent(t *testing.T) {
	tr := rtTranslators(t)["en"]
	out := renderHuman(t, rtFleet(), tr, ui.Styles{}, 0) // 0: the default width
	requireFits(t, out, DefaultWidth)
	lines := strings.Split(out, "\n")
	// An ok VM takes one line; its ok findings are not listed.
	var webLines int
	for _, l := range lines {
		if strings.Contains(l, "web-1") {
			webLines++
			if !strings.HasPrefix(l, "✓ ok") || !strings.Contains(l, "web-1 · rg-web · westeurope") {
				t.Errorf("ok VM line = %q", l)
			}
		}
	}
	if webLines != 1 {
		t.Errorf("web-1 on %d lines", webLines)
	}
	for _, want := range []string{
		"✗ blocked  old-5",
		"✗ blocked  vm.disks",
		"~ fixable  agent.status",
		"→ Restart the agent service",
		"5 VMs: 1 ok · 1 info · 1 warn · 1 fixable · 1 blocked",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "vm.deployment-model") {
		t.Error("ok findings must not be listed")
	}
	// Worst VMs first, then by name; the JSON report keeps the scan's order.
	var order []string
	for _, l := range lines {
		for _, name := range []string{"old-5", "legacy-4", "db-3", "app-2", "web-1"} {
			if strings.Contains(l, name+" · ") {
				order = append(order, name)
			}
		}
	}
	if want := []string{"old-5", "legacy-4", "db-3", "app-2", "web-1"}; !slices.Equal(order, want) {
		t.Errorf("report order = %v, want %v", order, want)
	}
	var jsonOrder []string
	for _, vm := range BuildReport(rtFleet(), tr).VMs {
		jsonOrder = append(jsonOrder, vm.Name)
	}
	if want := []string{"web-1", "app-2", "db-3", "legacy-4", "old-5"}; !slices.Equal(jsonOrder, want) {
		t.Errorf("JSON order = %v, want %v", jsonOrder, want)
	}
	// Same verdict: by name, case-insensitive.
	tie := rtFleet()[:1]
	b, c := rtFleet()[0], rtFleet()[0]
	b.VM.Name, c.VM.Name = "Zeta", "alpha"
	tie = append(tie, b, c)
	var names []string
	for _, r := range worstFirst(tie) {
		names = append(names, r.VM.Name)
	}
	if want := []string{"alpha", "web-1", "Zeta"}; !slices.Equal(names, want) {
		t.Errorf("same-verdict order = %v, want %v", names, want)
	}
	if got := renderHuman(t, nil, tr, ui.Styles{}, 80); !strings.Contains(got, tr.T("report.empty")) {
		t.Errorf("empty report = %q", got)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("closed") }

func TestRenderWriteError(t *testing.T) {
	tr := rtTranslators(t)["en"]
	if err := RenderHuman(failWriter{}, rtFleet(), tr, ui.Styles{}, 80); err == nil {
		t.Error("RenderHuman hid a write error")
	}
	if err := RenderProblem(failWriter{}, Explain(errors.New("x")), tr, ui.Styles{}, 80); err == nil {
		t.Error("RenderProblem hid a write error")
	}
}

func TestRenderProblem(t *testing.T) {
	trs := rtTranslators(t)
	for _, lang := range ui.Languages {
		tr := trs[lang]
		for _, k := range rtKinds {
			err := fmt.Errorf("listing subscriptions: %w", &azure.Error{Kind: k, Op: "list-subscriptions", Status: 403,
				Code: "AuthorizationFailed", Message: "The client 'ada@contoso.com' with object id '0b1f' does not have authorization to perform action 'Microsoft.Resources/subscriptions/read' over scope '/subscriptions/00000000-0000-0000-0000-000000000001'.",
				RetryAfter: 30 * time.Second})
			p := Explain(err)
			for _, width := range []int{80, 50} {
				for _, st := range []ui.Styles{{}, ui.NewStyles(false)} {
					var buf bytes.Buffer
					if err := RenderProblem(&buf, p, tr, st, width); err != nil {
						t.Fatal(err)
					}
					out := buf.String()
					requireFits(t, out, width)
					plain := ansi.Strip(out)
					what, _, _ := p.Text(tr)
					if !strings.Contains(strings.Join(strings.Fields(plain), ""), strings.Join(strings.Fields(what), "")) {
						t.Errorf("%s %s: what missing:\n%s", lang, k, plain)
					}
					for _, label := range []string{"report.problem.error", "report.problem.why", "report.problem.next"} {
						if !strings.Contains(plain, tr.T(label)) {
							t.Errorf("%s %s: label %s missing", lang, k, label)
						}
					}
					if strings.Contains(plain, "<no value>") || strings.Contains(plain, "op.list") {
						t.Errorf("%s %s: unfilled text:\n%s", lang, k, plain)
					}
				}
			}
		}
	}
	// Docs and the raw error come last.
	var buf bytes.Buffer
	p := Explain(&azure.Error{Kind: azure.KindThrottled, Op: "graph-vms", Status: 429, Code: "RateLimiting", RetryAfter: 12 * time.Second})
	if err := RenderProblem(&buf, p, trs["en"], ui.Styles{}, 80); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"✗ Error: Azure is throttling requests while reading the VM inventory", "12 seconds", "Docs:", "learn.microsoft.com", "Detail: graph-vms: throttled (HTTP 429 RateLimiting)"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	// A sign-in failure reads well and shows no technical detail.
	for _, lang := range ui.Languages {
		buf.Reset()
		p = Explain(fmt.Errorf("sign-in: %w", &azure.Error{Kind: azure.KindSignIn, Op: "sign-in", Status: 403}))
		if err := RenderProblem(&buf, p, trs[lang], ui.Styles{}, 80); err != nil {
			t.Fatal(err)
		}
		out = buf.String()
		if strings.Contains(out, trs[lang].T("report.problem.detail")+":") || strings.Contains(out, "signIn") {
			t.Errorf("%s: sign-in failure shows a detail:\n%s", lang, out)
		}
		if op := trs[lang].T("op.sign-in"); strings.Contains(out, op+"時") || strings.Contains(out, op+"中") || strings.Contains(out, "while "+op) {
			t.Errorf("%s: sign-in failure repeats the operation:\n%s", lang, out)
		}
	}
	if what, _, _ := Explain(&azure.Error{Kind: azure.KindSignIn, Op: "sign-in"}).Text(trs["en"]); what != "Could not sign in to Azure." {
		t.Errorf("sign-in what = %q", what)
	}
	if what, _, _ := (&Problem{What: "err.signIn.what"}).Text(trs["en"]); what != "Could not sign in to Azure." {
		t.Errorf("sign-in what without an operation = %q", what)
	}
	if what, _, _ := Explain(&azure.Error{Kind: azure.KindSignIn, Op: "list-subscriptions", Status: 401}).Text(trs["en"]); !strings.Contains(what, "listing subscriptions") {
		t.Errorf("sign-in what during another operation = %q", what)
	}
	// An input problem has no raw error to show.
	buf.Reset()
	in := &Problem{What: "err.unknown.what", Why: "err.unknown.why", Next: "err.unknown.next", Exit: ExitUsage}
	in.Err = in
	if err := RenderProblem(&buf, *in, trs["en"], ui.Styles{}, 80); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "Detail") {
		t.Errorf("input problem shows a detail:\n%s", buf.String())
	}
}
