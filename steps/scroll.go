package steps

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/backupready/backupready/ui"
)

// The steps whose body can be longer than the window (Review's changes,
// Apply's and Protect's finished runs and Protect's review, the Summary)
// scroll a part of it with the same keys, and say on a line of its own
// which lines are shown.

// scrollKey moves a scroll offset for a scrolling key: a line up or down, a
// page of page lines up or down (less one, which stays in view), the top,
// or the end (an offset past it, which the step's clamp brings back). Any
// other key leaves the offset as it is.
func scrollKey(k ui.KeyMap, km tea.KeyPressMsg, off, page int) int {
	switch {
	case key.Matches(km, k.Up):
		off--
	case key.Matches(km, k.Down):
		off++
	case key.Matches(km, k.PageUp):
		off -= max(page-1, 1)
	case key.Matches(km, k.PageDown):
		off += max(page-1, 1)
	case key.Matches(km, k.Home):
		off = 0
	case key.Matches(km, k.End):
		off = 1 << 20
	}
	return off
}

// clampScroll keeps a scroll offset inside a list of total lines shown in
// visible lines, one of which the position line takes when the list does
// not fit.
func clampScroll(off, total, visible int) int {
	if total > visible {
		visible-- // the position line
	}
	return max(0, min(off, total-max(visible, 1)))
}

// scrolled is the part of body from offset off that fits in n lines. When
// the body does not fit, its last line says which lines are shown: the
// catalog's posKey, with From, To and Total.
func scrolled(c *ui.Common, body []string, off, n, w int, posKey string) []string {
	if len(body) <= n {
		return body
	}
	n = max(n-1, 1)
	off = max(0, min(off, len(body)-n))
	out := append([]string(nil), body[off:off+n]...)
	pos := c.Tr.T(posKey, "From", off+1, "To", off+n, "Total", len(body))
	return append(out, c.Styles.App.Faint.Render(ui.Truncate(pos, w)))
}
