package guest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// waagentPath finds the Azure Linux Agent (Debian's package installs
// /usr/sbin/waagent, which is not on every user's PATH). When
// BACKUPREADY_E2E is set (CI installs the package), a missing agent fails
// the test; otherwise the test is skipped.
func waagentPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("waagent"); err == nil {
		return p
	}
	if fi, err := os.Stat("/usr/sbin/waagent"); err == nil && !fi.IsDir() {
		return "/usr/sbin/waagent"
	}
	if os.Getenv("BACKUPREADY_E2E") != "" {
		t.Fatal("waagent is not installed: apt-get install waagent (.ci/run does)")
	}
	t.Skip("waagent is not installed (apt-get install waagent); set BACKUPREADY_E2E to make this a failure")
	return ""
}

// showConfiguration runs the agent's own parser on a configuration file and
// returns the values it reports ("HttpProxy.Host = 10.0.0.5").
func showConfiguration(t *testing.T, agent, conf string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, agent, "-configuration-path:"+conf, "-show-configuration").CombinedOutput()
	if err != nil {
		t.Fatalf("waagent -show-configuration: %v\n%s", err, out)
	}
	values := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^(\S+) = (.*)$`).FindAllStringSubmatch(string(out), -1) {
		values[m[1]] = m[2]
	}
	if len(values) < 10 {
		t.Fatalf("waagent printed no configuration:\n%s", out)
	}
	return values
}

// The files `guest proxy` writes are read back by the real agent's parser
// (DESIGN §6): whatever the starting file, the agent reports our proxy.
func TestWaagentReadsTheWrittenFile(t *testing.T) {
	agent := waagentPath(t)
	debian, err := os.ReadFile("testdata/waagent.conf")
	if err != nil {
		t.Fatal(err)
	}
	crlf := strings.ReplaceAll(string(debian), "\n", "\r\n")
	for name, conf := range map[string]string{
		"debian":           string(debian),
		"crlf":             crlf,
		"no final newline": strings.TrimSuffix(crlf, "\r\n"),
		"appended":         "Extensions.Enabled=y\nLogs.Verbose=n",
		"duplicates":       "HttpProxy.Host=a\nHttpProxy.Port=1\n HttpProxy.Host = b # old\nHttpProxy.Port=None\n",
	} {
		t.Run(name, func(t *testing.T) {
			root := vmRoot(t, conf, "", "")
			c := applyProxy(t, root, mustProxy(t, "proxy.contoso.com", 3128), t0)
			if !c.Changed() {
				t.Fatal("nothing written")
			}
			path := filepath.Join(root, "etc/waagent.conf")
			v := showConfiguration(t, agent, path)
			if v[KeyProxyHost] != "proxy.contoso.com" || v[KeyProxyPort] != "3128" {
				t.Fatalf("waagent reports HttpProxy.Host = %q, HttpProxy.Port = %q", v[KeyProxyHost], v[KeyProxyPort])
			}
			// and the agent's other settings are what they were
			orig := filepath.Join(t.TempDir(), "orig.conf")
			if err := os.WriteFile(orig, []byte(conf), 0o644); err != nil {
				t.Fatal(err)
			}
			before := showConfiguration(t, agent, orig)
			for k, want := range before {
				if k != KeyProxyHost && k != KeyProxyPort && v[k] != want {
					t.Errorf("%s changed from %q to %q", k, want, v[k])
				}
			}
		})
	}
}
