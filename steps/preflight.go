package steps

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// Step 1, preflight: every selected VM judged by every readiness rule.

type (
	agentsProgressMsg struct {
		gen, done, total int
		throttle         azure.ThrottleWait // Azure holds the reads back (Wait > 0)
	}
	assessedMsg struct {
		gen     int
		results []VMResult
		err     error
	}
)

// ---- decisions ----

// SortKey orders the preflight table.
type SortKey int

// The orders the sort key cycles through.
const (
	SortVerdict SortKey = iota // worst first, then by name
	SortName
	SortRegion // then worst first
	sortKeys
)

// SortResults returns the indexes of the results that have verdict show (all
// when show is ""), in the order asked for.
func SortResults(results []VMResult, by SortKey, show Verdict) []int {
	idx := make([]int, 0, len(results))
	for i := range results {
		if show == "" || results[i].Verdict == show {
			idx = append(idx, i)
		}
	}
	name := func(i int) string { return strings.ToLower(results[i].VM.Name) }
	slices.SortStableFunc(idx, func(a, b int) int {
		ra, rb := results[a], results[b]
		switch by {
		case SortName:
			return cmp.Or(cmp.Compare(name(a), name(b)), cmp.Compare(ra.VM.ID, rb.VM.ID))
		case SortRegion:
			return cmp.Or(cmp.Compare(ra.VM.Location, rb.VM.Location), cmp.Compare(rb.Verdict.Rank(), ra.Verdict.Rank()), cmp.Compare(name(a), name(b)))
		}
		return cmp.Or(cmp.Compare(rb.Verdict.Rank(), ra.Verdict.Rank()), cmp.Compare(name(a), name(b)), cmp.Compare(ra.VM.ID, rb.VM.ID))
	})
	return idx
}

// CountVerdicts counts the VMs per verdict.
func CountVerdicts(results []VMResult) map[Verdict]int {
	out := make(map[Verdict]int, len(Verdicts))
	for _, r := range results {
		out[r.Verdict]++
	}
	return out
}

// WorstFinding is the first finding with the VM's verdict: the reason shown
// in the table.
func WorstFinding(r VMResult) (Finding, bool) {
	for _, f := range r.Findings {
		if f.Verdict == r.Verdict {
			return f, true
		}
	}
	return Finding{}, false
}

// showCycle is the order the verdict filter cycles through ("" is all).
var showCycle = []Verdict{"", Blocked, Fixable, Warn, Info, OK}

// ---- screen ----

const stateCancelled loadState = 100

type preflightStep struct {
	c    *ui.Common
	sess *Session
	api  scanAPI
	w, h int
	spin spinner.Model

	state  loadState
	err    error
	gen    int
	forKey string // the selection being or last assessed
	cancel context.CancelFunc
	stream progressStream
	done   int
	total  int
	count  int // VMs being assessed
	// throttle is the last wait Azure's throttling imposed on the reads
	// (cleared by the next progress)
	throttle azure.ThrottleWait

	results []VMResult
	reasons []string // worst finding's text per result, translated once
	words   map[Verdict]string
	counts  map[Verdict]int
	widths  [6]int
	order   []int
	sortBy  SortKey
	show    Verdict
	cursor  int
	offset  int

	detail       bool
	detailOffset int
}

func newPreflightStep(c *ui.Common, sess *Session, api scanAPI) preflightStep {
	return preflightStep{c: c, sess: sess, api: api, spin: ui.NewSpinner(c.Extra)}
}

func (m preflightStep) Title() string   { return m.c.Tr.T("step.preflight.title") }
func (m preflightStep) Explain() string { return m.c.Tr.T("step.preflight.why") }
func (m preflightStep) Init() tea.Cmd   { return nil }

// Activate assesses the selected VMs, unless they were assessed already.
func (m preflightStep) Activate() (ui.Step, tea.Cmd) {
	key := m.sess.SelectionKey()
	if key == "" {
		m.state, m.results, m.order = stateIdle, nil, nil
		m.forKey = ""
		return m, nil
	}
	if key == m.forKey && (m.state == stateReady || m.state == stateLoading) {
		return m, nil
	}
	return m.start()
}

func (m preflightStep) start() (preflightStep, tea.Cmd) {
	if m.cancel != nil {
		m.cancel()
	}
	ctx, cancel := context.WithCancel(m.sess.Context())
	m.cancel = cancel
	m.gen++
	m.forKey = m.sess.SelectionKey()
	m.state, m.err = stateLoading, nil
	m.done, m.total, m.throttle = 0, 0, azure.ThrottleWait{}
	m.detail = false
	m.stream = newProgressStream()
	vms := m.sess.SelectedVMs()
	m.count = len(vms)
	return m, tea.Batch(m.spin.Tick, m.assess(ctx, m.gen, m.sess.Inventory, vms, m.sess.Rules, m.stream), m.stream.next())
}

// assess reads the agents and judges the VMs. vms is the Cmd's own copy.
func (m preflightStep) assess(ctx context.Context, gen int, inv *azure.Inventory, vms []azure.VM, cfg RuleConfig, ps progressStream) tea.Cmd {
	api := m.api
	return func() tea.Msg {
		defer ps.close()
		if inv == nil {
			inv = &azure.Inventory{}
		}
		results, err := Assess(ctx, api, inv, vms, cfg, func(p ScanProgress) {
			ps.send(agentsProgressMsg{gen: gen, done: p.Done, total: p.Total, throttle: p.Throttle})
		})
		return assessedMsg{gen: gen, results: results, err: err}
	}
}

// Deactivate stops a check in flight: leaving the step cancels it.
func (m preflightStep) Deactivate() (ui.Step, tea.Cmd) {
	if m.state == stateLoading {
		if m.cancel != nil {
			m.cancel()
		}
		m.cancel = nil
		m.gen++
		m.state = stateCancelled
	}
	return m, nil
}

func (m preflightStep) Update(msg tea.Msg) (ui.Step, tea.Cmd) {
	switch msg := msg.(type) {
	case ui.BodySizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.offset = ui.ScrollOffset(m.cursor, m.offset, m.rows(), len(m.order))
		return m, nil
	case tea.BackgroundColorMsg:
		m.spin.Style = m.c.Extra.Spinner
		return m, nil
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spin, cmd = spin(m.spin, msg, m.state == stateLoading)
		return m, cmd
	case agentsProgressMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		m.done, m.total, m.throttle = msg.done, msg.total, msg.throttle
		return m, m.stream.next()
	case assessedMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		m.cancel = nil
		if msg.err != nil {
			if e, ok := azure.AsError(msg.err); ok && e.Kind == azure.KindCanceled {
				m.state = stateCancelled
				return m, nil
			}
			m.state, m.err = stateFailed, msg.err
			return m, nil
		}
		m.setResults(msg.results)
		m.sess.Results = msg.results
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return m, nil
}

// setResults takes a finished assessment and prepares what the table needs,
// once, so that drawing thousands of rows stays cheap.
func (m *preflightStep) setResults(results []VMResult) {
	tr := m.c.Tr
	m.state = stateReady
	m.results = results
	m.reasons = make([]string, len(results))
	m.words = map[Verdict]string{}
	for _, v := range Verdicts {
		m.words[v] = tr.T("verdict." + string(v))
	}
	m.widths = [6]int{}
	for _, v := range Verdicts {
		m.widths[0] = max(m.widths[0], 2+ui.Width(m.words[v]))
	}
	for i, r := range results {
		switch f, ok := WorstFinding(r); {
		case r.Verdict == OK && len(r.Findings) > 0:
			// An ok VM's first finding says nothing about the VM as a whole.
			m.reasons[i] = tr.T("preflight.allok", "N", len(r.Findings))
		case ok:
			m.reasons[i], _ = f.Text(tr)
		}
		vm := r.VM
		for k, s := range []string{vm.Name, vm.ResourceGroup, vm.Location, osText(tr, vm), m.reasons[i]} {
			m.widths[k+1] = max(m.widths[k+1], ui.Width(s))
		}
	}
	m.counts = CountVerdicts(results)
	m.resort()
}

func (m *preflightStep) resort() {
	m.order = SortResults(m.results, m.sortBy, m.show)
	m.cursor = min(m.cursor, max(len(m.order)-1, 0))
	m.offset = ui.ScrollOffset(m.cursor, m.offset, m.rows(), len(m.order))
}

func (m preflightStep) key(km tea.KeyPressMsg) (ui.Step, tea.Cmd) {
	k := m.c.Keys
	if key.Matches(km, k.Retry) && (m.state == stateFailed || m.state == stateCancelled) {
		return m.start()
	}
	if m.state != stateReady || len(m.order) == 0 && !key.Matches(km, k.Show, k.Sort) {
		return m, nil
	}
	if m.detail {
		switch {
		case key.Matches(km, k.Close):
			m.detail = false
		case key.Matches(km, k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End):
			n := len(m.detailLines(m.w))
			m.detailOffset = move(k, km, m.detailOffset, max(n-m.h+2, 1), m.h)
		}
		return m, nil
	}
	switch {
	case key.Matches(km, k.Open):
		m.detail, m.detailOffset = true, 0
	case key.Matches(km, k.Sort):
		m.sortBy = (m.sortBy + 1) % sortKeys
		m.resort()
	case key.Matches(km, k.Show):
		i := slices.Index(showCycle, m.show)
		m.show = showCycle[(i+1)%len(showCycle)]
		m.cursor, m.offset = 0, 0
		m.resort()
	default:
		m.cursor = move(k, km, m.cursor, len(m.order), m.rows())
		m.offset = ui.ScrollOffset(m.cursor, m.offset, m.rows(), len(m.order))
	}
	return m, nil
}

// Back closes a VM's findings before leaving the step.
func (m preflightStep) Back() (ui.Step, tea.Cmd, bool) {
	if m.detail {
		m.detail = false
		return m, nil, true
	}
	return m, nil, false
}

func (m preflightStep) Next() (ui.Step, tea.Cmd, bool) {
	m.detail = false
	return m, nil, false
}

func (m preflightStep) Complete() bool {
	return m.state == stateReady && m.forKey != "" && m.forKey == m.sess.SelectionKey()
}

func (m preflightStep) Hint() string {
	tr := m.c.Tr
	switch m.state {
	case stateLoading:
		return tr.T("preflight.wait")
	case stateFailed, stateCancelled:
		return tr.T("preflight.retry")
	}
	return tr.T("preflight.empty")
}

func (m preflightStep) Capturing() bool { return false }

func (m preflightStep) Keys() []key.Binding {
	k := m.c.Keys
	switch {
	case m.state == stateFailed || m.state == stateCancelled:
		return []key.Binding{k.Retry}
	case m.state != stateReady:
		return nil
	case m.detail:
		return []key.Binding{k.Up, k.Close}
	}
	return []key.Binding{k.Up, k.Open, k.Sort, k.Show, k.PageUp}
}

const preflightChrome = 6 // counts, sort line, table header, blank, reason (2)

// nameMinWidth is the most the table's Name column keeps when space runs out.
const nameMinWidth = 24

func (m preflightStep) rows() int { return max(m.h-preflightChrome, 1) }

func (m preflightStep) View(w, h int) string {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	switch m.state {
	case stateIdle:
		return strings.Join(wrapStyled(tr.T("preflight.empty"), w, st.App.Text), "\n")
	case stateLoading:
		lines := []string{st.Body.Heading.Render(ui.Truncate(tr.T("preflight.checking", "Count", m.count), w)), ""}
		if m.total == 0 {
			lines = append(lines, m.spin.View()+" "+st.App.Text.Render(ui.Truncate(tr.T("preflight.loading.start"), w-2)))
		} else {
			lines = append(lines, m.spin.View()+" "+st.App.Text.Render(ui.Truncate(tr.T("preflight.loading", "Done", m.done, "Total", m.total), w-2)),
				"  "+ui.Bar(m.done, m.total, min(w-2, 40), x))
		}
		if m.throttle.Wait > 0 {
			lines = append(lines, "")
			lines = append(lines, wrapStyled(ThrottleText(tr, m.throttle), w, st.Verdict["warn"])...)
		}
		lines = append(lines, "")
		lines = append(lines, wrapStyled(tr.T("preflight.loading.note"), w, st.App.Muted)...)
		return strings.Join(lines, "\n")
	case stateCancelled:
		lines := wrapStyled(tr.T("preflight.cancelled"), w, st.App.Text)
		return strings.Join(append(lines, "", st.App.Muted.Render(tr.T("scope.retry"))), "\n")
	case stateFailed:
		lines := problemLines(m.c, Explain(m.err), w)
		return strings.Join(append(lines, "", st.App.Muted.Render(tr.T("scope.retry"))), "\n")
	}
	if m.detail && len(m.order) > 0 {
		return m.detailView(w, h)
	}
	return m.tableView(w, h)
}

func wrapStyled(s string, w int, st lipgloss.Style) []string {
	var out []string
	for _, l := range ui.Wrap(s, w) {
		out = append(out, st.Render(l))
	}
	return out
}

func (m preflightStep) verdictCell(v Verdict) string {
	return ui.VerdictGlyph(string(v)) + " " + m.words[v]
}

func (m preflightStep) tableView(w, h int) string {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	lines := []string{m.countsLine(w)}
	sortNames := []string{tr.T("preflight.sort.verdict"), tr.T("preflight.sort.name"), tr.T("preflight.sort.region")}
	showName := tr.T("preflight.show.all")
	if m.show != "" {
		showName = m.words[m.show]
	}
	info := []string{tr.T("scope.count.vms", "Count", len(m.results)), tr.T("preflight.sort.label", "By", sortNames[m.sortBy]), tr.T("preflight.show.label", "What", showName)}
	if m.show != "" {
		info = append(info, tr.T("scope.vms.shown", "Shown", len(m.order), "Total", len(m.results)))
	}
	lines = append(lines, st.App.Muted.Render(ui.Truncate(strings.Join(info, " · "), w)))
	if len(m.order) == 0 {
		lines = append(lines, "", st.App.Muted.Render(ui.Truncate(tr.T("preflight.nomatch"), w)))
		return strings.Join(lines, "\n")
	}
	// Below the table, the reason of the row under the cursor in full (two
	// lines at most): the table's column is often too narrow for it.
	i := m.order[min(m.cursor, len(m.order)-1)]
	why := m.results[i].VM.Name
	if m.reasons[i] != "" {
		why += ": " + m.reasons[i]
	}
	below := styleLines(ui.WrapLines(why, w, 2), st.App.Muted)
	rows := max(h-len(lines)-len(below)-1, 2)
	t := ui.Table{
		Columns: []ui.Column{
			{Title: tr.T("preflight.col.verdict"), Width: m.widths[0], Priority: 100},
			// A VM's name is how the user finds it: it keeps its full width up
			// to 24 cells; the reason is the column that gives way.
			{Title: tr.T("scope.col.name"), Width: m.widths[1], Min: min(m.widths[1], nameMinWidth), Priority: 90},
			{Title: tr.T("scope.col.group"), Width: m.widths[2], Min: min(m.widths[2], 10), Priority: 40},
			{Title: tr.T("scope.col.region"), Width: m.widths[3], Priority: 60},
			{Title: tr.T("scope.col.os"), Width: m.widths[4], Priority: 30},
			{Title: tr.T("preflight.col.reason"), Width: m.widths[5], Min: min(m.widths[5], 16), Priority: 80, Flex: true},
		},
		Rows: len(m.order),
		Cell: func(r, c int) string {
			i := m.order[r]
			vm := m.results[i].VM
			switch c {
			case 0:
				return m.verdictCell(m.results[i].Verdict)
			case 1:
				return vm.Name
			case 2:
				return vm.ResourceGroup
			case 3:
				return vm.Location
			case 4:
				return osText(tr, vm)
			}
			return m.reasons[i]
		},
		Style: func(r, c int) lipgloss.Style {
			if c == 0 {
				return st.Verdict[string(m.results[m.order[r]].Verdict)]
			}
			if c == 5 {
				return st.App.Muted
			}
			return st.Table.Cell
		},
		Cursor:      m.cursor,
		Offset:      ui.ScrollOffset(m.cursor, m.offset, rows-1, len(m.order)),
		HeaderStyle: st.Table.Header,
		CursorStyle: st.Table.Selected,
		MarkerStyle: x.Cursor,
	}
	lines = append(lines, ui.Lines(ui.Frame(t.Render(w, rows), w, rows))...)
	lines = append(lines, "")
	return strings.Join(append(lines, below...), "\n")
}

// countsLine counts the VMs per verdict, worst first, marking the verdict
// being shown. When the words do not fit, glyphs and numbers stand alone.
func (m preflightStep) countsLine(w int) string {
	st := m.c.Styles
	build := func(words bool) (string, int) {
		var parts []string
		width := 0
		for i := len(Verdicts) - 1; i >= 0; i-- {
			v := Verdicts[i]
			txt := ui.VerdictGlyph(string(v)) + " " + strconv.Itoa(m.counts[v])
			if words {
				txt += " " + m.words[v]
			}
			vs := st.Verdict[string(v)]
			if m.counts[v] == 0 {
				vs = st.App.Faint
			}
			if m.show == v {
				txt = "[" + txt + "]"
				vs = vs.Underline(true)
			}
			width += ui.Width(txt) + 2
			parts = append(parts, vs.Render(txt))
		}
		return strings.Join(parts, "  "), width - 2
	}
	line, lw := build(true)
	if lw > w {
		line, _ = build(false)
	}
	return ui.Fit(line, w)
}

// detailLines is one VM's every finding, wrapped to w.
func (m preflightStep) detailLines(w int) []string {
	tr, st := m.c.Tr, m.c.Styles
	r := m.results[m.order[m.cursor]]
	vm := r.VM
	var out []string
	vs := st.Verdict[string(r.Verdict)]
	head := st.Body.Heading.Render(vm.Name) + "  " + vs.Render(m.verdictCell(r.Verdict))
	out = append(out, ui.Truncate(head, w))
	facts := []string{vm.ResourceGroup, vm.Location, osText(tr, vm), powerText(tr, vm.PowerState)}
	out = append(out, st.App.Muted.Render(ui.Truncate(strings.Join(facts, " · "), w)))
	if len(r.Findings) == 0 {
		out = append(out, "")
		return append(out, wrapStyled(tr.T("preflight.detail.none"), w, st.App.Muted)...)
	}
	// Worst first: the reason the user opened this VM comes before the
	// rules it passes (rule order is kept within a verdict).
	findings := slices.Clone(r.Findings)
	slices.SortStableFunc(findings, func(a, b Finding) int { return cmp.Compare(b.Verdict.Rank(), a.Verdict.Rank()) })
	indent := 4
	for _, f := range findings {
		msg, fix := f.Text(tr)
		out = append(out, "")
		fs := st.Verdict[string(f.Verdict)]
		out = append(out, ui.Truncate(fs.Render(m.verdictCell(f.Verdict))+"  "+st.App.Faint.Render(f.Rule), w))
		pad := strings.Repeat(" ", indent)
		for _, l := range ui.Wrap(msg, w-indent) {
			out = append(out, pad+st.App.Text.Render(l))
		}
		if fix != "" {
			label := tr.T("preflight.detail.fix")
			lw := ui.Width(label)
			for i, l := range ui.Wrap(fix, w-indent-lw) {
				if i == 0 {
					out = append(out, pad+st.App.Accent.Render(label)+st.App.Text.Render(l))
					continue
				}
				out = append(out, pad+strings.Repeat(" ", lw)+st.App.Text.Render(l))
			}
		}
		if f.Docs != "" && f.Verdict != OK {
			// Wrapped (after a '/'), never cut: the link must stay copyable.
			for _, l := range ui.Wrap(f.Docs, w-indent) {
				out = append(out, pad+st.App.Faint.Render(l))
			}
		}
	}
	return out
}

func (m preflightStep) detailView(w, h int) string {
	tr, st := m.c.Tr, m.c.Styles
	lines := m.detailLines(w)
	if len(lines) <= h {
		return strings.Join(lines, "\n")
	}
	off := max(0, min(m.detailOffset, len(lines)-h+1))
	shown := lines[off : off+h-1]
	more := len(lines) - off - (h - 1)
	tail := ""
	if more > 0 {
		tail = st.App.Faint.Render(ui.Truncate(tr.T("preflight.detail.more", "Count", more), w))
	}
	return strings.Join(append(shown, tail), "\n")
}
