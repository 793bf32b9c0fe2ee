package access

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/azure/sim"
	"github.com/backupready/backupready/steps"
	"github.com/backupready/backupready/ui"
)

const (
	tenantContoso  = "11111111-1111-4111-8111-111111111111"
	tenantFabrikam = "22222222-2222-4222-8222-222222222222"
)

// threeSubs: an identity in two directories, two subscriptions in the
// first and one in the second.
const threeSubs = `
identity: {upn: ada@contoso.example, tenantId: ` + tenantContoso + `}
tenants:
- {id: ` + tenantContoso + `, name: Contoso, defaultDomain: contoso.example}
- {id: ` + tenantFabrikam + `, name: Fabrikam 研究所, defaultDomain: fabrikam.example}
subscriptions:
- {id: 3f2b6c1e-8a4d-4c2e-9b7a-1d5e6f708192, name: Contoso Production, tenantId: ` + tenantContoso + `}
- {id: 4a3b2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d, name: Contoso Test, tenantId: ` + tenantContoso + `}
- {id: 9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a, name: Fabrikam Lab, tenantId: ` + tenantFabrikam + `}
`

func twoTenants(t *testing.T) (*azure.Client, *azure.Authenticator) {
	t.Helper()
	sc, err := sim.LoadScenario([]byte(threeSubs), "two.yaml")
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

// runSignIn runs the wizard with sign-in options over api until the input
// ends (the scope has no VMs: the runs end there or earlier).
func runSignIn(t *testing.T, lang string, api steps.WizardAPI, si *steps.SignInOptions, in io.Reader) (int, string) {
	t.Helper()
	tr, err := ui.NewTranslator(lang)
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	code := Run(context.Background(), Options{In: in, Out: out, API: api, Every: 10 * time.Millisecond,
		Wizard: steps.WizardOptions{Translator: tr, SignIn: si, PlanPath: filepath.Join(t.TempDir(), "plan.yaml")}})
	return code, out.String()
}

// Several directories: a numbered choice of them; the second one chosen,
// its subscription only is listed, and the choice is remembered. The next
// run goes to it without asking.
func TestSignInTenantChoiceRemembered(t *testing.T) {
	cl, auth := twoTenants(t)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	_, out := runSignIn(t, "en", cl, &steps.SignInOptions{Auth: auth, ConfigPath: cfg}, strings.NewReader("2\n"))
	for _, want := range []string{
		"You can use 2 directories (tenants).",
		"1) Contoso, signed in here\n   contoso.example, " + tenantContoso,
		"2) Fabrikam 研究所\n   fabrikam.example, " + tenantFabrikam,
		"Directory Fabrikam 研究所.",
		"Tenant: " + tenantFabrikam,
		"Subscription chosen: Fabrikam Lab.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Contoso Production") {
		t.Errorf("the first directory's subscriptions are listed:\n%s", out)
	}
	c, err := steps.LoadConfig(cfg)
	ch, ok := c.Remembered("AzureCloud")
	if err != nil || !ok || ch.Tenant != tenantFabrikam || len(ch.Subscriptions) != 1 {
		t.Fatalf("remembered: %+v %v", ch, err)
	}

	cl, auth = twoTenants(t)
	_, out = runSignIn(t, "en", cl, &steps.SignInOptions{Auth: auth, ConfigPath: cfg}, strings.NewReader(""))
	if strings.Contains(out, "directories (tenants)") || !strings.Contains(out, "Subscription chosen: Fabrikam Lab.") {
		t.Errorf("the remembered directory is used without asking:\n%s", out)
	}
}

// The remembered subscriptions are what Enter alone takes.
func TestSignInRememberedSubscriptionsDefault(t *testing.T) {
	cl, auth := twoTenants(t)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := steps.Remember(cfg, "", steps.CloudChoice{Tenant: tenantContoso, Subscriptions: []string{"4a3b2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d"}}); err != nil {
		t.Fatal(err)
	}
	_, out := runSignIn(t, "zh", cl, &steps.SignInOptions{Auth: auth, ConfigPath: cfg}, strings.NewReader("\n"))
	if !strings.Contains(out, "直接按 Enter 则沿用上次的选择：Contoso Test：") || !strings.Contains(out, "Contoso Test") {
		t.Fatalf("the remembered subscription is the default:\n%s", out)
	}
	if strings.Contains(out, "Contoso Production。") {
		t.Errorf("Enter took more than the remembered subscription:\n%s", out)
	}
}

// --tenant skips the choice, by ID or by domain.
func TestSignInTenantFlagSkipsChoice(t *testing.T) {
	for _, flag := range []string{tenantFabrikam, "FABRIKAM.example"} {
		cl, auth := twoTenants(t)
		_, out := runSignIn(t, "en", cl, &steps.SignInOptions{Auth: auth, Tenant: flag}, strings.NewReader(""))
		if strings.Contains(out, "directories (tenants)") || !strings.Contains(out, "Subscription chosen: Fabrikam Lab.") {
			t.Errorf("--tenant %s:\n%s", flag, out)
		}
	}
}

// fakeAuth signs in as a test says: az login fails (not signed in); a
// device code is sent, then the sign-in waits for release or the context.
type fakeAuth struct {
	release chan struct{}
	mu      sync.Mutex
	asked   []azure.SignInMethod
}

func (f *fakeAuth) Methods() []azure.SignInMethod {
	return []azure.SignInMethod{azure.MethodCLI, azure.MethodDevice, azure.MethodBrowser}
}

func (f *fakeAuth) SignIn(ctx context.Context, m azure.SignInMethod, tenant string, prompt func(azure.DeviceCode)) (azure.Identity, error) {
	f.mu.Lock()
	f.asked = append(f.asked, m)
	f.mu.Unlock()
	switch m {
	case azure.MethodCLI:
		return azure.Identity{}, azure.ClassifySignIn(errors.New("AzureCLICredential: ERROR: Please run 'az login' to setup account."))
	case azure.MethodDevice:
		prompt(azure.DeviceCode{UserCode: "H7KQ-2RPM", URL: "https://microsoft.com/devicelogin"})
	}
	select {
	case <-f.release:
		return azure.Identity{Name: "ada@contoso.example", TenantID: tenantContoso, Kind: "user"}, nil
	case <-ctx.Done():
		return azure.Identity{}, azure.ClassifySignIn(ctx.Err())
	}
}

func (f *fakeAuth) UseTenant(ctx context.Context, tenant string) (azure.Identity, error) {
	return azure.Identity{Name: "ada@contoso.example", TenantID: tenant, Kind: "user"}, nil
}

// typist types a line once the output holds a text.
type typist struct {
	t   *testing.T
	out *syncBuffer
	w   *io.PipeWriter
}

func (ty typist) after(text, line string) {
	ty.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(ty.out.String(), text) {
		if time.Now().After(deadline) {
			ty.t.Errorf("never said %q:\n%s", text, ty.out.String())
			ty.w.Close()
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, _ = io.WriteString(ty.w, line+"\n")
}

// az login does not work: the reason in words, then the ways to sign in
// with device code the default; the code and its address are said as
// plain lines, with still-working lines while it waits; Enter cancels it
// (the choices again), and the second device code sign-in goes through.
func TestSignInDeviceCodeLines(t *testing.T) {
	tr, _ := ui.NewTranslator("en")
	auth := &fakeAuth{release: make(chan struct{})}
	pr, pw := io.Pipe()
	out := &syncBuffer{}
	ty := typist{t, out, pw}
	done := make(chan int)
	go func() {
		done <- Run(context.Background(), Options{In: pr, Out: out, API: demoClient(t), Every: 10 * time.Millisecond,
			Wizard: steps.WizardOptions{Translator: tr, SignIn: &steps.SignInOptions{Auth: auth}}})
	}()
	ty.after("Enter alone for 2:", "")                     // device code, the default after az login failed
	ty.after("still working: waiting for the sign-in", "") // Enter cancels
	ty.after("Sign-in cancelled.", "2")
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(out.String(), "H7KQ-2RPM") < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	close(auth.release)
	ty.after("Signed in as", "")
	pw.Close()
	code := <-done
	text := out.String()
	if code != steps.ExitInterrupted {
		t.Errorf("exit %d", code)
	}
	for _, want := range []string{
		tr.T("signin.verify"),
		"Problem: " + tr.T("signin.err.cliNotLoggedIn"),
		tr.T("access.signin.err.cliNotLoggedIn.next", "Tenant", ""),
		tr.T("access.signin.question"),
		"2) " + tr.T("signin.method.device"),
		tr.T("signin.device.open") + "\n   https://microsoft.com/devicelogin\n" + tr.T("signin.device.enter") + "\n   H7KQ-2RPM\n",
		tr.T("access.signin.device.wait"),
		"Signed in as ada@contoso.example.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.ContainsRune(text, 0x1b) {
		t.Errorf("escape byte in the output:\n%q", text)
	}
	auth.mu.Lock()
	defer auth.mu.Unlock()
	if got := len(auth.asked); got != 3 || auth.asked[0] != azure.MethodCLI || auth.asked[2] != azure.MethodDevice {
		t.Errorf("sign-ins asked: %v", auth.asked)
	}
}

// A --tenant (a domain, found in the list) the identity cannot sign in to:
// the reason in words, then the directories to choose from.
func TestSignInTenantFlagFailsThenChoice(t *testing.T) {
	cl, auth := twoTenants(t)
	_, out := runSignIn(t, "en", cl, &steps.SignInOptions{Auth: refusing{auth, tenantFabrikam}, Tenant: "fabrikam.example"}, strings.NewReader("1\n"))
	if !strings.Contains(out, "Problem: Tenant "+tenantFabrikam+" was not found (AADSTS90002).") || !strings.Contains(out, "You can use 2 directories (tenants).") || !strings.Contains(out, "Directory Contoso.") {
		t.Errorf("the failure said, then the choice:\n%s", out)
	}
}

// refusing refuses to sign in to one directory: it is not found.
type refusing struct {
	*azure.Authenticator
	tenant string
}

func (r refusing) UseTenant(ctx context.Context, tenant string) (azure.Identity, error) {
	if tenant == r.tenant {
		return azure.Identity{}, azure.ClassifySignIn(errors.New("AADSTS90002: Tenant '" + tenant + "' not found."))
	}
	return r.Authenticator.UseTenant(ctx, tenant)
}
