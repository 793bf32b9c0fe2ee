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

// runScript runs the Linux proxy script with sh against root and returns
// its stdout.
func runScript(t *testing.T, script, root string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", script)
	// no systemctl or systemd-run: a ROOT run never restarts anything
	cmd.Env = append(os.Environ(), "ROOT="+root, "PATH=/usr/bin:/bin")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("script: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Fatalf("script wrote to stderr:\n%s", stderr.String())
	}
	return string(out)
}

// treeOf is every file under root, by slash path.
func treeOf(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

// The script leaves the same bytes as the Go editors (and `guest proxy`)
// for the same input, backs every changed file up, and a second run
// reports unchanged and changes nothing.
func TestLinuxProxyScriptMatchesTheEditors(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	debian, err := os.ReadFile("testdata/waagent.conf")
	if err != nil {
		t.Fatal(err)
	}
	crlf := strings.ReplaceAll(string(debian), "\n", "\r\n")
	cases := []struct {
		name, conf, env, unit string
		noProxy               []string
	}{
		{name: "debian", conf: string(debian), env: "PATH=\"/usr/local/sbin:/usr/bin\"\n", unit: "lib/systemd/system/walinuxagent.service"},
		{name: "crlf", conf: crlf, env: "LANG=C.UTF-8\r\nhttp_proxy=http://old:1/\r\n", unit: "usr/lib/systemd/system/waagent.service"},
		{name: "crlf no final newline", conf: strings.TrimSuffix(crlf, "\r\n"), env: "A=1"},
		{name: "commented", conf: "# Proxy\n#HttpProxy.Host=None\n  ## HttpProxy.Port = None\nLogs.Verbose=n\n", env: ""},
		{name: "duplicates", conf: "HttpProxy.Host=a\nHttpProxy.Port=1\n HttpProxy.Host = b # old\nHttpProxy.Port=None\n#HttpProxy.Host=None\n",
			env: "  export HTTP_PROXY=\"http://x:1\"\nno_proxy=localhost\n# http_proxy=commented\n"},
		{name: "appended", conf: "Extensions.Enabled=y\nLogs.Verbose=n", env: "\n\n", noProxy: []string{"localhost", ".contoso.com", "10.0.0.0/8"}},
		{name: "empty", conf: "", env: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustProxy(t, "proxy.contoso.com", 3128, tc.noProxy...)
			script, err := LinuxProxyScript(p.Host, p.Port, tc.noProxy)
			if err != nil {
				t.Fatal(err)
			}
			files := map[string]string{"etc/waagent.conf": tc.conf}
			if tc.env != "" {
				files["etc/environment"] = tc.env
			}
			if tc.unit != "" {
				files[tc.unit] = "[Unit]\n"
			}
			root := t.TempDir()
			writeTree(t, root, files)
			goRoot := t.TempDir()
			writeTree(t, goRoot, files)
			want := applyProxy(t, goRoot, p, t0)

			out := runScript(t, script, root)
			got := treeOf(t, root)
			for _, fc := range want.Files {
				rel := strings.TrimPrefix(fc.Path, "/")
				if got[rel] != string(fc.New) {
					t.Errorf("%s: script wrote\n%q\nthe editors\n%q", fc.Path, got[rel], fc.New)
				}
				state := map[Action]string{Unchanged: "unchanged", Modify: "changed (backup ", Create: "created"}[fc.Action]
				if !strings.Contains(out, fc.Path+": "+state) {
					t.Errorf("%s: output does not say %q:\n%s", fc.Path, state, out)
				}
				if fc.Action == Modify {
					if n := backups(got, rel, ""); len(n) != 1 || n[0] != files[rel] {
						t.Errorf("%s: backups %q, want the old content", fc.Path, n)
					}
				}
				if fc.Action == Create && len(backups(got, rel, absentSuffix)) != 1 {
					t.Errorf("%s: no absent marker", fc.Path)
				}
			}
			if fi, err := os.Stat(filepath.Join(root, "etc/waagent.conf")); err != nil || fi.Mode().Perm() != 0o640 {
				t.Errorf("waagent.conf mode %v (%v), want 0640 kept", fi.Mode().Perm(), err)
			}
			if !strings.Contains(out, "agent restart: not scheduled") {
				t.Errorf("a ROOT run must not restart the agent:\n%s", out)
			}

			// the same undo as `guest proxy --undo` puts every byte back
			undo, err := PlanUndo(root)
			if err != nil {
				t.Fatal(err)
			}
			if err := undo.Apply(t0); err != nil {
				t.Fatal(err)
			}
			if back := treeOf(t, root); !sameFiles(back, files) {
				t.Errorf("undo left %q, want %q", back, files)
			}

			// the script again, twice: the second run changes nothing
			runScript(t, script, root)
			first := treeOf(t, root)
			out = runScript(t, script, root)
			if again := treeOf(t, root); !sameFiles(again, first) {
				t.Errorf("second run changed files:\n%q\n%q", first, again)
			}
			for _, fc := range want.Files {
				if !strings.Contains(out, fc.Path+": unchanged") {
					t.Errorf("second run: %s not unchanged:\n%s", fc.Path, out)
				}
			}
			if !strings.Contains(out, "agent restart: not needed") {
				t.Errorf("second run restarts the agent:\n%s", out)
			}
		})
	}
}

// backups are the contents of rel's backups (or absent markers) in files.
func backups(files map[string]string, rel, suffix string) []string {
	var out []string
	for p, c := range files {
		if strings.HasPrefix(p, rel+BackupInfix) && strings.HasSuffix(p, suffix) && (suffix != "" || !strings.HasSuffix(p, absentSuffix)) {
			out = append(out, c)
		}
	}
	return out
}

func sameFiles(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// The agent's own parser reads the file the script wrote.
func TestLinuxProxyScriptWaagentReadsTheFile(t *testing.T) {
	agent := waagentPath(t)
	debian, err := os.ReadFile("testdata/waagent.conf")
	if err != nil {
		t.Fatal(err)
	}
	for name, conf := range map[string]string{
		"debian": string(debian),
		"crlf":   strings.TrimSuffix(strings.ReplaceAll(string(debian), "\n", "\r\n"), "\r\n"),
	} {
		t.Run(name, func(t *testing.T) {
			script, err := LinuxProxyScript("10.0.0.5", 3128, nil)
			if err != nil {
				t.Fatal(err)
			}
			root := t.TempDir()
			writeTree(t, root, map[string]string{"etc/waagent.conf": conf})
			runScript(t, script, root)
			v := showConfiguration(t, agent, filepath.Join(root, "etc/waagent.conf"))
			if v[KeyProxyHost] != "10.0.0.5" || v[KeyProxyPort] != "3128" {
				t.Fatalf("waagent reports HttpProxy.Host = %q, HttpProxy.Port = %q", v[KeyProxyHost], v[KeyProxyPort])
			}
		})
	}
}

// Bad input is refused before any script exists; every value in the
// script is quoted.
func TestLinuxProxyScriptInput(t *testing.T) {
	for _, in := range []struct {
		host string
		port int
		no   []string
	}{
		{"10.0.0.5", 0, nil}, {"10.0.0.5", 70000, nil}, {"user:pw@proxy", 3128, nil}, {"a b", 3128, nil},
		{"proxy;reboot", 3128, nil}, {"10.0.0.5", 3128, []string{"$(reboot)"}}, {"http://p", 3128, nil},
	} {
		if _, err := LinuxProxyScript(in.host, in.port, in.no); err == nil {
			t.Errorf("%q %d %q: accepted", in.host, in.port, in.no)
		} else if ie := (*InputError)(nil); !errors.As(err, &ie) {
			t.Errorf("%q: %v is not an InputError", in.host, err)
		}
	}
	s, err := LinuxProxyScript("[fd00::5]", 8080, []string{"localhost"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PROXY_HOST='fd00::5'", "PROXY_PORT='8080'", "PROXY_URL='http://[fd00::5]:8080/'",
		"NO_PROXY_LIST='168.63.129.16,169.254.169.254,localhost'", "systemd-run --on-active=30"} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q", want)
		}
	}
	if strings.Contains(s, "\nsystemctl restart") {
		t.Error("the script restarts the agent synchronously")
	}
	if got := shQuote("it's"); got != `'it'\''s'` {
		t.Errorf("shQuote = %s", got)
	}
}
