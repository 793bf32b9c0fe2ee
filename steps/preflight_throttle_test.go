package steps

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// While Azure's throttling holds the agent reads back, Preflight says so
// under its progress, in words; the next progress clears it.
func TestPreflightShowsThrottleWait(t *testing.T) {
	for _, lang := range []string{"en", "zh", "ja"} {
		tr := translator(t, lang)
		m := newPreflightStep(ui.NewCommon(tr), &Session{}, &stubAPI{})
		m.state, m.gen = stateLoading, 1
		w := azure.ThrottleWait{Service: "graph", Wait: 4 * time.Second, Until: time.Now().Add(4 * time.Second)}
		s, _ := m.Update(agentsProgressMsg{gen: 1, done: 2, total: 5, throttle: w})
		flat := func(s ui.Step) string {
			return strings.Join(strings.Fields(ansi.Strip(s.View(60, 20))), "")
		}
		want := strings.Join(strings.Fields(ThrottleText(tr, w)), "")
		if !strings.Contains(flat(s), want) {
			t.Errorf("%s: throttle wait not shown:\n%s", lang, s.View(60, 20))
		}
		s, _ = s.Update(agentsProgressMsg{gen: 1, done: 3, total: 5})
		if strings.Contains(flat(s), want) {
			t.Errorf("%s: the wait is still shown after progress went on", lang)
		}
	}
}
