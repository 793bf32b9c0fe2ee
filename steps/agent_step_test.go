package steps

import (
	"path/filepath"
	"testing"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/backupready/backupready/ui"
)

// agentSession is the demo's production subscription scanned (agents
// read), with a plan of three westeurope VMs: one fine, one with an old
// agent, one whose agent does not report.
func agentSession(t *testing.T) (*Session, WizardAPI) {
	t.Helper()
	_, api := simClient(t, 0, netClock, nil)
	inv, err := api.Inventory(t.Context(), []string{simProd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := api.ReadAgents(t.Context(), inv.VMs, 0, nil); err != nil {
		t.Fatal(err)
	}
	p := agentPlan(simProd, "rg-backup-prod", "rsv-weu-prod", simWebVM, simERPVM, simNoAgentVM)
	p.Agent.Fix = AgentFixInstructions
	return &Session{Cloud: CloudPublic, Demo: true, Inventory: inv, Plan: p, Selected: p.VMs,
		PlanPath: filepath.Join(t.TempDir(), "plan.yaml"), Log: NewTranscript(netClock)}, api
}

func agentHarness(t *testing.T, lang string, w, h int) (*harness, *Session) {
	t.Helper()
	sess, api := agentSession(t)
	hs := newStepHarness(t, lang, "agent", w, h, func(c *ui.Common) ui.Step {
		return newAgentStep(c, sess, api)
	}, func(msg tea.Msg) bool { _, ok := msg.(spinner.TickMsg); return ok })
	return hs, sess
}

func TestAgentStep(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		hs, sess := agentHarness(t, lang, w, h)
		s := hs.waitText("erp-legacy-01")
		checkSize(t, s.view, w, h)
		if s.complete {
			t.Error("complete before a choice while VMs need work")
		}
		hs.enter()
		s = hs.waitFor("the choice made", func(s snapshot) bool { return s.complete })
		checkSize(t, s.view, w, h)
		if sess.Plan.Agent.Fix != AgentFixRunCommand {
			t.Errorf("fix %q, want runCommand (recommended, under the cursor)", sess.Plan.Agent.Fix)
		}
		golden.RequireEqual(t, hs.final())
	})
}

func TestAgentDetails(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		hs, _ := agentHarness(t, lang, w, h)
		hs.waitText("erp-legacy-01")
		hs.enter()
		hs.waitFor("the choice made", func(s snapshot) bool { return s.complete })
		hs.key('d')
		s := hs.waitText("backupready: VM agent repair")
		checkSize(t, s.view, w, h)
		golden.RequireEqual(t, hs.final())
	})
}

// The layout holds at the smallest window, in every language.
func TestAgentSmallWindow(t *testing.T) {
	for _, lang := range ui.Languages {
		t.Run(lang, func(t *testing.T) {
			hs, _ := agentHarness(t, lang, 60, 16)
			s := hs.waitText("erp-legacy")
			checkSize(t, s.view, 60, 16)
		})
	}
}
