package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/pkg/browser"

	"github.com/backupready/backupready/steps"
)

// runWizard runs the interactive wizard. It needs a terminal on both ends:
// without one it says so and points to the headless commands.
func runWizard(ctx context.Context, d *deps) error {
	// Line by line needs no terminal: a screen reader's, or Emacs's shell
	// (TERM=dumb on pipes).
	if d.g.accessible || d.io.getenv("TERM") == "dumb" {
		return runAccessible(ctx, d)
	}
	if !d.io.stdinTTY() || !d.io.stdoutTTY() {
		return &steps.Problem{What: "cli.notty", Why: "cli.notty.why", Next: "cli.notty.next", Exit: steps.ExitUsage}
	}
	d.interactive = true // sign-in happens in the wizard's first step
	client, closeFn, err := d.connect(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	// Calls still in flight when the wizard ends are cancelled with it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	scope := steps.Scope{Subscriptions: d.g.subscriptions}
	model, sess := steps.NewWizardSession(client, steps.WizardOptions{
		Translator: d.tr,
		Cloud:      d.g.cloud,
		Demo:       d.g.demo,
		Preset:     scope,
		Context:    ctx,
		Run:        steps.RunOptions{PollEvery: d.pollEvery()},
		SignIn:     d.signIn,
	})
	// Opening a browser for sign-in must not write over the screen.
	browser.Stdout, browser.Stderr = io.Discard, io.Discard
	opts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithInput(d.io.in), tea.WithOutput(d.io.out)}
	if d.g.noColor {
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	_, err = tea.NewProgram(model, opts...).Run()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, tea.ErrInterrupted), errors.Is(err, tea.ErrProgramKilled), errors.Is(err, context.Canceled):
		if note := steps.LeftRunning(model, sess, d.tr); note != "" {
			fmt.Fprintln(d.io.err, note)
		}
		return &exitError{code: steps.ExitInterrupted}
	}
	return &steps.Problem{What: "cli.tui.failed", Why: "cli.tui.failed.why", Next: "cli.tui.failed.next", Exit: steps.ExitUsage, Err: err}
}
