package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/steps"
	"github.com/backupready/backupready/ui"
)

// On a stderr that is not a terminal (a CI log), a throttle wait is a line
// of its own saying which service, how long and that nothing is wrong; the
// scan's progress goes on afterwards without it.
func TestCheckSaysThrottleWaits(t *testing.T) {
	for _, lang := range []string{"en", "zh", "ja"} {
		tr, err := ui.NewTranslator(lang)
		if err != nil {
			t.Fatal(err)
		}
		no := false
		var errb bytes.Buffer
		d := &deps{io: &ioStreams{err: &errb, ttyErr: &no}, tr: tr}
		p := newProgressLine(d)
		p.update(steps.ScanProgress{Phase: steps.PhaseAgents, Done: 3, Total: 9})
		until := time.Now().Add(45 * time.Second)
		p.update(steps.ScanProgress{Throttle: azure.ThrottleWait{Service: "compute", Wait: 45 * time.Second, Until: until, RetryAfter: true}})
		p.update(steps.ScanProgress{Phase: steps.PhaseAgents, Done: 4, Total: 9})
		p.done()
		got := errb.String()
		want := tr.T("scan.throttle.asked", "Service", tr.T("scan.throttle.service.compute"), "Seconds", 45, "Until", until.Local().Format("15:04:05"))
		if strings.Count(got, "\n") != 1 || strings.TrimSpace(got) != want || strings.Contains(got, "scan.throttle") {
			t.Errorf("%s: stderr %q, want the line %q", lang, got, want)
		}
		if p.throttle.Wait != 0 || p.last.Done != 4 {
			t.Errorf("%s: after the wait, progress %+v throttle %+v", lang, p.last, p.throttle)
		}
	}
}

// demo fleet --subscriptions spreads the VMs over that many subscriptions
// (the throttling benchmark's 20); the default is the two-subscription
// fleet.
func TestDemoFleetSubscriptions(t *testing.T) {
	count := func(args ...string) int {
		code, out, stderr := runCLI(t, nil, false, append([]string{"demo", "fleet", "--vms", "40"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d %s", args, code, stderr)
		}
		var f struct {
			Subscriptions []json.RawMessage `json:"subscriptions"`
		}
		if err := json.Unmarshal([]byte(out), &f); err != nil {
			t.Fatal(err)
		}
		return len(f.Subscriptions)
	}
	if n := count("--subscriptions", "20"); n != 20 {
		t.Errorf("--subscriptions 20: %d subscriptions", n)
	}
	if n := count(); n != 2 {
		t.Errorf("default: %d subscriptions", n)
	}
}
