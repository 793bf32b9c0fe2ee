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

func startTmux(t *testing.T, w, h int, command string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("BACKUPREADY_E2E") != "" {
			t.Fatal("tmux is required for the end-to-end test (BACKUPREADY_E2E is set)")
		}
		t.Skip("tmux not installed")
	}
	s := &tmuxSession{t: t, socket: fmt.Sprintf("br-e2e-%d", os.Getpid()), name: strings.ReplaceAll(t.Name(), "/", "-")}
	s.tmux("new-session", "-d", "-s", s.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), command)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.socket, "kill-session", "-t", s.name).Run() })
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

// TestEndToEndScopeToSavedPlan goes, in each language, from sign-in to a plan
// saved by Review (a new vault in japaneast), then checks that
// `apply --plan FILE --dry-run` lists the same plan's changes from the file.
func TestEndToEndScopeToSavedPlan(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	bin := buildBinary(t)
	for _, lang := range ui.Languages {
		t.Run(lang, func(t *testing.T) {
			dir := t.TempDir()
			cmd := fmt.Sprintf("cd %s && %s --demo --lang %s; echo BACKUPREADY-EXIT=$?; sleep 30", dir, bin, lang)
			s := startTmux(t, 100, 30, cmd)
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
			tr, err := ui.NewTranslator(lang)
			if err != nil {
				t.Fatal(err)
			}
			s.waitFor("›  7", "rsv-backup-japaneast", "+ "+tr.T("change.kind.create"))
			s.keys("Enter") // confirm: saves the plan, changes nothing
			plan := filepath.Join(dir, "backupready-plan.yaml")
			deadline := time.Now().Add(30 * time.Second)
			for {
				if _, err := os.Stat(plan); err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no plan saved; screen:\n%s", s.screen())
				}
				time.Sleep(100 * time.Millisecond)
			}
			s.keys("q")
			s.waitFor("BACKUPREADY-EXIT=0")

			out, err := exec.Command(bin, "apply", "--demo", "--plan", plan, "--dry-run", "--json").Output()
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
			want := "noChange provider.register|create resourceGroup.create|create vault.create|noChange vault.storageType|noChange vm.include"
			if strings.Join(got, "|") != want {
				t.Fatalf("dry run of the saved plan:\n%s\nwant\n%s", strings.Join(got, "|"), want)
			}
		})
	}
}
