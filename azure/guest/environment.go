package guest

import (
	"slices"
	"strings"
)

// The proxy variables in /etc/environment. The lower-case names are always
// set; the upper-case ones only when the file already uses them, and then
// all three, so that both spellings agree.
var (
	envLower = []string{"http_proxy", "https_proxy", "no_proxy"}
	envUpper = []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"}
)

// envSyntax follows pam_env's reading of /etc/environment (and what a shell
// would do with it): blank and "#" lines are comments; an assignment is
// NAME=value, optionally indented and optionally preceded by "export ".
var envSyntax = lineSyntax{active: envAssignment}

func envAssignment(text string) (prefix, key string, ok bool) {
	t := strings.TrimLeft(text, " \t")
	if rest, found := strings.CutPrefix(t, "export"); found && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		t = strings.TrimLeft(rest, " \t")
	}
	start := len(text) - len(t)
	n := 0
	for n < len(t) && isNameByte(t[n], n == 0) {
		n++
	}
	if n == 0 {
		return "", "", false
	}
	rest := strings.TrimLeft(t[n:], " \t")
	if !strings.HasPrefix(rest, "=") {
		return "", "", false
	}
	return text[:start], t[:n], true
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (!first && c >= '0' && c <= '9')
}

// EditEnvironment sets http_proxy, https_proxy (both proxyURL) and no_proxy
// in the content of /etc/environment, and their upper-case spellings when
// the file has any of them. Existing assignments are rewritten in place
// (duplicates too, keeping an "export " in front), missing ones are
// appended; comments and every other byte are kept.
func EditEnvironment(content []byte, proxyURL, noProxy string) []byte {
	names := envLower
	for _, l := range splitLines(string(content)) {
		if _, key, ok := envAssignment(l.text); ok && slices.Contains(envUpper, key) {
			names = append(append([]string{}, envLower...), envUpper...)
			break
		}
	}
	want := make([]setting, 0, len(names))
	for _, n := range names {
		v := proxyURL
		if strings.EqualFold(n, "no_proxy") {
			v = noProxy
		}
		want = append(want, setting{key: n, text: n + "=" + v})
	}
	return edit(content, want, envSyntax)
}

// ParseEnvironment reads content as pam_env does and returns the variables
// it sets (the last assignment wins; surrounding quotes are removed).
func ParseEnvironment(content []byte) map[string]string {
	vars := map[string]string{}
	for _, l := range splitLines(string(content)) {
		_, key, ok := envAssignment(l.text)
		if !ok {
			continue
		}
		_, v, _ := strings.Cut(l.text, "=")
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		vars[key] = v
	}
	return vars
}
