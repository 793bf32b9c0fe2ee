package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/backupready/backupready/steps"
)

// applyOptions are the inputs of `backupready apply`.
type applyOptions struct {
	d      *deps
	plan   string
	dryRun bool
	yes    bool
	json   bool
}

func newApplyCmd(d *deps, runF func(context.Context, *applyOptions) error) *cobra.Command {
	opts := &applyOptions{d: d}
	tr := d.tr
	cmd := &cobra.Command{
		Use:     "apply",
		Short:   tr.T("cli.apply.short"),
		Long:    tr.T("cli.apply.long"),
		Example: "  backupready apply --plan backupready-plan.yaml --dry-run\n  backupready apply --demo --plan plan.yaml --dry-run --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runApply(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.plan, "plan", "", tr.T("cli.flag.plan"))
	f.BoolVar(&opts.dryRun, "dry-run", false, tr.T("cli.flag.dry-run"))
	f.BoolVar(&opts.yes, "yes", false, tr.T("cli.flag.yes"))
	f.BoolVar(&opts.json, "json", false, tr.T("cli.flag.json-changes"))
	return cmd
}

// runApply is `backupready apply`. This version plans only: with --dry-run it
// prints the changes the plan would make; carrying them out comes with the
// apply step, so without --dry-run it says so and changes nothing.
func runApply(ctx context.Context, o *applyOptions) error {
	d := o.d
	if o.plan == "" {
		return &steps.Problem{What: "cli.plan.missing", Why: "cli.plan.missing.why", Next: "cli.plan.missing.next", Exit: steps.ExitUsage}
	}
	data, err := os.ReadFile(o.plan)
	if err != nil {
		return &steps.Problem{What: "cli.plan.unreadable", Why: "cli.plan.unreadable.why", Next: "cli.plan.unreadable.next", Args: []any{"Path", o.plan}, Exit: steps.ExitUsage, Err: err}
	}
	plan, err := steps.DecodePlan(data, o.plan)
	if err != nil {
		return planProblem(o.plan, err)
	}
	if !o.dryRun {
		return &steps.Problem{What: "cli.apply.notyet", Why: "cli.apply.notyet.why", Next: "cli.apply.notyet.next", Args: []any{"Path", o.plan}, Exit: steps.ExitUsage}
	}
	client, closeFn, err := d.connect(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	if _, err := client.Identity(ctx); err != nil {
		return problemOf(err)
	}
	live, err := steps.ReadLiveState(ctx, client, plan)
	if err != nil {
		return problemOf(err)
	}
	changes, err := steps.Changes(plan, live)
	var conflicts steps.PlanConflicts
	if errors.As(err, &conflicts) {
		return reportConflicts(d, o.plan, conflicts)
	}
	if o.json {
		enc := json.NewEncoder(d.io.out)
		enc.SetIndent("", "  ")
		return enc.Encode(steps.BuildChangeReport(changes, d.tr))
	}
	w := d.io.colorWriter(d.io.out, d.io.stdoutTTY(), d.g.noColor)
	return steps.RenderChanges(w, changes, d.tr, cliStyles(d), d.io.width())
}

// planProblem explains a plan file that could not be read as a plan.
func planProblem(path string, err error) error {
	var pe *steps.PlanError
	if errors.As(err, &pe) {
		args := append([]any{"Path", path, "Line", pe.Line, "Column", pe.Column, "Field", pe.Field}, pe.Args...)
		// The reason's text says it all; the technical form would repeat it.
		return &steps.Problem{What: "cli.plan.bad", Why: pe.Reason, Next: "cli.plan.bad.next", Args: args, Exit: steps.ExitUsage}
	}
	return &steps.Problem{What: "cli.plan.bad", Why: "cli.plan.bad.why", Next: "cli.plan.bad.next",
		Args: []any{"Path", path, "Line", 0, "Column", 0, "Field", "-"}, Exit: steps.ExitUsage, Err: err}
}

// reportConflicts explains every conflict between the plan and Azure, so
// they can all be fixed in one edit, and exits 2.
func reportConflicts(d *deps, path string, cs steps.PlanConflicts) error {
	for _, c := range cs {
		args := append([]any{"Path", path, "Field", c.Field}, c.Args...)
		p := steps.Problem{What: "cli.plan.conflict", Why: c.Reason, Next: "cli.plan.conflict.next", Args: args, Exit: steps.ExitUsage}
		w := d.io.colorWriter(d.io.err, d.io.stderrTTY(), d.g.noColor)
		if err := steps.RenderProblem(w, p, d.tr, cliStyles(d), d.io.width()); err != nil {
			return err
		}
	}
	return &exitError{code: steps.ExitUsage}
}
