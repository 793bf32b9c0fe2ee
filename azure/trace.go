package azure

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// TracePolicy writes one tab-separated line per HTTP request: RFC 3339 time,
// method, URL path and query, status and duration in milliseconds. It is a
// per-retry policy, so retries and polls get lines of their own. It never
// writes a header, a body or a token.
type TracePolicy struct {
	mu  sync.Mutex
	out io.Writer
	now func() time.Time
}

// NewTracePolicy returns a policy writing to w.
func NewTracePolicy(w io.Writer) *TracePolicy {
	return &TracePolicy{out: w, now: time.Now}
}

// Do implements policy.Policy.
func (t *TracePolicy) Do(req *policy.Request) (*http.Response, error) {
	start := t.now()
	resp, err := req.Next()
	status := "error"
	if resp != nil {
		status = fmt.Sprint(resp.StatusCode)
	}
	u := req.Raw().URL
	target := u.EscapedPath()
	if u.RawQuery != "" {
		target += "?" + redactQuery(u.Query())
	}
	t.mu.Lock()
	fmt.Fprintf(t.out, "%s\t%s\t%s\t%s\t%d\n", start.UTC().Format(time.RFC3339), req.Raw().Method, target, status, t.now().Sub(start).Milliseconds())
	t.mu.Unlock()
	return resp, err
}

// secret query parameters: signed polling URLs carry signatures (s, sig) and
// SAS tokens; they are replaced before a URL is written anywhere.
var secretParams = map[string]bool{"sig": true, "s": true, "c": true, "h": true, "token": true, "code": true, "se": true, "skoid": true, "sktid": true}

func redactQuery(q map[string][]string) string {
	for k := range q {
		if secretParams[k] {
			q[k] = []string{"REDACTED"}
		}
	}
	return encodeQuery(q)
}

func encodeQuery(q map[string][]string) string {
	return url.Values(q).Encode()
}
