package guest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBin writes executables into a folder: each records its arguments in
// calls.log beside it and runs body.
func fakeBin(t *testing.T, tools map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range tools {
		script := "#!/bin/sh\necho \"" + name + " $*\" >> \"" + filepath.Join(dir, "calls.log") + "\"\n" + body + "\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runAgentScript runs the Linux agent script with only the fake tools and
// the basic utilities on PATH.
func runAgentScript(t *testing.T, script, root, bin string) (stdout, stderr string, code int) {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	// the basic utilities, but no package manager of the host
	util := t.TempDir()
	for _, u := range []string{"grep", "sed", "cp", "mv", "rm", "date", "mkdir", "dirname", "cat", "id", "sleep"} {
		p, err := exec.LookPath(u)
		if err != nil {
			t.Skipf("no %s", u)
		}
		if err := os.Symlink(p, filepath.Join(util, u)); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(sh, "-c", script)
	cmd.Env = []string{"PATH=" + bin + ":" + util, "ROOT=" + root}
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func TestLinuxAgentScriptUpdatesWithTheDistroPackageManager(t *testing.T) {
	script, err := LinuxAgentScript(0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(script, AgentRepairMarker) || !strings.Contains(script, "DELAY='30'") {
		t.Fatalf("script lacks the marker or the quoted delay:\n%s", script)
	}
	tests := []struct {
		name    string
		tools   map[string]string
		wantPkg string
		wantCmd string
	}{
		{"ubuntu apt", map[string]string{
			"apt-get":    "exit 0",
			"dpkg":       `[ "$2" = walinuxagent ]`,
			"dpkg-query": `echo 2.2.45`,
		}, "walinuxagent", "apt-get install -y -q walinuxagent"},
		{"debian apt waagent", map[string]string{
			"apt-get":    "exit 0",
			"dpkg":       `[ "$2" = waagent ]`,
			"dpkg-query": `echo 2.9.0`,
		}, "waagent", "apt-get install -y -q waagent"},
		{"rhel dnf", map[string]string{
			"dnf": "exit 0",
			"rpm": `[ "$2" = WALinuxAgent ] || [ "$2" = --qf ]; if [ "$2" = --qf ]; then echo 2.7.0.6-1.el8; fi`,
		}, "WALinuxAgent", "dnf -y -q upgrade WALinuxAgent"},
		{"sles zypper", map[string]string{
			"zypper": "exit 0",
			"rpm":    `if [ "$2" = --qf ]; then echo 2.8.0-1; exit 0; fi; [ "$2" = python3-azure-agent ]`,
		}, "python3-azure-agent", "zypper -n -q install -y python3-azure-agent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			bin := fakeBin(t, tt.tools)
			out, errOut, code := runAgentScript(t, script, root, bin)
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if !strings.Contains(out, "agent package "+tt.wantPkg+":") {
				t.Errorf("stdout does not name %s:\n%s", tt.wantPkg, out)
			}
			calls, _ := os.ReadFile(filepath.Join(bin, "calls.log"))
			if !strings.Contains(string(calls), tt.wantCmd) {
				t.Errorf("no %q in the calls:\n%s", tt.wantCmd, calls)
			}
			if !strings.Contains(out, "agent restart: not scheduled") {
				t.Errorf("with ROOT set the agent must not be restarted:\n%s", out)
			}
		})
	}
}

func TestLinuxAgentScriptEnablesExtensions(t *testing.T) {
	script, err := LinuxAgentScript(45)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := "# Azure Linux Agent\nProvisioning.Enabled=n\nExtensions.Enabled=n\nAutoUpdate.Enabled=y\n"
	if err := os.WriteFile(filepath.Join(root, "etc", "waagent.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := fakeBin(t, map[string]string{"apt-get": "exit 0", "dpkg": "exit 0", "dpkg-query": "echo 2.2.45"})
	out, errOut, code := runAgentScript(t, script, root, bin)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	got, _ := os.ReadFile(filepath.Join(root, "etc", "waagent.conf"))
	want := "# Azure Linux Agent\nProvisioning.Enabled=n\nExtensions.Enabled=y\nAutoUpdate.Enabled=y\n"
	if string(got) != want {
		t.Errorf("waagent.conf:\n%s\nwant:\n%s", got, want)
	}
	backups, _ := filepath.Glob(filepath.Join(root, "etc", "waagent.conf"+BackupInfix+"*"))
	if len(backups) != 1 {
		t.Fatalf("backups %v, want one", backups)
	}
	if b, _ := os.ReadFile(backups[0]); string(b) != conf {
		t.Errorf("the backup is not the old file: %q", b)
	}
	if !strings.Contains(out, "Extensions.Enabled: set to y") {
		t.Errorf("stdout: %s", out)
	}
	// a second run changes nothing
	out, _, _ = runAgentScript(t, script, root, bin)
	if !strings.Contains(out, "Extensions.Enabled: unchanged") {
		t.Errorf("second run: %s", out)
	}
	if b, _ := filepath.Glob(filepath.Join(root, "etc", "waagent.conf"+BackupInfix+"*")); len(b) != 1 {
		t.Errorf("second run made another backup: %v", b)
	}
}

func TestLinuxAgentScriptFailures(t *testing.T) {
	script, _ := LinuxAgentScript(0)
	root := t.TempDir()
	// no package manager at all
	out, errOut, code := runAgentScript(t, script, root, fakeBin(t, nil))
	if code != 2 || !strings.Contains(errOut, "no apt-get, dnf, yum or zypper") {
		t.Errorf("no package manager: exit %d, %q %q", code, out, errOut)
	}
	// the package manager fails
	out, errOut, code = runAgentScript(t, script, root, fakeBin(t, map[string]string{"dnf": "exit 1", "rpm": "exit 1"}))
	if code != 2 || !strings.Contains(errOut, "could not update WALinuxAgent") {
		t.Errorf("failing dnf: exit %d, %q %q", code, out, errOut)
	}
}

func TestAgentScriptInputs(t *testing.T) {
	for _, d := range []int{-1, 5, 601} {
		if _, err := LinuxAgentScript(d); err == nil {
			t.Errorf("LinuxAgentScript(%d) accepted", d)
		}
		if _, err := WindowsAgentScript("", d); err == nil {
			t.Errorf("WindowsAgentScript(%d) accepted", d)
		}
	}
	for _, u := range []string{"http://example.com/a.msi", "https://x/a.msi'; Remove-Item C:\\ -Recurse; '", "ftp://x/y", "https:///nohost", "https://x/$(evil)"} {
		if _, err := WindowsAgentScript(u, 0); err == nil {
			t.Errorf("WindowsAgentScript(%q) accepted", u)
		}
	}
	s, err := WindowsAgentScript("", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{AgentRepairMarker, "$Url = '" + WindowsAgentMSI + "'", "AddSeconds(30)", "exit 3", "Register-ScheduledTask"} {
		if !strings.Contains(s, want) {
			t.Errorf("Windows script lacks %q", want)
		}
	}
}
