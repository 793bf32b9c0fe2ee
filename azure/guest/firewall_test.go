package guest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var fwSources = []string{"10.10.5.0/24", "10.10.1.0/24", "10.10.1.7/24", "10.10.9.4"}

func TestFirewallSources(t *testing.T) {
	got, err := FirewallSources(3128, fwSources)
	if err != nil {
		t.Fatal(err)
	}
	// canonical prefixes, a host as /32, duplicates (10.10.1.7/24 is 10.10.1.0/24) dropped, order kept
	if strings.Join(got, " ") != "10.10.5.0/24 10.10.1.0/24 10.10.9.4/32" {
		t.Errorf("sources %q", got)
	}
	if got, err := FirewallSources(80, []string{"fd00::/64", "2001:db8::1"}); err != nil || strings.Join(got, " ") != "fd00::/64 2001:db8::1/128" {
		t.Errorf("IPv6 sources %q %v", got, err)
	}
	for _, bad := range [][]string{
		{"10.0.0.0/8; reboot"}, {"$(reboot)"}, {"10.0.0.0/8'"}, {"10.0.0.0/8 10.1.0.0/16"}, {"VirtualNetwork"}, {"*"}, {"fe80::1%eth0"}, {},
	} {
		var ie *InputError
		if _, err := FirewallSources(3128, bad); !errors.As(err, &ie) || ie.Field != "source" {
			t.Errorf("%q accepted: %v", bad, err)
		}
		if _, err := LinuxFirewallScript(3128, bad); err == nil {
			t.Errorf("Linux script for %q", bad)
		}
		if _, err := WindowsFirewallScript(3128, bad); err == nil {
			t.Errorf("Windows script for %q", bad)
		}
	}
	for _, port := range []int{0, -1, 65536} {
		var ie *InputError
		if _, err := FirewallSources(port, fwSources); !errors.As(err, &ie) || ie.Field != "port" {
			t.Errorf("port %d accepted: %v", port, err)
		}
	}
}

func TestLinuxFirewallScriptText(t *testing.T) {
	s, err := LinuxFirewallScript(3128, fwSources)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"#!/bin/sh\n",
		"PORT='3128'\n",
		"SOURCES='10.10.5.0/24 10.10.1.0/24 10.10.9.4/32'\n",
		"TAG='backupready proxy 3128'\n",
		// each firewall is asked before anything is added: the idempotency
		"firewall-cmd --permanent --query-rich-rule=",
		"firewall-cmd --query-rich-rule=",
		"*Skipping*",
		`grep -F -q "comment \"$MARK\""`,
		"already open for every subnet: nothing changed",
		"nothing to open",
		"\nexit 0\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q", want)
		}
	}
	// Run Command's simulator (and a reader) sees only the result lines as
	// output; no line exits early but the last
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "exit") && i != len(lines)-1 {
			t.Errorf("an exit line before the end: %q", l)
		}
	}
	sh := exec.Command("sh", "-n")
	sh.Stdin = strings.NewReader(s)
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("sh -n: %v\n%s", err, out)
	}
}

func TestWindowsFirewallScriptText(t *testing.T) {
	s, err := WindowsFirewallScript(8080, []string{"10.10.1.0/24", "10.10.5.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"$port = 8080\n",
		"$sources = @('10.10.1.0/24', '10.10.5.0/24')\n",
		"$group = 'backupready proxy 8080'\n",
		"if (Get-NetFirewallRule -DisplayName $name -ErrorAction SilentlyContinue) {",
		"New-NetFirewallRule -DisplayName $name -Group $group -Direction Inbound -Action Allow -Protocol TCP -LocalPort $port -RemoteAddress $src",
		"already open for every subnet: nothing changed",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q", want)
		}
	}
}

func TestManualFirewallCommands(t *testing.T) {
	c, err := ManualFirewallCommands(3128, []string{"10.10.1.0/24", "10.10.5.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Ufw != "sudo ufw allow proto tcp from 10.10.1.0/24 to any port 3128 && sudo ufw allow proto tcp from 10.10.5.0/24 to any port 3128" {
		t.Errorf("ufw %q", c.Ufw)
	}
	if c.Nft != "sudo nft insert rule inet filter input ip saddr '{ 10.10.1.0/24, 10.10.5.0/24 }' tcp dport 3128 accept" {
		t.Errorf("nft %q", c.Nft)
	}
	if !strings.HasPrefix(c.Firewalld, `sudo firewall-cmd --permanent --add-rich-rule='rule family="ipv4" source address="10.10.1.0/24" port port="3128" protocol="tcp" accept' && `) ||
		!strings.HasSuffix(c.Firewalld, " && sudo firewall-cmd --reload") {
		t.Errorf("firewalld %q", c.Firewalld)
	}
	if c.Windows != "New-NetFirewallRule -DisplayName 'backupready proxy 3128' -Direction Inbound -Action Allow -Protocol TCP -LocalPort 3128 -RemoteAddress 10.10.1.0/24,10.10.5.0/24" {
		t.Errorf("windows %q", c.Windows)
	}
}

// fakeFirewalls are stand-ins for id, firewall-cmd, ufw and nft that keep
// their rules in files under dir; a firewall is active when dir holds
// <name>.on.
var fakeFirewalls = map[string]string{
	"id": `#!/bin/sh
if [ -f "$FAKE/notroot" ]; then echo 1000; else echo 0; fi
`,
	"firewall-cmd": `#!/bin/sh
[ -f "$FAKE/firewalld.on" ] || exit 252
f=rt
if [ "$1" = --permanent ]; then f=perm; shift; fi
case "$1" in
--state) echo running ;;
--query-rich-rule=*) grep -qxF -- "${1#--query-rich-rule=}" "$FAKE/fw.$f" 2>/dev/null ;;
--add-rich-rule=*) printf '%s\n' "${1#--add-rich-rule=}" >> "$FAKE/fw.$f"; echo success ;;
*) exit 2 ;;
esac
`,
	"ufw": `#!/bin/sh
if [ ! -f "$FAKE/ufw.on" ]; then echo "Status: inactive"; exit 0; fi
case "$1" in
status) echo "Status: active" ;;
allow) shift; r="$*"
  if grep -qxF -- "$r" "$FAKE/ufw.rules" 2>/dev/null; then echo "Skipping adding existing rule"
  else printf '%s\n' "$r" >> "$FAKE/ufw.rules"; echo "Rule added"; fi ;;
*) exit 1 ;;
esac
`,
	"nft": `#!/bin/sh
[ -f "$FAKE/nft.on" ] || exit 1
case "$1 $2" in
"list chain") printf 'table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n'
  cat "$FAKE/nft.rules" 2>/dev/null; printf '\t}\n}\n' ;;
"insert rule") shift 5; printf '\t\t%s\n' "$*" >> "$FAKE/nft.rules" ;;
*) exit 1 ;;
esac
`,
}

// runFirewall runs the script with the fake firewalls first in PATH and
// returns stdout, stderr and the exit code.
func runFirewall(t *testing.T, script, dir string) (string, string, int) {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range fakeFirewalls {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", script)
	cmd.Env = append(os.Environ(), "FAKE="+dir, "PATH="+bin+":/usr/bin:/bin")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// The Linux script finds the active firewall, opens the port once per
// subnet, and a second run changes nothing and says so.
func TestLinuxFirewallScriptRuns(t *testing.T) {
	script, err := LinuxFirewallScript(3128, []string{"10.10.1.0/24", "10.10.5.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	head := "backupready proxy firewall: TCP 3128 from 10.10.1.0/24 10.10.5.0/24\n"
	cases := []struct {
		name  string
		on    []string
		fw    string
		files map[string]int // rule file -> lines after a run
	}{
		{"no firewall", nil, "none", nil},
		{"firewalld", []string{"firewalld"}, "firewalld", map[string]int{"fw.perm": 2, "fw.rt": 2}},
		{"ufw", []string{"ufw"}, "ufw", map[string]int{"ufw.rules": 2}},
		{"nftables", []string{"nft"}, "nftables", map[string]int{"nft.rules": 2}},
		{"firewalld first", []string{"firewalld", "ufw", "nft"}, "firewalld", map[string]int{"fw.perm": 2, "ufw.rules": 0, "nft.rules": 0}},
		{"ufw before nftables", []string{"ufw", "nft"}, "ufw", map[string]int{"ufw.rules": 2, "nft.rules": 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.on {
				if err := os.WriteFile(filepath.Join(dir, f+".on"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out, errOut, code := runFirewall(t, script, dir)
			if code != 0 || errOut != "" || !strings.HasPrefix(out, head+"host firewall: "+tc.fw+"\n") {
				t.Fatalf("first run: exit %d\n%s\nstderr: %s", code, out, errOut)
			}
			first := "result: opened for 2 subnet(s), 0 already open\n"
			if tc.fw == "none" {
				first = "result: no host firewall is active (firewalld, ufw, nftables with a drop policy): nothing to open\n"
			}
			if !strings.Contains(out, first) {
				t.Errorf("first run:\n%s", out)
			}
			if strings.Contains(out, "note:") != (tc.fw == "nftables") {
				t.Errorf("the note on keeping nftables rules:\n%s", out)
			}
			for f, n := range tc.files {
				if got := readLines(t, filepath.Join(dir, f)); len(got) != n {
					t.Errorf("%s: %d rules, want %d: %q", f, len(got), n, got)
				}
			}
			out, _, code = runFirewall(t, script, dir)
			second := "result: already open for every subnet: nothing changed\n"
			if tc.fw == "none" {
				second = first
			}
			if code != 0 || !strings.Contains(out, second) {
				t.Errorf("second run: exit %d\n%s", code, out)
			}
			for f, n := range tc.files {
				if got := readLines(t, filepath.Join(dir, f)); len(got) != n {
					t.Errorf("second run changed %s: %q", f, got)
				}
			}
		})
	}
	// what the firewalls were given
	dir := t.TempDir()
	for _, f := range []string{"firewalld"} {
		_ = os.WriteFile(filepath.Join(dir, f+".on"), nil, 0o644)
	}
	runFirewall(t, script, dir)
	if got := readLines(t, filepath.Join(dir, "fw.perm")); got[0] != `rule family="ipv4" source address="10.10.1.0/24" port port="3128" protocol="tcp" accept` {
		t.Errorf("firewalld rule %q", got[0])
	}
	dir = t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "ufw.on"), nil, 0o644)
	runFirewall(t, script, dir)
	if got := readLines(t, filepath.Join(dir, "ufw.rules")); got[1] != "proto tcp from 10.10.5.0/24 to any port 3128 comment backupready proxy 3128" {
		t.Errorf("ufw rule %q", got[1])
	}
	dir = t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "nft.on"), nil, 0o644)
	runFirewall(t, script, dir)
	if got := readLines(t, filepath.Join(dir, "nft.rules")); got[0] != `ip saddr 10.10.1.0/24 tcp dport 3128 accept comment "backupready proxy 3128 from 10.10.1.0/24"` {
		t.Errorf("nft rule %q", got[0])
	}
	// not root: nothing is done
	dir = t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "notroot"), nil, 0o644)
	_ = os.WriteFile(filepath.Join(dir, "ufw.on"), nil, 0o644)
	out, errOut, code := runFirewall(t, script, dir)
	if code != 2 || !strings.Contains(errOut, "run this script as root") || out != "" || readLines(t, filepath.Join(dir, "ufw.rules")) != nil {
		t.Errorf("not root: exit %d, %q %q", code, out, errOut)
	}
}
