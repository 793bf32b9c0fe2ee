package main

import (
	"context"
	"io"
	"time"

	"github.com/pkg/browser"

	"github.com/backupready/backupready/access"
	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/steps"
)

// runAccessible runs the wizard line by line (--accessible, TERM=dumb) on
// the process's streams: the accessible mode of package access. A failure
// to reach Azure is said the same way as everything else, in plain lines.
func runAccessible(ctx context.Context, d *deps) error {
	d.interactive = true // sign-in happens in the first step, as in the wizard
	// Opening a browser for sign-in must not write between the lines.
	browser.Stdout, browser.Stderr = io.Discard, io.Discard
	client, closeFn, err := d.connect(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	if d.g.redact {
		// Its lines go out as they are said, so the IDs must be known
		// before: now when the client is signed in already, else as soon
		// as the sign-in step has signed in.
		learnAccessibleIDs(ctx, d, client)
		if d.signIn != nil && d.signIn.Auth != nil {
			d.signIn.Auth = learningAuth{Authenticator: d.signIn.Auth, d: d, api: client}
		}
	}
	code := access.Run(ctx, access.Options{
		In:  d.io.in,
		Out: d.redacted(d.io.out), // --redact: every line it says is masked
		API: client,
		Wizard: steps.WizardOptions{
			Translator: d.tr,
			Cloud:      d.g.cloud,
			Demo:       d.g.demo,
			Preset:     steps.Scope{Subscriptions: d.g.subscriptions},
			Context:    ctx,
			Run:        steps.RunOptions{PollEvery: d.pollEvery()},
			SignIn:     d.signIn,
		},
		Every: accessibleEvery,
	})
	if code == steps.ExitOK {
		return nil
	}
	return &exitError{code: code}
}

// accessibleEvery is how often a long operation says it is still working.
const accessibleEvery = 5 * time.Second

// idReader is what the accessible mode's redaction reads to learn the IDs
// (*azure.Client).
type idReader interface {
	Identity(context.Context) (azure.Identity, error)
	Subscriptions(context.Context) ([]azure.Subscription, error)
	Tenants(context.Context) ([]azure.Tenant, error)
}

// learnAccessibleIDs tells the redactor (--redact) about the identity's
// tenant, its directories and its subscriptions before the accessible run
// says them. A failure is ignored (not signed in yet, a list it may not
// read): the run meets it again and explains it.
func learnAccessibleIDs(ctx context.Context, d *deps, api idReader) {
	if id, err := api.Identity(ctx); err == nil {
		d.learnIDs(id.TenantID)
	} else {
		return
	}
	if ts, err := api.Tenants(ctx); err == nil {
		for _, t := range ts {
			d.learnIDs(t.ID)
		}
	}
	if subs, err := api.Subscriptions(ctx); err == nil {
		for _, s := range subs {
			d.learnIDs(s.ID, s.TenantID)
		}
	}
}

// learningAuth is the accessible mode's sign-in with --redact: once signed
// in (or into another directory), the IDs the identity can see are learned
// before the run lists them.
type learningAuth struct {
	steps.Authenticator
	d   *deps
	api idReader
}

func (a learningAuth) SignIn(ctx context.Context, m azure.SignInMethod, tenant string, prompt func(azure.DeviceCode)) (azure.Identity, error) {
	id, err := a.Authenticator.SignIn(ctx, m, tenant, prompt)
	if err == nil {
		a.d.learnIDs(id.TenantID)
		learnAccessibleIDs(ctx, a.d, a.api)
	}
	return id, err
}

func (a learningAuth) UseTenant(ctx context.Context, tenant string) (azure.Identity, error) {
	id, err := a.Authenticator.UseTenant(ctx, tenant)
	if err == nil {
		a.d.learnIDs(tenant, id.TenantID)
		learnAccessibleIDs(ctx, a.d, a.api)
	}
	return id, err
}
