package steps

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/google/renameio/v2"
)

// The remembered choice: the tenant and subscriptions the user last chose
// in the wizard, per cloud, in <user config dir>/backupready/config.yaml.
// Nothing secret is kept there (no token, no account name).

// Config is the file's content.
type Config struct {
	// Clouds maps a cloud name (AzureCloud, …) to what was chosen in it.
	Clouds map[string]CloudChoice `yaml:"clouds,omitempty"`
}

// CloudChoice is what was chosen in one cloud.
type CloudChoice struct {
	Tenant        string   `yaml:"tenant,omitempty"`
	Subscriptions []string `yaml:"subscriptions,omitempty"`
}

// DefaultConfigPath is <user config dir>/backupready/config.yaml ("" when
// the system has no config directory).
func DefaultConfigPath() string {
	dir, err := os.UserConfigDir()
	if err != nil || dir == "" {
		return ""
	}
	return filepath.Join(dir, "backupready", "config.yaml")
}

// LoadConfig reads the file; a missing file is an empty config. A file that
// cannot be read as a config is an error (the wizard then remembers nothing
// and says nothing: the file is a convenience).
func LoadConfig(path string) (Config, error) {
	var c Config
	if path == "" {
		return c, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		return Config{}, err
	}
	return c, nil
}

// SaveConfig writes the file atomically (a crash leaves the old file or the
// new one), readable by the user only.
func SaveConfig(path string, c Config) error {
	if path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	head := []byte("# backupready: the tenant and subscriptions last chosen in the wizard, per cloud.\n")
	return renameio.WriteFile(path, append(head, data...), 0o600)
}

// Remember records a choice in the file at path, keeping the other clouds'.
func Remember(path, cloud string, choice CloudChoice) error {
	if path == "" {
		return nil
	}
	c, err := LoadConfig(path)
	if err != nil {
		c = Config{} // an unreadable file is replaced
	}
	if c.Clouds == nil {
		c.Clouds = map[string]CloudChoice{}
	}
	if cloud == "" {
		cloud = "AzureCloud"
	}
	choice.Subscriptions = slices.Clone(choice.Subscriptions)
	slices.SortFunc(choice.Subscriptions, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	if old, ok := c.Clouds[cloud]; ok && old.Tenant == choice.Tenant && slices.Equal(old.Subscriptions, choice.Subscriptions) {
		return nil
	}
	c.Clouds[cloud] = choice
	return SaveConfig(path, c)
}

// Remembered is the choice recorded for cloud.
func (c Config) Remembered(cloud string) (CloudChoice, bool) {
	if cloud == "" {
		cloud = "AzureCloud"
	}
	ch, ok := c.Clouds[cloud]
	return ch, ok && (ch.Tenant != "" || len(ch.Subscriptions) > 0)
}
