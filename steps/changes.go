package steps

import (
	"fmt"
	"io"

	"github.com/backupready/backupready/ui"
)

// ChangeReport is `apply --dry-run --json`: the change list, versioned.
type ChangeReport struct {
	SchemaVersion int            `json:"schemaVersion"`
	Changes       []ChangeRecord `json:"changes"`
	Summary       map[string]int `json:"summary"` // by change kind
}

// ChangeRecord is one change as JSON, its reason in the user's language.
type ChangeRecord struct {
	Kind         ChangeKind `json:"kind"`
	Action       string     `json:"action"`
	Target       string     `json:"target"`
	Region       string     `json:"region,omitempty"`
	From         string     `json:"from,omitempty"`
	To           string     `json:"to,omitempty"`
	Reason       string     `json:"reason"`
	Irreversible bool       `json:"irreversible"`
}

var changeKinds = []ChangeKind{Create, Modify, NoChange, Skip}

// BuildChangeReport turns changes into the JSON document.
func BuildChangeReport(cs []Change, tr *ui.Translator) ChangeReport {
	r := ChangeReport{SchemaVersion: 1, Changes: make([]ChangeRecord, 0, len(cs)), Summary: map[string]int{}}
	for _, k := range changeKinds {
		r.Summary[string(k)] = 0
	}
	for _, c := range cs {
		r.Summary[string(c.Kind)]++
		r.Changes = append(r.Changes, ChangeRecord{Kind: c.Kind, Action: c.Action, Target: c.Target, Region: c.Region,
			From: c.From, To: c.To, Reason: tr.T(c.Reason, c.Args...), Irreversible: c.Irreversible})
	}
	return r
}

// changeGlyph marks a change kind, always next to its word.
func changeGlyph(k ChangeKind) string {
	switch k {
	case Create:
		return "+"
	case Modify:
		return "~"
	case Skip:
		return "-"
	}
	return "="
}

// RenderChanges writes the change list for a terminal: one line per change
// (kind, what, where) with its reason wrapped below, irreversible ones marked,
// then a count per kind. Every line fits width cells.
func RenderChanges(w io.Writer, cs []Change, tr *ui.Translator, st ui.Styles, width int) error {
	width = max(width, 40)
	style := map[ChangeKind]string{Create: "ok", Modify: "fixable", NoChange: "info", Skip: "warn"}
	var err error
	put := func(s string) {
		if err == nil {
			_, err = fmt.Fprintln(w, s)
		}
	}
	put(st.App.Title.Render(ui.Truncate(tr.T("changes.heading", "Count", len(cs)), width)))
	put("")
	counts := map[ChangeKind]int{}
	for _, c := range cs {
		counts[c.Kind]++
		word := tr.T("change.kind." + string(c.Kind))
		head := changeGlyph(c.Kind) + " " + word + "  " + tr.T("change.action."+c.Action)
		if c.From != "" || c.To != "" {
			head += "  " + tr.T("changes.fromto", "From", orDash(c.From), "To", orDash(c.To))
		}
		if c.Irreversible {
			head += "  " + tr.T("changes.irreversible")
		}
		put(st.Verdict[style[c.Kind]].Render(ui.Truncate(head, width)))
		for _, l := range ui.Wrap(c.Target, width-4) {
			put("    " + st.App.Faint.Render(l))
		}
		for _, l := range ui.Wrap(tr.T(c.Reason, c.Args...), width-4) {
			put("    " + l)
		}
	}
	put("")
	line := ""
	for _, k := range changeKinds {
		if line != "" {
			line += " · "
		}
		line += fmt.Sprintf("%s %d", tr.T("change.kind."+string(k)), counts[k])
	}
	put(ui.Truncate(line, width))
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
