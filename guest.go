package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/backupready/backupready/azure/guest"
	"github.com/backupready/backupready/steps"
	"github.com/backupready/backupready/ui"
)

// guestProxyOptions are the inputs of `backupready guest proxy`.
type guestProxyOptions struct {
	d       *deps
	host    string
	port    string // parsed here, so that "x" gets a translated answer
	noProxy []string
	root    string
	dryRun  bool
	undo    bool
	now     func() time.Time
}

// newGuestCmd is `backupready guest`: commands run on a VM itself.
func newGuestCmd(d *deps) *cobra.Command {
	cmd := &cobra.Command{Use: "guest", Short: d.tr.T("guest.short"), Args: cobra.NoArgs}
	cmd.AddCommand(newGuestProxyCmd(d, nil))
	return cmd
}

func newGuestProxyCmd(d *deps, runF func(context.Context, *guestProxyOptions) error) *cobra.Command {
	opts := &guestProxyOptions{d: d, now: time.Now}
	tr := d.tr
	cmd := &cobra.Command{
		Use:     "proxy",
		Short:   tr.T("guest.proxy.short"),
		Long:    tr.T("guest.proxy.long"),
		Example: "  sudo backupready guest proxy --host 10.0.0.5 --port 3128 --dry-run\n  sudo backupready guest proxy --host proxy.contoso.com --port 8080 --no-proxy localhost,.contoso.com\n  sudo backupready guest proxy --undo",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runGuestProxy(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.host, "host", "", tr.T("guest.flag.host"))
	f.StringVar(&opts.port, "port", "", tr.T("guest.flag.port"))
	// commas are split by guest.NewProxy (no CSV quoting rules)
	f.StringArrayVar(&opts.noProxy, "no-proxy", nil, tr.T("guest.flag.no-proxy"))
	f.StringVar(&opts.root, "root", "/", tr.T("guest.flag.root"))
	f.BoolVar(&opts.dryRun, "dry-run", false, tr.T("guest.flag.dry-run"))
	f.BoolVar(&opts.undo, "undo", false, tr.T("guest.flag.undo"))
	return cmd
}

// runGuestProxy is `backupready guest proxy`: it computes every file's new
// content first (so bad input or an unreadable file changes nothing), then
// shows the diff (--dry-run) or writes the files with backups, and says per
// file what happened. Exit 0 done or nothing to do; 2 bad input or nothing
// to undo; 4 a file could not be read or written.
func runGuestProxy(_ context.Context, o *guestProxyOptions) error {
	var (
		c   *guest.Changes
		p   guest.Proxy
		err error
	)
	if o.undo {
		c, err = guest.PlanUndo(o.root)
	} else {
		p, err = guest.NewProxy(o.host, parsePort(o.port), o.noProxy)
		var ie *guest.InputError
		if errors.As(err, &ie) && ie.Field == "port" && o.port != "" {
			ie.Value = o.port // as typed ("x"), not as read
		}
		if err == nil {
			c, err = guest.PlanProxy(o.root, p)
		}
	}
	if err != nil {
		return guestProblem(err, o.undo)
	}
	d := o.d
	w := d.io.colorWriter(d.io.out, d.io.stdoutTTY(), d.g.noColor)
	gp := &guestPrinter{w: w, tr: d.tr, st: cliStyles(d), width: d.io.width()}
	if !o.dryRun && c.Changed() {
		// the report follows the writes, so a refused write shows only
		// the problem
		if err := c.Apply(o.now()); err != nil {
			return guestProblem(err, o.undo)
		}
	}
	gp.header(o, c, p)
	if o.dryRun {
		for _, fc := range c.Files {
			if diff := fc.Diff(); diff != "" {
				gp.raw(diff)
			} else {
				gp.file(fc)
			}
		}
		if c.Changed() {
			gp.line("", d.tr.T("guest.dryrun.next"))
		} else {
			gp.line("", d.tr.T("guest.nochange"))
		}
		return gp.err
	}
	gp.files(c)
	if !c.Changed() {
		gp.line("", d.tr.T("guest.nochange"))
		return gp.err
	}
	agent := false
	for _, fc := range c.Files {
		agent = agent || (fc.Action != guest.Unchanged && fc.Path != guest.Environment)
	}
	if agent {
		gp.line("", d.tr.T("guest.restart"))
		gp.line("  ", "systemctl daemon-reload && systemctl restart "+c.Unit)
	}
	if !o.undo {
		gp.line("", d.tr.T("guest.undo.hint"))
	}
	return gp.err
}

// parsePort reads --port: 0 when it is not given, -1 when it is not a
// number (both refused by guest.NewProxy).
func parsePort(s string) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n == 0 {
		return -1
	}
	return n
}

// guestPrinter writes the command's report, every line within width.
type guestPrinter struct {
	w     io.Writer
	tr    *ui.Translator
	st    ui.Styles
	width int
	err   error
}

// line writes text wrapped to the width, the first line after indent and
// the others under it.
func (g *guestPrinter) line(indent, text string) {
	pad := strings.Repeat(" ", ui.Width(indent))
	for i, l := range ui.Wrap(text, max(g.width-ui.Width(indent), 20)) {
		lead := indent
		if i > 0 {
			lead = pad
		}
		if _, err := fmt.Fprintln(g.w, lead+l); err != nil && g.err == nil {
			g.err = err
		}
	}
}

// raw writes text as it is (a diff: file lines are not wrapped).
func (g *guestPrinter) raw(text string) {
	if _, err := io.WriteString(g.w, text); err != nil && g.err == nil {
		g.err = err
	}
}

func (g *guestPrinter) header(o *guestProxyOptions, c *guest.Changes, p guest.Proxy) {
	args := []any{"Proxy", p.HostPort(), "Root", o.root}
	key := "guest.head"
	if o.undo {
		key = "guest.undo.head"
		if t, ok := c.RunTime(); ok {
			args = append(args, "Time", t.Format("2006-01-02 15:04:05 UTC"))
		} else {
			key = "guest.undo.head.unrecorded"
		}
	}
	if o.dryRun {
		key += ".dry"
	}
	if filepath.Clean(o.root) != "/" {
		key += ".root"
	}
	g.line("", g.tr.T(key, args...))
}

var guestStatus = map[guest.Action]string{
	guest.Unchanged: "guest.status.unchanged",
	guest.Modify:    "guest.status.changed",
	guest.Create:    "guest.status.created",
	guest.Restore:   "guest.status.restored",
	guest.Remove:    "guest.status.removed",
}

// statusWidth is the widest status word, so that the paths line up.
func (g *guestPrinter) statusWidth() int {
	n := 0
	for _, k := range guestStatus {
		n = max(n, ui.Width(g.tr.T(k)))
	}
	return n
}

func (g *guestPrinter) files(c *guest.Changes) {
	for _, fc := range c.Files {
		g.file(fc)
	}
}

// file is one file's line: "  ✓ changed    /etc/waagent.conf", and its
// backup under it.
func (g *guestPrinter) file(fc *guest.FileChange) {
	sw := g.statusWidth()
	status := g.tr.T(guestStatus[fc.Action])
	glyph := g.st.Verdict["ok"].Render(ui.VerdictGlyph("ok"))
	if fc.Action == guest.Unchanged {
		glyph = "·"
	}
	indent := "  " + glyph + " " + ui.Fit(status, sw) + " "
	g.line(indent, fc.Path)
	hang := strings.Repeat(" ", 2+1+1+sw+1)
	switch {
	case fc.Backup != "" && fc.Action == guest.Restore:
		g.line(hang, g.tr.T("guest.restored.from", "Path", fc.Backup))
	case fc.Backup != "":
		g.line(hang, g.tr.T("guest.backup", "Path", fc.Backup))
	}
}

// guestProblem explains what stopped the command, in the user's language.
func guestProblem(err error, undo bool) error {
	var ie *guest.InputError
	if errors.As(err, &ie) {
		switch ie.Field {
		case "host":
			switch ie.Reason {
			case "missing":
				return &steps.Problem{What: "guest.host.missing", Why: "guest.host.missing.why", Next: "guest.host.missing.next", Exit: steps.ExitUsage}
			case "auth":
				// the value holds a password: it is not repeated
				return &steps.Problem{What: "guest.host.auth", Why: "guest.host.auth.why", Next: "guest.host.auth.next", Exit: steps.ExitUsage}
			}
			return &steps.Problem{What: "guest.host.bad", Why: "guest.host." + ie.Reason + ".why", Next: "guest.host.bad.next",
				Args: []any{"Value", fmt.Sprintf("%q", ie.Value)}, Exit: steps.ExitUsage}
		case "port":
			if ie.Reason == "missing" {
				return &steps.Problem{What: "guest.port.missing", Why: "guest.port.missing.why", Next: "guest.port.missing.next", Exit: steps.ExitUsage}
			}
			return &steps.Problem{What: "guest.port.range", Why: "guest.port.range.why", Next: "guest.port.range.next",
				Args: []any{"Value", ie.Value}, Exit: steps.ExitUsage}
		case "no-proxy":
			return &steps.Problem{What: "guest.noproxy.bad", Why: "guest.noproxy." + ie.Reason + ".why", Next: "guest.noproxy.bad.next",
				Args: []any{"Value", fmt.Sprintf("%q", ie.Value)}, Exit: steps.ExitUsage}
		case "root":
			return &steps.Problem{What: "guest.root.bad", Why: "guest.root.bad.why", Next: "guest.root.bad.next",
				Args: []any{"Value", ie.Value}, Exit: steps.ExitUsage}
		}
	}
	if errors.Is(err, guest.ErrNothingToUndo) {
		return &steps.Problem{What: "guest.undo.none", Why: "guest.undo.none.why", Next: "guest.undo.none.next", Exit: steps.ExitUsage}
	}
	var fe *guest.FileError
	if errors.As(err, &fe) {
		key := map[string]string{"agent-missing": "guest.agent.missing", "unreadable": "guest.file.unreadable",
			"read-only": "guest.file.readonly", "write": "guest.file.write"}[fe.Kind]
		why := key + ".why"
		if fe.Kind == "write" && undo {
			why = "guest.file.write.undo.why"
		}
		p := &steps.Problem{What: key, Why: why, Next: key + ".next", Args: []any{"Path", fe.Path}, Exit: steps.ExitAzure}
		if fe.Err != nil {
			p.Err = fe.Err
		}
		return p
	}
	return &steps.Problem{What: "guest.file.write", Why: "guest.file.write.why", Next: "guest.file.write.next",
		Args: []any{"Path", "-"}, Exit: steps.ExitAzure, Err: err}
}
