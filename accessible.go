package main

import (
	"context"
	"time"

	"github.com/backupready/backupready/access"
	"github.com/backupready/backupready/steps"
)

// runAccessible runs the wizard line by line (--accessible, TERM=dumb) on
// the process's streams: the accessible mode of package access. A failure
// to reach Azure is said the same way as everything else, in plain lines.
func runAccessible(ctx context.Context, d *deps) error {
	client, closeFn, err := d.connect(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	code := access.Run(ctx, access.Options{
		In:  d.io.in,
		Out: d.io.out,
		API: client,
		Wizard: steps.WizardOptions{
			Translator: d.tr,
			Cloud:      d.g.cloud,
			Demo:       d.g.demo,
			Preset:     steps.Scope{Subscriptions: d.g.subscriptions},
			Context:    ctx,
			Run:        steps.RunOptions{PollEvery: d.pollEvery()},
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
