package steps

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/backupready/backupready/azure"
)

// guestAPI is what pushing the guest configuration calls in Azure.
type guestAPI interface {
	BeginRunCommand(ctx context.Context, vmID, osType, script string, resumeToken string) (*azure.Operation, func() azure.RunResult, error)
}

// guestDetailMax bounds the script output kept as a change's detail (the
// report and the journal): a few lines, not Azure's 4,096 bytes.
const guestDetailMax = 400

// pushGuestProxy runs the proxy script on a VM with Run Command and waits
// for it (see runGuestScript). The proxy URL holds no credentials
// (authenticated proxies are refused), so the output holds none either.
func (a *Applier) pushGuestProxy(ctx context.Context, i int, c Change, start time.Time) (string, error) {
	osType, _ := argNamed(c.Args, "OS").(string)
	return a.runGuestScript(ctx, i, c, start, osType, func() (string, error) { return GuestProxyScript(a.Plan, osType) }, "apply.note.guest-script")
}

// openProxyFirewall runs the firewall script on the proxy VM with Run
// Command (see runGuestScript): TCP <port> from the VMs' subnets.
func (a *Applier) openProxyFirewall(ctx context.Context, i int, c Change, start time.Time) (string, error) {
	osType, _ := argNamed(c.Args, "OS").(string)
	return a.runGuestScript(ctx, i, c, start, osType, func() (string, error) { return ProxyFirewallScript(c) }, "apply.note.proxy-firewall")
}

// runGuestScript runs a change's script on its VM with Run Command and
// waits for it: a resume token in the journal (an interrupted run) is
// waited on instead of running the script again. The script's output
// decides: a script that failed is an error with its stderr, one that
// succeeded is done with its stdout as the detail, and the journal keeps
// what the change set (its To), so that a plan that changes it runs the
// script again.
func (a *Applier) runGuestScript(ctx context.Context, i int, c Change, start time.Time, osType string, script func() (string, error), note string) (string, error) {
	api, ok := a.API.(guestAPI)
	if !ok {
		return "", &azure.Error{Kind: azure.KindInvalid, Op: "run-command", Code: "RunCommandUnavailable"}
	}
	var (
		op     *azure.Operation
		result func() azure.RunResult
	)
	if last, ok := a.Journal.Last(c.Action, c.Target); ok && last.State == JournalInProgress && last.ResumeToken != "" {
		if o, r, err := api.BeginRunCommand(ctx, c.Target, osType, "", last.ResumeToken); err == nil {
			op, result = o, r
		}
	}
	if op == nil {
		text, err := script()
		if err != nil {
			return "", err
		}
		if err := a.write(ctx, c, ""); err != nil {
			return "", err
		}
		if op, result, err = api.BeginRunCommand(ctx, c.Target, osType, text, ""); err != nil {
			return "", err
		}
	}
	if err := a.follow(ctx, i, c, start, op, note); err != nil {
		return "", err
	}
	res := result()
	if !res.Succeeded {
		msg := trimOutput(res.Stderr)
		if msg == "" {
			msg = trimOutput(res.Stdout)
		}
		return "", &azure.Error{Kind: azure.KindOperation, Op: "run-command", Code: "GuestScriptFailed", Message: redactSecrets(msg)}
	}
	detail := redactSecrets(trimOutput(res.Stdout))
	return detail, a.record(JournalEntry{Action: c.Action, Target: c.Target, State: JournalDone, Detail: detail, To: c.To,
		Seconds: a.now().Sub(start).Seconds()})
}

// trimOutput makes a script's output a detail: its non-empty lines joined
// with "; " (a detail is shown on one line, and in the report's tables), at
// most guestDetailMax bytes, cut at a character boundary with "…".
func trimOutput(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	s = strings.Join(parts, "; ")
	if len(s) <= guestDetailMax {
		return s
	}
	cut := s[:guestDetailMax]
	for !utf8.ValidString(cut) {
		cut = cut[:len(cut)-1]
	}
	return strings.TrimSpace(cut) + " …"
}
