package steps

import (
	tea "charm.land/bubbletea/v2"

	"github.com/backupready/backupready/ui"
)

// With --redact (ui/redact.go) the translator carries a redactor: it masks
// the subscription and tenant IDs it knows in every catalog text, and the
// shell masks the whole frame once more. The wizard learns those IDs here,
// in the sign-in and scope step's Update, before any screen can show them:
// the directories and the identity's tenant from sign-in, the subscriptions
// (and their tenants) from the list. IDs inside resource paths
// (/subscriptions/<id>/…) need no learning.

// learnIDs tells the redactor about the subscription and tenant IDs msg
// carries; nothing when redaction is off.
func (m scopeStep) learnIDs(msg tea.Msg) {
	r := m.c.Tr.Redactor()
	if r == nil {
		return
	}
	r.Add(m.si.remembered.Tenant)
	if m.si.opts != nil {
		r.Add(m.si.opts.Tenant)
	}
	for _, id := range m.sess.Preset.Subscriptions {
		r.Add(id)
	}
	switch msg := msg.(type) {
	case signedInMsg:
		r.Add(msg.id.TenantID)
	case tenantUsedMsg:
		r.Add(msg.tenant, msg.id.TenantID)
	case tenantsReadMsg:
		for _, t := range msg.tenants {
			r.Add(t.ID)
		}
	case identityReadMsg:
		r.Add(msg.id.TenantID)
	case subscriptionsReadMsg:
		for _, s := range msg.subs {
			r.Add(s.ID, s.TenantID)
		}
	}
}

// learnSession tells r about every subscription and tenant ID the session
// holds: an export may be written from a session whose IDs reached it some
// other way than the scope step (the accessible mode, a loaded plan).
func learnSession(sess *Session, r *ui.Redactor) {
	if r == nil || sess == nil {
		return
	}
	if sess.Identity != nil {
		r.Add(sess.Identity.TenantID)
	}
	for _, s := range sess.Subscriptions {
		r.Add(s.ID, s.TenantID)
	}
	r.Add(sess.Preset.Subscriptions...)
	if sess.Plan != nil {
		r.Add(sess.Plan.Subscription)
	}
}

// redactIDs masks the session's subscription and tenant IDs in an export
// (the report, the transcript) when --redact is on.
func redactIDs(sess *Session, tr *ui.Translator, s string) string {
	learnSession(sess, tr.Redactor())
	return tr.Redact(s)
}

// realIDsNote is what Review and Summary add, with --redact, after saying
// that the plan or the script was written: those files keep the real IDs
// (apply and az need them), so they are not for sharing. "" without
// --redact.
func realIDsNote(tr *ui.Translator) string {
	if !tr.Redactor().On() {
		return ""
	}
	return " " + tr.T("redact.files.real")
}
