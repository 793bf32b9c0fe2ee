package steps

import (
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/backupready/backupready/ui"
)

// choiceRow is one row of a step's list of choices (the Agent step's fixes,
// the Network step's modes).
type choiceRow struct {
	name     string
	on       bool // its radio button is set
	tag      string
	tagStyle lipgloss.Style
}

// choiceLines are a list of choices, one a line: the cursor's row marked
// and highlighted, a radio button and the name padded to the longest name,
// then the tag in its style, cut to what is left of w.
func choiceLines(c *ui.Common, rows []choiceRow, cursor, w int) []string {
	st, x := c.Styles, c.Extra
	nw := 0
	for _, r := range rows {
		nw = max(nw, ui.Width(r.name))
	}
	var out []string
	for i, r := range rows {
		marker, rs := "  ", st.Table.Cell
		if i == cursor {
			marker, rs = x.Cursor.Render(ui.GlyphCursor)+" ", st.Table.Selected
		}
		row := radio(r.on) + " " + r.name + strings.Repeat(" ", nw-ui.Width(r.name))
		out = append(out, ui.Fit(marker+rs.Render(row)+"  "+r.tagStyle.Render(ui.Truncate(r.tag, max(w-ui.Width(row)-4, 1))), w))
	}
	return out
}
