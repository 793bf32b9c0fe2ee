package azure

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

const testVaultID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v"

// script answers requests with recorded responses, possibly edited, in order,
// and records each request with its body.
type script struct {
	t     testing.TB
	mu    sync.Mutex
	steps []fixture
	seen  []string
	body  []string
}

func (s *script) Do(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, req.Method+" "+req.URL.Path)
	var b []byte
	if req.Body != nil {
		b, _ = io.ReadAll(req.Body)
	}
	s.body = append(s.body, string(b))
	if len(s.steps) == 0 {
		s.t.Errorf("unexpected request %s %s", req.Method, req.URL)
		return nil, io.ErrUnexpectedEOF
	}
	f := s.steps[0]
	s.steps = s.steps[1:]
	return f.response(req), nil
}

func scripted(t testing.TB, steps ...fixture) (*Client, *script) {
	t.Helper()
	s := &script{t: t, steps: steps}
	return testClient(t, s), s
}

// storageGet is the recorded GeoRedundant storage config GET with its
// properties edited (the only recording is GeoRedundant/Unlocked).
func storageGet(t testing.TB, typ, state string, crr bool) fixture {
	f := loadFixture(t, "backupstorageconfig_get_georedundant.json")
	var doc map[string]any
	if err := json.Unmarshal(f.Response.Body, &doc); err != nil {
		t.Fatal(err)
	}
	p := doc["properties"].(map[string]any)
	p["storageModelType"], p["storageType"], p["storageTypeState"], p["crossRegionRestoreFlag"] = typ, typ, state, crr
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	f.Response.Body = b
	return f
}

func wantErr(t *testing.T, err error, kind Kind, op, code string) *Error {
	t.Helper()
	e, ok := AsError(err)
	if !ok {
		t.Fatalf("want *Error %s/%s, got %v", kind, code, err)
	}
	if e.Kind != kind || e.Op != op || e.Code != code {
		t.Fatalf("want %s %s %q, got %+v", op, kind, code, e)
	}
	return e
}

func TestRecordedStorageConfig(t *testing.T) {
	c, rp := clientFor(t, "backupstorageconfig_get_georedundant.json")
	got, err := c.StorageConfig(context.Background(), testVaultID)
	if err != nil {
		t.Fatal(err)
	}
	if got != (StorageConfig{Type: "GeoRedundant", State: "Unlocked"}) || got.Locked() {
		t.Fatalf("got %+v", got)
	}
	// the backup module takes (vault, group): the path must say so
	want := "GET /subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/backupstorageconfig/vaultstorageconfig"
	if len(rp.seen) != 1 || rp.seen[0] != want {
		t.Fatalf("requests %v", rp.seen)
	}
}

func TestRecordedStorageConfigNotFoundEmptyBody(t *testing.T) {
	c, _ := clientFor(t, "error_backup_policy_get_404_empty_body.json")
	_, err := c.StorageConfig(context.Background(), testVaultID)
	e := wantErr(t, err, KindNotFound, "get-storage-config", "")
	if e.Status != http.StatusNotFound {
		t.Fatalf("status %d", e.Status)
	}
}

func TestRecordedSetStorageConfig(t *testing.T) {
	patch := loadFixture(t, "backupstorageconfig_patch_locallyredundant_204.json")
	geo := loadFixture(t, "backupstorageconfig_get_georedundant.json")
	lrs := StorageConfig{Type: "LocallyRedundant"}

	t.Run("applied", func(t *testing.T) {
		c, s := scripted(t, geo, patch, storageGet(t, "LocallyRedundant", "Unlocked", false))
		got, err := c.SetStorageConfig(context.Background(), testVaultID, lrs)
		if err != nil {
			t.Fatal(err)
		}
		if got.Type != "LocallyRedundant" || got.State != "Unlocked" || got.CrossRegionRestore {
			t.Fatalf("got %+v", got)
		}
		path := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/backupstorageconfig/vaultstorageconfig"
		if strings.Join(s.seen, ",") != "GET "+path+",PATCH "+path+",GET "+path {
			t.Fatalf("requests %v", s.seen)
		}
		var body struct {
			Properties map[string]any `json:"properties"`
		}
		if err := json.Unmarshal([]byte(s.body[1]), &body); err != nil {
			t.Fatal(err)
		}
		if body.Properties["storageType"] != "LocallyRedundant" || body.Properties["storageModelType"] != "LocallyRedundant" ||
			body.Properties["crossRegionRestoreFlag"] != false {
			t.Fatalf("patch body %s", s.body[1])
		}
	})
	t.Run("not applied", func(t *testing.T) {
		c, _ := scripted(t, geo, patch, geo)
		got, err := c.SetStorageConfig(context.Background(), testVaultID, lrs)
		wantErr(t, err, KindOperation, "set-storage-config", CodeWriteNotApplied)
		if got.Type != "GeoRedundant" {
			t.Fatalf("the configuration as read back should come with the error: %+v", got)
		}
	})
	t.Run("already so", func(t *testing.T) {
		c, s := scripted(t, geo)
		if _, err := c.SetStorageConfig(context.Background(), testVaultID, StorageConfig{Type: "GeoRedundant"}); err != nil {
			t.Fatal(err)
		}
		if len(s.seen) != 1 {
			t.Fatalf("nothing to write, yet %v", s.seen)
		}
	})
	t.Run("locked refusal writes nothing", func(t *testing.T) {
		c, s := scripted(t, storageGet(t, "GeoRedundant", "Locked", false))
		got, err := c.SetStorageConfig(context.Background(), testVaultID, lrs)
		wantErr(t, err, KindInvalid, "set-storage-config", CodeStorageTypeLocked)
		if !got.Locked() {
			t.Fatalf("got %+v", got)
		}
		for _, r := range s.seen {
			if !strings.HasPrefix(r, "GET ") {
				t.Fatalf("a refused change sent %s", r)
			}
		}
	})
	t.Run("locked, cross-region restore on stays on", func(t *testing.T) {
		c, _ := scripted(t, storageGet(t, "GeoRedundant", "Locked", true))
		_, err := c.SetStorageConfig(context.Background(), testVaultID, StorageConfig{Type: "GeoRedundant"})
		wantErr(t, err, KindInvalid, "set-storage-config", CodeCrossRegionRestoreLocked)
	})
	t.Run("locked, enabling cross-region restore is a write", func(t *testing.T) {
		c, s := scripted(t, storageGet(t, "GeoRedundant", "Locked", false), patch, storageGet(t, "GeoRedundant", "Locked", true))
		got, err := c.SetStorageConfig(context.Background(), testVaultID, StorageConfig{Type: "GeoRedundant", CrossRegionRestore: true})
		if err != nil || !got.CrossRegionRestore || len(s.seen) != 3 {
			t.Fatalf("got %+v, %v after %v", got, err, s.seen)
		}
	})
	t.Run("bad requests send nothing", func(t *testing.T) {
		c, s := scripted(t)
		_, err := c.SetStorageConfig(context.Background(), testVaultID, StorageConfig{Type: "LocallyRedundant", CrossRegionRestore: true})
		wantErr(t, err, KindInvalid, "set-storage-config", CodeCrossRegionRestoreNeedsGeo)
		_, err = c.SetStorageConfig(context.Background(), testVaultID, StorageConfig{})
		wantErr(t, err, KindInvalid, "set-storage-config", CodeMissingArgument)
		_, err = c.SetStorageConfig(context.Background(), "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n", lrs)
		wantErr(t, err, KindInvalid, "set-storage-config", "")
		_, err = c.StorageConfig(context.Background(), "not an id")
		wantErr(t, err, KindInvalid, "get-storage-config", "")
		if len(s.seen) != 0 {
			t.Fatalf("requests %v", s.seen)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		c, _ := scripted(t, geo)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.SetStorageConfig(ctx, testVaultID, lrs)
		e, ok := AsError(err)
		if !ok || e.Kind != KindCanceled || !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestRecordedCheckVaultName(t *testing.T) {
	c, rp := clientFor(t, "example_vault_check_name_available.json")
	ok, reason, msg, err := c.CheckVaultName(context.Background(), "s", "rg", "westus", "swaggerExample")
	if err != nil || !ok || reason != "" || msg != "" {
		t.Fatalf("got %v %q %q %v", ok, reason, msg, err)
	}
	if len(rp.seen) != 1 || rp.seen[0] != "POST /subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/locations/westus/checkNameAvailability" {
		t.Fatalf("requests %v", rp.seen)
	}
	c, _ = clientFor(t, "example_vault_check_name_not_available.json")
	ok, reason, msg, err = c.CheckVaultName(context.Background(), "s", "rg", "westus", "swaggerExample2")
	if err != nil || ok || reason != "AlreadyExists" || msg == "" {
		t.Fatalf("got %v %q %q %v", ok, reason, msg, err)
	}
	c, _ = clientFor(t, "error_resource_group_get_404.json")
	_, _, _, err = c.CheckVaultName(context.Background(), "s", "rg", "westus", "v")
	wantErr(t, err, KindNotFound, "check-vault-name", "ResourceGroupNotFound")
	_, _, _, err = c.CheckVaultName(context.Background(), "s", "rg", "westus", "")
	wantErr(t, err, KindInvalid, "check-vault-name", CodeMissingArgument)
}

func TestRecordedResourceGroupExists(t *testing.T) {
	c, rp := clientFor(t, "error_resource_group_get_404.json")
	ok, err := c.ResourceGroupExists(context.Background(), "s", "rg")
	if err != nil || ok {
		t.Fatalf("got %v %v", ok, err)
	}
	if len(rp.seen) != 1 || !strings.EqualFold(rp.seen[0], "GET /subscriptions/s/resourcegroups/rg") {
		t.Fatalf("requests %v", rp.seen)
	}
	c, _ = clientFor(t, "error_500_transient_RestApiInternalError.json")
	_, err = c.ResourceGroupExists(context.Background(), "s", "rg")
	wantErr(t, err, KindServer, "get-resource-group", "RestApiInternalError")
}

func TestRecordedVaultByName(t *testing.T) {
	c, rp := clientFor(t, "error_vault_get_404.json")
	v, err := c.VaultByName(context.Background(), "s", "rg", "v")
	if err != nil || v != nil {
		t.Fatalf("got %+v %v", v, err)
	}
	// the vault module takes (group, vault)
	if len(rp.seen) != 1 || rp.seen[0] != "GET /subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v" {
		t.Fatalf("requests %v", rp.seen)
	}
	c, _ = clientFor(t, "vault_get_go2025.json")
	v, err = c.VaultByName(context.Background(), "s", "rg", "v")
	if err != nil || v == nil || v.Redundancy != "GeoRedundant" || v.Name == "" {
		t.Fatalf("got %+v %v", v, err)
	}
}

func TestResourceGroupsPagesAndErrors(t *testing.T) {
	page := func(body string) fixture {
		var f fixture
		f.Response.Status = http.StatusOK
		f.Response.Headers = map[string]string{"Content-Type": "application/json"}
		f.Response.Body = json.RawMessage(body)
		return f
	}
	c, s := scripted(t,
		page(`{"value":[{"id":"/subscriptions/s/resourceGroups/rg-a","name":"rg-a","location":"westeurope","properties":{"provisioningState":"Succeeded"}}],
			"nextLink":"https://management.azure.com/subscriptions/s/resourcegroups?api-version=2021-04-01&%24skiptoken=x"}`),
		page(`{"value":[{"id":"/subscriptions/s/resourceGroups/rg-b","name":"rg-b","location":"eastasia"}]}`))
	got, err := c.ResourceGroups(context.Background(), "s")
	if err != nil {
		t.Fatal(err)
	}
	want := []ResourceGroup{{"rg-a", "westeurope"}, {"rg-b", "eastasia"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %+v", got)
	}
	if len(s.seen) != 2 || !strings.EqualFold(s.seen[0], "GET /subscriptions/s/resourcegroups") || !strings.EqualFold(s.seen[1], "GET /subscriptions/s/resourcegroups") {
		t.Fatalf("requests %v", s.seen)
	}
	c, _ = scripted(t, page(`{"value":[]}`))
	if got, err := c.ResourceGroups(context.Background(), "s"); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("empty list: %v %v", got, err)
	}
	c, _ = clientFor(t, "error_500_transient_RestApiInternalError.json")
	_, err = c.ResourceGroups(context.Background(), "s")
	wantErr(t, err, KindServer, "list-resource-groups", "RestApiInternalError")
	_, err = c.ResourceGroups(context.Background(), "")
	wantErr(t, err, KindInvalid, "list-resource-groups", CodeMissingArgument)
}
