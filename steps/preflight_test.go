package steps

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// toPreflight selects every VM of two subscriptions (one with a CJK name)
// and moves on to preflight.
func toPreflight(t *testing.T, hs *harness) {
	t.Helper()
	hs.waitText("Contoso Production")
	hs.space()
	hs.down()
	hs.space()
	hs.enter()
	hs.waitText("fin-db-01")
	hs.key('a')
	hs.next()
	hs.waitFor("preflight results", func(s snapshot) bool { return s.current == 1 && s.complete })
}

// TestPreflightTable: the verdict table of nine VMs.
func TestPreflightTable(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		hs := newHarness(t, &stubAPI{}, demoOpts(t, lang), w, h)
		toPreflight(t, hs)
		golden.RequireEqual(t, hs.final())
	})
}

// TestPreflightFindings: one VM's findings, opened with enter.
func TestPreflightFindings(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		hs := newHarness(t, &stubAPI{}, demoOpts(t, lang), w, h)
		toPreflight(t, hs)
		hs.down()
		hs.down()
		hs.enter()
		hs.waitText(translator(t, lang).T("key.close"))
		golden.RequireEqual(t, hs.final())
	})
}

func TestPreflightCancelledWhenLeaving(t *testing.T) {
	tr := translator(t, "en")
	api := &stubAPI{gate: make(chan struct{})}
	hs := newHarness(t, api, demoOpts(t, "en"), 100, 30)
	hs.waitText("Contoso Production")
	hs.space()
	hs.enter()
	hs.waitText("web-01")
	hs.key('a')
	hs.next()
	hs.waitText(tr.T("preflight.loading.start"))
	hs.back()
	hs.waitFor("scope", func(s snapshot) bool { return s.current == 0 })
	hs.next()
	// Coming back starts a fresh check; let it run.
	s := hs.waitFor("preflight", func(s snapshot) bool { return s.current == 1 })
	if s.complete {
		t.Fatal("a cancelled check must not count as done")
	}
	close(api.gate)
	hs.waitFor("results", func(s snapshot) bool { return s.complete })
}

func TestPreflightLoadFailureRetries(t *testing.T) {
	tr := translator(t, "en")
	api := &stubAPI{agentsErr: &azure.Error{Kind: azure.KindThrottled, Op: "read-agents", Status: 429}}
	hs := newHarness(t, api, demoOpts(t, "en"), 100, 30)
	hs.waitText("Contoso Production")
	hs.space()
	hs.enter()
	hs.waitText("web-01")
	hs.key('a')
	hs.next()
	what, _, _ := Explain(api.agentsErr).Text(tr)
	s := hs.waitText(tr.T("scope.retry"))
	if !strings.Contains(s.view, ui.VerdictGlyph("blocked")+" "+strings.Fields(what)[0]) {
		t.Errorf("the problem should be shown:\n%s", s.view)
	}
	hs.next()
	if s := hs.now(); s.current != 1 || s.status != tr.T("preflight.retry") {
		t.Errorf("Next after a failure: step %d, status %q", s.current, s.status)
	}
	api.agentsErr = nil
	hs.key('r')
	hs.waitFor("results", func(s snapshot) bool { return s.complete })
}

// syntheticResults builds n results with every verdict and long reasons in
// the translator's language would have; texts are literal so that the test
// does not depend on the rules catalog.
func syntheticResults(n int) []VMResult {
	fleet := stubFleet()
	out := make([]VMResult, n)
	for i := range out {
		vm := fleet[i%len(fleet)]
		vm.Name = fmt.Sprintf("%s-%04d", vm.Name, i)
		vm.ID = vmID(vm.SubscriptionID, vm.ResourceGroup, vm.Name)
		v := Verdicts[i%len(Verdicts)]
		out[i] = VMResult{VM: &vm, Findings: []Finding{
			{Rule: "vm.os", Verdict: OK, Msg: "The OS is supported."},
			{Rule: "agent.status", Verdict: v, Msg: "VM 代理未报告状态：虚拟机正在运行，但代理在过去 30 分钟内没有发送心跳，因此无法安装备份扩展。",
				Fix: "ゲスト OS で Azure VM エージェントを再起動し、168.63.129.16 への TCP 80 と 32526 の送信を許可してください。", Docs: "https://learn.microsoft.com/azure/backup/backup-azure-troubleshoot-vm-backup-fails-snapshot-timeout"},
		}}
		out[i].Finalize()
	}
	return out
}

func loadedPreflight(t testing.TB, lang string, n, w, h int) preflightStep {
	c := ui.NewCommon(translator(t, lang))
	m := newPreflightStep(c, &Session{}, &stubAPI{})
	m.w, m.h = w, h
	m.setResults(syntheticResults(n))
	return m
}

func TestPreflightSortAndShow(t *testing.T) {
	m := loadedPreflight(t, "en", 50, 100, 30)
	if got := m.counts[Blocked]; got != 10 {
		t.Fatalf("blocked count %d", got)
	}
	first := m.results[m.order[0]]
	if first.Verdict != Blocked {
		t.Errorf("worst first, got %s", first.Verdict)
	}
	m.sortBy = SortName
	m.resort()
	names := make([]string, len(m.order))
	for i, j := range m.order {
		names[i] = strings.ToLower(m.results[j].VM.Name)
	}
	if !slices.IsSorted(names) {
		t.Error("not sorted by name")
	}
	m.show = Fixable
	m.resort()
	if len(m.order) != 10 {
		t.Errorf("show fixable: %d rows", len(m.order))
	}
	for _, j := range m.order {
		if m.results[j].Verdict != Fixable {
			t.Fatal("a row with another verdict is shown")
		}
	}
	view := ansi.Strip(m.View(100, 30))
	if !strings.Contains(view, "[~ 10 ") {
		t.Errorf("the verdict shown should be marked in the counts:\n%s", view)
	}
}

// Long CJK reasons and fixes wrap by display width, never past the body.
func TestPreflightFindingsWrap(t *testing.T) {
	for _, lang := range ui.Languages {
		for _, w := range []int{30, 47, 61, 90} {
			m := loadedPreflight(t, lang, 12, w, 20)
			m.detail = true
			for _, l := range m.detailLines(w) {
				if lw := ansi.StringWidth(l); lw > w {
					t.Errorf("%s/%d: line %d cells: %q", lang, w, lw, ansi.Strip(l))
				}
			}
			view := m.View(w, 20)
			if len(strings.Split(view, "\n")) > 20 {
				t.Errorf("%s/%d: detail view taller than the body", lang, w)
			}
			table := loadedPreflight(t, lang, 12, w, 20).View(w, 20)
			for _, l := range strings.Split(table, "\n") {
				if lw := ansi.StringWidth(l); lw > w {
					t.Errorf("%s/%d: table line %d cells: %q", lang, w, lw, ansi.Strip(l))
				}
			}
		}
	}
}

// Scrolling through thousands of rows moves the window a row at a time and
// keeps the cursor on screen.
func TestPreflightScrollsSmoothly(t *testing.T) {
	m := loadedPreflight(t, "en", 5000, 100, 30)
	rows := m.rows()
	var prev int
	for i := 0; i < 200; i++ {
		m.cursor++
		m.offset = ui.ScrollOffset(m.cursor, m.offset, rows, len(m.order))
		if m.offset-prev > 1 {
			t.Fatalf("jumped from %d to %d", prev, m.offset)
		}
		if m.cursor < m.offset || m.cursor >= m.offset+rows {
			t.Fatalf("cursor %d off screen [%d,%d)", m.cursor, m.offset, m.offset+rows)
		}
		prev = m.offset
	}
}

func BenchmarkPreflightView5000(b *testing.B) {
	m := loadedPreflight(b, "ja", 5000, 120, 35)
	m.cursor = 2500
	m.offset = ui.ScrollOffset(m.cursor, 2480, m.rows(), len(m.order))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = m.View(120, 35)
	}
}

func TestPreflightViewCostDoesNotGrowWithRows(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	small := loadedPreflight(t, "en", 50, 120, 35)
	big := loadedPreflight(t, "en", 5000, 120, 35)
	measure := func(m preflightStep) time.Duration {
		start := time.Now()
		for range 50 {
			_ = m.View(120, 35)
		}
		return time.Since(start)
	}
	measure(small)
	s, g := measure(small), measure(big)
	if g > 20*s+50*time.Millisecond {
		t.Errorf("5000 rows draw in %v, 50 rows in %v: rows outside the window are being drawn", g, s)
	}
}

func TestPreflightShowsProgress(t *testing.T) {
	tr := translator(t, "en")
	api := &stubAPI{gate: make(chan struct{})}
	hs := newHarness(t, api, demoOpts(t, "en"), 80, 24)
	hs.waitText("Contoso Production")
	hs.key('a')
	hs.enter()
	hs.waitText("dev-box-01")
	hs.key('a')
	hs.next()
	hs.waitText(tr.T("preflight.checking", "Count", 12))
	api.gate <- struct{}{}
	api.gate <- struct{}{}
	s := hs.waitText(tr.T("preflight.loading", "Done", 2, "Total", 9))
	if !strings.Contains(s.view, "━") || s.complete {
		t.Errorf("a progress bar, and not complete yet:\n%s", s.view)
	}
	hs.next()
	if s := hs.now(); s.current != 1 || s.status != tr.T("preflight.wait") {
		t.Errorf("Next while checking: step %d, status %q", s.current, s.status)
	}
	close(api.gate)
	hs.waitFor("results", func(s snapshot) bool { return s.complete })
}

// At 80×24 the body is 56 cells wide: a VM's name keeps its full width (up to
// 24 cells) and the reason gives way; a finding's docs link wraps after a '/'
// instead of being cut, so it can still be copied.
func TestPreflightNarrowKeepsNamesAndLinks(t *testing.T) {
	for _, lang := range ui.Languages {
		results := syntheticResults(3)
		results[0].VM.Name = "erp-legacy-app-server-01" // 24 cells
		results[1].VM.Name = "an-even-longer-vm-name-than-that-01"
		c := ui.NewCommon(translator(t, lang))
		m := newPreflightStep(c, &Session{}, &stubAPI{})
		m.w, m.h = 56, 20
		m.setResults(results)
		view := ansi.Strip(m.View(56, 20))
		if !strings.Contains(view, "erp-legacy-app-server-01 ") {
			t.Errorf("%s: a 24-cell name is cut:\n%s", lang, view)
		}
		if !strings.Contains(view, "an-even-longer-vm-name-") {
			t.Errorf("%s: a longer name should keep 24 cells:\n%s", lang, view)
		}
		for _, l := range strings.Split(view, "\n") {
			if lw := ansi.StringWidth(l); lw > 56 {
				t.Errorf("%s: table line %d cells: %q", lang, lw, l)
			}
		}

		m.cursor = slices.IndexFunc(m.order, func(i int) bool { return m.results[i].Verdict != OK })
		// The link: its first line and the lines that continue it, up to the
		// blank line before the next finding.
		var joined strings.Builder
		inLink := false
		for _, l := range m.detailLines(56) {
			if ansi.StringWidth(l) > 56 {
				t.Errorf("%s: detail line too wide: %q", lang, ansi.Strip(l))
			}
			s := strings.TrimSpace(ansi.Strip(l))
			switch {
			case strings.HasPrefix(s, "https://") && joined.Len() == 0:
				inLink = true
			case s == "" || strings.Contains(s, " "):
				inLink = false
			}
			if inLink {
				joined.WriteString(s)
			}
		}
		const docs = "https://learn.microsoft.com/azure/backup/backup-azure-troubleshoot-vm-backup-fails-snapshot-timeout"
		if joined.String() != docs {
			t.Errorf("%s: docs link = %q, want it whole across lines", lang, joined.String())
		}
	}
}
