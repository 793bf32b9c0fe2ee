package ui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

const (
	subA   = "3f2b6c1e-8a4d-4c2e-9b7a-1d5e6f708192"
	subB   = "7a9c2d4e-5b6f-4e1a-8c3d-2b4a6e8f0a1c"
	tenant = "72f0c8a1-4d3e-4b5a-9c6d-8e7f0a1b2c3d"
	jobID  = "0e1d2c3b-4a59-4867-8a7b-6c5d4e3f2a10"
)

func TestRedactorMasksKnownIDsStably(t *testing.T) {
	r := NewRedactor()
	r.Add(subA, strings.ToUpper(subB), tenant, "Contoso Production")
	in := "Tenant " + tenant + " · " + subA + ", " + subB + " and job " + jobID
	got := r.Redact(in)
	want := "Tenant ****-2c3d · ****-8192, ****-0a1c and job " + jobID
	if got != want {
		t.Fatalf("Redact:\n got %q\nwant %q", got, want)
	}
	if again := r.Redact(strings.ToUpper(subA)); again != "****-8192" {
		t.Errorf("the same ID in capitals should get the same mask, got %q", again)
	}
	if r.Mask(subA) != "****-8192" || r.Mask("not an id") != "not an id" {
		t.Errorf("Mask: %q %q", r.Mask(subA), r.Mask("not an id"))
	}
}

func TestRedactorTellsCollidingIDsApart(t *testing.T) {
	r := NewRedactor()
	a := "11111111-1111-4111-8111-aaaaaaaa8192"
	b := "22222222-2222-4222-8222-bbbbbbbb8192"
	c := "33333333-3333-4333-8333-bbbbbbbb8192"
	r.Add(a, b, c)
	ma, mb, mc := r.Mask(a), r.Mask(b), r.Mask(c)
	if ma != "****-8192" || mb != "****-bbbb8192" || mc != "****-"+c[24:] {
		t.Errorf("masks %q %q %q", ma, mb, mc)
	}
	if r.Mask(a) != ma || r.Mask(b) != mb {
		t.Error("a mask must not change once given")
	}
}

func TestRedactorLearnsSubscriptionPathsOnly(t *testing.T) {
	r := NewRedactor()
	id := "/subscriptions/" + subB + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
	link := "https://portal.azure.com/#@/resource/SUBSCRIPTIONS/" + strings.ToUpper(subA) + "/overview"
	got := r.Redact(id + " " + link + " policy " + jobID + " rg-" + subA + "x")
	if strings.Contains(strings.ToLower(got), subA) || strings.Contains(got, subB) {
		t.Fatalf("IDs after subscriptions/ must be masked: %q", got)
	}
	if !strings.Contains(got, "/subscriptions/****-0a1c/resourceGroups/rg/") || !strings.Contains(got, jobID) || !strings.HasSuffix(got, " rg-****-8192x") {
		t.Errorf("resource path masked, other GUIDs kept: %q", got)
	}
	// A bare GUID is masked once the path has taught it.
	if r.Redact(subB) != "****-0a1c" {
		t.Errorf("learned from the path: %q", r.Redact(subB))
	}
	if r.Redact("job "+jobID) != "job "+jobID {
		t.Error("an unknown bare GUID is left alone")
	}
}

func TestRedactorOffChangesNothing(t *testing.T) {
	var r *Redactor
	r.Add(subA)
	s := "/subscriptions/" + subA
	if r.Redact(s) != s || r.Screen(s) != s || r.On() {
		t.Error("a nil redactor must mask nothing")
	}
	var b bytes.Buffer
	if w := r.Writer(&b); w != &b {
		t.Error("a nil redactor's writer is the writer itself")
	}
}

// Screen keeps every line's width: a mask is padded to its ID's width, an
// ID cut by Truncate loses its digits, a hyperlink target gets no padding.
func TestRedactorScreenKeepsWidths(t *testing.T) {
	r := NewRedactor()
	r.Add(subA, tenant)
	lines := []string{
		Fit("Subscription "+subA+" │ side", 70),
		Fit(Truncate("Tenant "+tenant+" more text", 24), 30),
		Fit("\x1b]8;;https://x/subscriptions/"+subA+"\x07link\x1b]8;;\x07 after", 40),
		Fit(Truncate("/subscriptions/9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a/rg", 30), 30),
	}
	for i, l := range lines {
		got := r.Screen(l)
		if ansi.StringWidth(got) != ansi.StringWidth(l) {
			t.Errorf("line %d changed width: %q → %q", i, l, got)
		}
		plain := strings.ToLower(got)
		for _, leak := range []string{"3f2b6c1e", "72f0c8a1", "9d8c7b6a", "8a4d-4c2e", "4d3e"} {
			if strings.Contains(plain, leak) {
				t.Errorf("line %d still shows %q: %q", i, leak, got)
			}
		}
	}
	if got := r.Screen(lines[0]); !strings.Contains(got, "****-8192"+strings.Repeat(" ", 27)+" │ side") {
		t.Errorf("the text after a mask stays in its column: %q", got)
	}
	if got := r.Screen(lines[2]); !strings.Contains(got, "subscriptions/****-8192\x07") {
		t.Errorf("a hyperlink target is masked without padding: %q", got)
	}
}

func TestRedactorWriter(t *testing.T) {
	r := NewRedactor()
	r.Add(tenant)
	var b bytes.Buffer
	w := r.Writer(&b)
	in := "tenant " + tenant + "\n"
	n, err := w.Write([]byte(in))
	if err != nil || n != len(in) {
		t.Fatalf("Write returned %d, %v; want %d, nil", n, err, len(in))
	}
	if b.String() != "tenant ****-2c3d\n" {
		t.Errorf("written %q", b.String())
	}
}

func TestTranslatorWithRedactor(t *testing.T) {
	tr, err := NewTranslator("ja")
	if err != nil {
		t.Fatal(err)
	}
	r := NewRedactor()
	r.Add(subA)
	rt := tr.WithRedactor(r)
	key := "shell.window.title" // any message with an argument
	if got := rt.T(key, "Step", subA); strings.Contains(got, subA) || !strings.Contains(got, "****-8192") {
		t.Errorf("T must mask its output: %q", got)
	}
	if got := tr.T(key, "Step", subA); !strings.Contains(got, subA) {
		t.Errorf("the original translator is left as it was: %q", got)
	}
	if rt.Lang() != "ja" || rt.Redactor() != r || tr.Redactor() != nil {
		t.Error("WithRedactor keeps the language and carries the redactor")
	}
}
