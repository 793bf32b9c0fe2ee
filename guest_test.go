package main

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// guestRoot is a Linux VM's files under a temporary root: Debian's
// waagent.conf (proxy lines commented out), /etc/environment and the
// agent's unit file.
func guestRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	conf, err := os.ReadFile("azure/guest/testdata/waagent.conf")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"etc/waagent.conf":                        string(conf),
		"etc/environment":                         "PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n",
		"lib/systemd/system/walinuxagent.service": "[Service]\nExecStart=/usr/sbin/waagent -daemon\n",
	}
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// tree is every file under root with its content.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		out[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, what string, a, b map[string]string) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d files, want %d", what, len(b), len(a))
	}
	for k, v := range a {
		if b[k] != v {
			t.Fatalf("%s: %s differs", what, k)
		}
	}
}

var catalogKey = regexp.MustCompile(`\b(guest|cli|report)\.[a-z][a-z.-]*[a-z]\b`)

// noKeysAndFits checks that output is translated and every line fits 80 cells.
func noKeysAndFits(t *testing.T, what, out string) {
	t.Helper()
	if k := catalogKey.FindString(out); k != "" {
		t.Errorf("%s: untranslated catalog key %q in\n%s", what, k, out)
	}
	if strings.Contains(out, "panic") || strings.Contains(out, "goroutine") {
		t.Errorf("%s: %s", what, out)
	}
	for _, l := range strings.Split(out, "\n") {
		if w := displayWidth(l); w > 80 {
			t.Errorf("%s: line is %d cells wide: %q", what, w, l)
		}
	}
}

func TestGuestProxyWritesThenChangesNothingThenUndoes(t *testing.T) {
	for _, lang := range []string{"en", "zh", "ja"} {
		t.Run(lang, func(t *testing.T) {
			root := guestRoot(t)
			before := tree(t, root)
			args := []string{"guest", "proxy", "--host", "10.0.0.5", "--port", "3128", "--no-proxy", "localhost,.contoso.com", "--root", root, "--lang", lang}

			code, stdout, stderr := runCLI(t, nil, false, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			noKeysAndFits(t, "first run", stdout)
			for _, want := range []string{"/etc/waagent.conf", "/etc/environment", "backupready-proxy.conf", ".backupready-2",
				"systemctl daemon-reload && systemctl restart walinuxagent", "backupready guest proxy --undo"} {
				if !strings.Contains(strings.ReplaceAll(stdout, "\n", ""), want) {
					t.Errorf("first run does not say %q:\n%s", want, stdout)
				}
			}
			after := tree(t, root)
			if !strings.Contains(after["etc/waagent.conf"], "\nHttpProxy.Host=10.0.0.5\nHttpProxy.Port=3128\n") ||
				!strings.Contains(after["etc/environment"], "no_proxy=168.63.129.16,169.254.169.254,localhost,.contoso.com\n") ||
				!strings.Contains(after["etc/systemd/system/walinuxagent.service.d/backupready-proxy.conf"], `Environment="https_proxy=http://10.0.0.5:3128/"`) {
				t.Fatalf("files not written as expected: %v", after)
			}
			backups, _ := filepath.Glob(filepath.Join(root, "etc/*.backupready-*"))
			if len(backups) != 2 {
				t.Fatalf("backups: %v", backups)
			}

			code, stdout2, _ := runCLI(t, nil, false, args...)
			if code != 0 || stdout2 == stdout {
				t.Fatalf("second run: exit %d\n%s", code, stdout2)
			}
			noKeysAndFits(t, "second run", stdout2)
			if strings.Contains(stdout2, ".backupready-2") {
				t.Errorf("second run made a backup:\n%s", stdout2)
			}
			sameTree(t, "second run", after, tree(t, root))

			code, stdout3, stderr := runCLI(t, nil, false, "guest", "proxy", "--undo", "--root", root, "--lang", lang)
			if code != 0 {
				t.Fatalf("undo: exit %d %s", code, stderr)
			}
			noKeysAndFits(t, "undo", stdout3)
			sameTree(t, "undo", before, tree(t, root))

			code, _, stderr = runCLI(t, nil, false, "guest", "proxy", "--undo", "--root", root, "--lang", lang)
			if code != 2 || strings.TrimSpace(stderr) == "" {
				t.Fatalf("nothing to undo: exit %d %q", code, stderr)
			}
			noKeysAndFits(t, "nothing to undo", stderr)
		})
	}
}

func TestGuestProxyDryRunWritesNothing(t *testing.T) {
	root := guestRoot(t)
	before := tree(t, root)
	code, stdout, stderr := runCLI(t, nil, false, "guest", "proxy", "--host", "proxy.contoso.com", "--port", "8080", "--root", root, "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	for _, want := range []string{
		"--- /etc/waagent.conf\n+++ /etc/waagent.conf\n",
		"-#HttpProxy.Host=None\n-#HttpProxy.Port=None\n+HttpProxy.Host=proxy.contoso.com\n+HttpProxy.Port=8080\n",
		"+http_proxy=http://proxy.contoso.com:8080/\n",
		"--- /dev/null\n+++ /etc/systemd/system/walinuxagent.service.d/backupready-proxy.conf\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, stdout)
		}
	}
	sameTree(t, "dry run", before, tree(t, root))
	// --undo --dry-run with nothing to undo
	if code, _, _ := runCLI(t, nil, false, "guest", "proxy", "--undo", "--dry-run", "--root", root); code != 2 {
		t.Fatalf("undo dry run: exit %d", code)
	}
}

func TestGuestProxyBadInputExit2(t *testing.T) {
	root := guestRoot(t)
	before := tree(t, root)
	cases := [][]string{
		{"--port", "3128"},
		{"--host", "", "--port", "3128"},
		{"--host", "my proxy", "--port", "3128"},
		{"--host", "http://10.0.0.5", "--port", "3128"},
		{"--host", "10.0.0.5:3128", "--port", "3128"},
		{"--host", "10.0.0.5"},
		{"--host", "10.0.0.5", "--port", "0"},
		{"--host", "10.0.0.5", "--port", "65536"},
		{"--host", "10.0.0.5", "--port", "x"},
		{"--host", "10.0.0.5", "--port", "3128", "--no-proxy", "local host"},
		{"--host", "10.0.0.5", "--port", "3128", "--no-proxy", "a\"b"},
	}
	for _, lang := range []string{"en", "zh", "ja"} {
		for _, c := range cases {
			args := append([]string{"guest", "proxy", "--root", root, "--lang", lang}, c...)
			code, stdout, stderr := runCLI(t, nil, false, args...)
			if code != 2 || stdout != "" || strings.TrimSpace(stderr) == "" {
				t.Errorf("%s %v: exit %d, stdout %q, stderr %q", lang, c, code, stdout, stderr)
			}
			noKeysAndFits(t, lang+" "+strings.Join(c, " "), stderr)
		}
		// cobra's own usage errors are explained too (by main.go's handler)
		if code, _, stderr := runCLI(t, nil, false, "guest", "proxy", "--root", root, "--lang", lang, "--host", "p", "--port", "1", "extra"); code != 2 || stderr == "" {
			t.Errorf("%s extra argument: exit %d %q", lang, code, stderr)
		}
		// an authenticated proxy is refused, and the password is not repeated
		code, _, stderr := runCLI(t, nil, false, "guest", "proxy", "--root", root, "--lang", lang, "--host", "bob:s3cret@10.0.0.5", "--port", "3128")
		if code != 2 || strings.Contains(stderr, "s3cret") || !strings.Contains(stderr, "user:password@") {
			t.Errorf("%s authenticated proxy: exit %d %q", lang, code, stderr)
		}
		noKeysAndFits(t, lang+" auth", stderr)
		code, _, stderr = runCLI(t, nil, false, "guest", "proxy", "--root", filepath.Join(root, "nope"), "--lang", lang, "--host", "p", "--port", "1")
		if code != 2 {
			t.Errorf("%s missing root: exit %d %q", lang, code, stderr)
		}
	}
	sameTree(t, "bad input", before, tree(t, root))
}

func TestGuestProxyFileProblemsExit4(t *testing.T) {
	args := func(root, lang string) []string {
		return []string{"guest", "proxy", "--host", "10.0.0.5", "--port", "3128", "--root", root, "--lang", lang}
	}
	for _, lang := range []string{"en", "zh", "ja"} {
		// no agent
		root := t.TempDir()
		code, _, stderr := runCLI(t, nil, false, args(root, lang)...)
		if code != 4 || !strings.Contains(stderr, "/etc/waagent.conf") {
			t.Errorf("%s no agent: exit %d %q", lang, code, stderr)
		}
		noKeysAndFits(t, lang+" no agent", stderr)
		if entries, _ := os.ReadDir(root); len(entries) != 0 {
			t.Errorf("%s no agent: something was written", lang)
		}

		// unreadable: /etc/environment is a folder
		root = guestRoot(t)
		env := filepath.Join(root, "etc/environment")
		if err := os.Remove(env); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(env, 0o755); err != nil {
			t.Fatal(err)
		}
		before := tree(t, root)
		code, _, stderr = runCLI(t, nil, false, args(root, lang)...)
		if code != 4 || !strings.Contains(stderr, "/etc/environment") {
			t.Errorf("%s unreadable: exit %d %q", lang, code, stderr)
		}
		noKeysAndFits(t, lang+" unreadable", stderr)
		sameTree(t, "unreadable", before, tree(t, root))

		// read-only /etc/environment: nothing at all is written
		root = guestRoot(t)
		if err := os.Chmod(filepath.Join(root, "etc/environment"), 0o444); err != nil {
			t.Fatal(err)
		}
		before = tree(t, root)
		code, _, stderr = runCLI(t, nil, false, args(root, lang)...)
		if code != 4 || !strings.Contains(stderr, "/etc/environment") {
			t.Errorf("%s read-only: exit %d %q", lang, code, stderr)
		}
		noKeysAndFits(t, lang+" read-only", stderr)
		sameTree(t, "read-only", before, tree(t, root))
	}
}

// The agent's own parser reads the file the command wrote (DESIGN §6); the
// package test azure/guest TestWaagentReadsTheWrittenFile makes a missing
// agent a failure in CI.
func TestGuestProxyWaagentReadsIt(t *testing.T) {
	agent, err := exec.LookPath("waagent")
	if err != nil {
		agent = "/usr/sbin/waagent"
		if _, err := os.Stat(agent); err != nil {
			t.Skip("waagent is not installed")
		}
	}
	root := guestRoot(t)
	if code, _, stderr := runCLI(t, nil, false, "guest", "proxy", "--host", "10.0.0.5", "--port", "3128", "--root", root); code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	out, err := exec.Command(agent, "-configuration-path:"+filepath.Join(root, "etc/waagent.conf"), "-show-configuration").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "\nHttpProxy.Host = 10.0.0.5\n") || !strings.Contains(string(out), "\nHttpProxy.Port = 3128\n") {
		t.Fatalf("waagent reports:\n%s", out)
	}
}
