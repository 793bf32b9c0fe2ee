package steps

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
)

const (
	tenantContoso  = "11111111-1111-4111-8111-111111111111"
	tenantFabrikam = "22222222-2222-4222-8222-222222222222"
)

// twoTenantScenario: an identity in two directories, a subscription in
// each (the second directory is known only from its subscription).
const twoTenantScenario = `
identity: {upn: ada@contoso.example, tenantId: ` + tenantContoso + `}
tenants:
- {id: ` + tenantContoso + `, name: Contoso, defaultDomain: contoso.example}
- {id: ` + tenantFabrikam + `, name: Fabrikam 研究所, defaultDomain: fabrikam.example}
subscriptions:
- {id: 3f2b6c1e-8a4d-4c2e-9b7a-1d5e6f708192, name: Contoso Production, tenantId: ` + tenantContoso + `}
- {id: 9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a, name: Fabrikam Lab, tenantId: ` + tenantFabrikam + `}
`

// twoTenants builds the simulated cloud, the client and its authenticator.
func twoTenants(t *testing.T) (*azure.Client, *azure.Authenticator) {
	t.Helper()
	sc, err := sim.LoadScenario([]byte(twoTenantScenario), "two.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := sim.New(sc, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := azure.New(c.Credential(), c.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	return cl, azure.FixedAuthenticator(cl, c.Credential())
}

func dropTicks(msg tea.Msg) bool { _, ok := msg.(spinner.TickMsg); return ok }

func TestSignInTenantPicker(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		cl, auth := twoTenants(t)
		opts := demoOpts(t, lang)
		opts.SignIn = &SignInOptions{Auth: auth}
		hs := runShell(t, NewWizard(cl, opts), w, h, dropTicks)
		hs.waitText("fabrikam.example")
		hs.down()
		golden.RequireEqual(t, hs.final())
	})
}

// Choosing the second directory lists its subscriptions only, and the
// choice is remembered: the next run goes straight to them, with the
// subscription selected, and t shows every directory again.
func TestSignInTenantChosenAndRemembered(t *testing.T) {
	cl, auth := twoTenants(t)
	path := filepath.Join(t.TempDir(), "config.yaml")
	opts := demoOpts(t, "en")
	opts.SignIn = &SignInOptions{Auth: auth, ConfigPath: path}
	hs := newHarness(t, cl, opts, 100, 30)
	hs.waitText("fabrikam.example")
	hs.down()
	hs.enter()
	s := hs.waitText("Fabrikam Lab")
	if strings.Contains(s.view, "Contoso Production") {
		t.Fatalf("the second directory's subscriptions only:\n%s", s.view)
	}
	if !strings.Contains(s.view, "Directory Fabrikam 研究所") || !strings.Contains(s.view, "t all directories") {
		t.Errorf("the directory in use and the way back to all of them should show:\n%s", s.view)
	}
	hs.enter() // the only subscription is selected: on to the VMs
	hs.waitFor("the remembered choice", func(snapshot) bool {
		c, err := LoadConfig(path)
		ch, ok := c.Remembered("AzureCloud")
		return err == nil && ok && ch.Tenant == tenantFabrikam && len(ch.Subscriptions) == 1
	})
	hs.tm.Quit()

	cl2, auth2 := twoTenants(t)
	opts.SignIn = &SignInOptions{Auth: auth2, ConfigPath: path}
	hs = newHarness(t, cl2, opts, 100, 30)
	s = hs.waitText("Fabrikam Lab")
	if strings.Contains(s.view, "Contoso Production") || !strings.Contains(s.view, "[x]") {
		t.Fatalf("the remembered directory, its subscription selected:\n%s", s.view)
	}
	hs.key('t')
	s = hs.waitText("contoso.example")
	if !strings.Contains(s.view, "Directories (tenants) you can use") {
		t.Fatalf("t shows every directory:\n%s", s.view)
	}
	hs.key('k')
	hs.enter()
	s = hs.waitText("Contoso Production")
	if strings.Contains(s.view, "Fabrikam Lab") {
		t.Errorf("back in the first directory:\n%s", s.view)
	}
}

// --tenant skips the picker (by ID or by domain).
func TestSignInTenantFlagSkipsPicker(t *testing.T) {
	for _, flag := range []string{tenantFabrikam, "FABRIKAM.example"} {
		cl, auth := twoTenants(t)
		opts := demoOpts(t, "en")
		opts.SignIn = &SignInOptions{Auth: auth, Tenant: flag, ConfigPath: filepath.Join(t.TempDir(), "c.yaml")}
		hs := newHarness(t, cl, opts, 100, 30)
		s := hs.waitFor("subscriptions or the picker", func(s snapshot) bool {
			return strings.Contains(s.view, "Fabrikam Lab") || strings.Contains(s.view, "Directories (tenants)")
		})
		if strings.Contains(s.view, "Directories (tenants)") || strings.Contains(s.view, "Contoso Production") {
			t.Fatalf("--tenant %s: no picker, that directory's subscriptions:\n%s", flag, s.view)
		}
		hs.tm.Quit()
	}
}

// fakeAuth signs in as a test says: each method's result, and a device
// code sent before it waits for the context to end.
type fakeAuth struct {
	methods []azure.SignInMethod
	mu      sync.Mutex
	results map[azure.SignInMethod]error
	asked   []azure.SignInMethod
}

func (f *fakeAuth) Methods() []azure.SignInMethod { return f.methods }

func (f *fakeAuth) SignIn(ctx context.Context, m azure.SignInMethod, tenant string, prompt func(azure.DeviceCode)) (azure.Identity, error) {
	f.mu.Lock()
	f.asked = append(f.asked, m)
	err, ok := f.results[m]
	f.mu.Unlock()
	if m == azure.MethodDevice && !ok {
		prompt(azure.DeviceCode{UserCode: "H7KQ-2RPM", URL: "https://microsoft.com/devicelogin", Message: "To sign in, use a web browser"})
		<-ctx.Done()
		return azure.Identity{}, azure.ClassifySignIn(ctx.Err())
	}
	if err != nil {
		return azure.Identity{}, err
	}
	return azure.Identity{Name: "ada@contoso.com", TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47", Kind: "user"}, nil
}

func (f *fakeAuth) UseTenant(ctx context.Context, tenant string) (azure.Identity, error) {
	return azure.Identity{Name: "ada@contoso.com", TenantID: tenant, Kind: "user"}, nil
}

func TestSignInDeviceCode(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		tr := translator(t, lang)
		opts := demoOpts(t, lang)
		opts.SignIn = &SignInOptions{Auth: &fakeAuth{methods: []azure.SignInMethod{azure.MethodDevice, azure.MethodBrowser}}}
		hs := runShell(t, NewWizard(&stubAPI{}, opts), w, h, dropTicks)
		hs.waitText(tr.T("signin.method.device")[:12])
		hs.enter()
		hs.waitText("H7KQ-2RPM")
		golden.RequireEqual(t, hs.final())
	})
}

// Esc cancels a device-code sign-in: back to the choices, no error shown.
func TestSignInDeviceCodeCancel(t *testing.T) {
	tr := translator(t, "en")
	auth := &fakeAuth{methods: []azure.SignInMethod{azure.MethodDevice, azure.MethodBrowser}}
	opts := demoOpts(t, "en")
	opts.SignIn = &SignInOptions{Auth: auth}
	hs := newHarness(t, &stubAPI{}, opts, 100, 30)
	hs.waitText(tr.T("signin.method.device"))
	hs.enter()
	s := hs.waitText("H7KQ-2RPM")
	if !strings.Contains(s.view, "https://microsoft.com/devicelogin") || !strings.Contains(s.view, "esc cancel") {
		t.Fatalf("code screen:\n%s", s.view)
	}
	hs.esc()
	s = hs.waitFor("the choices again", func(s snapshot) bool { return !strings.Contains(s.view, "H7KQ-2RPM") })
	if !strings.Contains(s.view, tr.T("signin.method.browser")) || strings.Contains(s.view, "✗") {
		t.Fatalf("after Esc, the choices without an error:\n%s", s.view)
	}
}

// When az login does not work, the reason is shown in words and device
// code is offered; az login works again after r, and the wizard goes on.
func TestSignInAzNotLoggedInFallsBack(t *testing.T) {
	tr := translator(t, "en")
	auth := &fakeAuth{methods: []azure.SignInMethod{azure.MethodCLI, azure.MethodDevice},
		results: map[azure.SignInMethod]error{azure.MethodCLI: azure.ClassifySignIn(errors.New("AzureCLICredential: ERROR: Please run 'az login' to setup account."))}}
	opts := demoOpts(t, "en")
	opts.SignIn = &SignInOptions{Auth: auth}
	hs := newHarness(t, &stubAPI{}, opts, 100, 30)
	s := hs.waitText(tr.T("signin.err.cliNotLoggedIn"))
	if !strings.Contains(s.view, "Run az login in another terminal") || !strings.Contains(s.view, "> "+tr.T("signin.method.device")) {
		t.Fatalf("the reason and device code highlighted:\n%s", s.view)
	}
	auth.mu.Lock()
	auth.results = nil // the user ran az login
	auth.mu.Unlock()
	hs.key('k')
	hs.enter()
	hs.waitText("Contoso Production")
}

// Every sign-in reason has its words, with the commands filled in.
func TestSignInProblemWords(t *testing.T) {
	for _, lang := range []string{"en", "zh", "ja"} {
		tr := translator(t, lang)
		for _, code := range []string{"AADSTS50076", "AADSTS53003", "AADSTS700082", "AADSTS90002", "AADSTS50020", "AADSTS65001", "AADSTS500011", "AADSTS99999",
			azure.ReasonNoCLI, azure.ReasonCLINotLoggedIn, azure.ReasonNoDisplay, azure.ReasonNeedsPrompt, azure.ReasonEnvironmentIncomplete,
			azure.ReasonNoManagedIdentity, azure.ReasonTimeout, azure.ReasonNetwork, azure.ReasonUnknown} {
			err := &azure.Error{Kind: azure.KindSignIn, Op: "sign-in", Code: code}
			p := SignInProblem(err, "AzureChinaCloud", "contoso.partner.onmschina.cn")
			what, why, next := p.Text(tr)
			for _, s := range []string{what, why, next} {
				if s == "" || strings.Contains(s, "signin.err") || strings.Contains(s, "<no value>") {
					t.Errorf("%s %s: %q", lang, code, s)
				}
			}
			if p.Exit != ExitSignIn {
				t.Errorf("%s: exit %d", code, p.Exit)
			}
			if code == "AADSTS50076" && (!strings.Contains(next, "az login --tenant contoso.partner.onmschina.cn --scope https://management.core.chinacloudapi.cn//.default") || !strings.Contains(what, "AADSTS50076")) {
				t.Errorf("%s MFA: %q / %q", lang, what, next)
			}
		}
	}
}

func TestChooseTenant(t *testing.T) {
	ts := []azure.Tenant{{ID: "a", DefaultDomain: "a.example"}, {ID: "b", DefaultDomain: "b.example"}}
	for _, tc := range []struct {
		tenants                []azure.Tenant
		preset, remembered, me string
		want                   string
		pick                   bool
		index                  int
	}{
		{ts, "B.example", "", "a", "b", false, 1},
		{ts, "unlisted", "", "a", "unlisted", false, 0},
		{ts, "", "b", "a", "b", false, 1},
		{ts, "", "gone", "b", "", true, 1},
		{ts[:1], "", "", "x", "a", false, 0},
		{nil, "", "", "home", "home", false, 0},
	} {
		got, pick, idx := ChooseTenant(tc.tenants, tc.preset, tc.remembered, tc.me)
		if got != tc.want || pick != tc.pick || idx != tc.index {
			t.Errorf("%+v: got %q %v %d", tc, got, pick, idx)
		}
	}
}
