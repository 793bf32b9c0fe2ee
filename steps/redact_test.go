package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
	"github.com/backupready/backupready/ui"
)

// The demo tenant's IDs (azure/sim/demo.yaml): none may show with --redact.
var demoIDs = []string{
	"3f2b6c1e-8a4d-4c2e-9b7a-1d5e6f708192", // Contoso Production
	"7a9c2d4e-5b6f-4e1a-8c3d-2b4a6e8f0a1c", // Contoso 研发测试 (开发)
	"72f0c8a1-4d3e-4b5a-9c6d-8e7f0a1b2c3d", // the tenant
}

// leaks names the parts of ids that text shows: the whole ID, its first
// eight digits (an ID cut short) or its middle groups. The mask keeps only
// the last four (or eight) digits.
func leaks(text string, ids []string) []string {
	text = strings.ToLower(text)
	var out []string
	for _, id := range ids {
		for _, part := range []string{id, id[:8], id[9:23], id[24:32]} {
			if strings.Contains(text, part) {
				out = append(out, part)
			}
		}
	}
	return out
}

func redacting(t testing.TB, lang string) *ui.Translator {
	return translator(t, lang).WithRedactor(ui.NewRedactor())
}

// noLeak fails when the screen (as shown, and with its escape sequences:
// hyperlink targets) shows any part of ids.
func noLeak(t *testing.T, what string, s snapshot, ids []string) {
	t.Helper()
	if l := leaks(s.view, ids); len(l) > 0 {
		t.Errorf("%s shows %v with --redact:\n%s", what, l, s.view)
	}
	if l := leaks(s.raw.Content, ids); len(l) > 0 {
		t.Errorf("%s carries %v in its escape sequences with --redact", what, l)
	}
	if l := leaks(s.raw.WindowTitle, ids); len(l) > 0 {
		t.Errorf("%s: the window title shows %v", what, l)
	}
}

// demoSignIn is the demo wizard over the simulator, signed in inside the
// wizard (the identity line names the tenant).
func demoSignIn(t *testing.T, tr *ui.Translator) (WizardAPI, WizardOptions) {
	t.Helper()
	sc := sim.Demo()
	sc.Latency, sc.OperationTime = 0, 0
	c, err := sim.New(sc, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := azure.New(c.Credential(), c.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	opts := demoOpts(t, tr.Lang())
	opts.Translator = tr
	opts.SignIn = &SignInOptions{Auth: azure.FixedAuthenticator(cl, c.Credential())}
	return cl, opts
}

// With --redact the wizard's first screens over the demo tenant show no
// subscription or tenant ID in any language at 80×24 and 120×40: the
// identity line, the subscription list, the VM list, preflight and the vault
// step. The same screens without it do show them (the check can fail).
func TestRedactWizardScreens(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		api, opts := demoSignIn(t, redacting(t, lang))
		hs := runShell(t, NewWizard(api, opts), w, h, dropTicks)
		s := hs.waitText("Contoso Production")
		noLeak(t, "the subscription list", s, demoIDs)
		if w >= 120 && !strings.Contains(s.view, "****-8192") {
			t.Errorf("the subscription's mask should show in its column:\n%s", s.view)
		}
		hs.space()
		hs.enter()
		s = hs.waitText("web-")
		noLeak(t, "the VM list", s, demoIDs)
		hs.key('a')
		hs.next()
		s = hs.waitFor("preflight results", func(s snapshot) bool { return s.current == 1 && s.complete })
		noLeak(t, "preflight", s, demoIDs)
		hs.next()
		s = hs.waitFor("the vault step", func(s snapshot) bool { return s.current == 2 })
		time.Sleep(50 * time.Millisecond)
		noLeak(t, "the vault step", hs.now(), demoIDs)
		checkSize(t, hs.final(), w, h)
	})

	// Control: without --redact the subscription list shows the ID.
	api, opts := demoSignIn(t, translator(t, "en"))
	hs := runShell(t, NewWizard(api, opts), 120, 40, dropTicks)
	s := hs.waitText("Contoso Production")
	if len(leaks(s.view, demoIDs)) == 0 {
		t.Fatalf("without --redact the IDs show (else this test proves nothing):\n%s", s.view)
	}
}

// The directory picker with --redact: tenant IDs masked in their column,
// names and domains kept (golden, en/zh/ja at 80×24 and 120×40).
func TestRedactTenantPicker(t *testing.T) {
	ids := []string{tenantContoso, tenantFabrikam, "3f2b6c1e-8a4d-4c2e-9b7a-1d5e6f708192", "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"}
	each(t, func(t *testing.T, lang string, w, h int) {
		cl, auth := twoTenants(t)
		opts := demoOpts(t, lang)
		opts.Translator = redacting(t, lang)
		opts.SignIn = &SignInOptions{Auth: auth}
		hs := runShell(t, NewWizard(cl, opts), w, h, dropTicks)
		s := hs.waitText("fabrikam.example")
		noLeak(t, "the directory picker", s, ids)
		if w >= 120 && !strings.Contains(s.view, "****-2222") {
			t.Errorf("the second directory's mask should show:\n%s", s.view)
		}
		out := hs.final()
		if l := leaks(out, ids); len(l) > 0 {
			t.Errorf("final screen shows %v", l)
		}
		golden.RequireEqual(t, out)
	})
}

// A whole walk with --redact (stub tenant): no step shows an ID, Review
// says the plan keeps the real one (and it does), the report and the
// transcript exported from Summary show none.
func TestRedactWalkPlanKeepsRealIDs(t *testing.T) {
	ids := []string{subProd, subCN, subJP, "72f988bf-86f1-41af-91ab-2d7cd011db47"}
	opts := demoOpts(t, "en")
	opts.Translator = redacting(t, "en")
	opts.PlanPath = filepath.Join(t.TempDir(), "plan.yaml")
	hs := newHarness(t, &stubAPI{}, opts, 100, 30)
	s := hs.waitText("Contoso Production")
	noLeak(t, "scope", s, ids)
	hs.space()
	hs.enter()
	hs.waitText("web-01")
	hs.key('a')
	hs.next()
	s = hs.waitFor("preflight results", func(s snapshot) bool { return s.current == 1 && s.complete })
	noLeak(t, "preflight", s, ids)
	for i := 2; i < len(stepIDs); i++ {
		hs.next()
		if i == 3 {
			hs.waitFor("a vault choice", func(s snapshot) bool { return s.current == 2 && s.complete })
			noLeak(t, "vault", hs.now(), ids)
			hs.next()
		}
		s = hs.waitFor("the next step", func(s snapshot) bool { return s.current == i })
		switch i {
		case 3:
			s = hs.waitFor("the vault's storage read", func(s snapshot) bool { return s.current == 3 && s.complete })
		case 6:
			hs.waitFor("the change list", func(s snapshot) bool { return strings.Contains(s.view, "no change") })
			noLeak(t, "review", hs.now(), ids)
			hs.enter()
			s = hs.waitFor("the plan confirmed", func(s snapshot) bool { return s.current == 6 && s.complete })
			if !strings.Contains(s.view, "keeps the real subscription ID") {
				t.Errorf("saving the plan with --redact should say that it keeps the real IDs:\n%s", s.view)
			}
			data, err := os.ReadFile(opts.PlanPath)
			if err != nil || !strings.Contains(string(data), subProd) {
				t.Errorf("the plan file must keep the real subscription ID (apply needs it): %v\n%s", err, data)
			}
		case 7:
			s = hs.waitFor("the apply run", func(s snapshot) bool { return s.current == 7 && s.complete })
		}
		noLeak(t, "step "+stepIDs[i], s, ids)
	}
	hs.key('m')
	hs.waitText(ReportName)
	hs.key('t')
	s = hs.waitText(TranscriptName)
	noLeak(t, "summary", s, ids)
	dir := filepath.Dir(opts.PlanPath)
	for _, name := range []string{ReportName, TranscriptName} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if l := leaks(string(data), ids); len(l) > 0 {
			t.Errorf("%s shows %v with --redact:\n%s", name, l, data)
		}
	}
}
