package guest

import (
	"os"
	"path/filepath"
	"strings"
)

// The agent's service is walinuxagent.service on Debian and Ubuntu and
// waagent.service on RHEL, SUSE and most others.
const (
	UnitDebian = "walinuxagent"
	UnitOther  = "waagent"
)

// DropInName is the file backupready writes in the agent's drop-in folder.
const DropInName = "backupready-proxy.conf"

// dropInMarker starts every drop-in backupready writes.
const dropInMarker = "# Written by backupready guest proxy"

var unitDirs = []string{"/lib/systemd/system", "/usr/lib/systemd/system", "/etc/systemd/system"}

// AgentUnit names the agent's systemd service on the system under root:
// the one whose unit file exists, walinuxagent when neither does.
func AgentUnit(root string) string {
	for _, unit := range []string{UnitDebian, UnitOther} {
		for _, dir := range unitDirs {
			if fi, err := os.Stat(filepath.Join(root, dir, unit+".service")); err == nil && !fi.IsDir() {
				return unit
			}
		}
	}
	return UnitDebian
}

// DropInPath is where the drop-in for unit goes (a path on the VM).
func DropInPath(unit string) string {
	return "/etc/systemd/system/" + unit + ".service.d/" + DropInName
}

// DropIn is the drop-in that gives the agent's service the proxy variables:
// a service started by systemd does not read /etc/environment.
func DropIn(unit string, p Proxy) []byte {
	var b strings.Builder
	b.WriteString(dropInMarker + " for the Azure VM agent.\n")
	b.WriteString("# Takes effect after: systemctl daemon-reload && systemctl restart " + unit + "\n")
	b.WriteString("# Remove with: backupready guest proxy --undo\n")
	b.WriteString("[Service]\n")
	b.WriteString(`Environment="http_proxy=` + p.URL() + `"` + "\n")
	b.WriteString(`Environment="https_proxy=` + p.URL() + `"` + "\n")
	b.WriteString(`Environment="no_proxy=` + p.NoProxyValue() + `"` + "\n")
	return []byte(b.String())
}

// IsOurDropIn reports whether content is a drop-in backupready wrote.
func IsOurDropIn(content []byte) bool {
	return strings.HasPrefix(string(content), dropInMarker)
}
