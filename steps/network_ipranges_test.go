package steps

import (
	"context"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// chooseIPRanges moves to IP ranges (the last choice) and takes it.
func (d *netDriver) chooseIPRanges() {
	for range len(netModes) {
		d.key(tea.KeyDown)
	}
	d.key(tea.KeyEnter)
}

// IP ranges is a real choice: chosen, the step reads the service tags and
// shows the counts, the change number, the churn and the limits, and the
// NSG with its two new rules before the rule that blocks, long prefix lists
// summarised; Review plans the same rules; the priority works as with
// service tags and keeps the mode.
func TestNetworkIPRanges(t *testing.T) {
	sess, api := netSession(t)
	d := newNetDriver(t, "en", sess, api)
	d.chooseIPRanges()
	if sess.Plan.Network.Mode != NetworkIPRanges || !d.s.Complete() || d.m().page != netPageRules {
		t.Fatalf("plan network %+v, complete %v, page %d", sess.Plan.Network, d.s.Complete(), d.m().page)
	}
	set := d.m().ipr.set
	if set == nil || set.Err != nil || len(set.IPv4) < 20 || len(set.IPv6) < 5 {
		t.Fatalf("tags %+v", set)
	}
	view := d.view()
	for _, want := range []string{
		fmt.Sprintf("Storage.WestEurope: %d IPv4 and %d IPv6 prefixes, change number %s (list 63)", len(set.IPv4), len(set.IPv6), set.ChangeNumber),
		"Microsoft changes these lists every week", "not confirmed against Azure", "1000 rules and 4000 destination addresses",
		fmt.Sprintf("and %d more", len(set.IPv4)-3), "port 443",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("the view should say %q:\n%s", want, view)
		}
	}
	i4, i6, j := strings.Index(view, "+ 199 "+IPRangesRuleV4), strings.Index(view, "+ 198 "+IPRangesRuleV6), strings.Index(view, "! 200 DenyInternetOutbound")
	if i4 < 0 || i6 < 0 || j < 0 || i6 > i4 || i4 > j {
		t.Errorf("the new rules at 198 and 199 should come before DenyInternetOutbound:\n%s", view)
	}
	// the planner plans the same rules
	got := map[string]string{}
	for _, c := range reviewChanges(t, sess, api) {
		if c.Action == ActionNSGRule && c.Kind == Create {
			got[lastSegment(c.Target)] = c.To
		}
	}
	if got[IPRangesRuleV4] != "199" || got[IPRangesRuleV6] != "198" {
		t.Errorf("Review should plan the rules at 199 and 198: %v", got)
	}

	// a priority: refused as typed when it loses, taken when it wins
	d.key('p')
	if !d.s.Capturing() {
		t.Fatal("p should open the priority field")
	}
	d.typ("250")
	if v := d.view(); !strings.Contains(v, "does not win over DenyInternetOutbound (200)") {
		t.Errorf("250 should be refused as typed:\n%s", v)
	}
	d.clear()
	d.typ("150")
	d.key(tea.KeyEnter)
	if n := sess.Plan.Network; n.Mode != NetworkIPRanges || n.NSGRulePriority != "150" || d.s.Capturing() {
		t.Fatalf("plan network %+v", n)
	}
	if v := d.view(); !strings.Contains(v, "+ 150 "+IPRangesRuleV4) || !strings.Contains(v, "+ 151 "+IPRangesRuleV6) {
		t.Errorf("the rules should be at 150 and 151:\n%s", v)
	}
	// back to the choices: IP ranges stays the plan's mode, and choosing it
	// again does not read the tags again
	s, _, handled := d.s.Back()
	d.s = s
	if !handled || d.m().page != netPageMain || !strings.Contains(d.view(), "(•) IP ranges") {
		t.Errorf("Back should return to the choices with IP ranges chosen:\n%s", d.view())
	}
	gen := d.m().ipr.gen
	d.key(tea.KeyEnter)
	if d.m().ipr.gen != gen || d.m().page != netPageRules {
		t.Errorf("the tags were read again (gen %d→%d)", gen, d.m().ipr.gen)
	}
}

// failingTags is the simulator with a service-tag API that refuses.
type failingTags struct{ *azure.Client }

func (failingTags) ServiceTags(context.Context, string, string) (string, []azure.ServiceTag, error) {
	return "", nil, &azure.Error{Kind: azure.KindForbidden, Op: "list-service-tags", Code: "AuthorizationFailed",
		Message: "The client does not have authorization to perform action 'Microsoft.Network/locations/serviceTags/read'."}
}

// Tags that cannot be read: what happened, and what to do instead; the
// plan keeps the mode, and Review says it is not carried out.
func TestNetworkIPRangesUnreadable(t *testing.T) {
	sess, api := netSession(t)
	d := newNetDriver(t, "en", sess, failingTags{api})
	d.chooseIPRanges()
	v := d.view()
	for _, want := range []string{"choose service tags, which need no list", "choose IP ranges again"} {
		if !strings.Contains(v, want) {
			t.Errorf("the view should say %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, IPRangesRuleV4) {
		t.Errorf("no rule without the list:\n%s", v)
	}
	live, err := ReadLiveState(t.Context(), failingTags{api}, sess.Plan)
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := Changes(sess.Plan, live)
	found := false
	for _, c := range cs {
		if c.Action == ActionNetworkMode && c.Kind == Skip && c.Reason == "change.reason.ipranges-no-tags" {
			found = true
			if text := translator(t, "en").T(c.Reason, c.Args...); !strings.Contains(text, "AuthorizationFailed") || !strings.Contains(text, "serviceTags") {
				t.Errorf("reason %q", text)
			}
		}
		if c.Action == ActionNSGRule {
			t.Errorf("no rule without the list: %+v", c)
		}
	}
	if !found {
		t.Errorf("Review should skip the mode and say why: %+v", cs)
	}
}

// Every line fits the width, in every language, narrow or wide, including
// the summarised prefix lists.
func TestNetworkIPRangesFits(t *testing.T) {
	for _, lang := range ui.Languages {
		sess, api := netSession(t)
		d := newNetDriver(t, lang, sess, api)
		d.chooseIPRanges()
		for _, w := range []int{40, 56, 60, 72, 80, 96, 120} {
			for _, h := range []int{16, 24, 60} {
				d.msg(ui.BodySizeMsg{Width: w, Height: h})
				lines := strings.Split(d.s.View(w, h), "\n")
				if len(lines) > h {
					t.Errorf("%s %dx%d: %d lines", lang, w, h, len(lines))
				}
				for _, l := range lines {
					if lw := ansi.StringWidth(l); lw > w {
						t.Errorf("%s %dx%d: line of %d cells: %q", lang, w, h, lw, ansi.Strip(l))
					}
				}
			}
		}
	}
}

func TestDestSummary(t *testing.T) {
	tr := translator(t, "en")
	dests := []string{"198.18.224.0/25", "198.18.224.128/27", "198.18.224.192/26", "198.18.225.0/24", "198.18.227.0/27"}
	for _, tt := range []struct {
		width int
		want  string
	}{
		{200, "198.18.224.0/25, 198.18.224.128/27, 198.18.224.192/26 and 2 more  port 443"},
		{60, "198.18.224.0/25, 198.18.224.128/27 and 3 more  port 443"},
		{40, "198.18.224.0/25 and 4 more  port 443"},
	} {
		if got := destSummary(tr, dests, []string{"443"}, tt.width); got != tt.want {
			t.Errorf("%d: %q, want %q", tt.width, got, tt.want)
		}
	}
	if got := destSummary(tr, dests, []string{"443"}, 12); ui.Width(got) > 12 {
		t.Errorf("too narrow: %q", got)
	}
	if got := destSummary(tr, []string{"Internet"}, []string{"*"}, 40); got != "Internet  port *" {
		t.Errorf("one destination: %q", got)
	}
	zh := translator(t, "zh")
	if got := destSummary(zh, dests, []string{"443"}, 50); ui.Width(got) > 50 || !strings.Contains(got, "等另外") {
		t.Errorf("zh: %q", got)
	}
}

// The IP ranges page at the golden sizes, in every language.
func TestNetworkIPRangesScreen(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		hs, sess := netHarness(t, lang, w, h)
		hs.waitText("api-01")
		for range len(netModes) {
			hs.down()
		}
		hs.enter()
		// the heading names the tag, and so does the counts line once read
		s := hs.waitFor("the prefix counts", func(s snapshot) bool { return strings.Count(s.view, "Storage.WestEurope") >= 2 })
		checkSize(t, s.view, w, h)
		if sess.Plan.Network.Mode != NetworkIPRanges {
			t.Errorf("mode %q", sess.Plan.Network.Mode)
		}
		golden.RequireEqual(t, hs.final())
	})
}
