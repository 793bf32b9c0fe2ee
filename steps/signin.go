package steps

import (
	"context"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"

	"github.com/backupready/backupready/azure"
	"github.com/backupready/backupready/ui"
)

// Sign-in, the first part of step 0: how to sign in (reuse az login when it
// works, a device code shown on screen, a browser where there is a display),
// then which directory (tenant) when the identity sees several.

// Authenticator signs the wizard's API in (azure.Authenticator).
type Authenticator interface {
	// Methods are the ways to offer, the default first; none when the
	// credential is fixed (the simulator).
	Methods() []azure.SignInMethod
	SignIn(ctx context.Context, method azure.SignInMethod, tenant string, prompt func(azure.DeviceCode)) (azure.Identity, error)
	UseTenant(ctx context.Context, tenant string) (azure.Identity, error)
}

// SignInOptions are what the sign-in part starts from.
type SignInOptions struct {
	Auth Authenticator
	// Tenant is --tenant: signed in there, no tenant picker.
	Tenant string
	// ConfigPath is the remembered choice's file ("" remembers nothing).
	ConfigPath string
	// VerifyTimeout bounds the check that az login works (0: 20 s).
	VerifyTimeout time.Duration
}

// tenantLister is the API's list of directories (*azure.Client has it).
type tenantLister interface {
	Tenants(ctx context.Context) ([]azure.Tenant, error)
}

type signInPhase int

const (
	siOff            signInPhase = iota // no Authenticator: the API's credential as it is
	siVerify                            // checking that az login works
	siChoose                            // choosing a way to sign in
	siWaiting                           // a sign-in in flight (device code, browser, simulator)
	siTenantsLoading                    // reading the directories
	siTenants                           // the tenant picker
	siSwitching                         // signing in to the chosen directory
	siDone
)

type (
	signedInMsg struct {
		gen int
		id  azure.Identity
		err error
	}
	deviceCodeMsg struct {
		gen  int
		code azure.DeviceCode
	}
	tenantsReadMsg struct {
		gen     int
		tenants []azure.Tenant
		err     error
	}
	tenantUsedMsg struct {
		gen    int
		tenant string
		id     azure.Identity
		err    error
	}
)

// signInState is the sign-in part's state inside the scope step.
type signInState struct {
	opts    *SignInOptions
	phase   signInPhase
	methods []azure.SignInMethod
	cursor  int
	method  azure.SignInMethod // the one in flight
	err     error              // the last failure, shown above the choices or the tenants
	code    *azure.DeviceCode
	cancel  context.CancelFunc
	stream  progressStream
	gen     int

	remembered    CloudChoice
	hasRemembered bool
	tenants       []azure.Tenant
	tenant        string // the directory in use
	tCursor       int
	switching     string // display name of the directory being signed in to
}

func (s signInState) on() bool { return s.phase != siOff }

// active reports whether the sign-in part owns the screen.
func (s signInState) active() bool { return s.phase != siOff && s.phase != siDone }

func (s signInState) busy() bool {
	switch s.phase {
	case siVerify, siWaiting, siTenantsLoading, siSwitching:
		return true
	}
	return false
}

// withSignIn turns the sign-in part on (nil leaves the API's credential as
// it is, as in tests and the accessible runner).
func (m scopeStep) withSignIn(o *SignInOptions) scopeStep {
	if o == nil || o.Auth == nil {
		return m
	}
	m.si = signInState{opts: o, phase: siWaiting, methods: o.Auth.Methods()}
	if cfg, err := LoadConfig(o.ConfigPath); err == nil {
		m.si.remembered, m.si.hasRemembered = cfg.Remembered(m.sess.Cloud)
	}
	return m
}

// startSignIn is the sign-in part's Init: the simulator signs in at once;
// on Azure, az login is checked when az is installed, else the choices.
func (m scopeStep) startSignIn() (scopeStep, tea.Cmd) {
	switch {
	case len(m.si.methods) == 0:
		m.si.phase = siWaiting
		return m.signInWith(azure.MethodAuto)
	case m.si.methods[0] == azure.MethodCLI:
		m.si.phase = siVerify
		return m.signInWith(azure.MethodCLI)
	}
	m.si.phase = siChoose
	return m, nil
}

// signInWith starts a sign-in with method in a command; a device code comes
// back through a stream while it waits.
func (m scopeStep) signInWith(method azure.SignInMethod) (scopeStep, tea.Cmd) {
	if m.si.cancel != nil {
		m.si.cancel()
	}
	m.si.gen++
	m.si.method, m.si.code, m.si.err = method, nil, nil
	if m.si.phase != siVerify {
		m.si.phase = siWaiting
	}
	ctx, cancel := context.WithCancel(m.sess.Context())
	if method == azure.MethodCLI {
		d := m.si.opts.VerifyTimeout
		if d <= 0 {
			d = 20 * time.Second
		}
		ctx, cancel = context.WithTimeout(m.sess.Context(), d)
	}
	m.si.cancel = cancel
	ps := newProgressStream()
	m.si.stream = ps
	auth, gen, tenant := m.si.opts.Auth, m.si.gen, m.si.opts.Tenant
	run := func() tea.Msg {
		defer ps.close()
		id, err := auth.SignIn(ctx, method, tenant, func(dc azure.DeviceCode) { ps.send(deviceCodeMsg{gen: gen, code: dc}) })
		cancel()
		return signedInMsg{gen: gen, id: id, err: err}
	}
	return m, tea.Batch(m.spin.Tick, run, ps.next())
}

func (m scopeStep) readTenants() tea.Cmd {
	tl, ok := m.api.(tenantLister)
	gen, ctx := m.si.gen, m.sess.Context()
	return func() tea.Msg {
		if !ok {
			return tenantsReadMsg{gen: gen}
		}
		ts, err := tl.Tenants(ctx)
		return tenantsReadMsg{gen: gen, tenants: ts, err: err}
	}
}

func (m scopeStep) useTenant(t azure.Tenant) (scopeStep, tea.Cmd) {
	m.si.phase, m.si.err = siSwitching, nil
	m.si.switching = tenantName(t)
	m.si.gen++
	auth, gen, ctx := m.si.opts.Auth, m.si.gen, m.sess.Context()
	return m, tea.Batch(m.spin.Tick, func() tea.Msg {
		id, err := auth.UseTenant(ctx, t.ID)
		return tenantUsedMsg{gen: gen, tenant: t.ID, id: id, err: err}
	})
}

// ChooseTenant decides the directory to use without asking: --tenant, the
// only one, or the remembered one (when it is still there). pick says the
// user must choose; index is the row to put the cursor on.
func ChooseTenant(tenants []azure.Tenant, preset, remembered, home string) (tenant string, pick bool, index int) {
	find := func(want string) int {
		return slices.IndexFunc(tenants, func(t azure.Tenant) bool {
			return want != "" && (strings.EqualFold(t.ID, want) || strings.EqualFold(t.DefaultDomain, want))
		})
	}
	switch {
	case preset != "":
		if i := find(preset); i >= 0 {
			return tenants[i].ID, false, i
		}
		return preset, false, 0
	case len(tenants) == 0:
		return home, false, 0
	case len(tenants) == 1:
		return tenants[0].ID, false, 0
	}
	if i := find(remembered); i >= 0 {
		return tenants[i].ID, false, i
	}
	return "", true, max(find(home), 0)
}

func tenantName(t azure.Tenant) string {
	return firstNonEmpty(t.Name, t.DefaultDomain, t.ID)
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// signInUpdate handles the sign-in part's messages and, while it owns the
// screen, its keys. ok is false for anything else.
func (m scopeStep) signInUpdate(msg tea.Msg) (scopeStep, tea.Cmd, bool) {
	if !m.si.on() {
		return m, nil, false
	}
	switch msg := msg.(type) {
	case deviceCodeMsg:
		if msg.gen != m.si.gen || m.si.phase != siWaiting {
			return m, nil, true
		}
		dc := msg.code
		m.si.code = &dc
		return m, m.si.stream.next(), true
	case signedInMsg:
		if msg.gen != m.si.gen {
			return m, nil, true
		}
		m.si.cancel = nil
		if msg.err != nil {
			if m.si.phase == siWaiting && len(m.si.methods) == 0 {
				// The simulator: fail as the identity read did.
				m.si.phase = siDone
				m.idState, m.idErr = stateFailed, msg.err
				return m, nil, true
			}
			if m.si.phase == siVerify {
				m.si.cursor = min(1, len(m.si.methods)-1) // device code
			}
			m.si.phase = siChoose
			if azure.SignInReason(msg.err) != azure.ReasonCanceled {
				m.si.err = msg.err
			}
			return m, nil, true
		}
		id := msg.id
		m.sess.Identity = &id
		m.idState = stateReady
		m.si.tenant = id.TenantID
		m.si.phase = siTenantsLoading
		return m, tea.Batch(m.spin.Tick, m.readTenants()), true
	case tenantsReadMsg:
		if msg.gen != m.si.gen {
			return m, nil, true
		}
		// A list that cannot be read (some service principals may not)
		// leaves the identity's own directory.
		m.si.tenants = msg.tenants
		slices.SortStableFunc(m.si.tenants, func(a, b azure.Tenant) int {
			return strings.Compare(strings.ToLower(tenantName(a)), strings.ToLower(tenantName(b)))
		})
		home := m.si.tenant
		tenant, pick, idx := ChooseTenant(m.si.tenants, m.si.opts.Tenant, m.si.remembered.Tenant, home)
		m.si.tCursor = idx
		switch {
		case pick:
			m.si.phase = siTenants
			return m, nil, true
		case tenant == "" || strings.EqualFold(tenant, home):
			return m.signedInto(home)
		}
		return m.useTenantID(tenant)
	case tenantUsedMsg:
		if msg.gen != m.si.gen {
			return m, nil, true
		}
		if msg.err != nil {
			m.si.phase, m.si.err = siTenants, msg.err
			return m, nil, true
		}
		id := msg.id
		m.sess.Identity = &id
		return m.signedInto(msg.tenant)
	case tea.KeyPressMsg:
		if !m.si.active() {
			if m.page == pageSubscriptions && len(m.si.tenants) > 1 && !m.subList.field.Focused() && key.Matches(msg, tenantsKey(m.c.Tr)) && !m.busy() {
				m.si.phase, m.si.err = siTenants, nil
				m.si.tCursor = max(slices.IndexFunc(m.si.tenants, func(t azure.Tenant) bool { return strings.EqualFold(t.ID, m.si.tenant) }), 0)
				return m, nil, true
			}
			return m, nil, false
		}
		return m.signInKey(msg)
	}
	return m, nil, false
}

func (m scopeStep) useTenantID(id string) (scopeStep, tea.Cmd, bool) {
	for _, t := range m.si.tenants {
		if strings.EqualFold(t.ID, id) {
			s, cmd := m.useTenant(t)
			return s, cmd, true
		}
	}
	s, cmd := m.useTenant(azure.Tenant{ID: id})
	return s, cmd, true
}

// signedInto ends the sign-in part in a directory: its subscriptions next.
func (m scopeStep) signedInto(tenant string) (scopeStep, tea.Cmd, bool) {
	m.si.phase, m.si.err, m.si.tenant = siDone, nil, tenant
	m.subsState, m.subsErr = stateLoading, nil
	m.subs, m.subSel = nil, map[string]bool{}
	m.sess.Subscriptions = nil
	return m, tea.Batch(m.spin.Tick, m.readSubscriptions()), true
}

func (m scopeStep) signInKey(km tea.KeyPressMsg) (scopeStep, tea.Cmd, bool) {
	k := m.c.Keys
	switch m.si.phase {
	case siChoose:
		switch {
		case key.Matches(km, k.Up) && km.Code != tea.KeyDown && km.String() != "j":
			m.si.cursor = max(m.si.cursor-1, 0)
		case key.Matches(km, k.Down):
			m.si.cursor = min(m.si.cursor+1, len(m.si.methods)-1)
		case key.Matches(km, k.Done), key.Matches(km, k.Retry):
			s, cmd := m.signInWith(m.si.methods[m.si.cursor])
			return s, cmd, true
		}
		return m, nil, true
	case siTenants:
		switch {
		case key.Matches(km, k.Up) && km.Code != tea.KeyDown && km.String() != "j":
			m.si.tCursor = max(m.si.tCursor-1, 0)
		case key.Matches(km, k.Down):
			m.si.tCursor = min(m.si.tCursor+1, len(m.si.tenants)-1)
		case key.Matches(km, k.Done):
			if len(m.si.tenants) > 0 {
				t := m.si.tenants[m.si.tCursor]
				if strings.EqualFold(t.ID, m.si.tenant) && m.sess.Identity != nil && strings.EqualFold(m.sess.Identity.TenantID, t.ID) {
					return m.signedInto(t.ID)
				}
				s, cmd := m.useTenant(t)
				return s, cmd, true
			}
		}
		return m, nil, true
	case siWaiting, siVerify:
		if km.Code == tea.KeyEscape && m.si.cancel != nil {
			m.si.cancel() // the sign-in ends as canceled: back to the choices
		}
		return m, nil, true
	}
	return m, nil, true
}

// signInBack handles Back while the sign-in part owns the screen: it
// cancels a sign-in in flight. ok says it was handled.
func (m scopeStep) signInBack() (scopeStep, bool) {
	if (m.si.phase == siWaiting || m.si.phase == siVerify) && m.si.cancel != nil && len(m.si.methods) > 0 {
		m.si.cancel()
		return m, true
	}
	return m, m.si.active()
}

// rememberChoice saves the directory and subscriptions chosen, in a command.
func (m scopeStep) rememberChoice() tea.Cmd {
	if !m.si.on() || m.si.opts.ConfigPath == "" {
		return nil
	}
	path, cl := m.si.opts.ConfigPath, m.sess.Cloud
	choice := CloudChoice{Tenant: m.si.tenant, Subscriptions: m.sess.SubscriptionIDs()}
	return func() tea.Msg {
		_ = Remember(path, cl, choice) // a convenience: a failure to write changes nothing else
		return nil
	}
}

// rememberedSubscriptions are the remembered subscriptions, when they were
// chosen in the directory now in use.
func (m scopeStep) rememberedSubscriptions() []string {
	if !m.si.hasRemembered || !strings.EqualFold(m.si.remembered.Tenant, m.si.tenant) {
		return nil
	}
	return m.si.remembered.Subscriptions
}

func tenantsKey(tr *ui.Translator) key.Binding {
	return key.NewBinding(key.WithKeys("t"), key.WithHelp("t", tr.T("signin.key.tenants")))
}

func (m scopeStep) signInKeys() []key.Binding {
	k, tr := m.c.Keys, m.c.Tr
	switch m.si.phase {
	case siChoose:
		return []key.Binding{k.Up, key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", tr.T("signin.key.signin")))}
	case siTenants:
		return []key.Binding{k.Up, key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", tr.T("signin.key.choose")))}
	case siWaiting, siVerify:
		if len(m.si.methods) > 0 {
			return []key.Binding{key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", tr.T("signin.key.cancel")))}
		}
	}
	return nil
}

func (m scopeStep) signInHint() string {
	tr := m.c.Tr
	switch m.si.phase {
	case siChoose:
		return tr.T("signin.hint.choose")
	case siTenants:
		return tr.T("signin.hint.tenants")
	case siWaiting, siVerify:
		if len(m.si.methods) > 0 {
			return tr.T("signin.hint.wait")
		}
	}
	return tr.T("scope.wait")
}

// SignInProblem explains a sign-in failure in words: what, why, next.
func SignInProblem(err error, cloudID, tenant string) Problem {
	reason := azure.SignInReason(err)
	if reason == "" {
		reason = azure.ReasonUnknown
	}
	code := ""
	if e, ok := azure.AsError(err); ok && strings.HasPrefix(e.Code, "AADSTS") {
		code = e.Code
	}
	scope := "https://management.core.windows.net//.default"
	if c, ok := Clouds[cloudID]; ok {
		if svc, ok := c.Services[cloud.ResourceManager]; ok && svc.Audience != "" {
			scope = strings.TrimSuffix(svc.Audience, "/") + "//.default"
		}
	}
	k := "signin.err." + reason
	return Problem{What: k, Why: k + ".why", Next: k + ".next", Exit: ExitSignIn, Err: err,
		Args: []any{"Tenant", tenant, "Code", code, "Scope", scope, "Cloud", cloudID, "CloudID", firstNonEmpty(cloudID, "AzureCloud"), "Method", ""}}
}

// Clouds are the clouds --cloud names, each one configuration for the
// credential and every ARM client.
var Clouds = map[string]cloud.Configuration{
	"AzureCloud":        cloud.AzurePublic,
	"AzureChinaCloud":   cloud.AzureChina,
	"AzureUSGovernment": cloud.AzureGovernment,
}

// signInView is the screen while the sign-in part owns it.
func (m scopeStep) signInView(w, h int) string {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	var lines []string
	switch m.si.phase {
	case siVerify:
		lines = append(lines, m.spin.View()+" "+st.App.Text.Render(ui.Truncate(tr.T("signin.verify"), w-2)))
	case siWaiting:
		switch {
		case len(m.si.methods) == 0:
			lines = append(lines, m.spin.View()+" "+st.App.Text.Render(tr.T("scope.signin.loading")))
		case m.si.method == azure.MethodDevice:
			lines = append(lines, m.deviceCodeLines(w)...)
		case m.si.method == azure.MethodBrowser:
			lines = append(lines, st.Body.Heading.Render(ui.Truncate(tr.T("signin.browser.heading"), w)), "")
			lines = append(lines, styleLines(ui.WrapLines(tr.T("signin.browser.wait"), w-2, 2), st.App.Text)...)
			lines[2] = m.spin.View() + " " + strings.TrimPrefix(lines[2], "  ")
			lines = append(lines, "", st.App.Muted.Render(ui.Truncate(tr.T("signin.cancel"), w)))
		default:
			lines = append(lines, m.spin.View()+" "+st.App.Text.Render(tr.T("scope.signin.loading")))
		}
	case siChoose:
		lines = append(lines, st.Body.Heading.Render(ui.Truncate(tr.T("signin.heading"), w)), "")
		if m.si.err != nil {
			lines = append(lines, problemLines(m.c, SignInProblem(m.si.err, m.sess.Cloud, m.si.opts.Tenant), w)...)
			lines = append(lines, "")
		}
		for i, meth := range m.si.methods {
			mark, style := "  ", st.App.Text
			if i == m.si.cursor {
				mark, style = x.Cursor.Render(ui.GlyphCursor)+" ", st.Table.Selected
			}
			lines = append(lines, mark+style.Render(ui.Truncate(tr.T("signin.method."+string(meth)), w-2)))
		}
		lines = append(lines, "")
		lines = append(lines, styleLines(ui.Wrap(tr.T("signin.choose.hint"), w), st.App.Muted)...)
	case siTenantsLoading:
		lines = append(lines, m.identityLines(w)...)
		lines = append(lines, "", m.spin.View()+" "+st.App.Text.Render(ui.Truncate(tr.T("signin.tenants.loading"), w-2)))
	case siSwitching:
		lines = append(lines, m.identityLines(w)...)
		lines = append(lines, "", m.spin.View()+" "+st.App.Text.Render(ui.Truncate(tr.T("signin.tenants.switching", "Name", m.si.switching), w-2)))
	case siTenants:
		lines = append(lines, m.tenantLines(w, h)...)
	}
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n")
}

func (m scopeStep) deviceCodeLines(w int) []string {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	lines := []string{st.Body.Heading.Render(ui.Truncate(tr.T("signin.device.heading"), w)), ""}
	if m.si.code == nil {
		lines = append(lines, m.spin.View()+" "+st.App.Text.Render(ui.Truncate(tr.T("signin.device.asking"), w-2)))
		return append(lines, "", st.App.Muted.Render(ui.Truncate(tr.T("signin.cancel"), w)))
	}
	dc := m.si.code
	lines = append(lines, styleLines(ui.WrapLines(tr.T("signin.device.open"), w, 3), st.App.Text)...)
	// The address on a line of its own, never wrapped inside: it is copied.
	lines = append(lines, "", "     "+st.App.Accent.Render(ui.Truncate(dc.URL, w-5)), "")
	lines = append(lines, styleLines(ui.WrapLines(tr.T("signin.device.enter"), w, 3), st.App.Text)...)
	lines = append(lines, "", "     "+x.Cursor.Bold(true).Render(dc.UserCode), "")
	lines = append(lines, styleLines(ui.Wrap(tr.T("signin.device.copy"), w), st.App.Muted)...)
	lines = append(lines, "", m.spin.View()+" "+st.App.Text.Render(ui.Truncate(tr.T("signin.device.wait"), w-2)))
	return append(lines, st.App.Muted.Render(ui.Truncate(tr.T("signin.cancel"), w)))
}

func (m scopeStep) tenantLines(w, h int) []string {
	tr, st, x := m.c.Tr, m.c.Styles, m.c.Extra
	lines := m.identityLines(w)
	lines = append(lines, "")
	head := st.Body.Heading.Render(tr.T("signin.tenants.heading")) + st.App.Muted.Render(" · "+tr.T("signin.tenants.count", "Count", len(m.si.tenants)))
	lines = append(lines, ui.Fit(head, w))
	var errLines []string
	if m.si.err != nil {
		errLines = append([]string{""}, problemLines(m.c, SignInProblem(m.si.err, m.sess.Cloud, m.si.switchingID()), w)...)
	}
	hint := styleLines(ui.Wrap(tr.T("signin.tenants.hint"), w), st.App.Muted)
	rows := max(h-len(lines)-len(hint)-len(errLines), 3)
	nameW, domW, idW := 0, 0, 0
	for _, t := range m.si.tenants {
		nameW, domW, idW = max(nameW, ui.Width(tr.Redact(tenantName(t)))), max(domW, ui.Width(t.DefaultDomain)), max(idW, ui.Width(tr.Redact(t.ID)))
	}
	tbl := ui.Table{
		Columns: []ui.Column{
			{Title: tr.T("scope.col.name"), Width: nameW, Min: min(nameW, 12), Priority: 100},
			{Title: tr.T("signin.tenants.col.domain"), Width: domW, Min: min(domW, 10), Priority: 50},
			{Title: tr.T("scope.col.ident"), Width: idW, Min: 8, Priority: 10, Flex: true},
		},
		Rows: len(m.si.tenants),
		Cell: func(r, c int) string {
			t := m.si.tenants[r]
			return []string{tr.Redact(tenantName(t)), t.DefaultDomain, tr.Redact(t.ID)}[c]
		},
		Style: func(r, c int) lipgloss.Style {
			if c == 2 {
				return st.Table.ID
			}
			return st.Table.Cell
		},
		Lead: func(r int) string {
			if strings.EqualFold(m.si.tenants[r].ID, m.si.tenant) {
				return ui.GlyphChecked
			}
			return " "
		},
		LeadWidth:   4,
		Cursor:      m.si.tCursor,
		Offset:      ui.ScrollOffset(m.si.tCursor, 0, rows-1, len(m.si.tenants)),
		HeaderStyle: st.Table.Header,
		CursorStyle: st.Table.Selected,
		MarkerStyle: x.Cursor,
	}
	lines = append(lines, ui.Lines(ui.Frame(tbl.Render(w, rows), w, rows))...)
	lines = append(lines, errLines...)
	return append(lines, hint...)
}

// switchingID is the directory a failed switch was for (for the problem's
// words): the one under the cursor.
func (s signInState) switchingID() string {
	if s.tCursor >= 0 && s.tCursor < len(s.tenants) {
		return s.tenants[s.tCursor].ID
	}
	return s.opts.Tenant
}

// currentTenant is the directory in use, when it is one of the listed.
func (m scopeStep) currentTenant() *azure.Tenant {
	for i := range m.si.tenants {
		if strings.EqualFold(m.si.tenants[i].ID, m.si.tenant) {
			return &m.si.tenants[i]
		}
	}
	return nil
}
