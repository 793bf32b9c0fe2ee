package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backupready/backupready/ui"
)

// tmuxSession drives the real binary in a tmux pane, as a user at a terminal.
type tmuxSession struct {
	t      *testing.T
	socket string
	name   string
}

func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	for _, k := range keys {
		s.tmux("send-keys", "-t", s.name, k)
		time.Sleep(150 * time.Millisecond)
	}
}

func (s *tmuxSession) screen() string { return s.tmux("capture-pane", "-p", "-t", s.name) }

// waitFor polls the pane until every text appears, failing with the screen.
func (s *tmuxSession) waitFor(texts ...string) string {
	s.t.Helper()
	// Generous: CI runs the other packages' tests on the same two cores.
	deadline := time.Now().Add(45 * time.Second)
	for {
		scr := s.screen()
		ok := true
		for _, txt := range texts {
			if !strings.Contains(scr, txt) {
				ok = false
				break
			}
		}
		if ok {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waiting for %q; screen:\n%s", texts, scr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "backupready")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// tmuxServers numbers the tmux servers the tests start.
var tmuxServers int

func startTmux(t *testing.T, w, h int, command string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("BACKUPREADY_E2E") != "" {
			t.Fatal("tmux is required for the end-to-end test (BACKUPREADY_E2E is set)")
		}
		t.Skip("tmux not installed")
	}
	// A tmux server of its own per session: a shared server exits when its
	// last session is killed, racing the next test's new-session.
	tmuxServers++
	s := &tmuxSession{t: t, socket: fmt.Sprintf("br-e2e-%d-%d", os.Getpid(), tmuxServers), name: strings.ReplaceAll(t.Name(), "/", "-")}
	s.tmux("new-session", "-d", "-s", s.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), command)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	return s
}

// TestEndToEndDemoWizard drives `backupready --demo` in each language from
// sign-in to the preflight table and one VM's findings, through a too-small
// window and back, into the vault step's choice for one region, then quits.
func TestEndToEndDemoWizard(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	bin := buildBinary(t)
	for _, lang := range ui.Languages {
		t.Run(lang, func(t *testing.T) {
			tr, err := ui.NewTranslator(lang)
			if err != nil {
				t.Fatal(err)
			}
			cmd := fmt.Sprintf("env -u NO_COLOR TERM=xterm-256color %s --demo --lang %s; echo BACKUPREADY-EXIT=$?; sleep 30", bin, lang)
			s := startTmux(t, 100, 30, cmd)
			s.waitFor("trainer@contoso.example", "Contoso Production", "Contoso 研发测试")
			s.keys("a", "Enter") // both subscriptions, read their VMs
			s.waitFor("tokyo-app-01", "web-prod-01")
			s.keys("a", "Tab") // every VM, on to preflight
			scr := s.waitFor(tr.T("verdict.blocked"), "fileserver", "legacy-w2003")
			if !strings.Contains(scr, tr.T("verdict.fixable")) {
				t.Fatalf("preflight table lacks fixable VMs:\n%s", scr)
			}
			s.keys("Enter") // the first row: the worst VM's findings
			s.waitFor("vm.disks", "vm.deployment-model")
			s.keys("Escape")
			s.waitFor("legacy-w2003")

			// A window that is too small, then large again.
			s.tmux("resize-window", "-t", s.name, "-x", "50", "-y", "12")
			s.waitFor("50×12")
			s.tmux("resize-window", "-t", s.name, "-x", "100", "-y", "30")
			s.waitFor("fileserver")

			// On to the vault step: the regions of the chosen VMs, then the
			// vaults of japaneast (none there: a new one is offered).
			s.keys("Tab")
			s.waitFor("japaneast", "eastus", "Contoso 研发测试")
			s.keys("Down", "Down", "Down", "Enter")
			s.waitFor("tokyo-app-01", "Microsoft.RecoveryServices")

			s.keys("q")
			s.waitFor("BACKUPREADY-EXIT=0")
		})
	}
}

// TestEndToEndCtrlCExits130 checks that Ctrl+C quits at once with the
// interrupted exit code.
func TestEndToEndCtrlCExits130(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	bin := buildBinary(t)
	s := startTmux(t, 80, 24, fmt.Sprintf("%s --demo; echo BACKUPREADY-EXIT=$?; sleep 30", bin))
	s.waitFor("trainer@contoso.example")
	s.keys("C-c")
	s.waitFor("BACKUPREADY-EXIT=130")
}

// TestEndToEndScopeToSummary goes, in each language, through the whole
// demo wizard: sign-in and scope, preflight, a new vault in japaneast,
// redundancy, Review (the plan saved), Apply (the vault created in the
// simulated Azure), Protect (DefaultPolicy and a first backup), Summary (a
// Markdown report exported), then quits. The simulated tenant is kept in a
// --sim-state file, so that `apply --plan FILE --dry-run --json` afterwards
// finds every change of the saved plan already made.
func TestEndToEndScopeToSummary(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	bin := buildBinary(t)
	for _, lang := range ui.Languages {
		t.Run(lang, func(t *testing.T) {
			tr, err := ui.NewTranslator(lang)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			scenario, state := fastScenario(t, "1s"), filepath.Join(dir, "state.json")
			cmd := fmt.Sprintf("cd %s && %s --scenario %s --sim-state %s --lang %s; echo BACKUPREADY-EXIT=$?; sleep 30", dir, bin, scenario, state, lang)
			s := startTmux(t, 100, 30, cmd)
			plan := wizardToConfirmedPlan(t, s, tr, dir)

			// Apply: the group and the vault are created in the simulated Azure.
			s.keys("Tab")
			s.waitFor("›  8", firstLine(tr.T("apply.next.protect", "Next", "tab")))
			// Protect: DefaultPolicy, back up now, the short review, the run.
			s.keys("Tab")
			s.waitFor("›  9", "DefaultPolicy", "EnhancedPolicy")
			s.keys("Enter") // DefaultPolicy
			s.waitFor(firstLine(tr.T("protect.options.heading", "Policy", "DefaultPolicy")))
			s.keys("Enter") // to the review
			s.waitFor(firstLine(tr.T("protect.review.heading", "Vault", "rsv-backup-japaneast")))
			s.keys("Enter") // confirm and start
			s.waitFor(firstLine(tr.T("protect.heading.finished", "Vault", "rsv-backup-japaneast")))
			// Summary: what changed, with the report exported.
			s.keys("Tab")
			s.waitFor("› 10", firstLine(tr.T("summary.changed.heading", "Count", 4)))
			s.keys("m")
			waitForFile(t, filepath.Join(dir, "backupready-report.md"), "rsv-backup-japaneast", 30*time.Second)
			s.keys("q")
			s.waitFor("BACKUPREADY-EXIT=0")

			out, err := exec.Command(bin, "apply", "--scenario", scenario, "--sim-state", state, "--plan", plan, "--dry-run", "--json").Output()
			if err != nil {
				t.Fatalf("apply --dry-run: %v", err)
			}
			var r struct {
				Changes []struct{ Kind, Action string } `json:"changes"`
			}
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range r.Changes {
				got = append(got, c.Kind+" "+c.Action)
			}
			want := "noChange provider.register|noChange resourceGroup.create|noChange vault.create|noChange vault.storageType|noChange vault.policy|noChange vm.include|noChange vm.protect|noChange vm.backupNow"
			if strings.Join(got, "|") != want {
				t.Fatalf("dry run of the saved plan after the wizard:\n%s\nwant\n%s", strings.Join(got, "|"), want)
			}
		})
	}
}

// firstLine is the start of a text as it shows on screen before wrapping:
// its first 20 cells at most, cut at a space where there is one.
func firstLine(s string) string {
	out := ""
	for _, r := range s {
		if ui.Width(out+string(r)) > 20 {
			break
		}
		out += string(r)
	}
	return out
}

// wizardToConfirmedPlan drives the demo wizard from sign-in to a confirmed
// Review: every VM, a new vault in japaneast (its name checked free), the
// default redundancy; it returns the saved plan's path.
func wizardToConfirmedPlan(t *testing.T, s *tmuxSession, tr *ui.Translator, dir string) string {
	t.Helper()
	s.waitFor("trainer@contoso.example", "Contoso Production", "Contoso 研发测试")
	s.keys("a", "Enter")
	s.waitFor("tokyo-app-01")
	s.keys("a", "Tab")
	s.waitFor("fileserver", "legacy-w2003")
	s.keys("Tab") // vault: the regions
	s.waitFor("japaneast")
	s.keys("Down", "Down", "Down", "Enter") // japaneast: no vault there
	s.waitFor("tokyo-app-01")
	s.keys("Enter") // create a new one: name and group suggested
	// Azure's (debounced) name check has answered: the name is free.
	s.waitFor("✓ rsv-backup-japaneast", "rg-backup-japaneast")
	s.keys("Tab") // redundancy (a new vault: geo-redundant by default)
	s.waitFor("›  4")
	s.keys("Tab", "Tab", "Tab")
	// Review, once Azure has been read: the planned vault and its changes.
	s.waitFor("›  7", "rsv-backup-japaneast", "+ "+tr.T("change.kind.create"))
	s.keys("Enter") // confirm: saves the plan
	plan := filepath.Join(dir, "backupready-plan.yaml")
	waitForFile(t, plan, "rsv-backup-japaneast", 30*time.Second)
	return plan
}

// TestEndToEndLeaveRunning quits the wizard with Ctrl+C while Apply waits
// for the vault to be created: the wizard asks first, "keep waiting" stays,
// "leave running" exits 130 and says how to pick the run up; then a
// headless apply of the same plan finishes without creating the vault again.
func TestEndToEndLeaveRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	bin := buildBinary(t)
	tr, _ := ui.NewTranslator("en")
	dir := t.TempDir()
	scenario, state := fastScenario(t, "12s"), filepath.Join(dir, "state.json")
	cmd := fmt.Sprintf("cd %s && %s --scenario %s --sim-state %s --lang en; echo BACKUPREADY-EXIT=$?; sleep 30", dir, bin, scenario, state)
	s := startTmux(t, 100, 30, cmd)
	plan := wizardToConfirmedPlan(t, s, tr, dir)
	s.keys("Tab") // Apply starts: the vault takes 12 s
	s.waitFor("›  8", tr.T("apply.note.creating"))
	s.keys("C-c")
	s.waitFor(tr.T("key.leave-running"), tr.T("key.keep-waiting"))
	s.keys("w")
	s.waitFor(tr.T("apply.note.creating"))
	s.keys("C-c")
	s.waitFor(tr.T("key.leave-running"))
	s.keys("l")
	s.waitFor("BACKUPREADY-EXIT=130", "backupready apply --plan")
	journal, _ := os.ReadFile(plan + ".journal")
	if !strings.Contains(string(journal), `"action":"vault.create"`) || !strings.Contains(string(journal), `"state":"inProgress"`) {
		t.Fatalf("journal after leaving the vault running:\n%s", journal)
	}
	trace := filepath.Join(dir, "trace.tsv")
	out, err := exec.Command(bin, "apply", "--scenario", scenario, "--sim-state", state, "--plan", plan, "--yes", "--trace", trace).CombinedOutput()
	if err != nil {
		t.Fatalf("apply after leaving: %v\n%s", err, out)
	}
	for _, w := range traceWrites(t, trace) {
		if strings.HasPrefix(w, "PUT ") && strings.Contains(w, "/vaults/rsv-backup-japaneast?") {
			t.Errorf("the vault was created again: %s", w)
		}
	}
}
