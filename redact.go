package main

import "io"

// --redact in the headless commands: what they write to the user goes
// through the translator's redactor (ui/redact.go), which masks the
// subscription and tenant IDs it has been told about and any GUID after
// "subscriptions/" (resource IDs, portal links). `check --json` keeps its
// schema: "id" and "subscriptionId" carry masks instead of IDs. The plan
// file is never rewritten: `apply` reads it with its real IDs.

// redacted wraps w so that, with --redact, IDs are masked in what is
// written; without it, w itself.
func (d *deps) redacted(w io.Writer) io.Writer { return d.tr.Redactor().Writer(w) }

// learnIDs tells the redactor (when --redact is on) about IDs read from
// Azure or from the plan before anything is written.
func (d *deps) learnIDs(ids ...string) { d.tr.Redactor().Add(ids...) }
