package guest

import (
	"os"
	"strings"
	"testing"
)

func TestEditWaagentConf(t *testing.T) {
	const h, p = "10.0.0.5", 3128
	cases := []struct {
		name, in, want string
	}{
		{"commented entries are taken over in place",
			"# If set, agent will use proxy server to access internet\n#HttpProxy.Host=None\n#HttpProxy.Port=None\n\n# Detect Scvmm environment, default is n\n# DetectScvmmEnv=n\n",
			"# If set, agent will use proxy server to access internet\nHttpProxy.Host=10.0.0.5\nHttpProxy.Port=3128\n\n# Detect Scvmm environment, default is n\n# DetectScvmmEnv=n\n"},
		{"commented with a space after #",
			"A=1\n# HttpProxy.Host=None\n#  HttpProxy.Port = None\nB=2\n",
			"A=1\nHttpProxy.Host=10.0.0.5\nHttpProxy.Port=3128\nB=2\n"},
		{"None values are replaced",
			"HttpProxy.Host=None\nHttpProxy.Port=None\n",
			"HttpProxy.Host=10.0.0.5\nHttpProxy.Port=3128\n"},
		{"other values, spaces and inline comments",
			"HttpProxy.Host = proxy.old # old one\n  HttpProxy.Port= 80\n",
			"HttpProxy.Host=10.0.0.5\n  HttpProxy.Port=3128\n"},
		{"an active entry wins over a commented one, which stays",
			"#HttpProxy.Host=None\nHttpProxy.Host=old\n",
			"#HttpProxy.Host=None\nHttpProxy.Host=10.0.0.5\nHttpProxy.Port=3128\n"},
		{"duplicates are all set (the agent takes the last)",
			"HttpProxy.Host=a\nX=1\nHttpProxy.Host=b\nHttpProxy.Port=1\nHttpProxy.Port=2\n",
			"HttpProxy.Host=10.0.0.5\nX=1\nHttpProxy.Host=10.0.0.5\nHttpProxy.Port=3128\nHttpProxy.Port=3128\n"},
		{"CRLF kept, appended lines in CRLF",
			"Extensions.Enabled=y\r\n# comment\r\n",
			"Extensions.Enabled=y\r\n# comment\r\nHttpProxy.Host=10.0.0.5\r\nHttpProxy.Port=3128\r\n"},
		{"CRLF kept on replaced lines",
			"#HttpProxy.Host=None\r\nHttpProxy.Port=None\r\n",
			"HttpProxy.Host=10.0.0.5\r\nHttpProxy.Port=3128\r\n"},
		{"missing final newline stays missing",
			"Extensions.Enabled=y\nLogs.Verbose=n",
			"Extensions.Enabled=y\nLogs.Verbose=n\nHttpProxy.Host=10.0.0.5\nHttpProxy.Port=3128"},
		{"missing final newline on a replaced line",
			"A=1\nHttpProxy.Host=None\nHttpProxy.Port=None",
			"A=1\nHttpProxy.Host=10.0.0.5\nHttpProxy.Port=3128"},
		{"CRLF without final newline",
			"A=1\r\nB=2",
			"A=1\r\nB=2\r\nHttpProxy.Host=10.0.0.5\r\nHttpProxy.Port=3128"},
		{"empty file", "", "HttpProxy.Host=10.0.0.5\nHttpProxy.Port=3128\n"},
		{"look-alike keys are not ours",
			"HttpProxy.HostName=x\n#HttpProxy.Hostess=None\nhttpproxy.host=y\n",
			"HttpProxy.HostName=x\n#HttpProxy.Hostess=None\nhttpproxy.host=y\nHttpProxy.Host=10.0.0.5\nHttpProxy.Port=3128\n"},
		{"a lone CR is not a line end",
			"A=1\rHttpProxy.Host=x\n",
			"A=1\rHttpProxy.Host=x\nHttpProxy.Host=10.0.0.5\nHttpProxy.Port=3128\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := string(EditWaagentConf([]byte(c.in), h, p))
			if got != c.want {
				t.Fatalf("got\n%q\nwant\n%q", got, c.want)
			}
			if again := string(EditWaagentConf([]byte(got), h, p)); again != got {
				t.Fatalf("second edit changed the file:\n%q", again)
			}
			v := ParseWaagentConf([]byte(got))
			if v[KeyProxyHost] != h || v[KeyProxyPort] != "3128" {
				t.Fatalf("the agent would read %q:%q", v[KeyProxyHost], v[KeyProxyPort])
			}
		})
	}
}

// The Debian package's own waagent.conf: only the two proxy lines change.
func TestEditWaagentConfDebianDefault(t *testing.T) {
	in, err := os.ReadFile("testdata/waagent.conf")
	if err != nil {
		t.Fatal(err)
	}
	out := EditWaagentConf(in, "proxy.contoso.com", 8080)
	want := strings.Replace(strings.Replace(string(in), "#HttpProxy.Host=None\n", "HttpProxy.Host=proxy.contoso.com\n", 1),
		"#HttpProxy.Port=None\n", "HttpProxy.Port=8080\n", 1)
	if string(out) == string(in) || string(out) != want {
		t.Fatalf("unexpected edit:\n%s", out)
	}
}

func TestEditEnvironment(t *testing.T) {
	const u, np = "http://10.0.0.5:3128/", "168.63.129.16,169.254.169.254"
	lower := "http_proxy=" + u + "\nhttps_proxy=" + u + "\nno_proxy=" + np + "\n"
	cases := []struct {
		name, in, want string
	}{
		{"empty file", "", lower},
		{"Ubuntu's default is kept",
			"PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n",
			"PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n" + lower},
		{"existing values replaced in place",
			"# proxy\nhttp_proxy=\"http://old:80/\"\nLANG=C\nno_proxy=localhost\nhttps_proxy=http://old:80/\n",
			"# proxy\nhttp_proxy=" + u + "\nLANG=C\nno_proxy=" + np + "\nhttps_proxy=" + u + "\n"},
		{"export and indentation kept",
			"export http_proxy=x\n  https_proxy=y\n",
			"export http_proxy=" + u + "\n  https_proxy=" + u + "\nno_proxy=" + np + "\n"},
		{"comments are not assignments",
			"# http_proxy=http://example/\n",
			"# http_proxy=http://example/\n" + lower},
		{"upper case present: both spellings set",
			"HTTP_PROXY=http://old/\n",
			"HTTP_PROXY=" + u + "\nhttp_proxy=" + u + "\nhttps_proxy=" + u + "\nno_proxy=" + np + "\nHTTPS_PROXY=" + u + "\nNO_PROXY=" + np + "\n"},
		{"duplicates all set",
			"http_proxy=a\nhttp_proxy=b\n",
			"http_proxy=" + u + "\nhttp_proxy=" + u + "\nhttps_proxy=" + u + "\nno_proxy=" + np + "\n"},
		{"CRLF and no final newline",
			"A=1\r\nB=2",
			"A=1\r\nB=2\r\nhttp_proxy=" + u + "\r\nhttps_proxy=" + u + "\r\nno_proxy=" + np},
		{"look-alikes untouched",
			"my_http_proxy=1\nhttp_proxy_x=2\nHttp_Proxy=3\n",
			"my_http_proxy=1\nhttp_proxy_x=2\nHttp_Proxy=3\n" + lower},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := string(EditEnvironment([]byte(c.in), u, np))
			if got != c.want {
				t.Fatalf("got\n%q\nwant\n%q", got, c.want)
			}
			if again := string(EditEnvironment([]byte(got), u, np)); again != got {
				t.Fatalf("second edit changed the file:\n%q", again)
			}
			v := ParseEnvironment([]byte(got))
			if v["http_proxy"] != u || v["https_proxy"] != u || v["no_proxy"] != np {
				t.Fatalf("pam_env would read %v", v)
			}
		})
	}
}

func TestNewProxy(t *testing.T) {
	good := []struct {
		host   string
		port   int
		no     []string
		url    string
		noList string
	}{
		{"10.0.0.5", 3128, nil, "http://10.0.0.5:3128/", "168.63.129.16,169.254.169.254"},
		{"proxy.contoso.com", 8080, []string{"localhost, .corp.contoso.com", "10.0.0.0/8", "localhost", "168.63.129.16"},
			"http://proxy.contoso.com:8080/", "168.63.129.16,169.254.169.254,localhost,.corp.contoso.com,10.0.0.0/8"},
		{"[2001:db8::1]", 1, []string{"", " "}, "http://[2001:db8::1]:1/", "168.63.129.16,169.254.169.254"},
		{"2001:db8::2", 65535, []string{"*.contoso.com"}, "http://[2001:db8::2]:65535/", "168.63.129.16,169.254.169.254,*.contoso.com"},
	}
	for _, g := range good {
		p, err := NewProxy(g.host, g.port, g.no)
		if err != nil {
			t.Fatalf("%q %d %q: %v", g.host, g.port, g.no, err)
		}
		if p.URL() != g.url || p.NoProxyValue() != g.noList {
			t.Fatalf("%q: %s %s", g.host, p.URL(), p.NoProxyValue())
		}
	}
	bad := []struct {
		host          string
		port          int
		no            []string
		field, reason string
	}{
		{"", 3128, nil, "host", "missing"},
		{"  ", 3128, nil, "host", "empty"},
		{"my proxy", 3128, nil, "host", "space"},
		{"http://10.0.0.5", 3128, nil, "host", "scheme"},
		{"10.0.0.5:3128", 3128, nil, "host", "port"},
		{"[2001:db8::1]:3128", 3128, nil, "host", "port"},
		{"user:pass@10.0.0.5", 3128, nil, "host", "auth"},
		{"bob@proxy", 3128, nil, "host", "auth"},
		{"proxy_1", 3128, nil, "host", "invalid"},
		{"a;rm -rf", 3128, nil, "host", "space"},
		{"a\"b", 3128, nil, "host", "invalid"},
		{"10.0.0.5", 0, nil, "port", "missing"},
		{"10.0.0.5", 65536, nil, "port", "range"},
		{"10.0.0.5", -1, nil, "port", "range"},
		{"10.0.0.5", 3128, []string{"a b"}, "no-proxy", "space"},
		{"10.0.0.5", 3128, []string{"a\"b"}, "no-proxy", "invalid"},
		{"10.0.0.5", 3128, []string{"x;y"}, "no-proxy", "invalid"},
	}
	for _, b := range bad {
		_, err := NewProxy(b.host, b.port, b.no)
		ie, ok := err.(*InputError)
		if !ok || ie.Field != b.field || ie.Reason != b.reason {
			t.Errorf("%q %d %q: got %v, want %s/%s", b.host, b.port, b.no, err, b.field, b.reason)
		}
	}
}

func TestDropIn(t *testing.T) {
	p, _ := NewProxy("10.0.0.5", 3128, []string{"localhost"})
	got := string(DropIn("waagent", p))
	for _, want := range []string{
		"\n[Service]\n",
		"Environment=\"http_proxy=http://10.0.0.5:3128/\"\n",
		"Environment=\"https_proxy=http://10.0.0.5:3128/\"\n",
		"Environment=\"no_proxy=168.63.129.16,169.254.169.254,localhost\"\n",
		"systemctl restart waagent",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("drop-in lacks %q:\n%s", want, got)
		}
	}
	if !IsOurDropIn([]byte(got)) || IsOurDropIn([]byte("[Service]\n")) {
		t.Error("IsOurDropIn")
	}
}
