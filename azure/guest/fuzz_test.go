package guest

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
)

// kept is every line of content that an editor must leave alone: those
// that do not even mention a managed key. The last line's ending may be
// added when lines are appended, so only its text counts.
func kept(content []byte, mentionsKey func(string) bool) []string {
	var out []string
	lines := splitLines(string(content))
	for i, l := range lines {
		if mentionsKey(l.text) {
			continue
		}
		if i == len(lines)-1 {
			out = append(out, l.text)
		} else {
			out = append(out, l.text+l.eol)
		}
	}
	return out
}

// keptIn reports whether want (from the input) is found in order among the
// output's lines not mentioning a key.
func keptIn(t *testing.T, in, out []byte, mentionsKey func(string) bool) {
	t.Helper()
	want := kept(in, mentionsKey)
	var got []string
	for _, l := range splitLines(string(out)) {
		if !mentionsKey(l.text) {
			got = append(got, l.text+l.eol)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d lines kept of %d:\nin  %q\nout %q", len(got), len(want), in, out)
	}
	for i := range want {
		if i == len(want)-1 && !strings.HasSuffix(want[i], "\n") {
			// a last line without a newline may get one ("\r" then "\n"
			// reads as a CRLF line end afterwards: the bytes are the same)
			if rest, ok := strings.CutPrefix(got[i], want[i]); ok && (rest == "" || rest == "\n" || rest == "\r\n") {
				continue
			}
		}
		if got[i] != want[i] {
			t.Fatalf("line %d changed from %q to %q", i, want[i], got[i])
		}
	}
}

func fuzzSeeds(f *testing.F, extra ...string) {
	debian, err := os.ReadFile("testdata/waagent.conf")
	if err != nil {
		f.Fatal(err)
	}
	seeds := append([]string{
		string(debian),
		strings.ReplaceAll(string(debian), "\n", "\r\n"),
		strings.TrimSuffix(string(debian), "\n"),
		"", "\n", "\r\n", "\r", "=", "#", "# \n#\r\n",
		"A=1\nB=2", "A=1\r\nB=2", "a\rb\n",
	}, extra...)
	for _, s := range seeds {
		f.Add([]byte(s))
	}
}

func FuzzWaagentConf(f *testing.F) {
	fuzzSeeds(f, "#HttpProxy.Host=None\n#HttpProxy.Port=None\n", "HttpProxy.Host=a\nHttpProxy.Host=b\n",
		" HttpProxy.Port = 1 # x\r\n", "#  HttpProxy.Host=\n HttpProxy.Host=x", "\u00a0HttpProxy.Host\x1c=1")
	mentions := func(s string) bool {
		return strings.Contains(s, KeyProxyHost) || strings.Contains(s, KeyProxyPort)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := EditWaagentConf(in, "proxy.contoso.com", 3128)
		if again := EditWaagentConf(out, "proxy.contoso.com", 3128); !bytes.Equal(again, out) {
			t.Fatalf("not idempotent:\n%q\n%q", out, again)
		}
		keptIn(t, in, out, mentions)
		v := ParseWaagentConf(out)
		if v[KeyProxyHost] != "proxy.contoso.com" || v[KeyProxyPort] != "3128" {
			t.Fatalf("the agent would read %q:%q from %q", v[KeyProxyHost], v[KeyProxyPort], out)
		}
	})
}

func FuzzEnvironment(f *testing.F) {
	fuzzSeeds(f, "http_proxy=a\nHTTP_PROXY=b\n", "export no_proxy=x\n", "  https_proxy = y\r\n", "# http_proxy=\nNO_PROXY=1")
	mentions := func(s string) bool { return strings.Contains(strings.ToLower(s), "_proxy") }
	const u, np = "http://[2001:db8::1]:3128/", "168.63.129.16,169.254.169.254,.contoso.com"
	f.Fuzz(func(t *testing.T, in []byte) {
		out := EditEnvironment(in, u, np)
		if again := EditEnvironment(out, u, np); !bytes.Equal(again, out) {
			t.Fatalf("not idempotent:\n%q\n%q", out, again)
		}
		keptIn(t, in, out, mentions)
		v := ParseEnvironment(out)
		if v["http_proxy"] != u || v["https_proxy"] != u || v["no_proxy"] != np {
			t.Fatalf("pam_env would read %v from %q", v, out)
		}
		upper := false
		for _, k := range envUpper {
			_, ok := v[k]
			upper = upper || ok
		}
		if upper && (v["HTTP_PROXY"] != u || v["HTTPS_PROXY"] != u || v["NO_PROXY"] != np) {
			t.Fatalf("upper-case spelling disagrees: %v", v)
		}
		if !upper && slices.ContainsFunc(envUpper, func(k string) bool { return bytes.Contains(out, []byte("\n"+k+"=")) }) {
			t.Fatalf("upper-case names added: %q", out)
		}
	})
}
