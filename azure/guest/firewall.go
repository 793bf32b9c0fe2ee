package guest

import (
	"net/netip"
	"strconv"
	"strings"
)

// The proxy's host firewall (AZURE.md §4.3, proxy path): an HTTP proxy that
// runs on an Azure VM must let the backed-up VMs in on its port, and ARM
// cannot see or change the firewall inside that VM; Run Command can. The
// scripts below open TCP <port> from the VMs' subnets and nothing else,
// leave a rule that is already there as it is (a second run changes nothing
// and says so), and print what they did in a few lines.

// FirewallGroup is the name of the proxy's firewall rules: "backupready
// proxy <port>" (the Windows rules' group, the nftables and ufw comments).
func FirewallGroup(port int) string { return "backupready proxy " + strconv.Itoa(port) }

// FirewallSources validates a port and the addresses allowed in: each an
// IPv4 or IPv6 prefix or address, returned as a canonical prefix
// ("10.10.1.0/24", "10.10.1.4/32"), without duplicates, in the order given.
// Nothing else can reach a script: the canonical forms hold only hex
// digits, dots, colons and a slash.
func FirewallSources(port int, sources []string) ([]string, error) {
	if port < 1 || port > 65535 {
		return nil, &InputError{Field: "port", Reason: "range", Value: strconv.Itoa(port)}
	}
	var out []string
	seen := map[string]bool{}
	for _, s := range sources {
		s = strings.TrimSpace(s)
		var p netip.Prefix
		if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
			p = netip.PrefixFrom(a, a.BitLen())
		} else if q, err := netip.ParsePrefix(s); err == nil {
			p = q.Masked()
		} else {
			return nil, &InputError{Field: "source", Reason: "invalid", Value: s}
		}
		c := p.String()
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, &InputError{Field: "source", Reason: "missing"}
	}
	return out, nil
}

// LinuxFirewallScript is a reviewable POSIX sh script, run as root (Run
// Command's RunShellScript), that opens TCP port from the sources in the
// host firewall that is active: firewalld (firewall-cmd --state), ufw (ufw
// status: active) or nftables (an inet filter input chain whose policy is
// drop), in that order. Each source gets its own rule, checked before it is
// added; with no active host firewall it changes nothing and says so.
func LinuxFirewallScript(port int, sources []string) (string, error) {
	src, err := FirewallSources(port, sources)
	if err != nil {
		return "", err
	}
	ps := strconv.Itoa(port)
	var s strings.Builder
	w := lineWriter(&s)
	w(
		"#!/bin/sh",
		"# backupready: let the VMs that back up through this HTTP proxy reach it on TCP "+ps+".",
		"#",
		"# The VMs' subnets: "+strings.Join(src, " "),
		"# The host firewall that is active decides how, in this order:",
		"#   firewalld (firewall-cmd --state: running): a rich rule per subnet in the default",
		"#             zone, permanent and in the running firewall (no reload);",
		"#   ufw       (ufw status: active): an allow rule per subnet;",
		"#   nftables  (table inet filter, chain input with policy drop): an accept rule per",
		"#             subnet at the top of that chain, in the running ruleset only.",
		"# A rule that is already there is left as it is: running the script again changes",
		"# nothing and says so. Without an active host firewall there is nothing to open.",
		"# Nothing else is changed; the NSG rules in Azure are not this script's business.",
		"",
		"set -u",
		"LC_ALL=C",
		"export LC_ALL",
		"PORT="+shQuote(ps),
		"SOURCES="+shQuote(strings.Join(src, " ")),
		"TAG="+shQuote(FirewallGroup(port)),
		"",
		`die() { echo "backupready: $*" >&2; exit 2; }`,
		`if [ "$(id -u)" != 0 ]; then die "run this script as root (sudo sh SCRIPT)"; fi`,
		`has() { command -v "$1" >/dev/null 2>&1; }`,
		`family() { case $1 in *:*) printf ipv6 ;; *) printf ipv4 ;; esac; }`,
		"",
		"FIREWALL=none",
		"if has firewall-cmd && firewall-cmd --state >/dev/null 2>&1; then",
		"  FIREWALL=firewalld",
		"elif has ufw && ufw status 2>/dev/null | grep -q '^Status: active'; then",
		"  FIREWALL=ufw",
		"elif has nft && nft list chain inet filter input 2>/dev/null | grep -q 'policy drop'; then",
		"  FIREWALL=nftables",
		"fi",
		"",
		"ADDED=0",
		"KEPT=0",
		"NOTE=",
		"for SRC in $SOURCES; do",
		"  NEW=0",
		"  case $FIREWALL in",
		"  firewalld)",
		`    RULE="rule family=\"$(family "$SRC")\" source address=\"$SRC\" port port=\"$PORT\" protocol=\"tcp\" accept"`,
		`    if ! firewall-cmd --permanent --query-rich-rule="$RULE" >/dev/null 2>&1; then`,
		`      firewall-cmd --permanent --add-rich-rule="$RULE" >/dev/null || die "firewall-cmd could not add $RULE"`,
		"      NEW=1",
		"    fi",
		`    if ! firewall-cmd --query-rich-rule="$RULE" >/dev/null 2>&1; then`,
		`      firewall-cmd --add-rich-rule="$RULE" >/dev/null || die "firewall-cmd could not add $RULE to the running firewall"`,
		"      NEW=1",
		"    fi",
		"    ;;",
		"  ufw)",
		`    OUT=$(ufw allow proto tcp from "$SRC" to any port "$PORT" comment "$TAG" 2>&1) || die "ufw could not allow $SRC: $OUT"`,
		`    case $OUT in *Skipping*) ;; *) NEW=1 ;; esac`,
		"    ;;",
		"  nftables)",
		`    MARK="$TAG from $SRC"`,
		`    if ! nft list chain inet filter input 2>/dev/null | grep -F -q "comment \"$MARK\""; then`,
		`      if [ "$(family "$SRC")" = ipv6 ]; then`,
		`        nft insert rule inet filter input ip6 saddr "$SRC" tcp dport "$PORT" accept comment "\"$MARK\"" || die "nft could not add the rule for $SRC"`,
		"      else",
		`        nft insert rule inet filter input ip saddr "$SRC" tcp dport "$PORT" accept comment "\"$MARK\"" || die "nft could not add the rule for $SRC"`,
		"      fi",
		"      NEW=1",
		"    fi",
		`    NOTE="nftables rules are in the running ruleset: add them to /etc/nftables.conf to keep them after a restart (nft list chain inet filter input shows them)"`,
		"    ;;",
		"  esac",
		`  if [ "$NEW" = 1 ]; then ADDED=$((ADDED + 1)); else KEPT=$((KEPT + 1)); fi`,
		"done",
		"",
		"# What happened.",
		`if [ "$FIREWALL" = none ]; then`,
		`  RESULT="no host firewall is active (firewalld, ufw, nftables with a drop policy): nothing to open"`,
		`elif [ "$ADDED" = 0 ]; then`,
		`  RESULT="already open for every subnet: nothing changed"`,
		"else",
		`  RESULT="opened for $ADDED subnet(s), $KEPT already open"`,
		"fi",
		`echo "backupready proxy firewall: TCP $PORT from $SOURCES"`,
		`echo "host firewall: $FIREWALL"`,
		`echo "result: $RESULT"`,
		`if [ -n "$NOTE" ]; then printf 'note: %s\n' "$NOTE"; fi`,
		"exit 0",
	)
	return s.String(), nil
}

// WindowsFirewallScript is a reviewable PowerShell script, run as SYSTEM
// (Run Command's RunPowerShellScript), that adds one inbound Windows
// Firewall rule per source for TCP port, named "backupready proxy <port>
// from <source>" in the group "backupready proxy <port>", skipping the
// rules that are there already.
func WindowsFirewallScript(port int, sources []string) (string, error) {
	src, err := FirewallSources(port, sources)
	if err != nil {
		return "", err
	}
	ps := strconv.Itoa(port)
	quoted := make([]string, len(src))
	for i, x := range src {
		quoted[i] = "'" + x + "'"
	}
	var s strings.Builder
	w := lineWriter(&s)
	w(
		"# backupready: let the VMs that back up through this HTTP proxy reach it on TCP "+ps+".",
		"#",
		"# One inbound Windows Firewall rule per subnet of the VMs, named",
		"# '"+FirewallGroup(port)+" from <subnet>', in the group '"+FirewallGroup(port)+"'.",
		"# A rule that is already there is left as it is: running the script again changes",
		"# nothing and says so. Nothing else is changed.",
		"",
		"$ErrorActionPreference = 'Stop'",
		"$port = "+ps,
		"$sources = @("+strings.Join(quoted, ", ")+")",
		"$group = '"+FirewallGroup(port)+"'",
		"$added = 0",
		"$kept = 0",
		"foreach ($src in $sources) {",
		"    $name = \"$group from $src\"",
		"    if (Get-NetFirewallRule -DisplayName $name -ErrorAction SilentlyContinue) {",
		"        $kept++",
		"    } else {",
		"        New-NetFirewallRule -DisplayName $name -Group $group -Direction Inbound -Action Allow -Protocol TCP -LocalPort $port -RemoteAddress $src -Profile Any | Out-Null",
		"        $added++",
		"    }",
		"}",
		"$on = @(Get-NetFirewallProfile | Where-Object { $_.Enabled } | ForEach-Object { $_.Name }) -join ', '",
		"if (-not $on) { $on = 'none (the rules apply when it is turned on)' }",
		"if ($added -eq 0) { $result = 'already open for every subnet: nothing changed' } else { $result = \"opened for $added subnet(s), $kept already open\" }",
		"Write-Output \"backupready proxy firewall: TCP $port from $($sources -join ' ')\"",
		"Write-Output \"Windows Firewall profiles on: $on\"",
		"Write-Output \"result: $result\"",
	)
	return s.String(), nil
}

// FirewallCommands are the commands that open the proxy's port by hand,
// for each host firewall (each a one-line command list).
type FirewallCommands struct {
	Firewalld, Ufw, Nft, Windows string
}

// ManualFirewallCommands are what to run on the proxy by hand when Run
// Command cannot reach it.
func ManualFirewallCommands(port int, sources []string) (FirewallCommands, error) {
	src, err := FirewallSources(port, sources)
	if err != nil {
		return FirewallCommands{}, err
	}
	ps := strconv.Itoa(port)
	var fw, ufw, v4, v6 []string
	for _, x := range src {
		fam := "ipv4"
		if strings.Contains(x, ":") {
			fam = "ipv6"
			v6 = append(v6, x)
		} else {
			v4 = append(v4, x)
		}
		rule := `rule family="` + fam + `" source address="` + x + `" port port="` + ps + `" protocol="tcp" accept`
		fw = append(fw, "sudo firewall-cmd --permanent --add-rich-rule="+shQuote(rule))
		ufw = append(ufw, "sudo ufw allow proto tcp from "+x+" to any port "+ps)
	}
	fw = append(fw, "sudo firewall-cmd --reload")
	var nft []string
	for _, set := range []struct {
		match string
		list  []string
	}{{"ip saddr", v4}, {"ip6 saddr", v6}} {
		if len(set.list) > 0 {
			nft = append(nft, "sudo nft insert rule inet filter input "+set.match+" '{ "+strings.Join(set.list, ", ")+" }' tcp dport "+ps+" accept")
		}
	}
	win := "New-NetFirewallRule -DisplayName '" + FirewallGroup(port) + "' -Direction Inbound -Action Allow -Protocol TCP -LocalPort " + ps +
		" -RemoteAddress " + strings.Join(src, ",")
	return FirewallCommands{Firewalld: strings.Join(fw, " && "), Ufw: strings.Join(ufw, " && "), Nft: strings.Join(nft, " && "), Windows: win}, nil
}
