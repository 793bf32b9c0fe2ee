package guest

import (
	"net/netip"
	"strconv"
	"strings"
)

// WindowsProxyScript is a reviewable PowerShell script that gives a Windows
// VM the proxy: the machine-wide WinHTTP proxy, which the SYSTEM account
// (the VM agent and the backup extension) uses, with a bypass list that
// always holds Azure's platform addresses. host, port and noProxy are what
// NewProxy accepted; anything a bypass list cannot hold is left out and
// named in a comment.
func WindowsProxyScript(host string, port int, noProxy []string) string {
	p := Proxy{Host: strings.Trim(host, "[]"), Port: port, NoProxy: noProxy}
	server := psSafe(p.HostPort())
	var bypass, skipped []string
	seen := map[string]bool{}
	for _, e := range p.NoProxyList() {
		b, ok := winHTTPBypass(e)
		if !ok {
			skipped = append(skipped, psSafe(e))
			continue
		}
		if !seen[b] {
			seen[b] = true
			bypass = append(bypass, b)
		}
	}
	list := strings.Join(bypass, ";")

	var s strings.Builder
	w := lineWriter(&s)
	w(
		"# backupready: HTTP proxy "+server+" for the Azure VM agent and the backup extension.",
		"#",
		"# Both run as the SYSTEM account, which does not use a person's Internet Options",
		"# (WinINET) but the machine-wide WinHTTP proxy. This script sets that proxy.",
		"# Review it, then run it in an elevated PowerShell; Run Command runs it as SYSTEM.",
		"# The proxy must accept connections from this VM on port "+strconv.Itoa(port)+" and reach",
		"# the Internet on ports 80 and 443. Authenticated proxies are not supported.",
		"",
		"$ErrorActionPreference = 'Stop'",
		"",
		"# Step 1: show the WinHTTP proxy as it is now, so that it can be put back by hand",
		"# (netsh winhttp reset proxy removes a proxy; or set the values shown here again).",
		"Write-Output 'WinHTTP proxy before the change:'",
		"netsh winhttp show proxy",
		"",
		"# Step 2: set the proxy for the whole machine, the SYSTEM account included.",
		"# The bypass list is sent directly, never through the proxy:",
		"#   168.63.129.16    Azure's platform address (VM agent, DHCP, DNS, health);",
		"#                    the agent must always reach it directly",
		"#   169.254.169.254  the Instance Metadata Service",
	)
	if len(bypass) > 2 {
		w("#   and the entries you asked for (WinHTTP writes a domain as *.example.com).")
	}
	for _, e := range skipped {
		w("# Not in the list, because WinHTTP's bypass list has no form for it: " + e)
	}
	w(
		`netsh winhttp set proxy proxy-server="`+server+`" bypass-list="`+list+`"`,
		"if ($LASTEXITCODE -ne 0) {",
		"    throw \"netsh winhttp set proxy failed (exit code $LASTEXITCODE).\"",
		"}",
		"",
		"# Step 3: check that WinHTTP now reports this proxy and the bypass list.",
		"$shown = netsh winhttp show proxy | Out-String",
		"Write-Output 'WinHTTP proxy after the change:'",
		"Write-Output $shown",
		"if ($shown -notmatch [regex]::Escape('"+server+"') -or $shown -notmatch [regex]::Escape('"+WireServer+"')) {",
		"    throw 'WinHTTP does not report the proxy that was just set.'",
		"}",
		"",
		"# The agent picks the proxy up on its next connection. Whether every agent version",
		"# uses WinHTTP rather than Internet Options is not documented: check that the VM",
		"# agent reports Ready in the Azure portal after the next backup.",
	)
	return s.String()
}

// winHTTPBypass turns a no_proxy entry into WinHTTP's bypass-list form:
// host names, addresses and "*" wildcards. A domain ".example.com" becomes
// "*.example.com"; a CIDR range on an octet boundary becomes "10.*";
// other ranges have no form.
func winHTTPBypass(e string) (string, bool) {
	if !validNoProxy(e) {
		return "", false
	}
	if rest, ok := strings.CutPrefix(e, "."); ok {
		return "*." + rest, true
	}
	pfx, err := netip.ParsePrefix(e)
	if err != nil {
		if a, err := netip.ParseAddr(e); err == nil && a.Is6() {
			return "[" + a.String() + "]", true
		}
		return e, true
	}
	if !pfx.Addr().Is4() {
		if pfx.IsSingleIP() {
			return "[" + pfx.Addr().String() + "]", true
		}
		return "", false
	}
	octets := strings.Split(pfx.Masked().Addr().String(), ".")
	switch pfx.Bits() {
	case 0:
		return "*", true
	case 8, 16, 24:
		return strings.Join(octets[:pfx.Bits()/8], ".") + ".*", true
	case 32:
		return pfx.Addr().String(), true
	}
	return "", false
}

// psSafe keeps only characters that can appear in a validated host or
// no-proxy entry, so that nothing in the script can be read as PowerShell.
func psSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		case strings.ContainsRune(".-:[]*/_", r):
			return r
		}
		return -1
	}, s)
}
