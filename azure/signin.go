package azure

import (
	"context"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// Authenticator signs a Client in, as the wizard's sign-in step asks: with
// a method the user chose, then in the tenant the user picked. It is safe
// for concurrent use; the client must not be in use while it switches.
type Authenticator struct {
	client *Client
	opts   CredentialOptions
	fixed  azcore.TokenCredential // the simulator's: the only credential

	mu   sync.Mutex
	base azcore.TokenCredential // the signed-in credential, for any tenant
}

// NewAuthenticator signs client in on real Azure, choosing credentials with
// opts (cloud, --tenant, --subscription, the environment).
func NewAuthenticator(client *Client, opts CredentialOptions) *Authenticator {
	return &Authenticator{client: client, opts: opts}
}

// FixedAuthenticator signs client in with cred and nothing else (the
// simulator): there is no method to choose, only tenants.
func FixedAuthenticator(client *Client, cred azcore.TokenCredential) *Authenticator {
	return &Authenticator{client: client, fixed: cred}
}

// Methods are the methods the wizard may offer, its default first; none
// when the credential is fixed.
func (a *Authenticator) Methods() []SignInMethod {
	if a.fixed != nil {
		return nil
	}
	return a.opts.Env.WizardMethods()
}

// SignIn builds the method's credential (prompt receives a device code),
// asks it for a token in tenant ("" the identity's default) and, when that
// works, makes the client use it. Errors are sign-in *Errors (SignInReason).
func (a *Authenticator) SignIn(ctx context.Context, method SignInMethod, tenant string, prompt func(DeviceCode)) (Identity, error) {
	base := a.fixed
	if base == nil {
		o := a.opts
		o.Method, o.DeviceCode = method, prompt
		if tenant != "" {
			o.Tenant = tenant
		}
		cred, err := NewCredential(o)
		if err != nil {
			return Identity{}, err
		}
		base = cred.TokenCredential
	}
	id, err := a.signInAs(ctx, base, tenant)
	if err != nil {
		return Identity{}, err
	}
	a.mu.Lock()
	a.base = base
	a.mu.Unlock()
	return id, nil
}

// UseTenant moves the signed-in identity to another of its tenants: a
// token for that tenant (no new sign-in unless the tenant demands one, such
// as multifactor authentication), then every call goes there.
func (a *Authenticator) UseTenant(ctx context.Context, tenant string) (Identity, error) {
	a.mu.Lock()
	base := a.base
	a.mu.Unlock()
	if base == nil {
		return Identity{}, signInError(ReasonUnknown)
	}
	return a.signInAs(ctx, base, tenant)
}

// signInAs asks base for a token in tenant and, when that works, makes the
// client use that tenant's credential.
func (a *Authenticator) signInAs(ctx context.Context, base azcore.TokenCredential, tenant string) (Identity, error) {
	cred := WithTenant(base, tenant)
	id, err := a.client.SignInWith(ctx, cred)
	if err != nil {
		return Identity{}, err
	}
	if err := a.client.UseCredential(cred); err != nil {
		return Identity{}, ClassifySignIn(err)
	}
	return id, nil
}
