package steps

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestConfigRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "backupready", "config.yaml")
	c, err := LoadConfig(path)
	if err != nil || len(c.Clouds) != 0 {
		t.Fatalf("a missing file is an empty config: %+v %v", c, err)
	}
	if err := Remember(path, "AzureCloud", CloudChoice{Tenant: "t1", Subscriptions: []string{"s2", "S1"}}); err != nil {
		t.Fatal(err)
	}
	if err := Remember(path, "AzureChinaCloud", CloudChoice{Tenant: "t9"}); err != nil {
		t.Fatal(err)
	}
	c, err = LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := c.Remembered("AzureCloud")
	if !ok || pub.Tenant != "t1" || !slices.Equal(pub.Subscriptions, []string{"S1", "s2"}) {
		t.Errorf("public cloud: %+v %v", pub, ok)
	}
	if cn, ok := c.Remembered("AzureChinaCloud"); !ok || cn.Tenant != "t9" {
		t.Errorf("China: %+v", cn)
	}
	if _, ok := c.Remembered("AzureUSGovernment"); ok {
		t.Error("nothing was chosen in US Government")
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v %v", fi.Mode(), err)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "# backupready") || !strings.Contains(string(data), "tenant: t1") {
		t.Errorf("file:\n%s", data)
	}
	// No temporary files are left beside it.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("files beside the config: %v", entries)
	}
}

func TestConfigUnreadableIsReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("clouds: [not, a, map"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path); err == nil {
		t.Fatal("a broken file should be reported")
	}
	if err := Remember(path, "", CloudChoice{Tenant: "t"}); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path)
	if ch, ok := c.Remembered("AzureCloud"); err != nil || !ok || ch.Tenant != "t" {
		t.Fatalf("%+v %v", c, err)
	}
}
