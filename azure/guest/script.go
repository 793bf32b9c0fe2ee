package guest

import (
	"strconv"
	"strings"
)

// LinuxProxyScript is a reviewable POSIX sh script that does on a Linux VM
// what `backupready guest proxy --host H --port P --no-proxy …` does, for
// Run Command (RunShellScript, run as root by the VM agent) or to be run by
// hand: HttpProxy.Host and HttpProxy.Port in /etc/waagent.conf, http_proxy,
// https_proxy and no_proxy in /etc/environment, and the systemd drop-in
// for the agent's service, each changed file backed up beside itself first
// with the names `guest proxy --undo` knows. The edits follow the Go
// editors (EditWaagentConf, EditEnvironment, DropIn) byte for byte; a
// second run changes nothing. It prints one line per file, and schedules
// the agent's restart 30 seconds later instead of restarting it: Run
// Command is delivered by that agent.
//
// The script reads ROOT from its environment (default: empty, the running
// system): with ROOT set, it edits the files under that folder and restarts
// nothing. Inputs are validated with NewProxy and every value is quoted.
func LinuxProxyScript(host string, port int, noProxy []string) (string, error) {
	p, err := NewProxy(host, port, noProxy)
	if err != nil {
		return "", err
	}
	cmd := "sudo backupready guest proxy --host " + p.Host + " --port " + strconv.Itoa(p.Port)
	if len(p.NoProxy) > 0 {
		cmd += " --no-proxy " + strings.Join(p.NoProxy, ",")
	}
	var s strings.Builder
	w := lineWriter(&s)
	w(
		"#!/bin/sh",
		"# backupready: HTTP proxy "+p.HostPort()+" for the Azure Linux Agent (waagent) and the backup extension.",
		"#",
		"# Does what `"+cmd+"` does:",
		"#   1. /etc/waagent.conf: HttpProxy.Host and HttpProxy.Port. Entries already there",
		"#      (also commented-out ones such as #HttpProxy.Host=None) are replaced in place,",
		"#      missing ones appended; every other line and the line endings are kept.",
		"#   2. /etc/environment: http_proxy, https_proxy and no_proxy (no_proxy always holds",
		"#      168.63.129.16, Azure's platform address, and 169.254.169.254, the metadata service).",
		"#   3. a systemd drop-in that gives the agent's service the same variables.",
		"# Each file that changes is first kept beside itself as FILE.backupready-<time>",
		"# (`backupready guest proxy --undo` puts it back). Running it again changes nothing.",
		"# The agent is restarted 30 seconds after the script ends, never at once: Run Command",
		"# is delivered by that agent. Authenticated proxies are not supported by the agent.",
		"# ROOT=/some/folder edits a copy of a system under that folder and restarts nothing.",
		"",
		"set -u",
		"umask 022",
		"LC_ALL=C",
		"export LC_ALL",
		"PROXY_HOST="+shQuote(p.Host),
		"PROXY_PORT="+shQuote(strconv.Itoa(p.Port)),
		"PROXY_URL="+shQuote(p.URL()),
		"NO_PROXY_LIST="+shQuote(p.NoProxyValue()),
		`ROOT="${ROOT:-}"`,
		`if [ "$ROOT" = / ]; then ROOT=; fi`,
		"",
		`die() { echo "backupready: $*" >&2; exit 2; }`,
		`if [ -z "$ROOT" ] && [ "$(id -u)" != 0 ]; then die "run this script as root (sudo sh SCRIPT)"; fi`,
		`if [ ! -f "$ROOT/etc/waagent.conf" ]; then die "$ROOT/etc/waagent.conf not found: the Azure Linux Agent is not installed"; fi`,
		"",
		"# The agent's service: walinuxagent on Debian and Ubuntu, waagent elsewhere.",
		"UNIT=walinuxagent",
		"for u in walinuxagent waagent; do",
		"  for d in /lib/systemd/system /usr/lib/systemd/system /etc/systemd/system; do",
		`    if [ -f "$ROOT$d/$u.service" ]; then UNIT=$u; break 2; fi`,
		"  done",
		"done",
		`DROPIN=/etc/systemd/system/$UNIT.service.d/`+DropInName,
		"",
		"# The run: the backups' name suffix, a UTC time (and -2, -3, … for another run in that second).",
		"RUN=$(date -u +%Y%m%dT%H%M%SZ)",
		"BASE=$RUN",
		"N=1",
		`taken() { for f in /etc/waagent.conf /etc/environment /etc/systemd/system/walinuxagent.service.d/`+DropInName+` /etc/systemd/system/waagent.service.d/`+DropInName+`; do if [ -e "$ROOT$f`+BackupInfix+`$1" ] || [ -e "$ROOT$f`+BackupInfix+`$1`+absentSuffix+`" ]; then return 0; fi; done; return 1; }`,
		`while taken "$RUN"; do N=$((N + 1)); RUN=$BASE-$N; done`,
		"",
		"WORK=$(mktemp -d) || die \"cannot create a temporary folder\"",
		`trap 'rm -rf "$WORK"' EXIT`,
		"",
		"# edit MODE FILE writes FILE's new content to stdout (MODE waagent or environment).",
		"# It reads lines as the agent and pam_env do, and changes only the proxy settings:",
		"# an active entry is rewritten in place (all of them, as the last one wins), a",
		"# commented-out waagent entry is taken over when the key is set nowhere else, and",
		"# a missing key is appended in the file's line ending style.",
		`edit() {`,
		`  nofinal=0`,
		`  if [ -s "$2" ] && [ -n "$(tail -c 1 "$2")" ]; then nofinal=1; fi`,
		`  BR_MODE=$1 BR_NOFINAL=$nofinal BR_HOST=$PROXY_HOST BR_PORT=$PROXY_PORT BR_URL=$PROXY_URL BR_NO=$NO_PROXY_LIST awk '`+editAwk+`' "$2"`,
		`}`,
		"",
		"# same A B: the two files hold the same bytes (cksum where cmp is not installed).",
		`same() { if command -v cmp >/dev/null 2>&1; then cmp -s "$1" "$2"; else [ "$(cksum < "$1")" = "$(cksum < "$2")" ]; fi; }`,
		"",
		"# put PATH NEW replaces PATH (under ROOT) with the file NEW when they differ: the old",
		"# file is kept as PATH.backupready-RUN (a new file gets a PATH.backupready-RUN.absent",
		"# marker), and the new content is renamed over it with the same mode and owner.",
		"# It sets STATE to what happened.",
		`put() {`,
		`  f=$ROOT$1`,
		`  if [ -f "$f" ] && same "$2" "$f"; then STATE=unchanged; return 0; fi`,
		`  mkdir -p "$(dirname "$f")" || die "cannot create the folder of $1"`,
		`  tmp=$f.backupready-new.$$`,
		`  if [ -f "$f" ]; then`,
		`    cp -p "$f" "$tmp" && cat "$2" > "$tmp" || { rm -f "$tmp"; die "cannot write $1"; }`,
		`    ln "$f" "$f`+BackupInfix+`$RUN" 2>/dev/null || cp -p "$f" "$f`+BackupInfix+`$RUN" || { rm -f "$tmp"; die "cannot back up $1"; }`,
		`    STATE="changed (backup $1`+BackupInfix+`$RUN)"`,
		`  else`,
		`    cat "$2" > "$tmp" && chmod 644 "$tmp" || { rm -f "$tmp"; die "cannot write $1"; }`,
		`    printf '%s\n' "backupready created $1 in this run; backupready guest proxy --undo removes it." > "$f`+BackupInfix+`$RUN`+absentSuffix+`"`,
		`    STATE=created`,
		`  fi`,
		`  mv -f "$tmp" "$f" || { rm -f "$tmp"; die "cannot replace $1"; }`,
		`}`,
		"",
		"# The drop-in: a service started by systemd does not read /etc/environment.",
		`dropin() {`,
	)
	w("  printf '%s\\n' \\")
	lines := strings.Split(strings.TrimSuffix(string(DropIn(unitPlaceholder, p)), "\n"), "\n")
	for i, l := range lines {
		q := strings.ReplaceAll(shQuote(l), unitPlaceholder, `'"$UNIT"'`)
		if i < len(lines)-1 {
			q += " \\"
		}
		w("    " + q)
	}
	w(
		`}`,
		"",
		"# First every new content (nothing is written if one cannot be computed) …",
		`edit waagent "$ROOT/etc/waagent.conf" > "$WORK/waagent.conf" || die "cannot read /etc/waagent.conf"`,
		`ENV_IN=$ROOT/etc/environment`,
		`if [ ! -e "$ENV_IN" ]; then ENV_IN=/dev/null; fi`,
		`edit environment "$ENV_IN" > "$WORK/environment" || die "cannot read /etc/environment"`,
		`dropin > "$WORK/dropin" || die "cannot write the drop-in"`,
		"",
		"# … then the files, each with its backup.",
		`put /etc/waagent.conf "$WORK/waagent.conf"`,
		`S_CONF=$STATE`,
		`put /etc/environment "$WORK/environment"`,
		`S_ENV=$STATE`,
		`put "$DROPIN" "$WORK/dropin"`,
		`S_DROP=$STATE`,
		"",
		"# The agent reads its settings when it starts: restart it 30 seconds from now, when",
		"# this script (run by that agent) has reported back.",
		`RESTART="not needed"`,
		`if [ "$S_CONF" != unchanged ] || [ "$S_DROP" != unchanged ]; then`,
		`  if [ -n "$ROOT" ]; then`,
		`    RESTART="not scheduled: ROOT is not the running system"`,
		`  elif ! command -v systemctl >/dev/null 2>&1; then`,
		`    RESTART="not scheduled: no systemctl; restart the agent yourself"`,
		`  else`,
		`    systemctl daemon-reload >/dev/null 2>&1`,
		`    if command -v systemd-run >/dev/null 2>&1 && systemd-run --on-active=30 "$(command -v systemctl)" restart "$UNIT.service" >/dev/null 2>&1; then`,
		`      RESTART="$UNIT.service restarts in 30 seconds (systemd-run)"`,
		`    else`,
		`      (sleep 30; systemctl restart "$UNIT.service") </dev/null >/dev/null 2>&1 &`,
		`      RESTART="$UNIT.service restarts in 30 seconds"`,
		`    fi`,
		`  fi`,
		`fi`,
		"",
		"# What happened, one line per file.",
		`echo "backupready guest proxy: $PROXY_URL, no_proxy $NO_PROXY_LIST"`,
		`echo "/etc/waagent.conf: $S_CONF"`,
		`echo "/etc/environment: $S_ENV"`,
		`echo "$DROPIN: $S_DROP"`,
		`echo "agent restart: $RESTART"`,
		"exit 0",
	)
	return s.String(), nil
}

// WinHTTPBypassList is the bypass list WindowsProxyScript sets for these
// no-proxy entries: Azure's platform addresses first, then every entry
// WinHTTP has a form for, joined with ";".
func WinHTTPBypassList(noProxy []string) string {
	var out []string
	seen := map[string]bool{}
	for _, e := range (Proxy{NoProxy: noProxy}).NoProxyList() {
		if b, ok := winHTTPBypass(e); ok && !seen[b] {
			seen[b] = true
			out = append(out, b)
		}
	}
	return strings.Join(out, ";")
}

// unitPlaceholder stands for the agent's unit in the drop-in's text, which
// the script fills in once it knows the unit.
const unitPlaceholder = "@BACKUPREADY_UNIT@"

// shQuote quotes s for sh in single quotes; a ' inside ends the quote, is escaped (\') and reopens it.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// editAwk is the script's line editor (POSIX awk, run with LC_ALL=C): the
// same rules as edit, waagentSyntax and envSyntax, for ASCII white space.
// It holds no single quote (the script quotes it with them).
const editAwk = `
function lstrip(s) { sub("^" SP "+", "", s); return s }
function strip(s) { s = lstrip(s); sub(SP "+$", "", s); return s }
function wa_active(t,   i, lead, pre) {
  if (substr(t, 1, 1) == "#") return 0
  i = index(t, "=")
  if (i == 0) return 0
  lead = lstrip(t)
  pre = substr(t, 1, length(t) - length(lead))
  if (length(pre) > i - 1) pre = substr(t, 1, i - 1)
  PREFIX = pre; KEY = strip(substr(t, 1, i - 1))
  return 1
}
function wa_commented(t,   i) {
  t = lstrip(t)
  if (substr(t, 1, 1) != "#") return 0
  sub(/^#+/, "", t)
  i = index(t, "=")
  if (i == 0) return 0
  KEY = strip(substr(t, 1, i - 1))
  return 1
}
function env_active(t,   u, rest, n, c) {
  u = t; sub(/^[ \t]+/, "", u)
  if (substr(u, 1, 6) == "export") {
    rest = substr(u, 7); c = substr(rest, 1, 1)
    if (c == " " || c == "\t") { u = rest; sub(/^[ \t]+/, "", u) }
  }
  if (!match(u, /^[A-Za-z_][A-Za-z0-9_]*/)) return 0
  n = RLENGTH
  rest = substr(u, n + 1); sub(/^[ \t]+/, "", rest)
  if (substr(rest, 1, 1) != "=") return 0
  PREFIX = substr(t, 1, length(t) - length(u)); KEY = substr(u, 1, n)
  return 1
}
function active(t) { return mode == "waagent" ? wa_active(t) : env_active(t) }
function want(k, v) { m++; wkey[m] = k; wtext[m] = k "=" v; idx[k] = m }
BEGIN { SP = "[ \t\n\v\f\r\034\035\036\037]"; mode = ENVIRON["BR_MODE"]; m = 0 }
{ raw[NR] = $0 }
END {
  n = NR
  for (i = 1; i <= n; i++) {
    t = raw[i]; e = "\n"
    if (i == n && ENVIRON["BR_NOFINAL"] == "1") e = ""
    else if (t ~ /\r$/) { t = substr(t, 1, length(t) - 1); e = "\r\n" }
    txt[i] = t; eol[i] = e
  }
  if (mode == "waagent") {
    want("HttpProxy.Host", ENVIRON["BR_HOST"]); want("HttpProxy.Port", ENVIRON["BR_PORT"])
  } else {
    upper = 0
    for (i = 1; i <= n; i++)
      if (env_active(txt[i]) && (KEY == "HTTP_PROXY" || KEY == "HTTPS_PROXY" || KEY == "NO_PROXY")) upper = 1
    want("http_proxy", ENVIRON["BR_URL"]); want("https_proxy", ENVIRON["BR_URL"]); want("no_proxy", ENVIRON["BR_NO"])
    if (upper) { want("HTTP_PROXY", ENVIRON["BR_URL"]); want("HTTPS_PROXY", ENVIRON["BR_URL"]); want("NO_PROXY", ENVIRON["BR_NO"]) }
  }
  for (i = 1; i <= n; i++)
    if (active(txt[i]) && (KEY in idx)) { w = idx[KEY]; txt[i] = PREFIX wtext[w]; found[w] = 1 }
  if (mode == "waagent")
    for (i = 1; i <= n; i++) {
      if (wa_active(txt[i])) continue
      if (wa_commented(txt[i]) && (KEY in idx) && !found[idx[KEY]]) { w = idx[KEY]; txt[i] = wtext[w]; found[w] = 1 }
    }
  style = "\n"
  for (i = 1; i <= n; i++) if (eol[i] != "") { style = eol[i]; break }
  missing = n > 0 && eol[n] == ""
  added = 0
  for (w = 1; w <= m; w++) {
    if (found[w]) continue
    if (n > 0 && eol[n] == "") eol[n] = style
    n++; txt[n] = wtext[w]; eol[n] = style; added = 1
  }
  if (added && missing) eol[n] = ""
  for (i = 1; i <= n; i++) printf "%s%s", txt[i], eol[i]
}
`

// lineWriter returns a function that writes lines to s, each ended by a
// newline (how the scripts here are written).
func lineWriter(s *strings.Builder) func(lines ...string) {
	return func(lines ...string) {
		for _, l := range lines {
			s.WriteString(l + "\n")
		}
	}
}
