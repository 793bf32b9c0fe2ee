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

// proxySession is a session over the simulated demo tenant whose proxy
// path through gateway-01 is closed (closeProxyPath), with a plan in proxy
// mode for web-prod-01 and api-01 through host:3128.
func proxySession(t *testing.T, host string) (*Session, *azure.Client) {
	t.Helper()
	_, api := simClient(t, 0, netClock, nil)
	closeProxyPath(t, api)
	inv, err := api.Inventory(t.Context(), []string{simProd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := protectPlan(false)
	p.Network = PlanNetwork{Mode: NetworkProxy, NSGRulePriority: PriorityAuto, Proxy: &PlanProxy{Host: host, Port: 3128}}
	return &Session{Cloud: CloudPublic, Demo: true, Inventory: inv, Plan: p, Selected: p.VMs,
		PlanPath: filepath.Join(t.TempDir(), "plan.yaml"), Log: NewTranscript(netClock)}, api
}

// proxyPage opens the proxy page of a proxy plan.
func proxyPage(t *testing.T, lang string, sess *Session, api *azure.Client) *netDriver {
	t.Helper()
	d := newNetDriver(t, lang, sess, api)
	if netModes[d.m().cursor] != NetworkProxy {
		t.Fatalf("the cursor is on %s", netModes[d.m().cursor])
	}
	d.key(tea.KeyEnter)
	if d.m().page != netPageProxy || d.s.Capturing() {
		t.Fatalf("page %d, capturing %v", d.m().page, d.s.Capturing())
	}
	return d
}

// fullPage is the whole proxy page at width w, every scroll position
// joined, each line checked to fit.
func fullPage(t *testing.T, d *netDriver, w, h int) string {
	t.Helper()
	m := d.m()
	var all []string
	for off := 0; off < 200; off += max(h-8, 1) {
		m.off = off
		for _, l := range m.proxyView(w, h) {
			if lw := ansi.StringWidth(l); lw > w {
				t.Errorf("%d cells wide at %d: %q", lw, w, ansi.Strip(l))
			}
			all = append(all, ansi.Strip(l))
		}
	}
	return strings.Join(strings.Fields(strings.Join(all, " ")), " ")
}

// The proxy page says where the proxy is, the rules the plan adds on both
// sides, the firewall the plan opens or what an outside owner must allow,
// and fits 80 and 120 columns in every language.
func TestNetworkProxyPath(t *testing.T) {
	cases := []struct {
		host string
		want []string
		not  []string
	}{
		{"10.10.4.4", []string{
			"The proxy is the Azure VM gateway-01 (10.10.4.4, subnet snet-edge)",
			"NSG rules the plan adds for the proxy path",
			"nsg-api-restricted", "AllowBackupProxyOutbound", "10.10.4.4/32:3128",
			"nsg-edge-weu", "AllowBackupProxyInbound", "AllowBackupProxyInternetOutbound", "Internet:80,443",
			"Host firewall of gateway-01: Run Command opens TCP 3128 from 10.10.1.0/24, 10.10.5.0/24",
			"Inside the VMs", "On each Linux VM (web-prod-01, api-01)",
		}, []string{"owner must allow"}},
		{"10.99.0.5", []string{
			"No VM of this subscription has the address 10.99.0.5",
			"AllowBackupProxyOutbound", "10.99.0.5/32:3128",
			"The proxy's owner must allow inbound TCP 3128 from 10.10.1.0/24, 10.10.5.0/24, and outbound TCP 80 and 443",
		}, []string{"Host firewall of", "AllowBackupProxyInbound"}},
		{"squid.contoso.example", []string{
			"No VM of this subscription is named squid.contoso.example",
			"lets in TCP 3128 from 10.10.1.0/24, 10.10.5.0/24",
		}, []string{"AllowBackupProxy", "Host firewall of"}},
		{"gateway-01.contoso.internal", []string{
			"The proxy is the Azure VM gateway-01 (10.10.4.4, subnet snet-edge)", "AllowBackupProxyInbound",
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.host, func(t *testing.T) {
			sess, api := proxySession(t, tc.host)
			d := proxyPage(t, "en", sess, api)
			page := fullPage(t, d, 100, 40)
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("the page lacks %q:\n%s", w, page)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(page, w) {
					t.Errorf("the page says %q:\n%s", w, page)
				}
			}
			for _, lang := range ui.Languages {
				d := proxyPage(t, lang, sess, api)
				for _, w := range []int{56, 96} { // the body at 80 and 120 columns
					fullPage(t, d, w, 20)
				}
			}
		})
	}
}

func TestNetworkProxyPage(t *testing.T) {
	each(t, func(t *testing.T, lang string, w, h int) {
		sess, api := proxySession(t, "10.10.4.4")
		hs := newStepHarness(t, lang, "network", w, h, func(c *ui.Common) ui.Step {
			m := newNetworkStep(c, sess, api)
			m.pollEvery = time.Millisecond
			return m
		}, func(msg tea.Msg) bool { _, ok := msg.(spinner.TickMsg); return ok })
		hs.waitText("api-01")
		hs.enter()
		s := hs.waitText("10.10.4.4")
		checkSize(t, s.view, w, h)
		golden.RequireEqual(t, hs.final())
	})
}
