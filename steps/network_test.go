package steps

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// netClock is the fixed time of the network tests' transcripts.
var netClock = func() time.Time { return time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC) }

// netSession is a session over a fresh simulated demo tenant with a plan
// for web-prod-01 and api-01 in westeurope, the inventory read from the
// simulator.
func netSession(t *testing.T) (*Session, *azure.Client) {
	t.Helper()
	_, api := simClient(t, 0, netClock, nil)
	inv, err := api.Inventory(t.Context(), []string{simProd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := protectPlan(false)
	p.Network = PlanNetwork{Mode: NetworkNone, NSGRulePriority: PriorityAuto}
	return &Session{Cloud: CloudPublic, Demo: true, Inventory: inv, Plan: p, Selected: p.VMs,
		PlanPath: filepath.Join(t.TempDir(), "plan.yaml"), Log: NewTranscript(netClock)}, api
}

// netDriver drives the step without a program: commands run at once, in
// order; spinner ticks are dropped.
type netDriver struct {
	t *testing.T
	s ui.Step
}

func newNetDriver(t *testing.T, lang string, sess *Session, api networkStepAPI) *netDriver {
	t.Helper()
	m := newNetworkStep(ui.NewCommon(translator(t, lang)), sess, api)
	m.pollEvery = time.Millisecond
	d := &netDriver{t: t, s: m}
	d.msg(ui.BodySizeMsg{Width: 100, Height: 40})
	s, cmd := d.s.Activate()
	d.s = s
	d.run(cmd)
	return d
}

func (d *netDriver) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case nil, spinner.TickMsg:
	case tea.BatchMsg:
		for _, c := range msg {
			d.run(c)
		}
	default:
		d.msg(msg)
	}
}

func (d *netDriver) msg(msg tea.Msg) {
	s, cmd := d.s.Update(msg)
	d.s = s
	d.run(cmd)
}

func (d *netDriver) key(code rune) {
	k := tea.KeyPressMsg{Code: code}
	if code >= ' ' && code < 0x7f {
		k.Text = string(code)
	}
	d.msg(k)
}

func (d *netDriver) typ(s string) {
	for _, r := range s {
		d.key(r)
	}
}

func (d *netDriver) clear() {
	for range 40 {
		d.key(tea.KeyBackspace)
	}
}

func (d *netDriver) view() string {
	return strings.Join(strings.Fields(ansi.Strip(d.s.View(100, 40))), " ")
}

func (d *netDriver) m() networkStep { return d.s.(networkStep) }

func TestNetworkDiagnosis(t *testing.T) {
	sess, api := netSession(t)
	d := newNetDriver(t, "en", sess, api)
	m := d.m()
	got := map[string]NetVerdict{}
	for _, v := range m.diag {
		got[v.VM.Name] = v
	}
	if v := got["api-01"]; v.State != NetBlocked || v.Rule != "DenyInternetOutbound" || v.Priority != 200 || v.NSG != "nsg-api-restricted" {
		t.Errorf("api-01: %+v", v)
	}
	if v := got["web-prod-01"]; v.State != NetAllowed {
		t.Errorf("web-prod-01: %+v", v)
	}
	view := d.view()
	for _, want := range []string{"api-01 blocked by DenyInternetOutbound (200) in nsg-api-restricted", "web-prod-01 allowed by",
		"Recommended: service tags", "Service tags recommended"} {
		if !strings.Contains(view, want) {
			t.Errorf("the view should say %q:\n%s", want, view)
		}
	}
	if m.recommend() != NetworkServiceTags || netModes[m.cursor] != NetworkServiceTags {
		t.Errorf("recommend %s, cursor on %s", m.recommend(), netModes[m.cursor])
	}
	if d.s.Complete() {
		t.Error("a blocked VM needs a choice before Next")
	}
}

func TestNetworkServiceTags(t *testing.T) {
	sess, api := netSession(t)
	d := newNetDriver(t, "en", sess, api)
	d.key(tea.KeyEnter)
	if sess.Plan.Network.Mode != NetworkServiceTags || sess.Plan.Network.NSGRulePriority != PriorityAuto || !d.s.Complete() {
		t.Fatalf("plan network %+v, complete %v", sess.Plan.Network, d.s.Complete())
	}
	view := d.view()
	i, j := strings.Index(view, "+ 199 AllowAzureBackupStorageOutbound"), strings.Index(view, "! 200 DenyInternetOutbound")
	if i < 0 || j < 0 || i > j {
		t.Errorf("the new rule at 199 should come before DenyInternetOutbound:\n%s", view)
	}
	// the planner plans the same rule
	cs := reviewChanges(t, sess, api)
	found := false
	for _, c := range cs {
		if c.Action == ActionNSGRule && c.Kind == Create && c.To == "199" && strings.Contains(c.Target, "nsg-api-restricted") {
			found = true
		}
	}
	if !found {
		t.Errorf("the planner should add the rule at 199: %+v", cs)
	}

	// a priority that loses is refused as typed; one that wins is taken
	d.key('p')
	if !d.s.Capturing() {
		t.Fatal("p should open the priority field")
	}
	d.typ("250")
	if v := d.view(); !strings.Contains(v, "does not win over DenyInternetOutbound (200) in nsg-api-restricted") {
		t.Errorf("250 should be refused as typed:\n%s", v)
	}
	d.key(tea.KeyEnter)
	if sess.Plan.Network.NSGRulePriority != PriorityAuto || !d.s.Capturing() {
		t.Errorf("enter must not take 250: %+v", sess.Plan.Network)
	}
	d.clear()
	d.typ("99")
	if v := d.view(); !strings.Contains(v, "from 100 to 4096") {
		t.Errorf("99 is out of range:\n%s", v)
	}
	d.clear()
	d.typ("150")
	if v := d.view(); !strings.Contains(v, "wins and is free") {
		t.Errorf("150 should be accepted:\n%s", v)
	}
	d.key(tea.KeyEnter)
	if sess.Plan.Network.NSGRulePriority != "150" || d.s.Capturing() {
		t.Errorf("plan network %+v", sess.Plan.Network)
	}
	if v := d.view(); !strings.Contains(v, "+ 150 AllowAzureBackupStorageOutbound") {
		t.Errorf("the new rule should be at 150:\n%s", v)
	}
	// Back leaves the rules for the choices, keeping the choice
	s, _, handled := d.s.Back()
	d.s = s
	if !handled || d.m().page != netPageMain || !d.s.Complete() {
		t.Errorf("Back should return to the choices, handled %v", handled)
	}
}

func TestCheckPriority(t *testing.T) {
	sess, _ := netSession(t)
	views := ServiceTagViews(sess.Plan, sess.Inventory, planVMs(sess.Plan, sess.Inventory))
	if len(views) != 1 || views[0].NSG.Name != "nsg-api-restricted" || views[0].Change.To != "199" {
		t.Fatalf("views %+v", views)
	}
	for _, tt := range []struct{ in, want string }{
		{"", ""}, {"auto", ""}, {"150", ""}, {"199", ""}, {"100", ""},
		{"200", "network.prio.loses"}, {"250", "network.prio.loses"}, {"99", "network.prio.range"},
		{"4097", "network.prio.range"}, {"x", "network.prio.range"},
	} {
		if got, _ := CheckPriority(views, tt.in); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.in, got, tt.want)
		}
	}
	// a number another outbound rule holds is taken
	n := *views[0].NSG
	n.Rules = append(append([]azure.SecurityRule(nil), n.Rules...),
		azure.SecurityRule{Name: "AllowDNS", Priority: 150, Direction: "Outbound", Access: "Allow", Protocol: "Udp", Destinations: []string{"*"}, DestPorts: []string{"53"}})
	views[0].NSG = &n
	if got, _ := CheckPriority(views, "150"); got != "network.prio.taken" {
		t.Errorf("150 is held by AllowDNS: %q", got)
	}
}

func TestNetworkProxy(t *testing.T) {
	sess, api := netSession(t)
	d := newNetDriver(t, "en", sess, api)
	d.key(tea.KeyDown) // HTTP proxy
	d.key(tea.KeyEnter)
	if d.m().page != netPageProxy || !d.s.Capturing() {
		t.Fatal("enter on the proxy should open its fields")
	}
	d.typ("http://10.0.0.5")
	if v := d.view(); !strings.Contains(v, "without a scheme") {
		t.Errorf("a scheme should be refused:\n%s", v)
	}
	d.key(tea.KeyEnter)
	if sess.Plan.Network.Mode != NetworkNone || d.s.Complete() {
		t.Errorf("an invalid proxy must not go into the plan: %+v", sess.Plan.Network)
	}
	d.clear()
	d.typ("10.0.0.5")
	d.key(tea.KeyDown)
	d.typ("70000")
	if v := d.view(); !strings.Contains(v, "from 1 to 65535") {
		t.Errorf("a bad port should be refused:\n%s", v)
	}
	d.clear()
	d.typ("3128")
	d.key(tea.KeyEnter)
	n := sess.Plan.Network
	if n.Mode != NetworkProxy || n.Proxy == nil || n.Proxy.Host != "10.0.0.5" || n.Proxy.Port != 3128 || !d.s.Complete() {
		t.Fatalf("plan network %+v", n)
	}
	v := d.view()
	for _, want := range []string{"On each Linux VM (web-prod-01, api-01)", "sudo backupready guest proxy --host 10.0.0.5 --port 3128",
		"The proxy's owner must allow inbound TCP 3128 from 10.10.1.0/24, 10.10.5.0/24", "Authenticated proxies are not supported"} {
		if !strings.Contains(v, want) {
			t.Errorf("the view should say %q:\n%s", want, v)
		}
	}
	// the planner says what the owner of a proxy outside Azure must allow
	cs := reviewChanges(t, sess, api)
	skipped := false
	for _, c := range cs {
		skipped = skipped || (c.Action == ActionProxyPath && c.Kind == Skip && c.Reason == "change.reason.proxy-path-outside")
	}
	if !skipped {
		t.Errorf("Review should list what the proxy's owner must allow: %+v", cs)
	}
}

func TestProxyInput(t *testing.T) {
	for _, tt := range []struct{ host, port, noProxy, want string }{
		{"10.0.0.5", "3128", "", ""},
		{"proxy.contoso.com", "8080", "localhost, .contoso.com", ""},
		{"", "3128", "", "network.proxy.err.host.missing"},
		{"http://p", "3128", "", "network.proxy.err.host.scheme"},
		{"p:3128", "3128", "", "network.proxy.err.host.port"},
		{"u:pw@p", "3128", "", "network.proxy.err.host.auth"},
		{"a b", "3128", "", "network.proxy.err.host.space"},
		{"p", "", "", "network.proxy.err.port.missing"},
		{"p", "0x", "", "network.proxy.err.port.range"},
		{"p", "65536", "", "network.proxy.err.port.range"},
		{"p", "80", "a b", "network.proxy.err.no-proxy.space"},
	} {
		if _, got := ProxyInput(tt.host, tt.port, tt.noProxy); got != tt.want {
			t.Errorf("%q %q %q: %q, want %q", tt.host, tt.port, tt.noProxy, got, tt.want)
		}
	}
}

// The effective rules of the running VMs agree with the NSGs' verdicts.
func TestNetworkEffectiveRules(t *testing.T) {
	sess, api := netSession(t)
	d := newNetDriver(t, "en", sess, api)
	d.key('e')
	m := d.m()
	if len(m.eff) == 0 {
		t.Fatal("e should read the effective rules")
	}
	for _, dv := range m.diag {
		e, ok := m.eff[dv.VM.ID]
		if !ok {
			continue
		}
		if e.state != stateReady {
			t.Errorf("%s: %+v", dv.VM.Name, e)
			continue
		}
		if (e.verdict.State == NetBlocked) != (dv.State == NetBlocked) {
			t.Errorf("%s: effective %+v, NSGs %+v", dv.VM.Name, e.verdict, dv)
		}
	}
	if v := d.view(); !strings.Contains(v, "the effective rules agree") {
		t.Errorf("the view should say the effective rules agree:\n%s", v)
	}
}

func TestNetworkNeedsAPlan(t *testing.T) {
	sess, api := netSession(t)
	sess.Plan = nil
	d := newNetDriver(t, "en", sess, api)
	if d.s.Complete() || d.s.Hint() == "" || !strings.Contains(d.view(), "Choose a vault first") {
		t.Errorf("without a plan the step waits for the vault: %s", d.view())
	}
}

// Nothing blocked: "none" is recommended and the step is complete at once.
func TestNetworkNothingBlocked(t *testing.T) {
	sess, api := netSession(t)
	sess.Plan.VMs = []string{simWebVM}
	d := newNetDriver(t, "en", sess, api)
	if d.m().recommend() != NetworkNone || netModes[d.m().cursor] != NetworkNone || !d.s.Complete() {
		t.Errorf("nothing blocked should recommend none and be complete")
	}
}

// reviewChanges are the changes Review lists for the session's plan: the
// planner over the live state read from the simulator.
func reviewChanges(t *testing.T, sess *Session, api *azure.Client) []Change {
	t.Helper()
	live, err := ReadLiveState(t.Context(), api, sess.Plan)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := Changes(sess.Plan, live)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// ---- screens ----

func netHarness(t *testing.T, lang string, w, h int) (*harness, *Session) {
	t.Helper()
	sess, api := netSession(t)
	hs := newStepHarness(t, lang, "network", w, h, func(c *ui.Common) ui.Step {
		m := newNetworkStep(c, sess, api)
		m.pollEvery = time.Millisecond
		return m
	}, func(msg tea.Msg) bool { _, ok := msg.(spinner.TickMsg); return ok })
	return hs, sess
}

func TestNetworkStep(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		hs, _ := netHarness(t, lang, w, h)
		hs.waitText("api-01")
		s := hs.now()
		checkSize(t, s.view, w, h)
		golden.RequireEqual(t, hs.final())
	})
}

func TestNetworkRules(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		hs, sess := netHarness(t, lang, w, h)
		hs.waitText("api-01")
		hs.enter()
		s := hs.waitText("AllowAzureBackupStorageOutbound")
		checkSize(t, s.view, w, h)
		if sess.Plan.Network.Mode != NetworkServiceTags {
			t.Errorf("mode %q", sess.Plan.Network.Mode)
		}
		golden.RequireEqual(t, hs.final())
	})
}

// The layout holds at the smallest window, in every language.
func TestNetworkSmallWindow(t *testing.T) {
	for _, lang := range ui.Languages {
		t.Run(lang, func(t *testing.T) {
			hs, _ := netHarness(t, lang, 60, 16)
			s := hs.waitText("api-01")
			checkSize(t, s.view, 60, 16)
			hs.enter()
			s = hs.waitText("nsg-api-restricted")
			checkSize(t, s.view, 60, 16)
		})
	}
}
