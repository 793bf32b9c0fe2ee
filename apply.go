package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/backupready/backupready/steps"
	"github.com/backupready/backupready/ui"
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
		Example: "  backupready apply --plan backupready-plan.yaml --dry-run\n  backupready apply --plan backupready-plan.yaml --yes\n  backupready apply --demo --plan plan.yaml --yes --json",
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

// runApply is `backupready apply`: it reads the plan, compares it with
// Azure, and with --dry-run prints the changes; otherwise (after --yes, or a
// "y" at a terminal) it carries them out, recording each in the journal
// beside the plan, and exits 0 when everything is done, 4 when Azure refused
// or failed a change, 130 when interrupted (operations in flight keep running
// in Azure and the next run picks them up).
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
	d.learnIDs(plan.Subscription)
	journalPath := o.plan + steps.JournalSuffix
	var journal *steps.Journal
	if _, statErr := os.Stat(journalPath); statErr == nil || !o.dryRun {
		if journal, err = steps.OpenJournal(journalPath); err != nil {
			return &steps.Problem{What: "cli.journal.unusable", Why: "cli.journal.unusable.why", Next: "cli.journal.unusable.next",
				Args: []any{"Path", journalPath}, Exit: steps.ExitUsage, Err: err}
		}
		defer journal.Close()
	}
	client, closeFn, err := d.connect(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	id, err := client.Identity(ctx)
	if err != nil {
		return problemOf(err)
	}
	d.learnIDs(id.TenantID)
	live, err := steps.ReadLiveState(ctx, client, plan)
	if err != nil {
		return problemOf(err)
	}
	live.Journal = journal
	changes, err := steps.Changes(plan, live)
	var conflicts steps.PlanConflicts
	if errors.As(err, &conflicts) {
		return reportConflicts(d, o.plan, conflicts)
	}
	if o.dryRun {
		if o.json {
			enc := json.NewEncoder(d.redacted(d.io.out))
			enc.SetIndent("", "  ")
			return enc.Encode(steps.BuildChangeReport(changes, d.tr))
		}
		w := d.redacted(d.io.colorWriter(d.io.out, d.io.stdoutTTY(), d.g.noColor))
		return steps.RenderChanges(w, changes, d.tr, cliStyles(d), d.io.width())
	}
	pending := steps.PendingCount(changes)
	if pending > 0 && !o.yes {
		if ok, err := confirmApply(d, changes, pending, o.json); err != nil || !ok {
			return err
		}
	}
	return executePlan(ctx, d, o, plan, journal, client, changes)
}

// confirmApply shows the changes and asks before anything changes in Azure
// (DESIGN §2: nothing changes before it is confirmed). Without a terminal
// it explains --yes and exits 2.
func confirmApply(d *deps, changes []steps.Change, pending int, jsonOut bool) (bool, error) {
	if !d.io.stdinTTY() || jsonOut {
		return false, &steps.Problem{What: "cli.apply.confirm", Why: "cli.apply.confirm.why", Next: "cli.apply.confirm.next",
			Args: []any{"Count", pending}, Exit: steps.ExitUsage}
	}
	w := d.redacted(d.io.colorWriter(d.io.out, d.io.stdoutTTY(), d.g.noColor))
	if err := steps.RenderChanges(w, changes, d.tr, cliStyles(d), d.io.width()); err != nil {
		return false, err
	}
	fmt.Fprintf(d.io.out, "\n%s ", d.tr.T("cli.apply.ask", "Count", pending)) // T masks (--redact)
	line, _ := bufio.NewReader(d.io.in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes", "是", "はい":
		return true, nil
	}
	fmt.Fprintln(d.io.out, d.tr.T("cli.apply.declined"))
	return false, &exitError{code: steps.ExitOK}
}

// executePlan runs the applier and prints a line per event: plain lines
// (no spinner) for people, one JSON object per line with --json.
func executePlan(ctx context.Context, d *deps, o *applyOptions, plan *steps.Plan, journal *steps.Journal, api steps.ApplyAPI, changes []steps.Change) error {
	tr := d.tr
	st := cliStyles(d)
	w := d.redacted(d.io.colorWriter(d.io.out, d.io.stdoutTTY(), d.g.noColor))
	width := d.io.width()
	enc := json.NewEncoder(d.redacted(d.io.out))
	lastNote := make([]string, len(changes))
	emit := func(e steps.ApplyEvent) {
		c := changes[e.Index]
		now := time.Now()
		if o.json {
			_ = enc.Encode(steps.EventRecord(c, e, tr, now))
			return
		}
		text := steps.ChangeText(c, e, tr, now)
		if e.State == steps.RunRunning && e.Note == lastNote[e.Index] && e.Attempt <= 1 {
			return // one line per phase, not one per poll
		}
		lastNote[e.Index] = e.Note
		if e.State == steps.RunNoChange {
			return // the plan's unchanged parts are in --dry-run; the run shows what it does
		}
		glyph := map[steps.RunState]string{steps.RunDone: ui.VerdictGlyph("ok"), steps.RunFailed: ui.VerdictGlyph("blocked"),
			steps.RunWaiting: "…", steps.RunSkipped: "-", steps.RunLeft: "↻"}[e.State]
		if glyph == "" {
			glyph = "›"
		}
		style := map[steps.RunState]string{steps.RunDone: "ok", steps.RunFailed: "blocked", steps.RunWaiting: "warn", steps.RunLeft: "warn"}[e.State]
		line := ui.Truncate(glyph+" "+steps.ChangeTitle(c, tr)+"  "+text, width)
		if style != "" {
			line = st.Verdict[style].Render(line)
		}
		fmt.Fprintln(w, line)
	}
	a := &steps.Applier{API: api, Plan: plan, Journal: journal, PollEvery: d.pollEvery()}
	out := a.Run(ctx, changes, emit)
	if !o.json {
		if err := steps.RenderOutcome(w, changes, out, journal.Path(), tr, st, width); err != nil {
			return err
		}
	}
	switch {
	case out.Interrupted:
		return &exitError{code: steps.ExitInterrupted}
	case out.Failed() || out.Stopped:
		return &exitError{code: steps.ExitAzure}
	}
	return nil
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
		w := d.redacted(d.io.colorWriter(d.io.err, d.io.stderrTTY(), d.g.noColor))
		if err := steps.RenderProblem(w, p, d.tr, cliStyles(d), d.io.width()); err != nil {
			return err
		}
	}
	return &exitError{code: steps.ExitUsage}
}
