package access

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/steps"
)

// Sign-in as the screens do it (steps/signin.go), in lines: reuse az login
// when it works (checked with a token), else a numbered choice of the ways
// offered (device code printed as plain lines, browser where there is a
// display); then, when the identity sees several directories, a numbered
// choice of them, unless --tenant or the remembered choice decides.

// tenantLister is the API's list of directories (*azure.Client has it).
type tenantLister interface {
	Tenants(ctx context.Context) ([]azure.Tenant, error)
}

// signedIn is what the sign-in settled: the identity, the directory in use
// and the remembered choice (for the subscriptions' default).
type signedIn struct {
	id         azure.Identity
	tenant     string
	tenants    []azure.Tenant
	remembered steps.CloudChoice
	has        bool
}

// signIn signs in with the wizard's sign-in options; without them (tests,
// a headless credential) the API's identity as it is.
func (r *runner) signIn() (signedIn, error) {
	o := r.o.Wizard.SignIn
	if o == nil || o.Auth == nil {
		id, err := r.api.Identity(r.ctx)
		return signedIn{id: id, tenant: id.TenantID}, err
	}
	var out signedIn
	if cfg, err := steps.LoadConfig(o.ConfigPath); err == nil {
		out.remembered, out.has = cfg.Remembered(r.sess.Cloud)
	}
	id, err := r.signInMethod(o)
	if err != nil {
		return out, err
	}
	out.id, out.tenant = id, id.TenantID
	return r.chooseTenant(o, out)
}

// signInMethod signs in: at once on the simulator; on Azure az login first
// when offered, then the user's choice, as often as it takes.
func (r *runner) signInMethod(o *steps.SignInOptions) (azure.Identity, error) {
	methods := o.Auth.Methods()
	if len(methods) == 0 {
		// The simulator: its identity, nothing to choose.
		return o.Auth.SignIn(r.ctx, azure.MethodAuto, o.Tenant, nil)
	}
	def := 0
	var last error
	if methods[0] == azure.MethodCLI {
		r.p.Say(r.T("signin.verify"))
		id, err := r.signInWith(o, azure.MethodCLI)
		if err == nil {
			return id, nil
		}
		if r.ctx.Err() != nil {
			return azure.Identity{}, ErrCancelled
		}
		def, last = min(1, len(methods)-1), err
	}
	for {
		if last != nil && azure.SignInReason(last) != azure.ReasonCanceled {
			r.saySignInProblem(last, o.Tenant)
		}
		opts := make([]Option, len(methods))
		for i, m := range methods {
			opts[i] = Option{Label: r.T("signin.method." + string(m))}
		}
		i, err := r.p.Choose(r.T("access.signin.question"), opts, def)
		if err != nil {
			return azure.Identity{}, err
		}
		id, err := r.signInWith(o, methods[i])
		if err == nil {
			return id, nil
		}
		if err == ErrCancelled || r.ctx.Err() != nil {
			return azure.Identity{}, ErrCancelled
		}
		def, last = i, err
	}
}

// signInWith runs one sign-in: the device code said as plain lines when it
// comes, "still waiting" lines while it lasts; Enter cancels it (an error
// of reason canceled: the choices again). az login is checked within the
// verify timeout.
func (r *runner) signInWith(o *steps.SignInOptions, method azure.SignInMethod) (azure.Identity, error) {
	ctx, cancel := context.WithCancel(r.ctx)
	if method == azure.MethodCLI {
		d := o.VerifyTimeout
		if d <= 0 {
			d = 20 * time.Second
		}
		ctx, cancel = context.WithTimeout(r.ctx, d)
	}
	defer cancel()
	waiting := r.T("access.signin.waiting")
	switch method {
	case azure.MethodDevice:
		r.p.Say(r.T("signin.device.heading"), r.T("signin.device.asking"))
	case azure.MethodBrowser:
		r.p.Say(r.T("signin.browser.heading"), r.T("signin.browser.wait"), r.T("access.signin.cancel"))
	}
	w := r.p.Working(waiting, r.every())
	prompt := func(dc azure.DeviceCode) {
		r.p.Say(r.T("signin.device.open"), "   "+dc.URL, r.T("signin.device.enter"), "   "+dc.UserCode,
			r.T("access.signin.device.wait"), r.T("access.signin.cancel"))
	}
	var id azure.Identity
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		id, err = o.Auth.SignIn(ctx, method, o.Tenant, prompt)
	}()
	var typed bool
	var werr error
	if method == azure.MethodCLI {
		<-done // the check is short and bounded: nothing to cancel
	} else {
		typed, werr = r.p.WaitOrEnter(done, cancel)
	}
	w.Stop()
	if werr != nil {
		return azure.Identity{}, werr
	}
	if typed && err != nil {
		r.p.Say(r.T("access.signin.cancelled"))
		return azure.Identity{}, &azure.Error{Kind: azure.KindCanceled, Op: "sign-in", Code: azure.ReasonCanceled}
	}
	return id, err
}

func tenantName(t azure.Tenant) string {
	switch {
	case t.Name != "":
		return t.Name
	case t.DefaultDomain != "":
		return t.DefaultDomain
	}
	return t.ID
}

// chooseTenant reads the identity's directories and settles on one:
// --tenant, the only one or the remembered one without asking, else a
// numbered choice; a directory other than the identity's own is signed in
// to (a failure is said, and the choice asked again).
func (r *runner) chooseTenant(o *steps.SignInOptions, out signedIn) (signedIn, error) {
	home := out.tenant
	if tl, ok := r.api.(tenantLister); ok {
		w := r.p.Working(r.T("access.signin.tenants.reading"), r.every())
		ts, err := tl.Tenants(r.ctx)
		w.Stop()
		if r.ctx.Err() != nil {
			return out, ErrCancelled
		}
		if err == nil { // a list that cannot be read leaves the identity's own directory
			out.tenants = ts
		}
	}
	slices.SortStableFunc(out.tenants, func(a, b azure.Tenant) int {
		return strings.Compare(strings.ToLower(tenantName(a)), strings.ToLower(tenantName(b)))
	})
	tenant, pick, idx := steps.ChooseTenant(out.tenants, o.Tenant, out.remembered.Tenant, home)
	if !pick {
		if tenant == "" || strings.EqualFold(tenant, home) {
			return out, nil
		}
		id, err := r.useTenant(tenant)
		if err == nil {
			out.id, out.tenant = id, tenant
			return out, nil
		}
		if err == ErrCancelled {
			return out, err
		}
		if len(out.tenants) < 2 {
			return out, r.fail(steps.SignInProblem(err, cmp.Or(r.sess.Cloud, steps.CloudPublic), tenant))
		}
		r.saySignInProblem(err, tenant)
		pick = true
	}
	for {
		opts := make([]Option, len(out.tenants))
		for i, t := range out.tenants {
			label := tenantName(t)
			if strings.EqualFold(t.ID, out.tenant) {
				label += r.T("access.sep") + r.T("access.signin.tenants.home")
			}
			detail := t.ID
			if t.DefaultDomain != "" {
				detail = t.DefaultDomain + r.T("access.sep") + t.ID
			}
			opts[i] = Option{Label: label, Detail: detail}
		}
		i, err := r.p.Choose(r.T("access.signin.tenants.question", "Count", len(out.tenants)), opts, idx)
		if err != nil {
			return out, err
		}
		t := out.tenants[i]
		if strings.EqualFold(t.ID, out.tenant) && strings.EqualFold(out.id.TenantID, t.ID) {
			return out, nil
		}
		id, err := r.useTenant(t.ID)
		if err == nil {
			out.id, out.tenant = id, t.ID
			r.p.Say(r.T("signin.tenant.current", "Name", tenantName(t)) + ".")
			return out, nil
		}
		if err == ErrCancelled {
			return out, err
		}
		r.saySignInProblem(err, t.ID)
		idx = i
	}
}

// useTenant signs in to another of the identity's directories.
func (r *runner) useTenant(tenant string) (azure.Identity, error) {
	name := tenant
	w := r.p.Working(r.T("access.signin.switching", "Name", name), r.every())
	id, err := r.o.Wizard.SignIn.Auth.UseTenant(r.ctx, tenant)
	w.Stop()
	if err != nil && r.ctx.Err() != nil {
		return id, ErrCancelled
	}
	return id, err
}

// saySignInProblem says a sign-in failure: what, why, and what to do, in
// words for a numbered choice where the screens name a key.
func (r *runner) saySignInProblem(err error, tenant string) {
	p := steps.SignInProblem(err, cmp.Or(r.sess.Cloud, steps.CloudPublic), tenant)
	switch azure.SignInReason(err) {
	case azure.ReasonCLINotLoggedIn, azure.ReasonExpired, azure.ReasonMFA, azure.ReasonTimeout:
		p.Next = "access." + p.Next
	}
	what, why, next := p.Text(r.tr)
	r.p.Say(r.T("access.problem", "What", what), why, next)
}
