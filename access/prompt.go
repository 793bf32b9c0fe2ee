// Package access is backupready's accessible mode (--accessible, or
// TERM=dumb): every step of the wizard as plain lines for screen readers.
// Questions, choices and results are printed line by line in the user's
// language, answers are typed and confirmed with Enter, long operations say
// "still working" now and then instead of spinning, and nothing is carried
// by colour or a glyph alone. It makes the same decisions as the screens,
// with the same functions of package steps.
//
// huh's accessible mode is not used: it prints fixed English text
// ("Enter a number between…"); every word here comes from the catalog.
package access

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/backupready/backupready/ui"
)

// ErrCancelled is returned by a prompt when the input ends (Ctrl+D, or the
// pipe closed) before an answer: the run stops, and what it has not started
// is not done.
var ErrCancelled = errors.New("access: input ended")

// Prompter asks questions and says things, line by line, on a reader and a
// writer. Lines written from several goroutines (a run's events, progress)
// never interleave.
type Prompter struct {
	ctx   context.Context
	tr    *ui.Translator
	in    io.Reader
	lines chan string // the reader's lines; closed when the input ends
	start sync.Once
	mu    sync.Mutex
	out   io.Writer

	asking bool // a question waits for its answer: progress lines hold back
}

// NewPrompter returns a prompter reading answers from in and writing to
// out. When ctx ends (an interrupt) a waiting question returns ErrCancelled.
func NewPrompter(ctx context.Context, in io.Reader, out io.Writer, tr *ui.Translator) *Prompter {
	return &Prompter{ctx: ctx, tr: tr, in: in, out: out, lines: make(chan string)}
}

// readLine waits for the next line typed, or the input's end, or ctx's.
// The input is read in a goroutine of its own, so that an interrupt is not
// held up by a read that cannot be cancelled.
func (p *Prompter) readLine() (string, error) {
	p.startReader()
	select {
	case line, ok := <-p.lines:
		if !ok {
			return "", ErrCancelled
		}
		return line, nil
	case <-p.ctx.Done():
		return "", ErrCancelled
	}
}

// startReader starts reading the input's lines, once.
func (p *Prompter) startReader() {
	p.start.Do(func() {
		go func() {
			defer close(p.lines)
			br := bufio.NewReader(p.in)
			for {
				line, err := br.ReadString('\n')
				if line != "" {
					select {
					case p.lines <- line:
					case <-p.ctx.Done():
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	})
}

// WaitOrEnter waits for done; a line typed meanwhile (Enter) calls cancel,
// and so do the input's end and ctx's, and it then still waits for done.
// typed reports that the user cancelled; err is ErrCancelled when the
// input or ctx ended.
func (p *Prompter) WaitOrEnter(done <-chan struct{}, cancel func()) (typed bool, err error) {
	p.startReader()
	select {
	case <-done:
		return false, nil
	case _, ok := <-p.lines:
		cancel()
		<-done
		if !ok {
			return false, ErrCancelled
		}
		return true, nil
	case <-p.ctx.Done():
		cancel()
		<-done
		return false, ErrCancelled
	}
}

// T translates a catalog key.
func (p *Prompter) T(key string, args ...any) string { return p.tr.T(key, args...) }

// Say writes lines.
func (p *Prompter) Say(lines ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range lines {
		fmt.Fprintln(p.out, l)
	}
}

// progress writes a progress line unless a question is waiting.
func (p *Prompter) progress(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.asking {
		fmt.Fprintln(p.out, line)
	}
}

// ask writes a prompt (no line end: the answer is typed after it) and reads
// the answer's line, trimmed.
func (p *Prompter) ask(prompt string) (string, error) {
	p.mu.Lock()
	p.asking = true
	fmt.Fprint(p.out, prompt+" ")
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.asking = false
		p.mu.Unlock()
	}()
	line, err := p.readLine()
	if err != nil {
		p.mu.Lock()
		fmt.Fprintln(p.out)
		p.mu.Unlock()
		return "", ErrCancelled
	}
	return strings.TrimSpace(line), nil
}

// Option is one numbered choice.
type Option struct {
	Label  string
	Detail string // said on the next line; "" for none
}

// Choose asks for one of opts by number ("1) … 2) …"); Enter alone takes
// def (no default when def < 0). The label may be typed too. "?" says the
// choices again. It returns the chosen index.
func (p *Prompter) Choose(question string, opts []Option, def int) (int, error) {
	list := func() {
		lines := []string{question}
		for i, o := range opts {
			lines = append(lines, fmt.Sprintf("%d) %s", i+1, o.Label))
			if o.Detail != "" {
				lines = append(lines, "   "+o.Detail)
			}
		}
		p.Say(lines...)
	}
	list()
	prompt := p.T("access.choose.prompt", "Max", len(opts))
	if def >= 0 && def < len(opts) {
		prompt = p.T("access.choose.prompt.default", "Max", len(opts), "Default", def+1)
	}
	for {
		s, err := p.ask(prompt)
		if err != nil {
			return 0, err
		}
		switch {
		case s == "" && def >= 0 && def < len(opts):
			return def, nil
		case s == "":
		case s == "?":
			list()
			continue
		}
		if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= len(opts) {
			return n - 1, nil
		}
		for i, o := range opts {
			if strings.EqualFold(s, o.Label) {
				return i, nil
			}
		}
		p.Say(p.T("access.choose.bad", "Value", s, "Max", len(opts)))
	}
}

// words are the catalog's comma-separated answers for key, lower-cased.
func (p *Prompter) words(key string) []string {
	var out []string
	for _, w := range strings.Split(p.T(key), ",") {
		if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
			out = append(out, w)
		}
	}
	return out
}

func (p *Prompter) isWord(s, key string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, w := range p.words(key) {
		if s == w {
			return true
		}
	}
	return false
}

// YesNo asks a yes-or-no question; Enter alone takes def.
func (p *Prompter) YesNo(question string, def bool) (bool, error) {
	d := p.T("access.no")
	if def {
		d = p.T("access.yes")
	}
	prompt := p.T("access.yesno.prompt", "Question", question, "Yes", p.T("access.yes"), "No", p.T("access.no"), "Default", d)
	for {
		s, err := p.ask(prompt)
		if err != nil {
			return false, err
		}
		switch {
		case s == "":
			return def, nil
		case p.isWord(s, "access.yes.words"):
			return true, nil
		case p.isWord(s, "access.no.words"):
			return false, nil
		}
		p.Say(p.T("access.yesno.bad", "Value", s, "Yes", p.T("access.yes"), "No", p.T("access.no")))
	}
}

// Confirm asks before something changes: only the typed word for yes
// confirms, a no declines; Enter alone or anything else asks again.
func (p *Prompter) Confirm(question string) (bool, error) {
	prompt := p.T("access.confirm.prompt", "Question", question, "Yes", p.T("access.yes"), "No", p.T("access.no"))
	for {
		s, err := p.ask(prompt)
		if err != nil {
			return false, err
		}
		switch {
		case p.isWord(s, "access.confirm.words"):
			return true, nil
		case p.isWord(s, "access.no.words"):
			return false, nil
		}
		p.Say(p.T("access.confirm.bad", "Yes", p.T("access.yes"), "No", p.T("access.no")))
	}
}

// Text asks for a line of text; Enter alone takes def (when not ""). check
// returns "" for a good answer, else what is wrong (said, then asked again).
func (p *Prompter) Text(question, def string, check func(string) string) (string, error) {
	prompt := p.T("access.text.prompt", "Question", question)
	if def != "" {
		prompt = p.T("access.text.prompt.default", "Question", question, "Default", def)
	}
	for {
		s, err := p.ask(prompt)
		if err != nil {
			return "", err
		}
		if s == "" {
			s = def
		}
		msg := ""
		if check != nil {
			msg = check(s)
		} else if s == "" {
			msg = p.T("access.text.empty")
		}
		if msg == "" {
			return s, nil
		}
		p.Say(msg)
	}
}

// Pick asks for some of names: "all", numbers and ranges ("1-3,5"), or
// names, separated by commas or spaces; Enter alone takes all.
func (p *Prompter) Pick(question string, names []string) ([]int, error) {
	return p.PickDefault(question, names, nil)
}

// PickDefault is Pick where Enter alone takes def (all when def is empty).
func (p *Prompter) PickDefault(question string, names []string, def []int) ([]int, error) {
	prompt := p.T("access.pick.prompt", "Question", question, "All", p.T("access.all"), "Max", len(names))
	if len(def) > 0 {
		var ds []string
		for _, i := range def {
			ds = append(ds, names[i])
		}
		prompt = p.T("access.pick.prompt.default", "Question", question, "All", p.T("access.all"), "Max", len(names), "Default", strings.Join(ds, p.T("access.sep")))
	}
	for {
		s, err := p.ask(prompt)
		if err != nil {
			return nil, err
		}
		if s == "" && len(def) > 0 {
			return append([]int(nil), def...), nil
		}
		if s == "" || p.isWord(s, "access.all.words") {
			out := make([]int, len(names))
			for i := range out {
				out[i] = i
			}
			return out, nil
		}
		idx, bad := ParsePick(s, names)
		if bad == "" && len(idx) > 0 {
			return idx, nil
		}
		if bad == "" {
			bad = s
		}
		p.Say(p.T("access.pick.bad", "Value", bad, "Max", len(names), "All", p.T("access.all")))
	}
}

// ParsePick reads a selection of names: numbers from 1, ranges "2-4",
// or the names themselves (case-insensitive), separated by commas or
// spaces, in the order of names and without repeats. bad is the first part
// it could not read ("" when all were read).
func ParsePick(s string, names []string) (idx []int, bad string) {
	seen := make([]bool, len(names))
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '，' || r == '、' || r == '\t' })
	for _, f := range fields {
		lo, hi, isRange := strings.Cut(f, "-")
		a, errA := strconv.Atoi(strings.TrimSpace(lo))
		b, errB := strconv.Atoi(strings.TrimSpace(hi))
		switch {
		case !isRange && errA == nil && a >= 1 && a <= len(names):
			seen[a-1] = true
		case isRange && errA == nil && errB == nil && a >= 1 && b >= a && b <= len(names):
			for i := a; i <= b; i++ {
				seen[i-1] = true
			}
		default:
			found := false
			for i, n := range names {
				if strings.EqualFold(n, f) {
					seen[i], found = true, true
				}
			}
			if !found {
				return nil, f
			}
		}
	}
	for i, ok := range seen {
		if ok {
			idx = append(idx, i)
		}
	}
	return idx, ""
}

// Working says, every so often, that a long operation is still going (with
// its percent when known), instead of a spinner. Stop ends it.
type Working struct {
	p       *Prompter
	what    string
	mu      sync.Mutex
	percent int
	stop    chan struct{}
	done    sync.WaitGroup
}

// Working starts the progress lines of an operation; every is how often
// (nothing is said for an operation shorter than that).
func (p *Prompter) Working(what string, every time.Duration) *Working {
	w := &Working{p: p, what: what, percent: -1, stop: make(chan struct{})}
	if every <= 0 {
		every = 5 * time.Second
	}
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
			w.mu.Lock()
			pct, what := w.percent, w.what
			w.mu.Unlock()
			if pct >= 0 {
				p.progress(p.T("access.working", "What", what, "Percent", pct))
			} else {
				p.progress(p.T("access.working.nopercent", "What", what))
			}
		}
	}()
	return w
}

// Set records the percent done (-1: not known) and, when what is not
// "", what is being done.
func (w *Working) Set(percent int, what string) {
	w.mu.Lock()
	w.percent = min(percent, 100)
	if what != "" {
		w.what = what
	}
	w.mu.Unlock()
}

// SetCount records progress as done of total (total 0: not known).
func (w *Working) SetCount(done, total int) {
	if total <= 0 {
		w.Set(-1, "")
		return
	}
	w.Set(done*100/total, "")
}

// Stop ends the progress lines.
func (w *Working) Stop() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	w.done.Wait()
}
