package guest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// vmRoot makes a root with the Debian waagent.conf (CRLF, no final newline
// when asked), an /etc/environment and the agent's unit file.
func vmRoot(t *testing.T, conf, env string, unit string) string {
	t.Helper()
	root := t.TempDir()
	write := func(p, content string, mode fs.FileMode) {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(full, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/waagent.conf", conf, 0o640)
	if env != "" {
		write("etc/environment", env, 0o644)
	}
	if unit != "" {
		write("lib/systemd/system/"+unit+".service", "[Service]\nExecStart=/usr/sbin/waagent -daemon\n", 0o644)
	}
	return root
}

// snapshot is every file under root with its bytes and mode.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			out[rel+"/"] = info.Mode().String()
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[rel] = info.Mode().String() + " " + string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameSnapshot(t *testing.T, what string, a, b map[string]string) {
	t.Helper()
	var diff []string
	for k, v := range a {
		if b[k] != v {
			diff = append(diff, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			diff = append(diff, k)
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Fatalf("%s: files differ: %v", what, diff)
	}
}

func mustProxy(t *testing.T, host string, port int, no ...string) Proxy {
	t.Helper()
	p, err := NewProxy(host, port, no)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func applyProxy(t *testing.T, root string, p Proxy, now time.Time) *Changes {
	t.Helper()
	c, err := PlanProxy(root, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(now); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestProxyRunIdempotentAndUndoRestoresBytes(t *testing.T) {
	debian, err := os.ReadFile("testdata/waagent.conf")
	if err != nil {
		t.Fatal(err)
	}
	crlf := strings.ReplaceAll(string(debian), "\n", "\r\n")
	for name, conf := range map[string]string{
		"debian":             string(debian),
		"crlf":               crlf,
		"no final newline":   strings.TrimSuffix(crlf, "\r\n"),
		"no proxy lines":     "Extensions.Enabled=y\nLogs.Verbose=n",
		"active proxy lines": "HttpProxy.Host=old.proxy\r\nHttpProxy.Port=80\r\n",
	} {
		for _, env := range []string{"", "PATH=\"/usr/bin:/bin\"\nHTTP_PROXY=http://old/\n"} {
			t.Run(name+"/env="+env, func(t *testing.T) {
				root := vmRoot(t, conf, env, "")
				before := snapshot(t, root)
				p := mustProxy(t, "10.0.0.5", 3128, "localhost")

				c := applyProxy(t, root, p, t0)
				if !c.Changed() || c.Run != "20261123T090000Z" || c.Unit != UnitDebian {
					t.Fatalf("first run: changed=%v run=%s unit=%s", c.Changed(), c.Run, c.Unit)
				}
				for _, fc := range c.Files {
					if fc.Action == Modify && fc.Backup != fc.Path+".backupready-20261123T090000Z" {
						t.Fatalf("%s: backup %q", fc.Path, fc.Backup)
					}
				}
				// the backup is the original, mode included
				bk, err := os.Stat(filepath.Join(root, "etc/waagent.conf.backupready-20261123T090000Z"))
				if err != nil || bk.Mode().Perm() != 0o640 {
					t.Fatalf("backup: %v %v", bk, err)
				}
				if fi, _ := os.Stat(filepath.Join(root, "etc/waagent.conf")); fi.Mode().Perm() != 0o640 {
					t.Fatalf("mode of waagent.conf changed to %v", fi.Mode())
				}
				after := snapshot(t, root)
				got, _ := os.ReadFile(filepath.Join(root, "etc/waagent.conf"))
				v := ParseWaagentConf(got)
				if v[KeyProxyHost] != "10.0.0.5" || v[KeyProxyPort] != "3128" {
					t.Fatalf("waagent.conf reads %v", v)
				}
				envGot, _ := os.ReadFile(filepath.Join(root, "etc/environment"))
				ev := ParseEnvironment(envGot)
				if ev["https_proxy"] != "http://10.0.0.5:3128/" || ev["no_proxy"] != "168.63.129.16,169.254.169.254,localhost" {
					t.Fatalf("environment reads %v", ev)
				}
				if env != "" && ev["HTTP_PROXY"] != ev["http_proxy"] {
					t.Fatalf("both spellings must agree: %v", ev)
				}
				if _, err := os.Stat(filepath.Join(root, "etc/systemd/system/walinuxagent.service.d/backupready-proxy.conf")); err != nil {
					t.Fatal(err)
				}

				// the same input again: no change, no new backup
				c2 := applyProxy(t, root, p, t0.Add(time.Hour))
				if c2.Changed() {
					t.Fatal("second run wants to change files")
				}
				sameSnapshot(t, "second run", after, snapshot(t, root))

				// undo: the original bytes, nothing of ours left
				u, err := PlanUndo(root)
				if err != nil {
					t.Fatal(err)
				}
				if err := u.Apply(t0.Add(2 * time.Hour)); err != nil {
					t.Fatal(err)
				}
				sameSnapshot(t, "undo", before, withDirs(t, root, before))
				if _, err := PlanUndo(root); !errors.Is(err, ErrNothingToUndo) {
					t.Fatalf("second undo: %v", err)
				}
			})
		}
	}
}

// withDirs is the snapshot without folders the run created and undo left
// (etc/systemd/system, empty, which a real VM has anyway).
func withDirs(t *testing.T, root string, before map[string]string) map[string]string {
	s := snapshot(t, root)
	for k := range s {
		if _, ok := before[k]; !ok && strings.HasSuffix(k, "/") {
			delete(s, k)
		}
	}
	return s
}

func TestUndoGoesBackOneRunAtATime(t *testing.T) {
	root := vmRoot(t, "#HttpProxy.Host=None\n#HttpProxy.Port=None\n", "LANG=C\n", "waagent")
	before := snapshot(t, root)
	applyProxy(t, root, mustProxy(t, "10.0.0.5", 3128), t0)
	afterFirst := snapshot(t, root)
	// a second run within the same second gets its own name
	c := applyProxy(t, root, mustProxy(t, "10.0.0.6", 8080), t0)
	if c.Run != "20261123T090000Z-2" || c.Unit != UnitOther {
		t.Fatalf("run %s unit %s", c.Run, c.Unit)
	}
	for _, fc := range c.Files {
		if fc.Action != Modify {
			t.Fatalf("%s: %v", fc.Path, fc.Action)
		}
	}
	u, err := PlanUndo(root)
	if err != nil || u.Run != "20261123T090000Z-2" {
		t.Fatalf("undo plan: %v %v", u, err)
	}
	for _, fc := range u.Files {
		if fc.Action != Restore || fc.Diff() == "" {
			t.Fatalf("%s: %v", fc.Path, fc.Action)
		}
	}
	if err := u.Apply(t0); err != nil {
		t.Fatal(err)
	}
	sameSnapshot(t, "first undo", afterFirst, snapshot(t, root))
	u, err = PlanUndo(root)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, fc := range u.Files {
		actions = append(actions, fc.Path+" "+map[Action]string{Restore: "restore", Remove: "remove"}[fc.Action])
	}
	if strings.Join(actions, ";") != "/etc/waagent.conf restore;/etc/environment restore;/etc/systemd/system/waagent.service.d/backupready-proxy.conf remove" {
		t.Fatalf("second undo: %v", actions)
	}
	if err := u.Apply(t0); err != nil {
		t.Fatal(err)
	}
	sameSnapshot(t, "second undo", before, withDirs(t, root, before))
}

func TestUndoRemovesAnUnrecordedDropInOfOurs(t *testing.T) {
	root := vmRoot(t, "A=1\n", "", "")
	drop := filepath.Join(root, "etc/systemd/system/walinuxagent.service.d/backupready-proxy.conf")
	other := filepath.Join(root, "etc/systemd/system/walinuxagent.service.d/other.conf")
	if err := os.MkdirAll(filepath.Dir(drop), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, []byte("[Service]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := PlanUndo(root); !errors.Is(err, ErrNothingToUndo) {
		t.Fatalf("nothing written yet: %v", err)
	}
	if err := os.WriteFile(drop, DropIn(UnitDebian, mustProxy(t, "p", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	u, err := PlanUndo(root)
	if err != nil || len(u.Files) != 1 || u.Files[0].Action != Remove {
		t.Fatalf("%v %v", u, err)
	}
	if err := u.Apply(t0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(drop); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("drop-in not removed")
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatal("another drop-in was touched")
	}
	// a drop-in someone else wrote under our name is not removed
	if err := os.WriteFile(drop, []byte("[Service]\nEnvironment=X=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := PlanUndo(root); !errors.Is(err, ErrNothingToUndo) {
		t.Fatalf("foreign drop-in: %v", err)
	}
}

func TestPlanWritesNothing(t *testing.T) {
	root := vmRoot(t, "#HttpProxy.Host=None\n", "A=1\n", "")
	before := snapshot(t, root)
	c, err := PlanProxy(root, mustProxy(t, "10.0.0.5", 3128))
	if err != nil {
		t.Fatal(err)
	}
	var diffs strings.Builder
	for _, fc := range c.Files {
		diffs.WriteString(fc.Diff())
	}
	for _, want := range []string{"--- /etc/waagent.conf\n+++ /etc/waagent.conf\n", "-#HttpProxy.Host=None\n+HttpProxy.Host=10.0.0.5\n",
		"+http_proxy=http://10.0.0.5:3128/\n", "--- /dev/null\n+++ /etc/systemd/system/walinuxagent.service.d/backupready-proxy.conf\n"} {
		if !strings.Contains(diffs.String(), want) {
			t.Errorf("diff lacks %q:\n%s", want, diffs.String())
		}
	}
	sameSnapshot(t, "plan", before, snapshot(t, root))
}

func TestFileProblems(t *testing.T) {
	p := mustProxy(t, "10.0.0.5", 3128)
	kind := func(err error) string {
		var fe *FileError
		if errors.As(err, &fe) {
			return fe.Kind + " " + fe.Path
		}
		var ie *InputError
		if errors.As(err, &ie) {
			return "input " + ie.Field
		}
		return "other"
	}

	root := t.TempDir()
	if _, err := PlanProxy(root, p); kind(err) != "agent-missing /etc/waagent.conf" {
		t.Errorf("no waagent.conf: %v", err)
	}
	if _, err := PlanProxy(filepath.Join(root, "nope"), p); kind(err) != "input root" {
		t.Errorf("no root: %v", err)
	}

	root = vmRoot(t, "A=1\n", "", "")
	if err := os.Mkdir(filepath.Join(root, "etc/environment"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := PlanProxy(root, p); kind(err) != "unreadable /etc/environment" {
		t.Errorf("environment is a folder: %v", err)
	}

	root = vmRoot(t, "A=1\n", "B=2\n", "")
	if err := os.Chmod(filepath.Join(root, "etc/environment"), 0o444); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, root)
	c, err := PlanProxy(root, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(t0); kind(err) != "read-only /etc/environment" {
		t.Errorf("read-only environment: %v", err)
	}
	sameSnapshot(t, "read-only", before, snapshot(t, root))
}

func TestFailedWriteRollsBack(t *testing.T) {
	for _, failing := range []string{Environment, DropInPath(UnitDebian)} {
		root := vmRoot(t, "A=1\n", "B=2\n", "")
		before := snapshot(t, root)
		failWrite = func(path string) error {
			if path == failing {
				return errors.New("disk full")
			}
			return nil
		}
		c, err := PlanProxy(root, mustProxy(t, "10.0.0.5", 3128))
		if err != nil {
			t.Fatal(err)
		}
		err = c.Apply(t0)
		failWrite = nil
		var fe *FileError
		if !errors.As(err, &fe) || fe.Kind != "write" || fe.Path != failing {
			t.Fatalf("%s: %v", failing, err)
		}
		sameSnapshot(t, "after a failed write of "+failing, before, withDirs(t, root, before))
		if _, err := PlanUndo(root); !errors.Is(err, ErrNothingToUndo) {
			t.Fatalf("a rolled-back run left backups: %v", err)
		}
	}
}
