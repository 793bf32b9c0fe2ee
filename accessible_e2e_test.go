//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/backupready/backupready/steps"
	"github.com/backupready/backupready/ui"
)

// openPTY opens a pseudo-terminal pair with the kernel's /dev/ptmx (no
// dependency): the master for the test, the slave for the program.
func openPTY() (master, slave *os.File, err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		m.Close()
		return nil, nil, e
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		m.Close()
		return nil, nil, e
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	return m, s, nil
}

// ptySession is the real binary on a pseudo-terminal, driven like a
// screen-reader user types: wait for a question, type the answer, Enter.
type ptySession struct {
	t      *testing.T
	master *os.File
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    bytes.Buffer
	pos    int // what expect has consumed
	done   chan struct{}
}

func startPTY(t *testing.T, dir string, env []string, bin string, args ...string) *ptySession {
	t.Helper()
	m, s, err := openPTY()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s, s, s
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	p := &ptySession{t: t, master: m, cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		buf := make([]byte, 4096)
		for {
			n, err := m.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return // EIO once the program has exited
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		m.Close()
	})
	return p
}

// expect waits until text appears after what was already consumed, and
// consumes up to its end.
func (p *ptySession) expect(text string) string {
	p.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		p.mu.Lock()
		all := strings.ReplaceAll(p.out.String(), "\r\n", "\n")
		p.mu.Unlock()
		if i := strings.Index(all[p.pos:], text); i >= 0 {
			seen := all[p.pos : p.pos+i+len(text)]
			p.pos += i + len(text)
			return seen
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("waiting for %q; output since the last answer:\n%s", text, all[p.pos:])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// answer types a line.
func (p *ptySession) answer(s string) {
	p.t.Helper()
	if _, err := p.master.Write([]byte(s + "\r")); err != nil {
		p.t.Fatal(err)
	}
}

// ask waits for a question and answers it.
func (p *ptySession) ask(question, answer string) string {
	p.t.Helper()
	seen := p.expect(question)
	p.answer(answer)
	return seen
}

func (p *ptySession) wait() (int, string) {
	p.t.Helper()
	err := p.cmd.Wait()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatal(err)
	}
	return code, p.out.String()
}

// TestEndToEndAccessible drives `backupready --demo --accessible` on a
// pseudo-terminal in each language from sign-in to summary, as a
// screen-reader user would: every question answered by typing (ranges, a
// bad vault name, a retain period out of range, the words for yes and no in
// the language), the vault created in the simulated Azure, a first backup
// taken, the report written. The output holds no escape sequence. In
// Japanese, TERM=dumb alone turns the mode on.
func TestEndToEndAccessible(t *testing.T) {
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
			env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TERM=xterm-256color", "LANG=C.UTF-8"}
			args := []string{"--demo", "--scenario", scenario, "--sim-state", state, "--lang", lang}
			if lang == "ja" {
				env[2] = "TERM=dumb"
			} else {
				args = append(args, "--accessible")
			}
			p := startPTY(t, dir, env, bin, args...)
			yes, no := tr.T("access.yes"), tr.T("access.no")

			p.expect("trainer@contoso.example")
			p.ask(tr.T("access.subs.question"), tr.T("access.all"))
			p.ask(tr.T("access.vms.question"), "1-13")
			p.expect(tr.T("access.vms.chosen", "Count", 13))
			seen := p.expect(tr.T("access.preflight.blocked"))
			if !strings.Contains(seen, tr.T("verdict.blocked")) || !strings.Contains(seen, tr.T("verdict.fixable")) {
				t.Fatalf("preflight does not say its verdicts in words:\n%s", seen)
			}
			p.answer("1") // the worst VM's findings
			p.expect(tr.T("access.finding.fix", "Fix", ""))
			p.answer("")

			seen = p.expect(tr.T("access.vault.region.question"))
			seen += p.expect(tr.T("access.choose.prompt.default", "Max", 4, "Default", 1))
			m := regexp.MustCompile(`(?m)^(\d+)\) japaneast`).FindStringSubmatch(seen)
			if m == nil {
				t.Fatalf("no japaneast among the regions:\n%s", seen)
			}
			p.answer(m[1])
			p.ask(tr.T("access.vault.question"), "")
			p.ask(tr.T("access.vault.name.question"), "9-bad")
			p.ask(tr.T("vault.name.first-letter"), "") // asked again: the suggested name
			p.expect(tr.T("vault.name.free", "Name", "rsv-backup-japaneast"))
			p.ask(tr.T("access.vault.group.question"), "")
			p.ask(tr.T("access.redundancy.question"), "")
			p.ask(tr.T("access.redundancy.crr.question"), no)
			p.ask(tr.T("access.network.question"), "")
			p.ask(tr.T("access.agent.question"), "")
			p.expect(tr.T("changes.heading", "Count", 5))
			p.ask(tr.T("access.review.menu"), "")
			p.ask(filepath.Join(dir, steps.DefaultPlanPath), yes)
			p.expect(tr.T("access.saved", "Path", filepath.Join(dir, steps.DefaultPlanPath)))

			p.ask(tr.T("access.protect.question"), "")
			p.ask(tr.T("access.protect.backup.question"), yes)
			p.ask(tr.T("access.protect.retain.question"), "100")
			p.ask(tr.T("protect.opt.err.range", "Min", steps.MinRetainDays, "Max", steps.MaxRetainDays), "7")
			p.ask(tr.T("changes.heading", "Count", 3), yes)

			p.expect(tr.T("step.summary.title"))
			p.expect(tr.T("summary.group.vm", "VM", "tokyo-app-01"))
			p.ask(tr.T("access.export.question"), "1")
			p.expect(tr.T("access.export.written", "Path", filepath.Join(dir, steps.ReportName)))
			p.ask(tr.T("access.export.question"), "")
			p.expect(tr.T("access.end"))
			code, out := p.wait()
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, out)
			}
			if i := strings.IndexByte(out, 0x1b); i >= 0 {
				t.Fatalf("escape sequence in the output at %d: %q", i, out[max(0, i-40):min(len(out), i+40)])
			}
			data, err := os.ReadFile(state)
			if err != nil || !strings.Contains(string(data), "/vaults/rsv-backup-japaneast") {
				t.Fatalf("the vault is not in the simulated Azure: %v", err)
			}
			if report, err := os.ReadFile(filepath.Join(dir, steps.ReportName)); err != nil || !strings.Contains(string(report), "rsv-backup-japaneast") {
				t.Fatalf("report: %v", err)
			}
		})
	}
}

// TestEndToEndAccessibleEOF: Ctrl+D at the first question stops with 130
// and says nothing changed.
func TestEndToEndAccessibleEOF(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	bin := buildBinary(t)
	tr, _ := ui.NewTranslator("en")
	dir := t.TempDir()
	p := startPTY(t, dir, []string{"PATH=" + os.Getenv("PATH"), "TERM=xterm"}, bin, "--demo", "--accessible", "--lang", "en", "--sim-state", filepath.Join(dir, "s.json"))
	p.expect(tr.T("access.subs.question"))
	if _, err := p.master.Write([]byte{4}); err != nil { // Ctrl+D
		t.Fatal(err)
	}
	p.expect(tr.T("access.cancelled.nothing"))
	code, out := p.wait()
	if code != steps.ExitInterrupted {
		t.Fatalf("exit %d, want 130:\n%s", code, out)
	}
	if strings.IndexByte(out, 0x1b) >= 0 {
		t.Fatalf("escape sequence in the output of an error exit:\n%q", out)
	}
}

// TestEndToEndAccessibleLeaveRunning: Ctrl+C while Apply waits for the
// vault to be created leaves the operation running in Azure, exits 130 and
// says how to pick the run up; a later headless apply of the saved plan
// finishes it without creating the vault a second time.
func TestEndToEndAccessibleLeaveRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	bin := buildBinary(t)
	tr, _ := ui.NewTranslator("en")
	dir := t.TempDir()
	scenario, state := fastScenario(t, "8s"), filepath.Join(dir, "state.json")
	plan := filepath.Join(dir, steps.DefaultPlanPath)
	p := startPTY(t, dir, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TERM=xterm", "LANG=C.UTF-8"},
		bin, "--demo", "--accessible", "--lang", "en", "--scenario", scenario, "--sim-state", state)
	p.ask(tr.T("access.subs.question"), "")
	p.ask(tr.T("access.vms.question"), "tokyo-app-01")
	p.ask(tr.T("access.preflight.more", "Max", 1), "")
	p.ask(tr.T("access.vault.question"), "")
	p.ask(tr.T("access.vault.name.question"), "")
	p.ask(tr.T("access.vault.group.question"), "")
	p.ask(tr.T("access.redundancy.question"), "")
	p.ask(tr.T("access.redundancy.crr.question"), "")
	p.ask(tr.T("access.network.question"), "")
	p.ask(tr.T("access.agent.question"), "")
	p.ask(tr.T("access.review.menu"), "")
	p.ask(plan, "yes")
	p.expect(tr.T("access.run.start", "Count", 2, "Path", plan+steps.JournalSuffix))
	waitForFile(t, plan+steps.JournalSuffix, `"action":"vault.create"`, 30*time.Second)
	waitForFile(t, plan+steps.JournalSuffix, `"state":"inProgress"`, 30*time.Second)
	if _, err := p.master.Write([]byte{3}); err != nil { // Ctrl+C: SIGINT from the terminal
		t.Fatal(err)
	}
	p.expect("backupready apply --plan " + plan + " --yes")
	code, out := p.wait()
	if code != steps.ExitInterrupted {
		t.Fatalf("exit %d, want 130:\n%s", code, out)
	}
	// Nothing the accessible run prints holds an escape byte, to its last
	// byte (an error exit included: main.go explains command errors itself,
	// so fang never queries the terminal's colours).
	said := strings.ReplaceAll(out, "\r\n", "\n")
	hint := tr.T("apply.left.wizard", "Path", plan)
	if !strings.Contains(said, hint) {
		t.Fatalf("the hint to resume is not said whole:\n%s", said)
	}
	if strings.IndexByte(said, 0x1b) >= 0 {
		t.Fatalf("escape sequence in the output:\n%q", said)
	}
	trace := filepath.Join(dir, "trace.tsv")
	res, err := exec.Command(bin, "apply", "--scenario", scenario, "--sim-state", state, "--plan", plan, "--yes", "--trace", trace).CombinedOutput()
	if err != nil {
		t.Fatalf("apply after leaving: %v\n%s", err, res)
	}
	for _, w := range traceWrites(t, trace) {
		if strings.HasPrefix(w, "PUT ") && strings.Contains(w, "/vaults/rsv-backup-japaneast?") {
			t.Errorf("the vault was created again: %s", w)
		}
	}
	data, _ := os.ReadFile(state)
	if !strings.Contains(string(data), "/vaults/rsv-backup-japaneast") {
		t.Errorf("the vault is not in the simulated Azure after the resumed apply")
	}
}
