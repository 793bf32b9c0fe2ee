package access

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backupready/backupready/ui"
)

// syncBuffer is an output shared with the progress goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func prompter(t *testing.T, lang, input string) (*Prompter, *syncBuffer) {
	t.Helper()
	tr, err := ui.NewTranslator(lang)
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	return NewPrompter(context.Background(), strings.NewReader(input), out, tr), out
}

func TestChooseReasksUntilValid(t *testing.T) {
	opts := []Option{{Label: "alpha", Detail: "the first"}, {Label: "beta"}, {Label: "gamma"}}
	tests := []struct {
		name, input string
		def, want   int
		bad         int // "not one of the choices" messages
		lists       int // times the choices were said
	}{
		{"number", "2\n", 0, 1, 0, 1},
		{"default", "\n", 2, 2, 0, 1},
		{"label", "Gamma\n", -1, 2, 0, 1},
		{"bad then good", "7\nzero\n1\n", 0, 0, 2, 1},
		{"no default: enter asks again", "\n3\n", -1, 2, 1, 1},
		{"question mark repeats the list", "?\n2\n", 0, 1, 0, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, out := prompter(t, "en", tc.input)
			got, err := p.Choose("Which one?", opts, tc.def)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("chose %d, want %d\n%s", got, tc.want, out)
			}
			text := out.String()
			if n := strings.Count(text, "is not one of the choices"); n != tc.bad {
				t.Errorf("%d bad-answer messages, want %d:\n%s", n, tc.bad, text)
			}
			if n := strings.Count(text, "1) alpha\n   the first\n"); n != tc.lists {
				t.Errorf("choices said %d times, want %d:\n%s", n, tc.lists, text)
			}
			if tc.def >= 0 && !strings.Contains(text, "or Enter alone for "+string(rune('1'+tc.def))) {
				t.Errorf("default not offered:\n%s", text)
			}
		})
	}
}

func TestPromptsCancelAtEOF(t *testing.T) {
	for _, tc := range []struct {
		name string
		ask  func(p *Prompter) error
	}{
		{"choose", func(p *Prompter) error { _, err := p.Choose("?", []Option{{Label: "a"}}, 0); return err }},
		{"yesno", func(p *Prompter) error { _, err := p.YesNo("Sure?", true); return err }},
		{"confirm", func(p *Prompter) error { _, err := p.Confirm("Go?"); return err }},
		{"text", func(p *Prompter) error { _, err := p.Text("Name", "x", nil); return err }},
		{"pick", func(p *Prompter) error { _, err := p.Pick("Which?", []string{"a"}); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := prompter(t, "en", "")
			if err := tc.ask(p); !errors.Is(err, ErrCancelled) {
				t.Fatalf("at the input's end: %v, want ErrCancelled", err)
			}
			// A bad answer and then the end: still cancelled, not a default.
			p, _ = prompter(t, "en", "nonsense\n")
			if err := tc.ask(p); tc.name != "text" && tc.name != "pick" && !errors.Is(err, ErrCancelled) {
				t.Fatalf("bad answer then end: %v, want ErrCancelled", err)
			}
		})
	}
}

func TestPromptCancelsOnInterrupt(t *testing.T) {
	tr, _ := ui.NewTranslator("en")
	ctx, cancel := context.WithCancel(context.Background())
	block := make(chan struct{}) // an input that never answers
	defer close(block)
	p := NewPrompter(ctx, blockingReader(block), &syncBuffer{}, tr)
	done := make(chan error)
	go func() { _, err := p.YesNo("Wait?", true); done <- err }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, ErrCancelled) {
			t.Fatalf("interrupted: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("an interrupt does not end a waiting question")
	}
}

type blockingReader chan struct{}

func (b blockingReader) Read([]byte) (int, error) { <-b; return 0, errors.New("closed") }

func TestYesNoAndConfirmInEveryLanguage(t *testing.T) {
	tests := []struct {
		lang, input string
		def         bool
		want        bool
	}{
		{"en", "yes\n", false, true},
		{"en", "n\n", true, false},
		{"en", "\n", true, true},
		{"en", "maybe\nno\n", true, false},
		{"zh", "是\n", false, true},
		{"zh", "否\n", true, false},
		{"ja", "はい\n", false, true},
		{"ja", "いいえ\n", true, false},
		{"ja", "yes\n", false, true},
	}
	for _, tc := range tests {
		p, out := prompter(t, tc.lang, tc.input)
		got, err := p.YesNo("Q?", tc.def)
		if err != nil || got != tc.want {
			t.Errorf("%s %q: %v %v, want %v\n%s", tc.lang, tc.input, got, err, tc.want, out)
		}
	}
	// Confirm takes only the word for yes: Enter alone or a "y" is not a
	// confirmation; it asks again.
	p, out := prompter(t, "en", "\ny\nyes\n")
	ok, err := p.Confirm("Carry out 2 changes?")
	if err != nil || !ok {
		t.Fatalf("confirm: %v %v\n%s", ok, err, out)
	}
	if n := strings.Count(out.String(), "Type the word yes to confirm"); n != 2 {
		t.Errorf("%d re-asks, want 2:\n%s", n, out)
	}
	p, _ = prompter(t, "ja", "no\n")
	if ok, err := p.Confirm("?"); err != nil || ok {
		t.Errorf("a no confirmed: %v %v", ok, err)
	}
}

func TestTextValidates(t *testing.T) {
	p, out := prompter(t, "en", "a\n\nabcd\n")
	got, err := p.Text("Name", "", func(s string) string {
		if len(s) < 3 {
			return "too short: " + s
		}
		return ""
	})
	if err != nil || got != "abcd" {
		t.Fatalf("got %q %v\n%s", got, err, out)
	}
	if !strings.Contains(out.String(), "too short: a\n") || !strings.Contains(out.String(), "too short: \n") {
		t.Errorf("the validator's messages were not said:\n%s", out)
	}
	p, _ = prompter(t, "en", "\n")
	if got, _ := p.Text("Name", "default-name", nil); got != "default-name" {
		t.Errorf("Enter alone gave %q, want the default", got)
	}
}

func TestParsePick(t *testing.T) {
	names := []string{"web-01", "web-02", "db-01", "db-02", "app-01"}
	tests := []struct {
		in   string
		want []int
		bad  string
	}{
		{"1-3,5", []int{0, 1, 2, 4}, ""},
		{"5 1", []int{0, 4}, ""},
		{"db-01, WEB-02", []int{1, 2}, ""},
		{"2-2，4", []int{1, 3}, ""},
		{"1,1,1", []int{0}, ""},
		{"0", nil, "0"},
		{"6", nil, "6"},
		{"3-1", nil, "3-1"},
		{"1-9", nil, "1-9"},
		{"web-03", nil, "web-03"},
	}
	for _, tc := range tests {
		got, bad := ParsePick(tc.in, names)
		if bad != tc.bad || !slices.Equal(got, tc.want) {
			t.Errorf("ParsePick(%q) = %v, %q; want %v, %q", tc.in, got, bad, tc.want, tc.bad)
		}
	}
	p, out := prompter(t, "zh", "7\n全部\n")
	got, err := p.Pick("哪些？", names)
	if err != nil || len(got) != len(names) {
		t.Fatalf("pick all: %v %v\n%s", got, err, out)
	}
	if !strings.Contains(out.String(), "“7”既不是") {
		t.Errorf("a bad selection is not explained in Chinese:\n%s", out)
	}
}

func TestWorkingSaysProgressAsLines(t *testing.T) {
	p, out := prompter(t, "en", "")
	w := p.Working("reading the VMs", 20*time.Millisecond)
	w.SetCount(2, 5)
	time.Sleep(70 * time.Millisecond)
	w.Set(-1, "waiting")
	time.Sleep(50 * time.Millisecond)
	w.Stop()
	text := out.String()
	if !strings.Contains(text, "still working: reading the VMs, 40%\n") || !strings.Contains(text, "still working: waiting\n") {
		t.Fatalf("progress lines:\n%s", text)
	}
	if strings.ContainsAny(text, "\r\x1b") {
		t.Fatalf("progress uses carriage returns or escapes:\n%q", text)
	}
	n := strings.Count(text, "\n")
	time.Sleep(50 * time.Millisecond)
	if strings.Count(out.String(), "\n") != n {
		t.Fatal("progress lines go on after Stop")
	}
}
