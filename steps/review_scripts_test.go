package steps

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/backupready/backupready/azure/sim"
)

// Review shows the scripts a proxy plan runs inside VMs before anything
// runs: a note says how many, v shows each distinct script once with the
// VMs it runs on, exactly as it will run, and v again goes back.
func TestReviewShowsScriptsBeforeTheyRun(t *testing.T) {
	env := newApplyEnv(t, nil, sim.Options{})
	p := proxyPlan(t, env)
	s, _, _ := reviewModel(t, env.api, p)
	tr := translator(t, "en")
	m := s.(reviewStep)
	if len(m.scripts) == 0 {
		t.Fatalf("no scripts for a proxy plan; changes %+v", m.changes)
	}
	var script string
	var vms []string
	for _, g := range m.scripts {
		if g.Action == ActionGuestProxy && g.Lang == "sh" {
			script, vms = g.Script, g.VMs
		}
	}
	if script == "" || len(vms) == 0 {
		t.Fatalf("no Linux guest proxy script: %+v", m.scripts)
	}
	want, err := GuestProxyScript(p, "Linux")
	if err != nil || script != want {
		t.Fatalf("the script shown is not the one that runs (err %v)", err)
	}
	note := tr.T("review.scripts.note", "Count", len(m.scripts), "Key", "v")
	list := strings.Join(strings.Fields(ansi.Strip(strings.Join(m.bodyLines(60), "\n"))), " ")
	if !strings.Contains(list, strings.Join(strings.Fields(note), " ")) || !hasKeyHelp(m, "v") {
		t.Errorf("the change list does not say scripts can be read:\n%s", list)
	}
	s = rpress(t, s, 'v')
	full := ansi.Strip(strings.Join(s.(reviewStep).bodyLines(60), "\n"))
	for _, l := range strings.Split(strings.TrimRight(script, "\n"), "\n") {
		if l == "" {
			continue
		}
		// every line of the script is there, cut into pieces of the width
		// but never reflowed
		if !strings.Contains(strings.ReplaceAll(full, "\n│ ", ""), strings.ReplaceAll(l, "\t", "    ")) {
			t.Errorf("script line missing from the view: %q", l)
			break
		}
	}
	if !strings.Contains(full, vms[0]) {
		t.Errorf("the VMs the script runs on are not named")
	}
	for _, l := range s.(reviewStep).bodyLines(60) {
		if w := ansi.StringWidth(l); w > 60 {
			t.Errorf("line wider than 60: %d %q", w, ansi.Strip(l))
		}
	}
	s = rpress(t, s, 'v')
	if s.(reviewStep).showing {
		t.Errorf("v did not go back to the changes")
	}
}

func hasKeyHelp(m reviewStep, k string) bool {
	for _, b := range m.Keys() {
		if b.Help().Key == k {
			return true
		}
	}
	return false
}

// VMs with the same script share one entry; a plan without Run Command
// changes has none.
func TestPlanScriptsGroupsVMs(t *testing.T) {
	p := &Plan{Network: PlanNetwork{Mode: NetworkProxy, Proxy: &PlanProxy{Host: "10.0.0.5", Port: 3128}}}
	cs := []Change{
		{Kind: Create, Action: ActionGuestProxy, Target: "/x/vm-a", Args: []any{"VM", "vm-a", "OS", "Linux"}},
		{Kind: Create, Action: ActionGuestProxy, Target: "/x/vm-b", Args: []any{"VM", "vm-b", "OS", "Linux"}},
		{Kind: Create, Action: ActionGuestProxy, Target: "/x/vm-w", Args: []any{"VM", "vm-w", "OS", "Windows"}},
		{Kind: Skip, Action: ActionGuestProxy, Target: "/x/vm-c", Args: []any{"VM", "vm-c", "OS", "Linux"}},
		{Kind: NoChange, Action: ActionGuestProxy, Target: "/x/vm-d", Args: []any{"VM", "vm-d", "OS", "Linux"}},
	}
	got := PlanScripts(p, cs)
	if len(got) != 2 || got[0].Lang != "sh" || got[1].Lang != "powershell" ||
		strings.Join(got[0].VMs, ",") != "vm-a,vm-b" || strings.Join(got[1].VMs, ",") != "vm-w" {
		t.Fatalf("groups = %+v", got)
	}
	if len(PlanScripts(p, cs[3:])) != 0 {
		t.Errorf("skipped and unchanged VMs run no script")
	}
}

func TestCodePiecesKeepEveryCharacter(t *testing.T) {
	for _, l := range []string{"", "short", strings.Repeat("x", 130), "echo '代理服务器已设置' && " + strings.Repeat("ä", 50)} {
		ps := codePieces(l, 20)
		if strings.Join(ps, "") != l {
			t.Errorf("%q: pieces lose text: %q", l, ps)
		}
		for _, p := range ps {
			if ansi.StringWidth(p) > 20 {
				t.Errorf("piece wider than 20: %q", p)
			}
		}
	}
}

// The exported az script runs the same scripts: each distinct one defined
// once in a quoted here-document, one run-command invocation per VM, and
// the whole file is valid bash.
func TestPlanScriptRunsGuestScripts(t *testing.T) {
	env := newApplyEnv(t, nil, sim.Options{})
	p := proxyPlan(t, env)
	cs, _ := env.planProxy(t, p, nil)
	out := PlanScript(p, cs, "plan.yaml")
	creates := 0
	for _, c := range cs {
		if c.Action == ActionGuestProxy && c.Kind == Create {
			creates++
			if !strings.Contains(out, "az vm run-command invoke --ids "+shellQuote(c.Target)) {
				t.Errorf("no run-command for %s", c.Target)
			}
		}
	}
	if creates == 0 {
		t.Fatal("the demo proxy plan pushes to no VM")
	}
	want, _ := GuestProxyScript(p, "Linux")
	if strings.Count(out, "<<'BACKUPREADY_SCRIPT'") > len(PlanScripts(p, cs)) || !strings.Contains(out, strings.TrimRight(want, "\n")) {
		t.Errorf("scripts not defined once each, or not verbatim:\n%s", out)
	}
	f := filepath.Join(t.TempDir(), "plan.sh")
	if err := os.WriteFile(f, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("bash", "-n", f).CombinedOutput(); err != nil {
		t.Errorf("bash -n: %v\n%s", err, b)
	}
}
