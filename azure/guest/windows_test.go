package guest

import (
	"regexp"
	"strings"
	"testing"
)

func TestWindowsProxyScript(t *testing.T) {
	s := WindowsProxyScript("10.0.0.5", 3128, []string{"localhost", ".corp.contoso.com", "10.0.0.0/8", "172.16.0.0/12", "168.63.129.16", "2001:db8::/32"})
	for _, want := range []string{
		`netsh winhttp set proxy proxy-server="10.0.0.5:3128" bypass-list="168.63.129.16;169.254.169.254;localhost;*.corp.contoso.com;10.*"` + "\n",
		"netsh winhttp show proxy\n",
		"$shown = netsh winhttp show proxy | Out-String\n",
		"if ($LASTEXITCODE -ne 0) {",
		"$ErrorActionPreference = 'Stop'",
		"# Step 1:", "# Step 2:", "# Step 3:",
		"SYSTEM",
		"Authenticated proxies are not supported",
		"WinHTTP's bypass list has no form for it: 172.16.0.0/12",
		"WinHTTP's bypass list has no form for it: 2001:db8::/32",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	if strings.Count(s, "168.63.129.16;") != 1 {
		t.Error("168.63.129.16 must be in the bypass list once")
	}
	// no carriage returns, no runaway lines
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if strings.Contains(l, "\r") || len(l) > 160 {
			t.Errorf("line %q", l)
		}
	}

	s = WindowsProxyScript("2001:db8::1", 8080, nil)
	if !strings.Contains(s, `proxy-server="[2001:db8::1]:8080" bypass-list="168.63.129.16;169.254.169.254"`) {
		t.Errorf("IPv6:\n%s", s)
	}
	// nothing from the input can escape its quotes into PowerShell
	s = WindowsProxyScript("evil\"; Remove-Item C:\\ -Recurse; \"", 1, []string{"x\n$(calc)", "a'b"})
	set := regexp.MustCompile(`(?m)^netsh winhttp set proxy proxy-server="([^"]*)" bypass-list="([^"]*)"$`).FindStringSubmatch(s)
	if set == nil || !regexp.MustCompile(`^[A-Za-z0-9.:\[\]*/_-]+$`).MatchString(set[1]) || set[2] != "168.63.129.16;169.254.169.254" {
		t.Errorf("unsafe input reached the command: %q", set)
	}
	for _, bad := range []string{"$(calc)", "\"; ", "a'b", "C:\\"} {
		if strings.Contains(s, bad) {
			t.Errorf("script carries %q", bad)
		}
	}
}
