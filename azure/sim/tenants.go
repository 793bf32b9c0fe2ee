package sim

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"
)

// Tenants: the directories the identity belongs to, and which of them a
// token is for. As on Azure, GET /subscriptions lists the subscriptions of
// the token's tenant only (AZURE.md §1.1); GET /tenants lists them all.

// addSubscriptionTenants lists every tenant a subscription names, so that a
// scenario whose subscriptions span tenants needs no tenants: section.
func (st *state) addSubscriptionTenants() {
	known := map[string]bool{}
	for _, t := range st.tenants {
		known[strings.ToLower(t.ID)] = true
	}
	for _, s := range st.subs {
		if s.TenantID == "" || known[strings.ToLower(s.TenantID)] {
			continue
		}
		known[strings.ToLower(s.TenantID)] = true
		name := s.TenantID
		if len(name) > 8 {
			name = name[:8]
		}
		st.tenants = append(st.tenants, Tenant{ID: s.TenantID, Name: "Tenant " + name, DefaultDomain: strings.ToLower(name) + ".example"})
	}
}

// tenantRoutes answer GET /subscriptions by the token's tenant.
func (c *Cloud) tenantRoutes() []nativeRoute {
	return []nativeRoute{{method: http.MethodGet, re: regexp.MustCompile(`(?i)^/subscriptions/?$`), serve: c.serveSubscriptions}}
}

func (c *Cloud) serveSubscriptions(req *http.Request, _ reqInfo, _ []string) (*http.Response, *armError) {
	tid := tokenTenant(req.Header.Get("Authorization"))
	c.mu.RLock()
	page := armsubscriptions.SubscriptionListResult{Value: []*armsubscriptions.Subscription{}}
	for _, s := range c.st.subs {
		if tid == "" || strings.EqualFold(s.TenantID, tid) {
			page.Value = append(page.Value, subscriptionModel(s))
		}
	}
	c.mu.RUnlock()
	body, err := json.Marshal(page)
	if err != nil {
		return nil, &armError{status: http.StatusInternalServerError, code: "InternalServerError", message: err.Error()}
	}
	return jsonResponse(req, http.StatusOK, body, nil), nil
}

// tokenTenant reads the tid claim of a bearer token ("" when there is none
// or it cannot be read).
func tokenTenant(auth string) string {
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return ""
	}
	parts := strings.Split(tok, ".")
	if len(parts) < 2 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var cl struct {
		TenantID string `json:"tid"`
	}
	if json.Unmarshal(raw, &cl) != nil {
		return ""
	}
	return cl.TenantID
}
