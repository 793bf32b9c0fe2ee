package guest

import (
	"strings"
	"unicode"
)

// line is one line of a text file: its text and the line ending that
// followed it ("\n", "\r\n", or "" for a last line without one). Only "\n"
// ends a line, as for the agent (which splits on "\n") and pam_env; a "\r"
// elsewhere stays part of the text.
type line struct {
	text, eol string
}

func splitLines(s string) []line {
	var out []line
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, line{text: s})
			break
		}
		l := line{text: s[:i], eol: "\n"}
		if strings.HasSuffix(l.text, "\r") {
			l.text, l.eol = l.text[:len(l.text)-1], "\r\n"
		}
		out = append(out, l)
		s = s[i+1:]
	}
	return out
}

func joinLines(lines []line) []byte {
	n := 0
	for _, l := range lines {
		n += len(l.text) + len(l.eol)
	}
	b := make([]byte, 0, n)
	for _, l := range lines {
		b = append(b, l.text...)
		b = append(b, l.eol...)
	}
	return b
}

// eolStyle is the file's line ending: that of its first ended line, "\n"
// for a file without one.
func eolStyle(lines []line) string {
	for _, l := range lines {
		if l.eol != "" {
			return l.eol
		}
	}
	return "\n"
}

// setting is one line an editor wants in the file: key and the whole text
// of its line.
type setting struct {
	key, text string
}

// lineSyntax tells an editor how a file writes its settings.
type lineSyntax struct {
	// active returns the key a line sets and what precedes the key (kept
	// when the line is rewritten), or ok=false for a comment or a line that
	// sets nothing.
	active func(text string) (prefix, key string, ok bool)
	// commented returns the key of a commented-out setting ("#Key=None"),
	// which is taken over when the key is set nowhere else; nil if the file
	// kind does not do that.
	commented func(text string) (key string, ok bool)
}

// edit rewrites every active line that sets one of the wanted keys (all of
// them, as the last one would win), takes over the first commented-out line
// of a key set nowhere, and appends the rest at the end in the file's line
// ending style. A file without a final newline keeps ending without one.
func edit(content []byte, want []setting, syn lineSyntax) []byte {
	lines := splitLines(string(content))
	index := map[string]int{}
	for i, w := range want {
		index[w.key] = i
	}
	found := make([]bool, len(want))
	for i := range lines {
		prefix, key, ok := syn.active(lines[i].text)
		if !ok {
			continue
		}
		if w, ok := index[key]; ok {
			lines[i].text = prefix + want[w].text
			found[w] = true
		}
	}
	if syn.commented != nil {
		for i := range lines {
			if _, _, ok := syn.active(lines[i].text); ok {
				continue
			}
			key, ok := syn.commented(lines[i].text)
			if !ok {
				continue
			}
			if w, ok := index[key]; ok && !found[w] {
				lines[i].text = want[w].text
				found[w] = true
			}
		}
	}
	eol := eolStyle(lines)
	missingFinal := len(lines) > 0 && lines[len(lines)-1].eol == ""
	appended := false
	for w := range want {
		if found[w] {
			continue
		}
		if n := len(lines); n > 0 && lines[n-1].eol == "" {
			lines[n-1].eol = eol
		}
		lines = append(lines, line{text: want[w].text, eol: eol})
		appended = true
	}
	if appended && missingFinal {
		lines[len(lines)-1].eol = ""
	}
	return joinLines(lines)
}

// pySpace is Python's str.isspace, which the agent's parser strips with.
func pySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

func pyStrip(s string) string { return strings.TrimFunc(s, pySpace) }
