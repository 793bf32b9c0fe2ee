package sim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
)

// Resource Graph gives a VM whose last backup failed the job's error code,
// from its protected item's healthDetails: the demo's dev-snapfail-01 from
// the start, app-noagent-01 once its on-demand backup has failed.
func TestSimGraphLastBackupError(t *testing.T) {
	clock := newClock()
	_, cl := clientOn(t, protectScenario(), Options{Now: clock.now})
	ctx := context.Background()
	find := func(id string) *azure.Protection {
		t.Helper()
		inv, err := cl.Inventory(ctx, []string{demoProd, demoDev}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range inv.VMs {
			if strings.EqualFold(inv.VMs[i].ID, id) {
				return inv.VMs[i].Protection
			}
		}
		t.Fatalf("%s is not in the inventory", id)
		return nil
	}
	if p := find(vmSnapFail); p == nil || p.ErrorCode != "ExtensionSnapshotFailedNoNetwork" || p.ErrorNumber != 400011 || p.ErrorMessage == "" {
		t.Errorf("dev-snapfail-01: %+v", p)
	}
	if p := find(vmCRM); p == nil || p.ErrorCode != "" || p.ErrorNumber != 0 {
		t.Errorf("a healthy item has no error: %+v", p)
	}

	protectNow(t, cl, clock, vaultWEU, vmNoAgent)
	if p := find(vmNoAgent); p == nil || p.ErrorCode != "" {
		t.Fatalf("before its first backup: %+v", p)
	}
	opID, err := cl.TriggerBackup(ctx, vaultWEU, vmNoAgent, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := cl.BackupOperation(ctx, vaultWEU, vmNoAgent, opID); err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Minute)
	p := find(vmNoAgent)
	if p == nil || p.LastBackupState != "Failed" || p.ErrorCode != "UserErrorGuestAgentStatusUnavailable" || p.ErrorMessage == "" {
		t.Errorf("after the failed backup: %+v", p)
	}
}
