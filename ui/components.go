package ui

import (
	"strings"

	"charm.land/bubbles/v2/spinner"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Ellipsis ends every truncated text.
const Ellipsis = "…"

// Width is a string's width in terminal cells (CJK counts 2), ignoring ANSI
// escape sequences. It is lipgloss.Width, named here so that every layout in
// the program measures the same way.
func Width(s string) int { return lipgloss.Width(s) }

// Fit makes one line exactly w cells wide: longer text is cut by display
// width and ends in "…" (never in the middle of a character), shorter text is
// padded with spaces. s may carry ANSI styles.
func Fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		s = ansi.Truncate(s, w, Ellipsis)
		sw = ansi.StringWidth(s)
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}

// Truncate cuts s to at most w cells, ending in "…" when it had to cut.
func Truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, Ellipsis)
}

// FitRight is Fit with the text aligned to the right.
func FitRight(s string, w int) string {
	if w <= 0 {
		return ""
	}
	s = Truncate(s, w)
	return strings.Repeat(" ", w-ansi.StringWidth(s)) + s
}

// Frame makes s exactly w cells wide and h lines high: every line is fitted
// with Fit, missing lines are blank, extra lines are dropped.
func Frame(s string, w, h int) string {
	if h <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	var b strings.Builder
	for i := 0; i < h; i++ {
		if i > 0 {
			b.WriteByte('\n')
		}
		l := ""
		if i < len(lines) {
			l = lines[i]
		}
		b.WriteString(Fit(l, w))
	}
	return b.String()
}

// Lines splits a rendered block into its lines.
func Lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// Repeat fills w cells with glyph, measuring the glyph first: box-drawing
// characters are two cells wide where East Asian ambiguous characters are.
func Repeat(glyph string, w int) string {
	gw := ansi.StringWidth(glyph)
	if w <= 0 || gw <= 0 {
		return strings.Repeat(" ", max(w, 0))
	}
	n := w / gw
	return strings.Repeat(glyph, n) + strings.Repeat(" ", w-n*gw)
}

// Rule is a horizontal line w cells wide.
func Rule(w int, st lipgloss.Style) string { return st.Render(Repeat("─", w)) }

// ScrollOffset keeps the cursor row visible in a window of visible rows over
// total rows, moving the window one row at a time (with a margin of two rows
// when there is room) rather than a page at a time.
func ScrollOffset(cursor, offset, visible, total int) int {
	if visible <= 0 || total <= visible {
		return 0
	}
	margin := min(2, (visible-1)/2)
	if cursor < offset+margin {
		offset = cursor - margin
	}
	if cursor > offset+visible-1-margin {
		offset = cursor - visible + 1 + margin
	}
	return max(0, min(offset, total-visible))
}

// Column describes a table column.
type Column struct {
	Title    string
	Width    int  // natural width: the widest cell (the title counts too)
	Min      int  // narrowest useful width; 0 means Width
	Flex     bool // takes the space left over
	Priority int  // when space runs out, lower priorities are dropped first
	Right    bool // right-aligned (numbers)
}

// Table renders rows of plain-text cells, computing only the rows in view so
// that thousands of rows cost the same as twenty.
type Table struct {
	Columns []Column
	Rows    int
	// Cell returns the plain text of a cell; it is fitted to the column and
	// then styled with Style (if set).
	Cell  func(row, col int) string
	Style func(row, col int) lipgloss.Style
	// Lead returns a fixed-width prefix for a row (a checkbox), or nil.
	Lead      func(row int) string
	LeadWidth int
	Cursor    int // -1 for none
	Offset    int
	Gap       int // cells between columns (default 2)

	HeaderStyle, CursorStyle, MarkerStyle lipgloss.Style
}

// Layout decides which columns fit in width and how wide each is. It returns
// the indexes of the shown columns and their widths.
func (t Table) Layout(width int) (shown []int, widths []int) {
	gap := t.gap()
	avail := width - 2 - t.LeadWidth // cursor marker
	for i := range t.Columns {
		shown = append(shown, i)
	}
	minOf := func(c Column) int {
		n := max(c.Width, Width(c.Title))
		if c.Min > 0 && c.Min < n {
			return c.Min
		}
		return n
	}
	for {
		need := 0
		for k, i := range shown {
			need += minOf(t.Columns[i])
			if k > 0 {
				need += gap
			}
		}
		if need <= avail || len(shown) <= 1 {
			break
		}
		drop := 0
		for k, i := range shown {
			if t.Columns[i].Priority < t.Columns[shown[drop]].Priority {
				drop = k
			}
		}
		shown = append(shown[:drop:drop], shown[drop+1:]...)
	}
	widths = make([]int, len(shown))
	spare := avail
	for k, i := range shown {
		widths[k] = minOf(t.Columns[i])
		spare -= widths[k]
		if k > 0 {
			spare -= gap
		}
	}
	// Grow columns towards their natural width, most important first.
	order := make([]int, len(shown))
	for k := range order {
		order[k] = k
	}
	for a := 1; a < len(order); a++ {
		for b := a; b > 0 && t.Columns[shown[order[b]]].Priority > t.Columns[shown[order[b-1]]].Priority; b-- {
			order[b], order[b-1] = order[b-1], order[b]
		}
	}
	for _, k := range order {
		if spare <= 0 {
			break
		}
		c := t.Columns[shown[k]]
		natural := max(c.Width, Width(c.Title))
		grow := min(spare, natural-widths[k])
		if grow > 0 {
			widths[k] += grow
			spare -= grow
		}
	}
	for k, i := range shown {
		if spare > 0 && t.Columns[i].Flex {
			widths[k] += spare
			spare = 0
		}
	}
	if spare < 0 && len(widths) > 0 { // one column wider than the screen
		widths[len(widths)-1] = max(1, widths[len(widths)-1]+spare)
	}
	return shown, widths
}

func (t Table) gap() int {
	if t.Gap <= 0 {
		return 2
	}
	return t.Gap
}

// Render draws the header and the rows from Offset that fit in height-1
// lines. Every line is exactly width cells.
func (t Table) Render(width, height int) string {
	if height <= 0 || width <= 0 {
		return ""
	}
	shown, widths := t.Layout(width)
	gap := strings.Repeat(" ", t.gap())
	var b strings.Builder
	// header
	b.WriteString("  " + strings.Repeat(" ", t.LeadWidth))
	for k, i := range shown {
		if k > 0 {
			b.WriteString(gap)
		}
		c := t.Columns[i]
		cell := Fit(c.Title, widths[k])
		if c.Right {
			cell = FitRight(c.Title, widths[k])
		}
		b.WriteString(t.HeaderStyle.Render(cell))
	}
	lines := []string{Fit(b.String(), width)}
	for r := t.Offset; r < t.Rows && len(lines) < height; r++ {
		lines = append(lines, t.row(r, shown, widths, gap, width))
	}
	return strings.Join(lines, "\n")
}

func (t Table) row(r int, shown, widths []int, gap string, width int) string {
	var b strings.Builder
	isCur := r == t.Cursor
	plain := lipgloss.NewStyle()
	// Only the cursor row needs styling between cells (its background).
	fill := func(s string) string {
		if isCur {
			return t.CursorStyle.Render(s)
		}
		return s
	}
	used := 2 + t.LeadWidth
	if isCur {
		b.WriteString(t.MarkerStyle.Inherit(t.CursorStyle).Render(GlyphCursor + " "))
	} else {
		b.WriteString("  ")
	}
	if t.Lead != nil {
		b.WriteString(fill(Fit(t.Lead(r), t.LeadWidth)))
	} else {
		b.WriteString(fill(strings.Repeat(" ", t.LeadWidth)))
	}
	for k, i := range shown {
		if k > 0 {
			b.WriteString(fill(gap))
			used += len(gap)
		}
		text := t.Cell(r, i)
		var cell string
		if t.Columns[i].Right {
			cell = FitRight(text, widths[k])
		} else {
			cell = Fit(text, widths[k])
		}
		used += widths[k]
		st := plain
		if t.Style != nil {
			st = t.Style(r, i)
		}
		if isCur {
			st = st.Inherit(t.CursorStyle)
		}
		b.WriteString(st.Render(cell))
	}
	if used < width {
		b.WriteString(fill(strings.Repeat(" ", width-used)))
	} else if used > width {
		return Fit(b.String(), width)
	}
	return b.String()
}

// Bar is a progress bar exactly w cells wide.
func Bar(done, total, w int, x ExtraStyles) string {
	if w <= 0 {
		return ""
	}
	full := 0
	if total > 0 {
		full = min(w, w*done/total)
	}
	return x.BarFull.Render(Repeat("━", full)) + x.BarEmpty.Render(Repeat("─", w-full))
}

// NewSpinner is the activity mark shown while Azure is being read. Its frames
// are braille dots: one cell wide in every terminal.
func NewSpinner(x ExtraStyles) spinner.Model {
	return spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(x.Spinner))
}

// Panel draws a rounded box exactly w×h with a title in its top border and
// the lines inside. When the lines do not fit, the last one shown ends in "…".
func Panel(title string, lines []string, w, h int, border, titleStyle lipgloss.Style) string {
	if w < 6 || h < 2 {
		return Frame("", w, h)
	}
	side := "│"
	sideW := ansi.StringWidth(side)
	inner := w - 2*sideW - 2
	head := border.Render("╭─ ") + titleStyle.Render(Truncate(title, max(w-8, 1))) + " "
	head += border.Render(Repeat("─", max(w-ansi.StringWidth(head)-ansi.StringWidth("╮"), 0)) + "╮")
	out := []string{Fit(head, w)}
	for i := 0; i < h-2; i++ {
		l := ""
		if i < len(lines) {
			l = lines[i]
			if i == h-3 && len(lines) > h-2 {
				l = Truncate(l, inner-1)
				if !strings.HasSuffix(l, Ellipsis) {
					l += Ellipsis
				}
			}
		}
		out = append(out, Fit(border.Render(side)+" "+Fit(l, inner)+" "+border.Render(side), w))
	}
	corner := ansi.StringWidth("╰")
	out = append(out, Fit(border.Render("╰"+Repeat("─", w-2*corner)+"╯"), w))
	return strings.Join(out, "\n")
}
