package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitForFile polls until path contains text.
func waitForFile(t *testing.T, path, text string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if data, err := os.ReadFile(path); err == nil && strings.Contains(string(data), text) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	data, _ := os.ReadFile(path)
	t.Fatalf("%s never contained %q:\n%s", path, text, data)
}

// A headless apply killed with SIGKILL while the vault is being created
// leaves a journal that records the operation in progress; the next process
// resumes that operation (no second vault PUT) and finishes the plan. An
// interrupted run (SIGINT) exits 130 and is resumed the same way.
func TestApplyKillAndResumeAcrossProcesses(t *testing.T) {
	bin := buildBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			scenario, state := fastScenario(t, "4s"), filepath.Join(dir, "state.json")
			plan := writePlan(t, newVaultPlan())
			journal := plan + ".journal"
			cmd := exec.Command(bin, "apply", "--scenario", scenario, "--sim-state", state, "--plan", plan, "--yes", "--lang", "en")
			cmd.Env = append(os.Environ(), "NO_COLOR=1")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { // drain
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
				}
			}()
			waitForFile(t, journal, `"action":"vault.create","target":"/subscriptions/`+demoSub+`/resourceGroups/rg-backup-weu/providers/Microsoft.RecoveryServices/vaults/rsv-weu-new","state":"inProgress"`, 30*time.Second)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			code := cmd.ProcessState.ExitCode()
			if sig == syscall.SIGINT && code != 130 {
				t.Fatalf("SIGINT: exit %d (%v), want 130", code, err)
			}
			trace := filepath.Join(dir, "resume.tsv")
			code, out, errOut := runCLI(t, nil, false, "apply", "--scenario", scenario, "--sim-state", state, "--plan", plan, "--yes", "--trace", trace)
			if code != 0 {
				t.Fatalf("resumed run: exit %d\n%s\n%s", code, out, errOut)
			}
			for _, w := range traceWrites(t, trace) {
				if strings.HasPrefix(w, "PUT ") && strings.Contains(w, "/vaults/rsv-weu-new?") {
					t.Errorf("the resumed run created the vault again: %s", w)
				}
			}
			if !strings.Contains(out, "Done (") {
				t.Errorf("resumed run output:\n%s", out)
			}
			data, _ := os.ReadFile(journal)
			if !strings.Contains(string(data), `"action":"vault.storageType"`) || !strings.Contains(string(data), `"state":"done"`) {
				t.Errorf("journal after resuming:\n%s", data)
			}
		})
	}
}
