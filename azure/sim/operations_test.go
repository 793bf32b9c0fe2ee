package sim

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
)

// A new vault is a long-running operation: Provisioning until the run's
// operation time is up, then Succeeded; the operation's resume token works
// in another process (a new Cloud over the same --sim-state file).
func TestSimVaultCreateIsLongRunningAndResumable(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	sc := Demo()
	sc.OperationTime = 10 * time.Second
	_, cl := clientOn(t, sc, Options{StatePath: state, Now: clock})
	ctx := context.Background()
	op, err := cl.BeginCreateVault(ctx, demoProd, "rg-backup-prod", "rsv-new-01", "westeurope", "")
	if err != nil {
		t.Fatal(err)
	}
	if done, err := op.Poll(ctx); done || err != nil {
		t.Fatalf("first poll: done %v err %v, want running", done, err)
	}
	v, err := cl.VaultByName(ctx, demoProd, "rg-backup-prod", "rsv-new-01")
	if err != nil || v == nil || v.Ready() {
		t.Fatalf("vault while creating: %+v %v", v, err)
	}
	token := op.ResumeToken()
	if token == "" {
		t.Fatal("no resume token")
	}

	// another process resumes the same operation
	sc2 := Demo()
	sc2.OperationTime = 10 * time.Second
	_, cl2 := clientOn(t, sc2, Options{StatePath: state, Now: clock})
	op2, err := cl2.BeginCreateVault(ctx, demoProd, "rg-backup-prod", "rsv-new-01", "", token)
	if err != nil {
		t.Fatal(err)
	}
	if done, err := op2.Poll(ctx); done || err != nil {
		t.Fatalf("resumed poll before time: done %v err %v", done, err)
	}
	now = now.Add(11 * time.Second)
	if done, err := op2.Poll(ctx); !done || err != nil {
		e, _ := azure.AsError(err)
		t.Fatalf("resumed poll after time: done %v err %v %v", done, err, e.Err)
	}
	v, err = cl2.VaultByName(ctx, demoProd, "rg-backup-prod", "rsv-new-01")
	if err != nil || v == nil || !v.Ready() || v.Location != "westeurope" {
		t.Fatalf("vault after creation: %+v %v", v, err)
	}
	sc3, err := cl2.StorageConfig(ctx, v.ID)
	if err != nil || sc3.Type != "GeoRedundant" || sc3.Locked() {
		t.Fatalf("new vault storage: %+v %v", sc3, err)
	}
	// the name is now taken in the subscription
	if _, err := cl2.BeginCreateVault(ctx, demoProd, "rg-app-prod", "rsv-new-01", "westeurope", ""); err == nil {
		t.Fatal("a vault name used in another group must be refused")
	} else if e, _ := azure.AsError(err); e.Kind != azure.KindConflict {
		t.Fatalf("taken name: %v", err)
	}
}

func TestSimProviderRegistrationAndGroupCreation(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	sc := Demo()
	sc.OperationTime = 5 * time.Second
	sc.Subscriptions[1].Providers = map[string]string{"Microsoft.RecoveryServices": "NotRegistered"}
	dev := sc.Subscriptions[1].ID
	_, cl := clientOn(t, sc, Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	got, err := cl.RegisterProvider(ctx, dev, "Microsoft.RecoveryServices")
	if err != nil || got != "Registering" {
		t.Fatalf("register: %q %v", got, err)
	}
	if s, _ := cl.ProviderState(ctx, dev, "Microsoft.RecoveryServices"); s != "Registering" {
		t.Fatalf("state while registering: %q", s)
	}
	now = now.Add(6 * time.Second)
	if s, _ := cl.ProviderState(ctx, dev, "Microsoft.RecoveryServices"); s != "Registered" {
		t.Fatalf("state after registering: %q", s)
	}

	if ok, _ := cl.ResourceGroupExists(ctx, dev, "rg-backup-new"); ok {
		t.Fatal("group exists before creation")
	}
	g, err := cl.CreateResourceGroup(ctx, dev, "rg-backup-new", "westeurope")
	if err != nil || g.Name != "rg-backup-new" || g.Location != "westeurope" {
		t.Fatalf("create group: %+v %v", g, err)
	}
	if ok, _ := cl.ResourceGroupExists(ctx, dev, "rg-backup-new"); !ok {
		t.Fatal("group missing after creation")
	}
	if _, err := cl.CreateResourceGroup(ctx, dev, "rg-backup-new", "eastus"); err == nil {
		t.Fatal("moving a group to another region must be refused")
	}
}
