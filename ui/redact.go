package ui

import (
	"io"
	"regexp"
	"strings"
	"sync"
)

// Redaction (--redact): for trainers sharing a screen, subscription and
// tenant IDs are replaced by a short mask wherever the user reads them — the
// wizard's screens, the accessible mode's lines, `check` (text and JSON),
// `apply`'s output, the Markdown report and the transcript. Subscription and
// tenant *names* stay visible.
//
// What is masked: every ID the redactor has been told about (the session's
// subscriptions and directories, --subscription and --tenant), and any GUID
// that follows "subscriptions/" or "tenants/" in a path or a link, even one it
// was not told about (a resource ID, a portal link). Other GUIDs — backup job
// ids, operation ids, policy assignment names — are not sensitive and are left
// as they are.
//
// A mask is ASCII (no ambiguous-width glyph, so it measures the same in every
// terminal and language) and stable for the whole run: "****-8192" keeps the
// ID's last four hex digits, so two subscriptions can still be told apart; an
// ID whose last four digits are already taken by another gets eight, then
// twelve.
//
// Where it is applied, so that no screen can forget it:
//   - Translator.T masks its output: every catalog text (most of what any
//     mode shows) is masked before it is wrapped or cut to a width.
//   - The few places that draw an ID as raw data (the subscription and
//     directory tables, raw error text) mask it themselves, also before
//     layout, so that a cut or wrapped ID never shows its first digits.
//   - The wizard's shell masks its whole frame once more (Redactor.Screen,
//     width-preserving) as a safety net, and the headless commands write
//     through Redactor.Writer.
//
// What is NOT masked: the plan file and the Azure CLI script. They are for
// running (`apply --plan` and `az` need the real IDs); Review says so when it
// saves them with --redact. Share the report or the transcript instead.

// guidRE matches a GUID in any case.
var guidRE = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// truncatedRE matches a run of hex digits and dashes cut by Truncate.
var truncatedRE = regexp.MustCompile(`(?i)[0-9a-f][0-9a-f-]{5,34}` + Ellipsis)

// maskPrefix is what a mask starts with.
const maskPrefix = "****-"

// Redactor masks subscription and tenant IDs. A nil *Redactor masks nothing
// (redaction off); every method is safe on nil and from any goroutine.
type Redactor struct {
	mu    sync.Mutex
	masks map[string]string // lower-case GUID → its mask
	taken map[string]bool   // masks given out
}

// NewRedactor returns a redactor that knows no ID yet.
func NewRedactor() *Redactor {
	return &Redactor{masks: map[string]string{}, taken: map[string]bool{}}
}

// On reports whether redaction is on.
func (r *Redactor) On() bool { return r != nil }

// Add tells the redactor about subscription or tenant IDs; anything that is
// not a GUID is ignored (a subscription named on the command line).
func (r *Redactor) Add(ids ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if len(id) == 36 && guidRE.MatchString(id) {
			r.maskLocked(id)
		}
	}
}

// Mask returns the mask of one ID (learning it), or s unchanged when it is
// not a GUID or redaction is off.
func (r *Redactor) Mask(s string) string {
	if r == nil || len(s) != 36 || !guidRE.MatchString(s) {
		return s
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.maskLocked(s)
}

func (r *Redactor) maskLocked(id string) string {
	id = strings.ToLower(id)
	if m, ok := r.masks[id]; ok {
		return m
	}
	last := id[24:] // the last group: 12 hex digits
	m := maskPrefix + last
	for _, n := range []int{4, 8} {
		if c := maskPrefix + last[12-n:]; !r.taken[c] {
			m = c
			break
		}
	}
	r.masks[id] = m
	r.taken[m] = true
	return m
}

// mightHold is a cheap test before the regular expression: a GUID needs 36
// bytes and dashes.
func mightHold(s string) bool { return len(s) >= 36 && strings.Contains(s, "-") }

// Redact masks every known ID in s, and every GUID after "subscriptions/" or
// "tenants/" (learning it). The masks are shorter than the IDs: use it on
// text that is laid out afterwards.
func (r *Redactor) Redact(s string) string {
	if r == nil || !mightHold(s) {
		return s
	}
	return r.replace(s, false)
}

// Screen is Redact for a frame already laid out: each mask is padded with
// spaces to the width of the ID it replaces, so nothing after it moves, and
// a known ID cut by Truncate ("3f2b6c1e-8a4d-4…") is starred out.
func (r *Redactor) Screen(s string) string {
	if r == nil {
		return s
	}
	if mightHold(s) {
		s = r.replace(s, true)
	}
	if !strings.Contains(s, Ellipsis) {
		return s
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	locs := truncatedRE.FindAllStringIndex(s, -1)
	var b strings.Builder
	last := 0
	for _, loc := range locs {
		cut := strings.ToLower(s[loc[0] : loc[1]-len(Ellipsis)])
		from := -1
		before := strings.ToLower(s[max(loc[0]-len("subscriptions/"), 0):loc[0]])
		if strings.HasSuffix(before, "subscriptions/") || strings.HasSuffix(before, "tenants/") {
			from = 0
		}
		// Else any tail of the run that starts a known ID (the run may
		// begin with the hex end of a word before it).
		for i := 0; from < 0 && i+6 <= len(cut); i++ {
			for id := range r.masks {
				if strings.HasPrefix(id, cut[i:]) {
					from = i
					break
				}
			}
		}
		if from < 0 {
			continue
		}
		b.WriteString(s[last : loc[0]+from])
		b.WriteString(strings.Repeat("*", len(cut)-from))
		last = loc[1] - len(Ellipsis)
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// replace does Redact (fixed=false) or Screen's first part (fixed=true).
func (r *Redactor) replace(s string, fixed bool) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	locs := guidRE.FindAllStringIndex(s, -1)
	if len(locs) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, loc := range locs {
		i, j := loc[0], loc[1]
		id := strings.ToLower(s[i:j])
		m, known := r.masks[id]
		if !known {
			if (i > 0 && isWordByte(s[i-1])) || (j < len(s) && isWordByte(s[j])) {
				continue // part of a longer token, not an ID
			}
			before := strings.ToLower(s[max(i-len("subscriptions/"), 0):i])
			if !strings.HasSuffix(before, "subscriptions/") && !strings.HasSuffix(before, "tenants/") {
				continue
			}
			m = r.maskLocked(id)
		}
		b.WriteString(s[last:i])
		b.WriteString(m)
		if fixed && !inOSC(s[:i]) {
			b.WriteString(strings.Repeat(" ", (j-i)-len(m)))
		}
		last = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// inOSC reports whether the text after before is inside an operating
// system command (a hyperlink's target): it takes no cells, so a mask there
// needs no padding (and a space would end the target).
func inOSC(before string) bool {
	i := strings.LastIndex(before, "\x1b]")
	if i < 0 {
		return false
	}
	rest := before[i:]
	return !strings.Contains(rest, "\x07") && !strings.Contains(rest, "\x1b\\")
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// Writer masks what is written through it, one Write at a time: the
// headless commands write whole lines or texts per call (fmt.Fprint*), so an
// ID is never split between two writes. A nil redactor returns w itself.
func (r *Redactor) Writer(w io.Writer) io.Writer {
	if r == nil {
		return w
	}
	return redactWriter{r: r, w: w}
}

type redactWriter struct {
	r *Redactor
	w io.Writer
}

func (rw redactWriter) Write(p []byte) (int, error) {
	s := string(p)
	out := rw.r.Redact(s)
	if out == s {
		return rw.w.Write(p)
	}
	if _, err := io.WriteString(rw.w, out); err != nil {
		return 0, err
	}
	return len(p), nil
}
