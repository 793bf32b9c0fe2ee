package ui

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Wrap breaks plain text into lines of at most w cells, measured like Width
// (CJK counts 2). It breaks at spaces, between characters in Chinese and
// Japanese, and after a '/' inside a word so that long URLs and paths wrap;
// it never breaks inside an ASCII word otherwise (versions, settings). Closing
// punctuation (。、，）」 and ASCII ).,) is kept off the start of a line and
// opening punctuation (（「 and ASCII () off its end. A word wider than a line
// is cut between characters. Newlines in s start new lines; other control
// characters become spaces, since the text may come from Azure and must not
// drive the terminal. Spaces inside a line are kept; spaces at a break are
// dropped. Only a character wider than w itself (w = 1) makes a wider line.
func Wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	s = strings.Map(func(r rune) rune {
		if r != '\n' && (r < 0x20 || (r >= 0x7f && r <= 0x9f)) {
			return ' '
		}
		return r
	}, s)
	var out []string
	for _, para := range strings.Split(s, "\n") {
		out = append(out, wrapPara(para, w)...)
	}
	return out
}

// WrapLines is Wrap limited to n lines; when the text needs more, the last
// line shown ends in "…".
func WrapLines(s string, w, n int) []string {
	lines := Wrap(s, w)
	if n <= 0 || len(lines) <= n {
		return lines
	}
	lines = lines[:n]
	last := Truncate(lines[n-1], w-ansi.StringWidth(Ellipsis))
	lines[n-1] = strings.TrimRight(last, " "+Ellipsis) + Ellipsis
	return lines
}

// wrapUnit is a piece of text no break may fall inside (unless it is wider
// than a line): a word, or one wide character, with the punctuation that may
// not be separated from it. gap is the white space before it in the text,
// kept when the unit joins a line and dropped when it starts one.
type wrapUnit struct {
	gap, text   string
	gapW, width int
}

func wrapPara(s string, w int) []string {
	var (
		lines []string
		line  strings.Builder
		lineW int
	)
	for _, u := range wrapUnits(s) {
		if line.Len() > 0 {
			if lineW+u.gapW+u.width <= w {
				line.WriteString(u.gap + u.text)
				lineW += u.gapW + u.width
				continue
			}
			lines = append(lines, line.String())
			line.Reset()
		}
		text, tw := u.text, u.width
		for tw > w { // a long ID or URL segment is cut by cells
			head, hw := cutCells(text, w)
			lines = append(lines, head)
			text, tw = text[len(head):], tw-hw
		}
		line.WriteString(text)
		lineW = tw
	}
	if line.Len() > 0 || len(lines) == 0 {
		lines = append(lines, line.String())
	}
	return lines
}

// cutCells returns the longest run of whole graphemes at the start of s that
// fits in w cells, and its width; at least one grapheme, even if it is wider.
func cutCells(s string, w int) (string, int) {
	n, width := 0, 0
	for n < len(s) {
		g, gw := ansi.FirstGraphemeCluster(s[n:], ansi.GraphemeWidth)
		if n > 0 && width+gw > w {
			break
		}
		n += len(g)
		width += gw
	}
	return s[:n], width
}

// wrapUnits splits a paragraph into units by grapheme (so an emoji sequence
// or an accented letter is never split), then glues kinsoku punctuation to
// its neighbour.
func wrapUnits(s string) []wrapUnit {
	var (
		units       []wrapUnit
		gap, word   strings.Builder
		gapW, wordW int
		slash       bool // the word so far ends with '/': a URL may break there
	)
	add := func(text string, width int) {
		units = append(units, wrapUnit{gap: gap.String(), text: text, gapW: gapW, width: width})
		gap.Reset()
		gapW = 0
	}
	endWord := func() {
		if word.Len() > 0 {
			add(word.String(), wordW)
			word.Reset()
			wordW = 0
		}
		slash = false
	}
	for s != "" {
		g, gw := ansi.FirstGraphemeCluster(s, ansi.GraphemeWidth)
		s = s[len(g):]
		r, _ := utf8.DecodeRuneInString(g)
		switch {
		case g == " " || g == "\u3000":
			endWord()
			gap.WriteString(g)
			gapW += gw
		case gw >= 2 || isWide(r):
			endWord()
			add(g, gw)
		default:
			if slash && g != "/" {
				endWord()
			}
			word.WriteString(g)
			wordW += gw
			slash = g == "/"
		}
	}
	endWord()
	merged := units[:0]
	for _, u := range units {
		if n := len(merged); n > 0 && u.gap == "" {
			first, _ := utf8.DecodeRuneInString(u.text)
			last, _ := utf8.DecodeLastRuneInString(merged[n-1].text)
			if isClosing(first) || isOpening(last) {
				merged[n-1].text += u.text
				merged[n-1].width += u.width
				continue
			}
		}
		merged = append(merged, u)
	}
	return merged
}

// isWide reports whether r is a character of a script written without
// spaces, between whose characters a line may break. Half-width katakana
// count although they take one cell.
func isWide(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) ||
		unicode.Is(unicode.Hangul, r) || (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF) || r == 'ー'
}

// isClosing reports whether r may not start a line (kinsoku): closing
// punctuation, Japanese small kana and the long-vowel mark.
func isClosing(r rune) bool {
	return strings.ContainsRune("、。，．・：；？！ー…％）」』】〕〉》｝］〙〗"+
		"ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ々〻"+
		",.:;!?)]}%", r)
}

// isOpening reports whether r may not end a line.
func isOpening(r rune) bool { return strings.ContainsRune("（「『【〔〈《｛［〘〖([{", r) }

// JoinSentences joins two sentences of a message: with a space, except
// where the first ends and the second starts in a script written without
// spaces (Chinese and Japanese sentences follow each other directly).
func JoinSentences(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	last, _ := utf8.DecodeLastRuneInString(a)
	first, _ := utf8.DecodeRuneInString(b)
	if isWide(last) && isWide(first) {
		return a + b
	}
	return a + " " + b
}
