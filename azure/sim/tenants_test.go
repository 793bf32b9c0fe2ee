package sim

import (
	"context"
	"slices"
	"testing"

	"github.com/backupready/backupready/azure"
)

const twoTenants = `
identity: {upn: ada@contoso.example, tenantId: 11111111-1111-4111-8111-111111111111}
tenants:
- {id: 11111111-1111-4111-8111-111111111111, name: Contoso, defaultDomain: contoso.example}
subscriptions:
- {id: 3f2b6c1e-8a4d-4c2e-9b7a-1d5e6f708192, name: Contoso Production, tenantId: 11111111-1111-4111-8111-111111111111}
- {id: 9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a, name: Fabrikam Lab, tenantId: 22222222-2222-4222-8222-222222222222}
`

// A subscription's tenant is a tenant of the cloud even when the scenario
// does not list it; GET /subscriptions answers by the token's tenant.
func TestSubscriptionsByTokenTenant(t *testing.T) {
	sc, err := LoadScenario([]byte(twoTenants), "two.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := azure.New(c.Credential(), c.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tenants, err := cl.Tenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tn := range tenants {
		ids = append(ids, tn.ID)
	}
	if !slices.Equal(ids, []string{"11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"}) {
		t.Fatalf("tenants %v", ids)
	}
	names := func() []string {
		subs, err := cl.Subscriptions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range subs {
			out = append(out, s.Name)
		}
		return out
	}
	if got := names(); !slices.Equal(got, []string{"Contoso Production"}) {
		t.Errorf("home tenant lists %v", got)
	}
	auth := azure.FixedAuthenticator(cl, c.Credential())
	if _, err := auth.SignIn(ctx, azure.MethodAuto, "", nil); err != nil {
		t.Fatal(err)
	}
	id, err := auth.UseTenant(ctx, "22222222-2222-4222-8222-222222222222")
	if err != nil || id.TenantID != "22222222-2222-4222-8222-222222222222" || id.Name != "ada@contoso.example" {
		t.Fatalf("UseTenant: %+v %v", id, err)
	}
	if got := names(); !slices.Equal(got, []string{"Fabrikam Lab"}) {
		t.Errorf("second tenant lists %v", got)
	}
	if len(auth.Methods()) != 0 {
		t.Error("the simulator has no sign-in method to choose")
	}
}
