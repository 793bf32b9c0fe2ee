package ui

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

func TestFit(t *testing.T) {
	tests := []struct {
		name string
		in   string
		w    int
		want string
	}{
		{name: "pads", in: "ab", w: 4, want: "ab  "},
		{name: "exact", in: "abcd", w: 4, want: "abcd"},
		{name: "cuts", in: "abcdef", w: 4, want: "abc…"},
		{name: "cjk exact", in: "日本語", w: 6, want: "日本語"},
		{name: "cjk never half", in: "日本語です", w: 6, want: "日本… "},
		{name: "cjk odd", in: "日本語", w: 5, want: "日本…"},
		{name: "zero", in: "abc", w: 0, want: ""},
		{name: "one", in: "日本", w: 1, want: "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Fit(tt.in, tt.w)
			if got != tt.want {
				t.Errorf("Fit(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
			}
			if ansi.StringWidth(got) != tt.w {
				t.Errorf("width %d, want %d", ansi.StringWidth(got), tt.w)
			}
		})
	}
	styled := lipgloss.NewStyle().Bold(true).Render("日本語のテキスト")
	if got := Fit(styled, 7); ansi.StringWidth(got) != 7 || !strings.Contains(got, "\x1b[") {
		t.Errorf("styled text: %q", got)
	}
}

func TestFrame(t *testing.T) {
	got := Frame("a\n日本語テキスト\nc\nd", 5, 3)
	want := []string{"a    ", "日本…", "c    "}
	if !slices.Equal(strings.Split(got, "\n"), want) {
		t.Errorf("got %q", got)
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		name string
		in   string
		w    int
		want []string
	}{
		{name: "words", in: "the quick brown fox", w: 10, want: []string{"the quick", "brown fox"}},
		{name: "long word", in: "abcdefghij", w: 4, want: []string{"abcd", "efgh", "ij"}},
		{name: "cjk", in: "恢复服务保管库只能保护", w: 8, want: []string{"恢复服务", "保管库只", "能保护"}},
		{name: "no closing punctuation first", in: "一二三。四五", w: 6, want: []string{"一二", "三。四", "五"}},
		{name: "no small kana first", in: "サブスクリプション", w: 8, want: []string{"サブスク", "リプショ", "ン"}},
		{name: "opening stays with next", in: "あいう（えお）", w: 8, want: []string{"あいう", "（えお）"}},
		{name: "mixed", in: "VM エージェントが必要です", w: 10, want: []string{"VM エー", "ジェントが", "必要です"}},
		{name: "newlines", in: "a\nb", w: 5, want: []string{"a", "b"}},
		{name: "ascii brackets around cjk", in: "選んでください。[確認] ステップで", w: 14, want: []string{"選んでくださ", "い。[確認] ス", "テップで"}},
		{name: "dots stay in words", in: "set AutoUpdate.Enabled=y now", w: 12, want: []string{"set", "AutoUpdate.E", "nabled=y now"}},
		{name: "version after cjk", in: "代理版本2.6.1198.700过旧", w: 14, want: []string{"代理版本", "2.6.1198.700过", "旧"}},
		{name: "empty", in: "", w: 5, want: []string{""}},
		// From the report's former wrapper.
		{name: "report words", in: "the quick brown fox", w: 9, want: []string{"the quick", "brown fox"}},
		{name: "report empty", in: "", w: 10, want: []string{""}},
		{name: "report newlines", in: "a\nb", w: 10, want: []string{"a", "b"}},
		{name: "report long word", in: "supercalifragilistic", w: 8, want: []string{"supercal", "ifragili", "stic"}},
		{name: "url breaks after slash", in: "see https://learn.microsoft.com/azure/backup/backup-azure-vms-troubleshoot now", w: 40,
			want: []string{"see https://learn.microsoft.com/azure/", "backup/backup-azure-vms-troubleshoot now"}},
		{name: "closing stays with its text", in: "虚拟机代理未就绪。", w: 8, want: []string{"虚拟机代", "理未就", "绪。"}},
		{name: "brackets around ascii", in: "代理（Linux：软件包）。", w: 10, want: []string{"代理", "（Linux：", "软件包）。"}},
		{name: "version in japanese", in: "VM エージェント 2.2.45 は古い", w: 12, want: []string{"VM エージェ", "ント 2.2.45", "は古い"}},
		{name: "control characters", in: "bad\x1b[31mred\x07", w: 20, want: []string{"bad [31mred"}},
		// Union of the two former wrappers' rules.
		{name: "emoji sequence stays whole", in: "ab👩‍👩‍👧cd", w: 3, want: []string{"ab", "👩‍👩‍👧", "cd"}},
		{name: "inner spaces kept", in: "a  b   c", w: 20, want: []string{"a  b   c"}},
		{name: "ideographic space breaks", in: "日本　語です", w: 5, want: []string{"日本", "語で", "す"}},
		{name: "tab is a space", in: "a\tb", w: 5, want: []string{"a b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Wrap(tt.in, tt.w)
			for _, l := range got {
				if ansi.StringWidth(l) > tt.w {
					t.Errorf("line %q is wider than %d", l, tt.w)
				}
			}
			if keepVisible(strings.Join(got, "")) != keepVisible(tt.in) {
				t.Errorf("text lost: %q", got)
			}
			if tt.want != nil && !slices.Equal(got, tt.want) {
				t.Errorf("Wrap(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
			}
		})
	}
}

// keepVisible drops what Wrap may drop or replace: white space and control
// characters.
func keepVisible(s string) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == '\u3000' || (r >= 0x7f && r <= 0x9f) {
			return -1
		}
		return r
	}, s)
}

// FuzzWrap checks Wrap's promises on any text: no line is wider than the
// width; lines hold no control characters; each line is an unchanged run of
// the text (control characters read as spaces), so nothing but the white
// space at a break is lost; and a break without white space falls next to a
// CJK character or after a '/', never before closing or after opening
// punctuation, unless the line was full (a hard break in a long word).
func FuzzWrap(f *testing.F) {
	for _, s := range []string{"hello world", "日本語のテキスト。", "（括弧）と、句読点。", "a\tb\nc", "ｱｲｳｴｵ"} {
		f.Add(s, 7)
	}
	f.Add("Rule deny-internet (priority 110) in NSG nsg-data blocks outbound TCP 443.", 20)
	f.Add("网络安全组 nsg-data 中的规则 deny-internet（优先级 110）阻止到 Azure 存储的出站 TCP 443。", 13)
	f.Add("「ディスクの復元」で復元し、生成されたテンプレートから VM をデプロイしてください。", 7)
	f.Add("👩‍👩‍👧 ❤️ e\u0301 🇯🇵", 3)
	f.Add("see https://learn.microsoft.com/azure/backup/backup-azure-vms-troubleshoot now", 12)
	f.Add("bad\x1b[31mred\x07 \u3000x\r\n", 4)
	f.Fuzz(func(t *testing.T, s string, w int) {
		if w < 2 || w > 200 || !utf8.ValidString(s) {
			return
		}
		lines := Wrap(s, w)
		for _, l := range lines {
			if ansi.StringWidth(l) > w {
				t.Fatalf("line %q is %d cells, limit %d", l, ansi.StringWidth(l), w)
			}
			if strings.IndexFunc(l, func(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) }) >= 0 {
				t.Fatalf("line %q holds a control character", l)
			}
		}
		plain := strings.Map(func(r rune) rune {
			if r != '\n' && (r < 0x20 || (r >= 0x7f && r <= 0x9f)) {
				return ' '
			}
			return r
		}, s)
		isSpace := func(r rune) bool { return r == ' ' || r == '\u3000' }
		k := 0
		for _, para := range strings.Split(plain, "\n") {
			rest := para
			for start := k; ; {
				if k == len(lines) {
					t.Fatalf("text lost: %q not in %q", rest, lines)
				}
				l, skipped := lines[k], false
				for !strings.HasPrefix(rest, l) {
					r, n := utf8.DecodeRuneInString(rest)
					if n == 0 || !isSpace(r) {
						t.Fatalf("line %d %q is not the next run of %q (lines %q)", k, l, rest, lines)
					}
					rest, skipped = rest[n:], true
				}
				if k > start && !skipped {
					checkBreak(t, lines[k-1], l, w)
				}
				rest = rest[len(l):]
				k++
				if strings.TrimFunc(rest, isSpace) == "" {
					break
				}
			}
		}
		if k != len(lines) {
			t.Fatalf("more lines than text: %q", lines)
		}
	})
}

// checkBreak fails unless a break between the lines prev and next, with no
// white space between them, is allowed or forced.
func checkBreak(t *testing.T, prev, next string, w int) {
	t.Helper()
	first, _ := ansi.FirstGraphemeCluster(next, ansi.GraphemeWidth)
	if ansi.StringWidth(prev+first) > w {
		return // the line was full: a hard break
	}
	last := ""
	for g := prev; g != ""; {
		c, _ := ansi.FirstGraphemeCluster(g, ansi.GraphemeWidth)
		last, g = c, g[len(c):]
	}
	wide := func(g string) bool {
		r, _ := utf8.DecodeRuneInString(g)
		return ansi.StringWidth(g) >= 2 || isWide(r)
	}
	if !wide(last) && !wide(first) && last != "/" {
		t.Fatalf("break inside a word: %q | %q (width %d)", prev, next, w)
	}
	lastR, _ := utf8.DecodeLastRuneInString(prev)
	firstR, _ := utf8.DecodeRuneInString(next)
	if isClosing(firstR) || isOpening(lastR) {
		t.Fatalf("kinsoku: %q | %q (width %d)", prev, next, w)
	}
}

func TestWrapLines(t *testing.T) {
	got := WrapLines("one two three four five six", 9, 2)
	if len(got) != 2 || !strings.HasSuffix(got[1], Ellipsis) {
		t.Errorf("got %q", got)
	}
}

func TestScrollOffset(t *testing.T) {
	const visible, total = 10, 100
	off := 0
	for cur := 0; cur < total; cur++ {
		next := ScrollOffset(cur, off, visible, total)
		if next-off > 1 || cur < next || cur >= next+visible {
			t.Fatalf("cursor %d: offset %d → %d", cur, off, next)
		}
		off = next
	}
	if off != total-visible {
		t.Errorf("at the end the window should end at the last row, offset %d", off)
	}
	if got := ScrollOffset(5, 3, 10, 4); got != 0 {
		t.Errorf("short lists do not scroll, got %d", got)
	}
}

func testTable(rows int) Table {
	return Table{
		Columns: []Column{
			{Title: "Verdict", Width: 10, Priority: 100},
			{Title: "Name", Width: 12, Min: 6, Priority: 90},
			{Title: "Resource group", Width: 16, Min: 8, Priority: 40},
			{Title: "Reason", Width: 60, Min: 12, Priority: 80, Flex: true},
		},
		Rows: rows,
		Cell: func(r, c int) string {
			return []string{"✗ blocked", "vm-" + strings.Repeat("x", r%7), "rg-财务系统", "理由はとても長い説明文です。"}[c]
		},
		Cursor: 1,
	}
}

func TestTableLayout(t *testing.T) {
	tb := testTable(3)
	shown, widths := tb.Layout(120)
	if len(shown) != 4 || widths[3] < 60 {
		t.Errorf("wide: %v %v", shown, widths)
	}
	shown, _ = tb.Layout(40)
	if slices.Contains(shown, 2) || !slices.Contains(shown, 3) {
		t.Errorf("narrow should drop the least important column first: %v", shown)
	}
	for w := 10; w <= 130; w++ {
		out := tb.Render(w, 4)
		for _, l := range strings.Split(out, "\n") {
			if ansi.StringWidth(l) != w {
				t.Fatalf("width %d: line %q is %d cells", w, ansi.Strip(l), ansi.StringWidth(l))
			}
		}
	}
}

func TestTableRendersOnlyVisibleRows(t *testing.T) {
	calls := 0
	tb := testTable(100000)
	cell := tb.Cell
	tb.Cell = func(r, c int) string { calls++; return cell(r, c) }
	tb.Offset = 50000
	tb.Cursor = 50001
	out := tb.Render(80, 21)
	if n := len(strings.Split(out, "\n")); n != 21 {
		t.Errorf("%d lines", n)
	}
	if calls > 20*4 {
		t.Errorf("%d cells computed for 20 visible rows", calls)
	}
	if !strings.Contains(out, GlyphCursor) {
		t.Error("cursor row not marked")
	}
}

func TestPanel(t *testing.T) {
	lines := Wrap("恢复服务保管库只能保护位于同一区域、同一订阅中的虚拟机。", 10)
	for _, h := range []int{2, 3, 5, 12} {
		out := Panel("为什么重要", lines, 14, h, lipgloss.NewStyle(), lipgloss.NewStyle())
		got := strings.Split(out, "\n")
		if len(got) != h {
			t.Fatalf("h=%d: %d lines", h, len(got))
		}
		for _, l := range got {
			if ansi.StringWidth(l) != 14 {
				t.Fatalf("h=%d: %q is %d cells", h, l, ansi.StringWidth(l))
			}
		}
		if h == 5 && !strings.Contains(out, Ellipsis) {
			t.Errorf("cut text should end in an ellipsis:\n%s", out)
		}
	}
}

func TestBar(t *testing.T) {
	x := NewExtraStyles(true)
	for _, tt := range []struct{ done, total, w int }{{0, 10, 20}, {5, 10, 20}, {10, 10, 20}, {3, 0, 7}, {7, 3, 5}} {
		if got := ansi.StringWidth(Bar(tt.done, tt.total, tt.w, x)); got != tt.w {
			t.Errorf("Bar(%d, %d, %d) is %d cells", tt.done, tt.total, tt.w, got)
		}
	}
}

func press(s string) tea.KeyPressMsg {
	switch s {
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "home":
		return tea.KeyPressMsg{Code: tea.KeyHome}
	case "ctrl+w":
		return tea.KeyPressMsg{Code: 'w', Mod: tea.ModCtrl}
	case "ctrl+u":
		return tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

func TestField(t *testing.T) {
	f := Field{Prompt: "/ ", Placeholder: "filter"}
	if f2, changed := f.Update(press("a")); changed || f2.Value() != "" {
		t.Fatal("a field without focus must not take keys")
	}
	f.Focus()
	for _, k := range []string{"t", "a", "g", ":", "系", "统", "left", "left", "backspace", "home", "x"} {
		f, _ = f.Update(press(k))
	}
	if f.Value() != "xtag系统" {
		t.Fatalf("value %q", f.Value())
	}
	f, _ = f.Update(tea.PasteMsg{Content: " env=prod\n"})
	if f.Value() != "x env=prod tag系统" {
		t.Fatalf("after paste %q", f.Value())
	}
	f.SetValue("rg:prod tag:env")
	f, _ = f.Update(press("ctrl+w"))
	if f.Value() != "rg:prod " {
		t.Fatalf("ctrl+w: %q", f.Value())
	}
	f, _ = f.Update(press("ctrl+u"))
	if f.Value() != "" {
		t.Fatalf("ctrl+u: %q", f.Value())
	}
	x := NewExtraStyles(true)
	f.SetValue(strings.Repeat("日本語", 10))
	for _, w := range []int{5, 10, 11, 30} {
		if got := ansi.StringWidth(f.View(w, x)); got != w {
			t.Errorf("View(%d) is %d cells", w, got)
		}
	}
	if !strings.HasSuffix(ansi.Strip(f.View(11, x)), "語 ") {
		t.Errorf("the caret end should stay in view: %q", ansi.Strip(f.View(11, x)))
	}
	f.Blur()
	f.SetValue("")
	if got := ansi.Strip(f.View(12, x)); got != "/ filter    " {
		t.Errorf("placeholder: %q", got)
	}
}
