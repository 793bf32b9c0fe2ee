package steps

import (
	"errors"
	"strings"
	"testing"

	"github.com/backupready/backupready/azure"
)

const (
	ptSub   = "00000000-0000-0000-0000-000000000001"
	ptVault = "/subscriptions/" + ptSub + "/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-weu"
	ptOther = "/subscriptions/" + ptSub + "/resourceGroups/rg-x/providers/Microsoft.RecoveryServices/vaults/rsv-other"
)

func ptVM(name, region string, prot string) *azure.VM {
	vm := &azure.VM{ID: "/subscriptions/" + ptSub + "/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/" + name,
		Name: name, SubscriptionID: ptSub, ResourceGroup: "rg-app", Location: region}
	if prot != "" {
		vm.Protection = &azure.Protection{VaultID: prot, State: "Protected"}
	}
	return vm
}

func ptPlan(mod func(*Plan)) *Plan {
	p := &Plan{Version: 1, Cloud: "AzureCloud", Subscription: ptSub,
		VMs:        []string{ptVM("web-1", "westeurope", "").ID},
		Vault:      PlanVault{Name: "rsv-weu", ResourceGroup: "rg-backup", Location: "westeurope", Create: true},
		Redundancy: PlanRedundancy{Keep: true},
		Network:    PlanNetwork{Mode: "none", NSGRulePriority: "auto"},
		Agent:      PlanAgent{Fix: "instructions"}}
	if mod != nil {
		mod(p)
	}
	return p
}

func ptLive(mod func(*LiveState), vms ...*azure.VM) LiveState {
	if len(vms) == 0 {
		vms = []*azure.VM{ptVM("web-1", "westeurope", "")}
	}
	l := LiveState{Provider: "Registered", ResourceGroupExists: true, VMs: map[string]*azure.VM{}}
	for _, vm := range vms {
		l.VMs[strings.ToLower(vm.ID)] = vm
	}
	if mod != nil {
		mod(&l)
	}
	return l
}

func existingVault(storage, state string, crr bool, protected int) func(*LiveState) {
	return func(l *LiveState) {
		l.Vault = &LiveVault{Vault: azure.Vault{ID: ptVault, Name: "rsv-weu", Location: "westeurope"},
			Storage: &azure.StorageConfig{Type: storage, State: state, CrossRegionRestore: crr}, ProtectedItems: protected}
	}
}

// summary renders changes as "kind action reason [!]" lines for comparison.
func summary(cs []Change) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(string(c.Kind) + " " + c.Action + " " + strings.TrimPrefix(c.Reason, "change.reason."))
		if c.Irreversible {
			b.WriteString(" !")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestChanges(t *testing.T) {
	cases := []struct {
		name string
		plan *Plan
		live LiveState
		want string
	}{
		{"new vault, everything else in place", ptPlan(nil), ptLive(nil),
			"noChange provider.register provider-registered\nnoChange resourceGroup.create group-exists\ncreate vault.create vault-create\nnoChange vault.storageType storage-same\nnoChange vm.include vm-ready\n"},
		{"provider not registered and group missing", ptPlan(nil), ptLive(func(l *LiveState) { l.Provider = "NotRegistered"; l.ResourceGroupExists = false }),
			"modify provider.register provider-register\ncreate resourceGroup.create group-create\ncreate vault.create vault-create\nnoChange vault.storageType storage-same\nnoChange vm.include vm-ready\n"},
		{"provider registering", ptPlan(nil), ptLive(func(l *LiveState) { l.Provider = "Registering" }),
			"noChange provider.register provider-registering\nnoChange resourceGroup.create group-exists\ncreate vault.create vault-create\nnoChange vault.storageType storage-same\nnoChange vm.include vm-ready\n"},
		{"new vault locally redundant", ptPlan(func(p *Plan) { p.Redundancy = PlanRedundancy{StorageType: "LocallyRedundant"} }), ptLive(nil),
			"noChange provider.register provider-registered\nnoChange resourceGroup.create group-exists\ncreate vault.create vault-create\nmodify vault.storageType storage-set\nnoChange vm.include vm-ready\n"},
		{"redundancy locks once protection starts", ptPlan(func(p *Plan) {
			p.Redundancy = PlanRedundancy{StorageType: "ZoneRedundant"}
			p.Protect = PlanProtect{Enabled: true, Policy: "DefaultPolicy"}
		}), ptLive(nil),
			"noChange provider.register provider-registered\nnoChange resourceGroup.create group-exists\ncreate vault.create vault-create\nmodify vault.storageType storage-set !\nnoChange vault.policy policy-with-vault\nnoChange vm.include vm-ready\ncreate vm.protect protect\n"},
		{"existing locked vault kept", ptPlan(nil), ptLive(existingVault("GeoRedundant", "Locked", false, 3)),
			"noChange provider.register provider-registered\nnoChange resourceGroup.create group-exists\nnoChange vault.create vault-exists\nnoChange vault.storageType storage-locked-same\nnoChange vm.include vm-ready\n"},
		{"cross-region restore turned on", ptPlan(func(p *Plan) { p.Redundancy = PlanRedundancy{StorageType: "GeoRedundant", CrossRegionRestore: true} }),
			ptLive(existingVault("GeoRedundant", "Unlocked", false, 0)),
			"noChange provider.register provider-registered\nnoChange resourceGroup.create group-exists\nnoChange vault.create vault-exists\nnoChange vault.storageType storage-same\nmodify vault.crossRegionRestore crr-on !\nnoChange vm.include vm-ready\n"},
		{"VMs left out and why", ptPlan(func(p *Plan) {
			p.VMs = []string{ptVM("a-elsewhere", "westeurope", "").ID, ptVM("b-east", "eastus", "").ID, ptVM("c-here", "westeurope", "").ID}
		}), ptLive(existingVault("GeoRedundant", "Locked", false, 1),
			ptVM("a-elsewhere", "westeurope", ptOther), ptVM("b-east", "eastus", ""), ptVM("c-here", "westeurope", ptVault)),
			"noChange provider.register provider-registered\nnoChange resourceGroup.create group-exists\nnoChange vault.create vault-exists\nnoChange vault.storageType storage-locked-same\nskip vm.include vm-elsewhere\nskip vm.include vm-other-region\nnoChange vm.include vm-protected-here\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Changes(tc.plan, tc.live)
			if err != nil {
				t.Fatalf("unexpected conflicts: %v", err)
			}
			if s := summary(got); s != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", s, tc.want)
			}
		})
	}
}

func TestChangesConflicts(t *testing.T) {
	cases := []struct {
		name   string
		plan   *Plan
		live   LiveState
		fields []string
		reason string
	}{
		{"locked vault cannot change redundancy", ptPlan(func(p *Plan) { p.Redundancy = PlanRedundancy{StorageType: "LocallyRedundant"} }),
			ptLive(existingVault("GeoRedundant", "Locked", false, 2)), []string{"redundancy.storageType"}, "conflict.storage-locked"},
		{"cross-region restore cannot be turned off after protection", ptPlan(func(p *Plan) { p.Redundancy = PlanRedundancy{StorageType: "GeoRedundant"} }),
			ptLive(existingVault("GeoRedundant", "Locked", true, 2)), []string{"redundancy.crossRegionRestore"}, "conflict.crr-off"},
		{"missing vault without create", ptPlan(func(p *Plan) { p.Vault.Create = false }), ptLive(nil), []string{"vault.name"}, "conflict.vault-missing"},
		{"vault in another region", ptPlan(func(p *Plan) { p.Vault.Location = "eastus" }),
			ptLive(existingVault("GeoRedundant", "Unlocked", false, 0)), []string{"vault.location"}, "conflict.vault-region"},
		{"unknown VM ids, each named", ptPlan(func(p *Plan) {
			p.VMs = []string{ptVM("web-1", "westeurope", "").ID, ptVM("ghost", "westeurope", "").ID, ptVM("phantom", "westeurope", "").ID}
		}), ptLive(nil), []string{"vms[1]", "vms[2]"}, "conflict.vm-unknown"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Changes(tc.plan, tc.live)
			var pc PlanConflicts
			if !errors.As(err, &pc) {
				t.Fatalf("want PlanConflicts, got %v", err)
			}
			if len(pc) != len(tc.fields) {
				t.Fatalf("want %d conflicts, got %v", len(tc.fields), pc)
			}
			for i, c := range pc {
				if c.Field != tc.fields[i] || c.Reason != tc.reason {
					t.Fatalf("conflict %d: %+v, want %s %s", i, c, tc.fields[i], tc.reason)
				}
			}
		})
	}
}

// Applying the plan's outcome gives a state for which the plan changes nothing.
func TestChangesSettle(t *testing.T) {
	p := ptPlan(func(p *Plan) { p.Redundancy = PlanRedundancy{StorageType: "LocallyRedundant"} })
	live := ptLive(func(l *LiveState) { l.Provider = "NotRegistered"; l.ResourceGroupExists = false })
	if _, err := Changes(p, live); err != nil {
		t.Fatal(err)
	}
	after := ptLive(existingVault("LocallyRedundant", "Unlocked", false, 0))
	got, err := Changes(p, after)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range got {
		if c.Kind == Create || c.Kind == Modify {
			t.Fatalf("a settled plan still changes %s (%s)", c.Action, c.Reason)
		}
	}
}

// Protection: the policy used or created, each VM protected (or left as it
// is), the first backup once.
func TestChangesProtection(t *testing.T) {
	std := azure.Policy{Name: "DefaultPolicy", Type: "Standard"}
	enh := azure.Policy{Name: "EnhancedPolicy", Type: "Enhanced"}
	withPolicies := func(ps ...azure.Policy) func(*LiveState) {
		return func(l *LiveState) {
			existingVault("GeoRedundant", "Unlocked", false, 0)(l)
			l.Policies = ps
		}
	}
	protectedWith := func(vm *azure.VM, policy string) *azure.VM {
		vm.Protection = &azure.Protection{VaultID: ptVault, State: "Protected", PolicyName: policy}
		return vm
	}
	journal := func(t *testing.T, vmName string) *Journal {
		j, err := OpenJournal(t.TempDir() + "/p.journal")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { j.Close() })
		_ = j.Record(JournalEntry{Action: ActionBackupNow, Target: ptVM(vmName, "westeurope", "").ID, State: JournalDone})
		return j
	}
	head := "noChange provider.register provider-registered\nnoChange resourceGroup.create group-exists\nnoChange vault.create vault-exists\nnoChange vault.storageType storage-same\n"
	cases := []struct {
		name     string
		protect  PlanProtect
		live     func(t *testing.T) LiveState
		want     string
		conflict string
	}{
		{"existing policy, backup now", PlanProtect{Enabled: true, Policy: "DefaultPolicy", BackupNow: true},
			func(*testing.T) LiveState { return ptLive(withPolicies(std, enh)) },
			head + "noChange vault.policy policy-exists\nnoChange vm.include vm-ready\ncreate vm.protect protect\ncreate vm.backupNow backup-now\n", ""},
		{"new policy created", PlanProtect{Enabled: true, Policy: "Daily-30", NewPolicy: &PlanPolicy{Type: PolicyStandard, Frequency: FrequencyDaily, Time: "22:30", TimeZone: "UTC", RetentionDays: 30, InstantRestoreDays: 2}},
			func(*testing.T) LiveState { return ptLive(withPolicies(std)) },
			head + "create vault.policy policy-create\nnoChange vm.include vm-ready\ncreate vm.protect protect\n", ""},
		{"missing policy is a conflict", PlanProtect{Enabled: true, Policy: "Nope"},
			func(*testing.T) LiveState { return ptLive(withPolicies(std)) }, "", "conflict.policy-missing"},
		{"already protected with the policy", PlanProtect{Enabled: true, Policy: "DefaultPolicy"},
			func(*testing.T) LiveState {
				return ptLive(withPolicies(std), protectedWith(ptVM("web-1", "westeurope", ""), "DefaultPolicy"))
			},
			head + "noChange vault.policy policy-exists\nnoChange vm.include vm-protected-here\nnoChange vm.protect protect-same\n", ""},
		{"standard to enhanced cannot be undone", PlanProtect{Enabled: true, Policy: "EnhancedPolicy"},
			func(*testing.T) LiveState {
				return ptLive(withPolicies(std, enh), protectedWith(ptVM("web-1", "westeurope", ""), "DefaultPolicy"))
			},
			head + "noChange vault.policy policy-exists\nnoChange vm.include vm-protected-here\nmodify vm.protect protect-policy !\n", ""},
		{"enhanced to standard refused", PlanProtect{Enabled: true, Policy: "DefaultPolicy"},
			func(*testing.T) LiveState {
				return ptLive(withPolicies(std, enh), protectedWith(ptVM("web-1", "westeurope", ""), "EnhancedPolicy"))
			}, "", "conflict.policy-downgrade"},
		{"backup already taken by an earlier run", PlanProtect{Enabled: true, Policy: "DefaultPolicy", BackupNow: true},
			func(t *testing.T) LiveState {
				l := ptLive(withPolicies(std), protectedWith(ptVM("web-1", "westeurope", ""), "DefaultPolicy"))
				l.Journal = journal(t, "web-1")
				return l
			},
			head + "noChange vault.policy policy-exists\nnoChange vm.include vm-protected-here\nnoChange vm.protect protect-same\nnoChange vm.backupNow backup-taken\n", ""},
		{"VM protected elsewhere is never touched", PlanProtect{Enabled: true, Policy: "DefaultPolicy", BackupNow: true},
			func(*testing.T) LiveState { return ptLive(withPolicies(std), ptVM("web-1", "westeurope", ptOther)) },
			head + "noChange vault.policy policy-exists\nskip vm.include vm-elsewhere\n", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := ptPlan(func(p *Plan) { p.Vault.Create = false; p.Protect = tc.protect })
			got, err := Changes(p, tc.live(t))
			if tc.conflict != "" {
				var cs PlanConflicts
				if !errors.As(err, &cs) || cs[0].Reason != tc.conflict {
					t.Fatalf("want conflict %s, got %v", tc.conflict, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected conflicts: %v", err)
			}
			if s := summary(got); s != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", s, tc.want)
			}
		})
	}
}
