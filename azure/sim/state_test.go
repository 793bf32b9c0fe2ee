package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backupready/backupready/azure"
)

func TestSimStatePersistence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")

	demo := Demo()
	demo.Latency = 0
	c1, err := New(demo, Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("state file not created: %v", err)
	}
	if !json.Valid(data) {
		t.Fatal("state file is not valid JSON")
	}
	var head struct {
		Kind          string                     `json:"kind"`
		Version       int                        `json:"version"`
		Subscriptions []Subscription             `json:"subscriptions"`
		Resources     map[string]json.RawMessage `json:"resources"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		t.Fatal(err)
	}
	if head.Kind != stateKind || head.Version != stateVersion || len(head.Subscriptions) != 2 || len(head.Resources) != c1.ResourceCount("") {
		t.Errorf("state head %s v%d, %d subscriptions, %d resources", head.Kind, head.Version, len(head.Subscriptions), len(head.Resources))
	}
	for k := range head.Resources {
		if k != strings.ToLower(k) {
			t.Errorf("resource key %q is not lower-cased", k)
		}
	}
	if strings.Contains(string(data), "latency") || strings.Contains(string(data), "faults") {
		t.Error("latency and faults are settings of a run, not state")
	}

	// a second run with another scenario and the same state file: resources
	// come from the state, latency and faults from the scenario
	fleet, _ := GenerateFleet(20, 3)
	other, err := LoadScenario(fleet, "fleet.json")
	if err != nil {
		t.Fatal(err)
	}
	other.Latency = 7 * time.Millisecond
	other.Faults = []Fault{{Match: "^DELETE ", Status: 500}}
	c2, err := New(other, Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	if c2.Latency() != 7*time.Millisecond || len(c2.faults) != 1 {
		t.Errorf("run settings not taken from the scenario: %v %d", c2.Latency(), len(c2.faults))
	}
	cl, _ := azure.New(c2.Credential(), c2.ClientOptions())
	subs, err := cl.Subscriptions(context.Background())
	if err != nil || len(subs) != 2 || subs[1].Name != "Contoso 研发测试 (开发)" {
		t.Fatalf("subscriptions from state: %+v %v", subs, err)
	}
	inv, err := cl.Inventory(context.Background(), []string{demoProd, demoDev}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.VMs) != 13 || vmByName(inv, "crm-eastus-01").Protection == nil {
		t.Errorf("state file not used: %d VMs", len(inv.VMs))
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, data) {
		t.Error("opening an existing state changed the file")
	}

	// a change is saved atomically: a reader holding the old file keeps
	// seeing the old content, the path shows the new one, no temp files stay
	old, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	err = c2.mutate(func(st *state) error {
		r, err := newResource(json.RawMessage(`{"id":"/subscriptions/`+demoProd+`/resourceGroups/rg-new/providers/Microsoft.RecoveryServices/vaults/rsv-new","type":"Microsoft.RecoveryServices/vaults","location":"japaneast","properties":{"provisioningState":"Succeeded"}}`), nil)
		if err != nil {
			return err
		}
		st.putResource(r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	oldData, _ := io.ReadAll(old)
	if !bytes.Equal(oldData, data) {
		t.Error("the old file was rewritten in place (not atomic)")
	}
	newData, _ := os.ReadFile(path)
	if !json.Valid(newData) || !strings.Contains(string(newData), "rsv-new") {
		t.Error("the change was not saved")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left in the state directory: %v", entries)
	}
	// the new vault shows up in the next inventory (caches follow the state)
	inv, err = cl.Inventory(context.Background(), []string{demoProd}, nil)
	if err != nil || len(inv.VaultsIn(demoProd, "japaneast")) != 1 {
		t.Errorf("new vault not in inventory: %v", err)
	}

	// a third run sees the change
	c3, err := New(nil, Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	if c3.ResourceCount("microsoft.recoveryservices/vaults") != 4 {
		t.Errorf("vaults after reload: %d", c3.ResourceCount("Microsoft.RecoveryServices/vaults"))
	}
}

func TestSimStateBadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	for _, content := range []string{"not json", `{"kind":"something-else","version":1}`, `{"kind":"backupready-sim-state","version":99}`} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := New(Demo(), Options{StatePath: path}); err == nil {
			t.Errorf("state %q accepted", content)
		}
		if got, _ := os.ReadFile(path); string(got) != content {
			t.Error("a bad state file was overwritten")
		}
	}
	if _, err := New(Demo(), Options{StatePath: filepath.Join(dir, "no-such-dir", "state.json")}); err == nil {
		t.Error("unwritable state path accepted")
	}
}
