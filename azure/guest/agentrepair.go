package guest

import (
	"net/url"
	"strconv"
	"strings"
)

// Agent repair scripts (AZURE.md §5.3, §5.4): run with Run Command by the
// agent they repair, so they never restart it while they run; the restart
// is scheduled for after the script has reported back.

// AgentRepairMarker is the comment line every agent repair script carries
// (the simulator recognises a repair by it).
const AgentRepairMarker = "# backupready: VM agent repair"

// WindowsAgentMSI is where Microsoft publishes the Windows VM agent's MSI.
const WindowsAgentMSI = "https://go.microsoft.com/fwlink/?LinkID=394789"

// Restart delay bounds, in seconds.
const (
	minRestartDelay     = 10
	maxRestartDelay     = 600
	DefaultRestartDelay = 30
)

// restartDelay validates an agent restart delay (10 to 600 seconds; 0
// means DefaultRestartDelay) and returns it as the scripts write it.
func restartDelay(delay int) (string, error) {
	if delay == 0 {
		delay = DefaultRestartDelay
	}
	if delay < minRestartDelay || delay > maxRestartDelay {
		return "", &InputError{Field: "delay", Reason: "range"}
	}
	return strconv.Itoa(delay), nil
}

// LinuxAgentScript is a reviewable POSIX sh script that updates the Azure
// Linux Agent from the distribution's own repository (apt on Debian and
// Ubuntu, dnf or yum on Red Hat and its relatives, zypper on SUSE; never
// from GitHub), turns Extensions.Enabled=n into y in /etc/waagent.conf
// (the file backed up beside itself first), and restarts the agent delay
// seconds after it ends (systemd-run, else a detached sleep). It prints one
// line per part. delay is validated (10 to 600; 0 means 30).
func LinuxAgentScript(delay int) (string, error) {
	d, err := restartDelay(delay)
	if err != nil {
		return "", err
	}
	var s strings.Builder
	w := lineWriter(&s)
	w(
		"#!/bin/sh",
		AgentRepairMarker+" (Linux).",
		"#",
		"# 1. Updates the Azure Linux Agent with the distribution's package manager, from the",
		"#    distribution's repository: apt-get (walinuxagent or waagent), dnf or yum",
		"#    (WALinuxAgent), zypper (python-azure-agent or python3-azure-agent).",
		"# 2. Sets Extensions.Enabled=y in /etc/waagent.conf when it is n (the backup extension",
		"#    is an extension); the file is first kept as /etc/waagent.conf"+BackupInfix+"<time>.",
		"# 3. Restarts the agent "+d+" seconds after this script ends, never at once: Run Command",
		"#    is delivered by that agent, and a restart now would leave the command unanswered.",
		"# ROOT=/some/folder edits the configuration under that folder and restarts nothing.",
		"",
		"set -u",
		"umask 022",
		"LC_ALL=C",
		"export LC_ALL",
		"DELAY="+shQuote(d),
		`ROOT="${ROOT:-}"`,
		`if [ "$ROOT" = / ]; then ROOT=; fi`,
		"",
		`die() { echo "backupready: $*" >&2; exit 2; }`,
		`if [ -z "$ROOT" ] && [ "$(id -u)" != 0 ]; then die "run this script as root (sudo sh SCRIPT)"; fi`,
		"",
		"# The package manager, and the agent's package as this distribution names it.",
		"PM=",
		"for p in apt-get dnf yum zypper; do",
		`  if command -v "$p" >/dev/null 2>&1; then PM=$p; break; fi`,
		"done",
		`if [ -z "$PM" ]; then die "no apt-get, dnf, yum or zypper: update the agent as your distribution documents"; fi`,
		`have() { if [ "$PM" = apt-get ]; then dpkg -s "$1" >/dev/null 2>&1; else rpm -q "$1" >/dev/null 2>&1; fi; }`,
		`version() { if [ "$PM" = apt-get ]; then dpkg-query -W -f='${Version}' "$1" 2>/dev/null; else rpm -q --qf '%{VERSION}-%{RELEASE}' "$1" 2>/dev/null; fi; }`,
		`case "$PM" in`,
		`  apt-get) NAMES="walinuxagent waagent" ;;`,
		`  zypper) NAMES="python-azure-agent python3-azure-agent" ;;`,
		`  *) NAMES="WALinuxAgent" ;;`,
		`esac`,
		"PKG=",
		`for n in $NAMES; do if have "$n"; then PKG=$n; break; fi; done`,
		`if [ -z "$PKG" ]; then PKG=${NAMES%% *}; fi`,
		`BEFORE=$(version "$PKG")`,
		`BEFORE=${BEFORE:-none}`,
		"",
		"# Update (or install) the package; the output goes to the log only.",
		"LOG=$ROOT/var/log/backupready-agent-update.log",
		`mkdir -p "$(dirname "$LOG")"`,
		`case "$PM" in`,
		`  apt-get) { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$PKG"; } >>"$LOG" 2>&1 ;;`,
		`  dnf) { dnf -y -q upgrade "$PKG" || dnf -y -q install "$PKG"; } >>"$LOG" 2>&1 ;;`,
		`  yum) { yum -y -q update "$PKG" || yum -y -q install "$PKG"; } >>"$LOG" 2>&1 ;;`,
		`  zypper) { zypper -n -q refresh && zypper -n -q install -y "$PKG"; } >>"$LOG" 2>&1 ;;`,
		`esac || die "the package manager ($PM) could not update $PKG: see $LOG"`,
		`AFTER=$(version "$PKG")`,
		`AFTER=${AFTER:-none}`,
		"",
		"# Extensions.Enabled: the agent runs no extension (the backup one included) when n.",
		"CONF=$ROOT/etc/waagent.conf",
		"EXT=unchanged",
		`if [ -f "$CONF" ] && grep -Eq '^[[:space:]]*Extensions\.Enabled[[:space:]]*=[[:space:]]*[nN]' "$CONF"; then`,
		`  RUN=$(date -u +%Y%m%dT%H%M%SZ)`,
		`  cp -p "$CONF" "$CONF`+BackupInfix+`$RUN" || die "cannot back up $CONF"`,
		`  TMP=$CONF.backupready-new.$$`,
		`  cp -p "$CONF" "$TMP" && sed -E 's/^([[:space:]]*Extensions\.Enabled[[:space:]]*=[[:space:]]*)[nN].*$/\1y/' "$CONF" > "$TMP" && mv -f "$TMP" "$CONF" || { rm -f "$TMP"; die "cannot write $CONF"; }`,
		`  EXT="set to y (backup /etc/waagent.conf`+BackupInfix+`$RUN)"`,
		"fi",
		"",
		"# The agent's service: walinuxagent on Debian and Ubuntu, waagent elsewhere.",
		"UNIT=waagent",
		`if [ "$PM" = apt-get ]; then UNIT=walinuxagent; fi`,
		`if [ -n "$ROOT" ]; then`,
		`  RESTART="not scheduled: ROOT is not the running system"`,
		`elif command -v systemctl >/dev/null 2>&1; then`,
		`  if command -v systemd-run >/dev/null 2>&1 && systemd-run --on-active="$DELAY" "$(command -v systemctl)" restart "$UNIT.service" >/dev/null 2>&1; then`,
		`    RESTART="$UNIT.service restarts in $DELAY seconds (systemd-run)"`,
		`  else`,
		`    (sleep "$DELAY"; systemctl restart "$UNIT.service") </dev/null >/dev/null 2>&1 &`,
		`    RESTART="$UNIT.service restarts in $DELAY seconds"`,
		`  fi`,
		`else`,
		`  (sleep "$DELAY"; service "$UNIT" restart) </dev/null >/dev/null 2>&1 &`,
		`  RESTART="$UNIT restarts in $DELAY seconds (service)"`,
		`fi`,
		"",
		"# What happened, one line per part.",
		`echo "backupready agent repair: package manager $PM"`,
		`echo "agent package $PKG: $BEFORE -> $AFTER"`,
		`echo "Extensions.Enabled: $EXT"`,
		`echo "agent restart: $RESTART"`,
		"exit 0",
	)
	return s.String(), nil
}

// WindowsAgentScript is a reviewable PowerShell script that downloads the
// Windows VM agent's MSI from msiURL ("" means WindowsAgentMSI; it must be
// an https URL) and schedules its installation, as SYSTEM, delay seconds
// later: installing restarts the agent that runs the script. A VM that
// cannot fetch the MSI makes the script fail (exit 3) with what to do.
func WindowsAgentScript(msiURL string, delay int) (string, error) {
	if msiURL == "" {
		msiURL = WindowsAgentMSI
	}
	u, err := url.Parse(msiURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || strings.ContainsAny(msiURL, "'\"`$ \t\r\n;|&<>") {
		return "", &InputError{Field: "url", Reason: "invalid"}
	}
	d, err := restartDelay(delay)
	if err != nil {
		return "", err
	}
	var s strings.Builder
	w := lineWriter(&s)
	w(
		AgentRepairMarker+" (Windows).",
		"#",
		"# 1. Downloads the Windows VM agent's installer (MSI) from Microsoft.",
		"# 2. Schedules its installation as SYSTEM "+d+" seconds from now: installing restarts",
		"#    the agent, which delivers this script, so it must not happen while it runs.",
		"# The installer log is C:\\WindowsAzure\\backupready-agent-install.log.",
		"",
		"$ErrorActionPreference = 'Stop'",
		"$Url = '"+msiURL+"'",
		"$Msi = Join-Path $env:SystemRoot 'Temp\\backupready-WindowsAzureVmAgent.msi'",
		"$Log = 'C:\\WindowsAzure\\backupready-agent-install.log'",
		"$Before = (Get-Item 'C:\\WindowsAzure\\Packages\\WaAppAgent.exe' -ErrorAction SilentlyContinue).VersionInfo.FileVersion",
		"if (-not $Before) { $Before = 'unknown' }",
		"[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12",
		"try { Invoke-WebRequest -UseBasicParsing -Uri $Url -OutFile $Msi } catch { [Console]::Error.WriteLine(\"backupready: this VM cannot download the agent installer from $Url ($($_.Exception.Message)). Download it elsewhere, copy it to the VM and run it as an administrator.\"); exit 3 }",
		"",
		"$Action = New-ScheduledTaskAction -Execute 'msiexec.exe' -Argument ('/i \"' + $Msi + '\" /quiet /norestart /l*v \"' + $Log + '\"')",
		"$Trigger = New-ScheduledTaskTrigger -Once -At (Get-Date).AddSeconds("+d+")",
		"Register-ScheduledTask -TaskName 'backupready-agent-update' -Action $Action -Trigger $Trigger -User 'SYSTEM' -RunLevel Highest -Force | Out-Null",
		"",
		"Write-Output \"backupready agent repair: installer downloaded, WaAppAgent.exe $Before now\"",
		"Write-Output 'agent install: scheduled as SYSTEM in "+d+" seconds (task backupready-agent-update)'",
		"exit 0",
	)
	return s.String(), nil
}

// LinuxAgentCommands are the commands to update the agent by hand, one per
// package manager.
func LinuxAgentCommands() []string {
	return []string{
		"sudo apt-get update && sudo apt-get install -y walinuxagent   # Ubuntu; Debian: waagent",
		"sudo dnf upgrade -y WALinuxAgent   # RHEL, Alma, Rocky, Oracle; older: yum update WALinuxAgent",
		"sudo zypper -n install -y python-azure-agent   # SUSE",
		"sudo sed -i 's/^Extensions.Enabled=n/Extensions.Enabled=y/' /etc/waagent.conf",
		"sudo systemctl restart walinuxagent || sudo systemctl restart waagent",
	}
}
