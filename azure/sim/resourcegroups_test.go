package sim

import (
	"context"
	"strings"
	"testing"
)

// The resource group list answers from state, per subscription, through the
// azure client.
func TestDemoResourceGroupsList(t *testing.T) {
	c, cl := newDemo(t)
	ctx := context.Background()
	prod, err := cl.ResourceGroups(ctx, demoProd)
	if err != nil {
		t.Fatal(err)
	}
	c.mu.RLock()
	want := c.sortedRGs(demoProd)
	c.mu.RUnlock()
	if len(prod) == 0 || len(prod) != len(want) {
		t.Fatalf("got %d groups, state has %d: %+v", len(prod), len(want), prod)
	}
	seen := map[string]bool{}
	for i, g := range prod {
		if g.Name != want[i].name || g.Location == "" {
			t.Errorf("group %d: got %+v, want %s", i, g, want[i].name)
		}
		seen[strings.ToLower(g.Name)] = true
		if ok, err := cl.ResourceGroupExists(ctx, demoProd, g.Name); err != nil || !ok {
			t.Errorf("listed group %s does not exist: %v %v", g.Name, ok, err)
		}
	}
	if !seen["rg-backup-prod"] {
		t.Errorf("rg-backup-prod missing: %+v", prod)
	}
	dev, err := cl.ResourceGroups(ctx, demoDev)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range dev {
		if ok, _ := cl.ResourceGroupExists(ctx, demoProd, g.Name); ok != seen[strings.ToLower(g.Name)] {
			t.Errorf("dev group %s answered from the wrong subscription", g.Name)
		}
	}
}
