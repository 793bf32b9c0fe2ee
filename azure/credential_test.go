package azure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// fakeEnv is a machine: which programs are on PATH, which variables are set.
func fakeEnv(goos string, path []string, vars map[string]string) Env {
	return Env{
		GOOS:   goos,
		Getenv: func(k string) string { return vars[k] },
		LookPath: func(f string) (string, error) {
			for _, p := range path {
				if p == f {
					return "/usr/bin/" + f, nil
				}
			}
			return "", errors.New("not found")
		},
	}
}

var sp = map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s"}

func TestResolveMethod(t *testing.T) {
	prompt := func(DeviceCode) {}
	az := []string{"az"}
	tests := []struct {
		name     string
		o        CredentialOptions
		want     SignInMethod
		wantCode string
	}{
		{"wizard with az reuses az login", CredentialOptions{Env: fakeEnv("linux", az, nil), DeviceCode: prompt}, MethodCLI, ""},
		{"wizard without az uses device code", CredentialOptions{Env: fakeEnv("linux", nil, nil), DeviceCode: prompt}, MethodDevice, ""},
		{"wizard ignores a service principal unless asked", CredentialOptions{Env: fakeEnv("linux", az, sp), DeviceCode: prompt}, MethodCLI, ""},
		{"headless service principal wins over az", CredentialOptions{Headless: true, Env: fakeEnv("linux", az, sp)}, MethodEnvironment, ""},
		{"headless workload identity", CredentialOptions{Headless: true, Env: fakeEnv("linux", nil, map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_FEDERATED_TOKEN_FILE": "/var/run/token"})}, MethodEnvironment, ""},
		{"headless client id alone is not a service principal", CredentialOptions{Headless: true, Env: fakeEnv("linux", az, map[string]string{"AZURE_CLIENT_ID": "c"})}, MethodCLI, ""},
		{"headless announced managed identity", CredentialOptions{Headless: true, Env: fakeEnv("linux", az, map[string]string{"IDENTITY_ENDPOINT": "http://x"})}, MethodManagedIdentity, ""},
		{"headless az", CredentialOptions{Headless: true, Env: fakeEnv("linux", az, nil)}, MethodCLI, ""},
		{"headless nothing: IMDS managed identity", CredentialOptions{Headless: true, Env: fakeEnv("linux", nil, nil)}, MethodManagedIdentity, ""},
		{"headless never prompts: device", CredentialOptions{Headless: true, Method: MethodDevice, Env: fakeEnv("linux", az, nil), DeviceCode: prompt}, "", ReasonNeedsPrompt},
		{"headless never prompts: browser", CredentialOptions{Headless: true, Method: MethodBrowser, Env: fakeEnv("darwin", az, nil)}, "", ReasonNeedsPrompt},
		{"device code needs somewhere to show the code", CredentialOptions{Method: MethodDevice, Env: fakeEnv("linux", az, nil)}, "", ReasonNeedsPrompt},
		{"cli without az", CredentialOptions{Method: MethodCLI, Env: fakeEnv("linux", nil, nil)}, "", ReasonNoCLI},
		{"browser on linux without display", CredentialOptions{Method: MethodBrowser, Env: fakeEnv("linux", nil, nil)}, "", ReasonNoDisplay},
		{"browser on linux with wayland", CredentialOptions{Method: MethodBrowser, Env: fakeEnv("linux", nil, map[string]string{"WAYLAND_DISPLAY": "wayland-0"})}, MethodBrowser, ""},
		{"browser on windows", CredentialOptions{Method: MethodBrowser, Env: fakeEnv("windows", nil, nil)}, MethodBrowser, ""},
		{"environment without variables", CredentialOptions{Headless: true, Method: MethodEnvironment, Env: fakeEnv("linux", az, map[string]string{"AZURE_CLIENT_ID": "c"})}, "", ReasonEnvironmentIncomplete},
		{"managed identity when asked", CredentialOptions{Headless: true, Method: MethodManagedIdentity, Env: fakeEnv("linux", az, sp)}, MethodManagedIdentity, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveMethod(tc.o)
			if tc.wantCode != "" {
				if got != "" || SignInReason(err) != tc.wantCode {
					t.Fatalf("got %q, %v; want reason %s", got, err, tc.wantCode)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestWizardMethods(t *testing.T) {
	for _, tc := range []struct {
		env  Env
		want string
	}{
		{fakeEnv("linux", []string{"az"}, nil), "cli device"},
		{fakeEnv("linux", []string{"az"}, map[string]string{"DISPLAY": ":0"}), "cli device browser"},
		{fakeEnv("darwin", nil, nil), "device browser"},
		{fakeEnv("linux", nil, nil), "device"},
	} {
		var got []string
		for _, m := range tc.env.WizardMethods() {
			got = append(got, string(m))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("got %v, want %s", got, tc.want)
		}
	}
}

// credMade is what a fake maker saw.
type credMade struct {
	kind     string
	cloud    cloud.Configuration
	tenant   string
	allowed  []string
	sub      string
	prompted func(context.Context, azidentity.DeviceCodeMessage) error
	miID     azidentity.ManagedIDKind
}

func recordingMakers(rec *credMade) *makers {
	cred := fakeCred{}
	return &makers{
		cli: func(o *azidentity.AzureCLICredentialOptions) (azcore.TokenCredential, error) {
			*rec = credMade{kind: "cli", tenant: o.TenantID, allowed: o.AdditionallyAllowedTenants, sub: o.Subscription}
			return cred, nil
		},
		device: func(o *azidentity.DeviceCodeCredentialOptions) (azcore.TokenCredential, error) {
			*rec = credMade{kind: "device", cloud: o.Cloud, tenant: o.TenantID, allowed: o.AdditionallyAllowedTenants, prompted: o.UserPrompt}
			return cred, nil
		},
		browser: func(o *azidentity.InteractiveBrowserCredentialOptions) (azcore.TokenCredential, error) {
			*rec = credMade{kind: "browser", cloud: o.Cloud, tenant: o.TenantID, allowed: o.AdditionallyAllowedTenants}
			return cred, nil
		},
		env: func(o *azidentity.EnvironmentCredentialOptions) (azcore.TokenCredential, error) {
			*rec = credMade{kind: "env", cloud: o.Cloud}
			return cred, nil
		},
		workload: func(o *azidentity.WorkloadIdentityCredentialOptions) (azcore.TokenCredential, error) {
			*rec = credMade{kind: "workload", cloud: o.Cloud, tenant: o.TenantID}
			return cred, nil
		},
		managed: func(o *azidentity.ManagedIdentityCredentialOptions) (azcore.TokenCredential, error) {
			*rec = credMade{kind: "managed", cloud: o.Cloud, miID: o.ID}
			return cred, nil
		},
	}
}

type fakeCred struct{}

func (fakeCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "x.e30.y"}, nil
}

// TestNewCredentialCloudWiring: the cloud's authority host reaches every
// credential that talks to Microsoft Entra, with the tenant.
func TestNewCredentialCloudWiring(t *testing.T) {
	hosts := map[string]cloud.Configuration{
		"login.microsoftonline.com/": cloud.AzurePublic,
		"login.chinacloudapi.cn/":    cloud.AzureChina,
		"login.microsoftonline.us/":  cloud.AzureGovernment,
	}
	wi := map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_FEDERATED_TOKEN_FILE": "/f"}
	for host, c := range hosts {
		for _, tc := range []struct {
			method SignInMethod
			env    Env
			kind   string
		}{
			{MethodDevice, fakeEnv("linux", nil, nil), "device"},
			{MethodBrowser, fakeEnv("darwin", nil, nil), "browser"},
			{MethodEnvironment, fakeEnv("linux", nil, sp), "env"},
			{MethodEnvironment, fakeEnv("linux", nil, wi), "workload"},
			{MethodManagedIdentity, fakeEnv("linux", nil, map[string]string{"AZURE_CLIENT_ID": "uami"}), "managed"},
		} {
			var rec credMade
			var shown []DeviceCode
			cred, err := NewCredential(CredentialOptions{Cloud: c, Tenant: "contoso.example", Method: tc.method, Env: tc.env,
				DeviceCode: func(d DeviceCode) { shown = append(shown, d) }, makers: recordingMakers(&rec)})
			if err != nil || cred.Method != tc.method {
				t.Fatalf("%s %s: %v %v", host, tc.method, cred.Method, err)
			}
			if rec.kind != tc.kind || !strings.Contains(rec.cloud.ActiveDirectoryAuthorityHost, host) {
				t.Errorf("%s %s: made %s with authority %q", host, tc.method, rec.kind, rec.cloud.ActiveDirectoryAuthorityHost)
			}
			if rec.cloud.Services[cloud.ResourceManager] != c.Services[cloud.ResourceManager] {
				t.Errorf("%s %s: the credential's cloud is not the client's", host, tc.method)
			}
			switch tc.kind {
			case "device", "browser":
				if rec.tenant != "contoso.example" || len(rec.allowed) != 1 || rec.allowed[0] != "*" {
					t.Errorf("%s: tenant %q allowed %v", tc.kind, rec.tenant, rec.allowed)
				}
			case "managed":
				if rec.miID != azidentity.ClientID("uami") {
					t.Errorf("user-assigned identity not passed: %v", rec.miID)
				}
			}
			if tc.kind == "device" {
				// The code goes to the UI, never to stdout.
				if err := rec.prompted(context.Background(), azidentity.DeviceCodeMessage{UserCode: "ABCD-EFGH", VerificationURL: "https://microsoft.com/devicelogin", Message: "m"}); err != nil {
					t.Fatal(err)
				}
				if len(shown) != 1 || shown[0].UserCode != "ABCD-EFGH" || shown[0].URL != "https://microsoft.com/devicelogin" {
					t.Errorf("device code not forwarded: %+v", shown)
				}
			}
		}
	}
	var rec credMade
	if _, err := NewCredential(CredentialOptions{Method: MethodCLI, Tenant: "t1", Subscription: "Contoso Production", Env: fakeEnv("linux", []string{"az"}, nil), makers: recordingMakers(&rec)}); err != nil {
		t.Fatal(err)
	}
	if rec.kind != "cli" || rec.tenant != "t1" || rec.sub != "Contoso Production" || rec.allowed[0] != "*" {
		t.Errorf("az credential: %+v", rec)
	}
	if _, err := NewCredential(CredentialOptions{Method: MethodCLI, Subscription: "研发", Env: fakeEnv("linux", []string{"az"}, nil), makers: recordingMakers(&rec)}); err != nil || rec.sub != "" {
		t.Errorf("a subscription name az refuses must not be passed: %q %v", rec.sub, err)
	}
}

// hostRecorder is a transport that answers every request 400 (not retried)
// and remembers the hosts asked.
type hostRecorder struct {
	mu    sync.Mutex
	hosts []string
}

func (h *hostRecorder) Do(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.hosts = append(h.hosts, r.URL.Host)
	h.mu.Unlock()
	body := `{"error":"invalid_request","error_description":"offline test transport"}`
	return &http.Response{StatusCode: http.StatusBadRequest, Status: "400 Bad Request", Request: r,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body))}, nil
}

// TestDeviceCodeAsksTheCloudsAuthority: the SDK's device-code credential,
// built by NewCredential, talks to the chosen cloud's Microsoft Entra
// (through a transport that never reaches the network).
func TestDeviceCodeAsksTheCloudsAuthority(t *testing.T) {
	for want, c := range map[string]cloud.Configuration{"login.chinacloudapi.cn": cloud.AzureChina, "login.microsoftonline.us": cloud.AzureGovernment} {
		rec := &hostRecorder{}
		cred, err := NewCredential(CredentialOptions{Cloud: c, Method: MethodDevice, Tenant: "contoso.example", Env: fakeEnv("linux", nil, nil),
			DeviceCode: func(DeviceCode) { t.Error("no code without an answer") }, Transport: rec})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		_, err = cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{ARMScope(c)}})
		cancel()
		if err == nil {
			t.Fatal("a token from an offline transport")
		}
		rec.mu.Lock()
		hosts := rec.hosts
		rec.mu.Unlock()
		if len(hosts) == 0 {
			t.Fatalf("%s: no request reached the transport (%v)", want, err)
		}
		for _, h := range hosts {
			if h != want {
				t.Errorf("asked %s, want only %s", h, want)
			}
		}
	}
}

// scopeRecorder is a credential that remembers the scopes and tenants asked.
type scopeRecorder struct {
	mu      sync.Mutex
	scopes  []string
	tenants []string
}

func (s *scopeRecorder) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes = append(s.scopes, o.Scopes...)
	s.tenants = append(s.tenants, o.TenantID)
	// header.{"upn":"ada@contoso.example","tid":"t2"}.sig
	return azcore.AccessToken{Token: "e30.eyJ1cG4iOiJhZGFAY29udG9zby5leGFtcGxlIiwidGlkIjoidDIifQ.c2ln"}, nil
}

// TestClientCloudWiring: the ARM clients call the cloud's Resource Manager
// with tokens for its audience.
func TestClientCloudWiring(t *testing.T) {
	for _, tc := range []struct {
		c           cloud.Configuration
		host, scope string
	}{
		{cloud.AzurePublic, "management.azure.com", "https://management.core.windows.net//.default"},
		{cloud.AzureChina, "management.chinacloudapi.cn", "https://management.core.chinacloudapi.cn//.default"},
		{cloud.AzureGovernment, "management.usgovcloudapi.net", "https://management.core.usgovcloudapi.net//.default"},
	} {
		rec := &hostRecorder{}
		cred := &scopeRecorder{}
		opts := ClientOptions(tc.c)
		opts.Transport = rec
		opts.Retry.MaxRetries = -1
		cl, err := New(cred, opts)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = cl.Subscriptions(context.Background())
		if len(rec.hosts) != 1 || rec.hosts[0] != tc.host {
			t.Errorf("%s: requests went to %v", tc.host, rec.hosts)
		}
		// The SDK asks for the audience + "/.default" (hence "//").
		if len(cred.scopes) != 1 || cred.scopes[0] != tc.scope {
			t.Errorf("%s: token scopes %v, want %s", tc.host, cred.scopes, tc.scope)
		}
		// The sign-in check asks for the same resource.
		if got := ARMScope(tc.c); got != strings.Replace(tc.scope, "//.default", "/.default", 1) {
			t.Errorf("ARMScope %s", got)
		}
	}
}

// TestUseCredentialAndTenant: after UseCredential the client's calls carry
// the new credential's tokens, for the tenant WithTenant names.
func TestUseCredentialAndTenant(t *testing.T) {
	rec := &hostRecorder{}
	opts := ClientOptions(cloud.AzurePublic)
	opts.Transport = rec
	opts.Retry.MaxRetries = -1
	first := &scopeRecorder{}
	cl, err := New(first, opts)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = cl.Subscriptions(context.Background())
	second := &scopeRecorder{}
	id, err := cl.SignInWith(context.Background(), WithTenant(second, "t2"))
	if err != nil || id.Name != "ada@contoso.example" || id.TenantID != "t2" {
		t.Fatalf("identity %+v %v", id, err)
	}
	if err := cl.UseCredential(WithTenant(WithTenant(second, "t1"), "t2")); err != nil {
		t.Fatal(err)
	}
	_, _ = cl.Subscriptions(context.Background())
	if len(first.scopes) != 1 {
		t.Errorf("the first credential was asked %d times, want 1", len(first.scopes))
	}
	if len(second.tenants) != 2 || second.tenants[0] != "t2" || second.tenants[1] != "t2" {
		t.Errorf("tenants asked of the new credential: %v", second.tenants)
	}
}

func TestClassifySignIn(t *testing.T) {
	for _, tc := range []struct {
		err    error
		kind   Kind
		code   string
		reason string
	}{
		{errors.New("AzureCLICredential: ERROR: AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication"), KindSignIn, "AADSTS50076", ReasonMFA},
		{errors.New("AADSTS50079: The user is required to use multi-factor authentication."), KindSignIn, "AADSTS50079", ReasonMFA},
		{errors.New("AADSTS53003: Access has been blocked by Conditional Access policies."), KindSignIn, "AADSTS53003", ReasonConditionalAccess},
		{errors.New("AADSTS700082: The refresh token has expired due to inactivity. Please run 'az login'"), KindSignIn, "AADSTS700082", ReasonExpired},
		{errors.New("AADSTS50173: The provided grant has expired due to it being revoked"), KindSignIn, "AADSTS50173", ReasonExpired},
		{errors.New("AADSTS90002: Tenant 'nope' not found."), KindSignIn, "AADSTS90002", ReasonUnknownTenant},
		{errors.New("AADSTS50020: User account from identity provider does not exist in tenant"), KindSignIn, "AADSTS50020", ReasonWrongTenant},
		{errors.New("AADSTS65001: The user or administrator has not consented"), KindSignIn, "AADSTS65001", ReasonConsent},
		{errors.New("AADSTS12345: something new"), KindSignIn, "AADSTS12345", ReasonUnknown},
		{azidentity.NewCredentialUnavailableError("AzureCLICredential: executable not found on path"), KindSignIn, ReasonNoCLI, ReasonNoCLI},
		{errors.New("AzureCLICredential: ERROR: Please run 'az login' to setup account."), KindSignIn, ReasonCLINotLoggedIn, ReasonCLINotLoggedIn},
		{errors.New("AzureCLICredential.GetToken(): Azure CLI requires multifactor authentication or additional claims. Run this command then retry the operation: az login --claims-challenge abc"), KindSignIn, ReasonMFA, ReasonMFA},
		{azidentity.NewCredentialUnavailableError("ManagedIdentityCredential: no response from the IMDS endpoint"), KindSignIn, ReasonNoManagedIdentity, ReasonNoManagedIdentity},
		{fmt.Errorf("wrapped: %w", context.Canceled), KindCanceled, ReasonCanceled, ReasonCanceled},
		{context.DeadlineExceeded, KindTimeout, ReasonTimeout, ReasonTimeout},
		{errors.New("anything else"), KindSignIn, ReasonUnknown, ReasonUnknown},
	} {
		err := ClassifySignIn(tc.err)
		e, ok := AsError(err)
		if !ok || e.Kind != tc.kind || e.Code != tc.code || e.Op != "sign-in" {
			t.Errorf("%q: got %+v", tc.err, e)
			continue
		}
		if got := SignInReason(err); got != tc.reason {
			t.Errorf("%q: reason %q, want %q", tc.err, got, tc.reason)
		}
		if strings.Contains(e.Error(), "AADSTS50076: Due") || e.Message != "" {
			t.Errorf("the credential's text must not be kept: %q", e.Error())
		}
	}
}

// A token never reaches an error: the credential's text is dropped.
func TestClassifySignInDropsText(t *testing.T) {
	secret := "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret.sig"
	err := ClassifySignIn(fmt.Errorf("AzureCLICredential: unexpected output %s", secret))
	if strings.Contains(fmt.Sprintf("%v %+v", err, err), secret) {
		t.Fatalf("token in error: %v", err)
	}
}

func TestParseSignInMethod(t *testing.T) {
	for in, want := range map[string]SignInMethod{"": MethodAuto, "CLI": MethodCLI, "device": MethodDevice, "managedidentity": MethodManagedIdentity} {
		if got, ok := ParseSignInMethod(in); !ok || got != want {
			t.Errorf("%q: %q %v", in, got, ok)
		}
	}
	if _, ok := ParseSignInMethod("password"); ok {
		t.Error("password is not a method")
	}
}
