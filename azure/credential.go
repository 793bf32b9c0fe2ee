package azure

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Sign-in: which credential, for which cloud and tenant (AZURE.md §1.1, §1.2).
//
// One cloud.Configuration goes to the credential and to every ARM client
// (ClientOptions). The Azure CLI credential is the exception the SDK makes:
// az uses the cloud `az cloud set` chose.

// SignInMethod is how backupready gets its tokens. The values are stable:
// they are the --auth flag's values.
type SignInMethod string

// The sign-in methods.
const (
	MethodAuto            SignInMethod = "auto"
	MethodCLI             SignInMethod = "cli"             // reuse `az login`
	MethodDevice          SignInMethod = "device"          // device code, shown in the wizard
	MethodBrowser         SignInMethod = "browser"         // interactive browser, where a display exists
	MethodEnvironment     SignInMethod = "environment"     // service principal or workload identity from AZURE_* variables
	MethodManagedIdentity SignInMethod = "managedIdentity" // the managed identity of the machine backupready runs on
)

// SignInMethods are every method, in the order --help lists them.
var SignInMethods = []SignInMethod{MethodAuto, MethodCLI, MethodDevice, MethodBrowser, MethodEnvironment, MethodManagedIdentity}

// ParseSignInMethod reads a --auth value (case-insensitive).
func ParseSignInMethod(s string) (SignInMethod, bool) {
	if s == "" {
		return MethodAuto, true
	}
	for _, m := range SignInMethods {
		if strings.EqualFold(s, string(m)) {
			return m, true
		}
	}
	return "", false
}

// Interactive reports whether the method needs a person at the keyboard.
func (m SignInMethod) Interactive() bool { return m == MethodDevice || m == MethodBrowser }

// Env is what the credential choice looks at on this machine; tests give a
// fake one.
type Env struct {
	LookPath func(file string) (string, error)
	Getenv   func(key string) string
	GOOS     string
}

// SystemEnv is the machine's own environment.
func SystemEnv() Env { return Env{LookPath: exec.LookPath, Getenv: os.Getenv, GOOS: runtime.GOOS} }

func (e Env) get(k string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(k)
}

// HasCLI reports whether `az` is on PATH.
func (e Env) HasCLI() bool {
	if e.LookPath == nil {
		return false
	}
	_, err := e.LookPath("az")
	return err == nil
}

// HasDisplay reports whether a browser can be opened here: always on macOS
// and Windows, on other systems only with an X11 or Wayland display.
func (e Env) HasDisplay() bool {
	switch e.GOOS {
	case "darwin", "windows":
		return true
	}
	return e.get("DISPLAY") != "" || e.get("WAYLAND_DISPLAY") != ""
}

// HasServicePrincipal reports whether the AZURE_* variables describe a
// service principal (secret, certificate or user/password) or a workload
// identity (federated token file): a deliberate choice, as in CI.
func (e Env) HasServicePrincipal() bool {
	if e.get("AZURE_CLIENT_ID") == "" || e.get("AZURE_TENANT_ID") == "" {
		return false
	}
	return e.get("AZURE_CLIENT_SECRET") != "" || e.get("AZURE_CLIENT_CERTIFICATE_PATH") != "" ||
		e.get("AZURE_FEDERATED_TOKEN_FILE") != "" || (e.get("AZURE_USERNAME") != "" && e.get("AZURE_PASSWORD") != "")
}

// HasManagedIdentityEndpoint reports whether the process runs where a
// managed identity endpoint is announced (App Service, Functions, Arc, Cloud
// Shell). On a VM the endpoint is IMDS and is not announced.
func (e Env) HasManagedIdentityEndpoint() bool {
	return e.get("IDENTITY_ENDPOINT") != "" || e.get("MSI_ENDPOINT") != ""
}

// WizardMethods are the methods the wizard offers here, its default first:
// reuse `az login` when az is installed, device code always, the browser
// where a display exists.
func (e Env) WizardMethods() []SignInMethod {
	var out []SignInMethod
	if e.HasCLI() {
		out = append(out, MethodCLI)
	}
	out = append(out, MethodDevice)
	if e.HasDisplay() {
		out = append(out, MethodBrowser)
	}
	return out
}

// DeviceCode is what the user needs to finish a device-code sign-in: a code
// to type at a URL. It is not a secret once shown, but it is never logged.
type DeviceCode struct {
	UserCode string
	URL      string
	Message  string // Microsoft Entra's own instruction, in English
}

// CredentialOptions choose and configure a credential.
type CredentialOptions struct {
	Cloud        cloud.Configuration
	Tenant       string // "" the identity's home tenant (az: its default)
	Subscription string // az only: the account's subscription (id or plain name)
	Method       SignInMethod
	// Headless is true for `check` and `apply`: no one answers a prompt,
	// so device code and browser are refused.
	Headless bool
	Env      Env
	// DeviceCode receives the device code (MethodDevice). The SDK's default
	// prints it to stdout, which would corrupt the wizard's screen, so it is
	// required.
	DeviceCode func(DeviceCode)
	// Transport replaces the HTTP transport of the credentials that talk to
	// Microsoft Entra (tests).
	Transport policy.Transporter

	makers *makers // tests: fake constructors
}

// Credential is the chosen credential and how it signs in.
type Credential struct {
	azcore.TokenCredential
	Method SignInMethod
}

// ResolveMethod turns auto into a method and checks the method can work
// here, without any network call. Errors are *Error of KindSignIn whose
// Code is a sign-in reason (see SignInReason).
func ResolveMethod(o CredentialOptions) (SignInMethod, error) {
	m := o.Method
	if m == "" {
		m = MethodAuto
	}
	e := o.Env
	if m == MethodAuto {
		switch {
		case o.Headless && e.HasServicePrincipal():
			// A service principal in the environment is a deliberate
			// choice (CI): it wins over an az that happens to be installed.
			m = MethodEnvironment
		case o.Headless && e.HasManagedIdentityEndpoint():
			m = MethodManagedIdentity
		case e.HasCLI():
			m = MethodCLI
		case o.Headless:
			// Last resort: a VM's managed identity through IMDS (it says
			// when there is none).
			m = MethodManagedIdentity
		default:
			m = MethodDevice
		}
	}
	switch {
	case o.Headless && m.Interactive():
		return "", signInError(ReasonNeedsPrompt)
	case m == MethodCLI && !e.HasCLI():
		return "", signInError(ReasonNoCLI)
	case m == MethodBrowser && !e.HasDisplay():
		return "", signInError(ReasonNoDisplay)
	case m == MethodEnvironment && !e.HasServicePrincipal():
		return "", signInError(ReasonEnvironmentIncomplete)
	case m == MethodDevice && o.DeviceCode == nil:
		return "", signInError(ReasonNeedsPrompt)
	}
	return m, nil
}

// makers build the SDK's credentials; tests replace them to see the
// options without any network.
type makers struct {
	cli      func(*azidentity.AzureCLICredentialOptions) (azcore.TokenCredential, error)
	device   func(*azidentity.DeviceCodeCredentialOptions) (azcore.TokenCredential, error)
	browser  func(*azidentity.InteractiveBrowserCredentialOptions) (azcore.TokenCredential, error)
	env      func(*azidentity.EnvironmentCredentialOptions) (azcore.TokenCredential, error)
	workload func(*azidentity.WorkloadIdentityCredentialOptions) (azcore.TokenCredential, error)
	managed  func(*azidentity.ManagedIdentityCredentialOptions) (azcore.TokenCredential, error)
}

var sdkMakers = makers{
	cli: func(o *azidentity.AzureCLICredentialOptions) (azcore.TokenCredential, error) {
		return azidentity.NewAzureCLICredential(o)
	},
	device: func(o *azidentity.DeviceCodeCredentialOptions) (azcore.TokenCredential, error) {
		return azidentity.NewDeviceCodeCredential(o)
	},
	browser: func(o *azidentity.InteractiveBrowserCredentialOptions) (azcore.TokenCredential, error) {
		return azidentity.NewInteractiveBrowserCredential(o)
	},
	env: func(o *azidentity.EnvironmentCredentialOptions) (azcore.TokenCredential, error) {
		return azidentity.NewEnvironmentCredential(o)
	},
	workload: func(o *azidentity.WorkloadIdentityCredentialOptions) (azcore.TokenCredential, error) {
		return azidentity.NewWorkloadIdentityCredential(o)
	},
	managed: func(o *azidentity.ManagedIdentityCredentialOptions) (azcore.TokenCredential, error) {
		return azidentity.NewManagedIdentityCredential(o)
	},
}

// anyTenant lets a user credential get tokens for the other tenants the
// identity belongs to (the tenant picker), without signing in again.
var anyTenant = []string{"*"}

// NewCredential builds the credential the options choose. Nothing is asked
// of Microsoft Entra until the first token request.
func NewCredential(o CredentialOptions) (Credential, error) {
	m, err := ResolveMethod(o)
	if err != nil {
		return Credential{}, err
	}
	mk := sdkMakers
	if o.makers != nil {
		mk = *o.makers
	}
	co := azcore.ClientOptions{Cloud: o.Cloud, Transport: o.Transport}
	var cred azcore.TokenCredential
	switch m {
	case MethodCLI:
		opts := &azidentity.AzureCLICredentialOptions{TenantID: o.Tenant, AdditionallyAllowedTenants: anyTenant}
		if cliSubscription.MatchString(o.Subscription) {
			opts.Subscription = o.Subscription
		}
		cred, err = mk.cli(opts)
	case MethodDevice:
		prompt := o.DeviceCode
		cred, err = mk.device(&azidentity.DeviceCodeCredentialOptions{
			ClientOptions: co, TenantID: o.Tenant, AdditionallyAllowedTenants: anyTenant,
			UserPrompt: func(ctx context.Context, dc azidentity.DeviceCodeMessage) error {
				prompt(DeviceCode{UserCode: dc.UserCode, URL: dc.VerificationURL, Message: dc.Message})
				return ctx.Err()
			},
		})
	case MethodBrowser:
		cred, err = mk.browser(&azidentity.InteractiveBrowserCredentialOptions{ClientOptions: co, TenantID: o.Tenant, AdditionallyAllowedTenants: anyTenant})
	case MethodEnvironment:
		if o.Env.get("AZURE_FEDERATED_TOKEN_FILE") != "" && o.Env.get("AZURE_CLIENT_SECRET") == "" && o.Env.get("AZURE_CLIENT_CERTIFICATE_PATH") == "" {
			cred, err = mk.workload(&azidentity.WorkloadIdentityCredentialOptions{ClientOptions: co, TenantID: o.Tenant, AdditionallyAllowedTenants: anyTenant})
		} else {
			cred, err = mk.env(&azidentity.EnvironmentCredentialOptions{ClientOptions: co})
		}
	case MethodManagedIdentity:
		opts := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: co}
		if id := o.Env.get("AZURE_CLIENT_ID"); id != "" {
			opts.ID = azidentity.ClientID(id)
		}
		cred, err = mk.managed(opts)
	default:
		return Credential{}, signInError(ReasonUnknown)
	}
	if err != nil {
		return Credential{}, ClassifySignIn(err)
	}
	return Credential{TokenCredential: cred, Method: m}, nil
}

// cliSubscription is what AzureCLICredentialOptions.Subscription accepts.
var cliSubscription = regexp.MustCompile(`^[0-9A-Za-z_. -]+$`)

// ClientOptions are the ARM client options for a cloud: the same
// cloud.Configuration the credential got.
func ClientOptions(c cloud.Configuration, perRetry ...policy.Policy) *arm.ClientOptions {
	return &arm.ClientOptions{ClientOptions: azcore.ClientOptions{Cloud: c, PerRetryPolicies: perRetry}}
}

// ARMScope is the token scope of Resource Manager in a cloud.
func ARMScope(c cloud.Configuration) string {
	aud := "https://management.core.windows.net/"
	if svc, ok := c.Services[cloud.ResourceManager]; ok && svc.Audience != "" {
		aud = svc.Audience
	}
	return strings.TrimSuffix(aud, "/") + "/.default"
}

// WithTenant makes every token request of cred that names no tenant ask
// for tenant. The tenant picker uses it: one sign-in, a token per tenant.
func WithTenant(cred azcore.TokenCredential, tenant string) azcore.TokenCredential {
	if tenant == "" {
		return cred
	}
	if t, ok := cred.(tenantCredential); ok {
		cred = t.cred
	}
	return tenantCredential{cred: cred, tenant: tenant}
}

type tenantCredential struct {
	cred   azcore.TokenCredential
	tenant string
}

func (t tenantCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if opts.TenantID == "" {
		opts.TenantID = t.tenant
	}
	return t.cred.GetToken(ctx, opts)
}

// UseCredential makes the client call Azure with cred from now on: every
// SDK client is built again, so that no token of the previous credential or
// tenant is reused. Call it while no other call of the client is running
// (the sign-in step does, before anything else).
func (c *Client) UseCredential(cred azcore.TokenCredential) error {
	n, err := New(cred, c.opts)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cred, c.subs, c.tenants, c.graph = n.cred, n.subs, n.tenants, n.graph
	c.perSub = map[string]*subClients{}
	return nil
}

// SignInWith asks cred for a Resource Manager token of the client's cloud
// and reads who it belongs to; the token itself is neither kept nor shown.
// A failure is an *Error of KindSignIn whose Code says why (SignInReason).
func (c *Client) SignInWith(ctx context.Context, cred azcore.TokenCredential) (Identity, error) {
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{ARMScope(c.Cloud())}})
	if err != nil {
		return Identity{}, ClassifySignIn(err)
	}
	return identityFromToken(tok.Token), nil
}

// Sign-in reasons: the Code of a sign-in *Error when no AADSTS code says
// more. The UI has words for each (catalog "signin.err.<reason>").
const (
	ReasonNoCLI                 = "noCLI"                 // az is not on PATH
	ReasonCLINotLoggedIn        = "cliNotLoggedIn"        // az has no account: az login
	ReasonExpired               = "expired"               // refresh token expired or revoked
	ReasonMFA                   = "mfa"                   // multifactor authentication required
	ReasonConditionalAccess     = "conditionalAccess"     // a Conditional Access policy blocks the sign-in
	ReasonUnknownTenant         = "unknownTenant"         // no such tenant
	ReasonWrongTenant           = "wrongTenant"           // the user is not in that tenant
	ReasonConsent               = "consent"               // the app needs consent in the tenant
	ReasonWrongCloud            = "wrongCloud"            // the resource is not in this cloud (az signed in to another)
	ReasonNoDisplay             = "noDisplay"             // browser sign-in without a display
	ReasonNeedsPrompt           = "needsPrompt"           // an interactive sign-in where no one can answer
	ReasonEnvironmentIncomplete = "environmentIncomplete" // AZURE_* variables missing
	ReasonNoManagedIdentity     = "noManagedIdentity"     // no managed identity here
	ReasonCanceled              = "canceled"
	ReasonTimeout               = "timeout"
	ReasonNetwork               = "network"
	ReasonUnknown               = "unknown"
)

// aadstsReasons maps Microsoft Entra error codes to reasons. Sources: the
// Entra error code reference (learn.microsoft.com/entra/identity-platform/
// reference-error-codes); 500011 as "signed in to another cloud" is our
// reading of "resource principal not found", UNCONFIRMED for az.
var aadstsReasons = map[string]string{
	"50076":  ReasonMFA,
	"50079":  ReasonMFA,
	"50074":  ReasonMFA,
	"50078":  ReasonMFA,
	"53000":  ReasonConditionalAccess,
	"53001":  ReasonConditionalAccess,
	"53003":  ReasonConditionalAccess,
	"700082": ReasonExpired,
	"50173":  ReasonExpired,
	"70043":  ReasonExpired,
	"50133":  ReasonExpired,
	"70008":  ReasonExpired,
	"700084": ReasonExpired,
	"90002":  ReasonUnknownTenant,
	"900023": ReasonUnknownTenant,
	"50020":  ReasonWrongTenant,
	"90072":  ReasonWrongTenant,
	"50034":  ReasonWrongTenant,
	"65001":  ReasonConsent,
	"65004":  ReasonConsent,
	"500011": ReasonWrongCloud,
}

var aadstsCode = regexp.MustCompile(`AADSTS(\d{5,7})`)

// SignInReason is the reason of a sign-in failure: the reason an AADSTS
// code maps to, or the reason the Code names ("" for other errors).
func SignInReason(err error) string {
	e, ok := AsError(err)
	if !ok || e.Kind != KindSignIn && e.Op != "sign-in" {
		return ""
	}
	if n, ok := strings.CutPrefix(e.Code, "AADSTS"); ok {
		if r, ok := aadstsReasons[n]; ok {
			return r
		}
		return ReasonUnknown
	}
	if e.Code == "" {
		return ReasonUnknown
	}
	return e.Code
}

func signInError(reason string) *Error {
	return &Error{Kind: KindSignIn, Op: "sign-in", Code: reason}
}

// ClassifySignIn turns a credential's error into an *Error of KindSignIn
// (or canceled, timeout, network) whose Code is the AADSTS code when there
// is one ("AADSTS50076"), else a reason. The credential's text is dropped:
// it can quote command lines and cache paths, never a token, but it is not
// for the screen.
func ClassifySignIn(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := AsError(err); ok {
		return e
	}
	out := signInError(ReasonUnknown)
	out.Err = errors.New("sign-in failed")
	msg := err.Error()
	var netErr net.Error
	var unavailable interface{ NonRetriable() }
	switch {
	case errors.Is(err, context.Canceled):
		out.Kind, out.Code = KindCanceled, ReasonCanceled
	case errors.Is(err, context.DeadlineExceeded):
		out.Kind, out.Code = KindTimeout, ReasonTimeout
	case aadstsCode.MatchString(msg):
		out.Code = "AADSTS" + aadstsCode.FindStringSubmatch(msg)[1]
	case strings.Contains(msg, "executable not found on path") || strings.Contains(msg, "Azure CLI not found"):
		out.Code = ReasonNoCLI
	case strings.Contains(msg, "multifactor authentication") || strings.Contains(msg, "--claims-challenge"):
		out.Code = ReasonMFA
	case strings.Contains(msg, "az login"):
		out.Code = ReasonCLINotLoggedIn
	case strings.Contains(msg, "ManagedIdentityCredential") && errors.As(err, &unavailable):
		out.Code = ReasonNoManagedIdentity
	case strings.Contains(msg, "EnvironmentCredential") && errors.As(err, &unavailable):
		out.Code = ReasonEnvironmentIncomplete
	case errors.As(err, &netErr):
		out.Kind, out.Code = KindNetwork, ReasonNetwork
	}
	var authErr *azidentity.AuthenticationFailedError
	if errors.As(err, &authErr) && authErr.RawResponse != nil {
		out.Status = authErr.RawResponse.StatusCode
	}
	return out
}
