package azure

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// statusTransport answers every request with one status, code and headers.
type statusTransport struct {
	status int
	code   string
	header http.Header
	calls  int
}

func (s *statusTransport) Do(req *http.Request) (*http.Response, error) {
	s.calls++
	body := fmt.Sprintf(`{"error":{"code":%q,"message":"the message for %s"}}`, s.code, s.code)
	h := http.Header{"Content-Type": {"application/json"}}
	for k, v := range s.header {
		h[k] = v
	}
	return &http.Response{StatusCode: s.status, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
}

func TestClassifyARMErrors(t *testing.T) {
	cases := []struct {
		status int
		code   string
		header http.Header
		want   Kind
		after  time.Duration
	}{
		{401, "InvalidAuthenticationToken", nil, KindSignIn, 0},
		{403, "AuthorizationFailed", nil, KindForbidden, 0},
		{404, "ResourceNotFound", nil, KindNotFound, 0},
		{409, "Conflict", nil, KindConflict, 0},
		{409, "MissingSubscriptionRegistration", nil, KindUnregistered, 0},
		{400, "SubscriptionNotRegistered", nil, KindUnregistered, 0},
		{403, "RequestDisallowedByPolicy", nil, KindPolicy, 0},
		{429, "TooManyRequests", http.Header{"Retry-After": {"120"}}, KindThrottled, 120 * time.Second},
		{400, "InvalidParameter", nil, KindInvalid, 0},
		{503, "ServiceUnavailable", nil, KindServer, 0},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.status, tc.code), func(t *testing.T) {
			tr := &statusTransport{status: tc.status, code: tc.code, header: tc.header}
			c, err := New(&azfake.TokenCredential{}, &arm.ClientOptions{ClientOptions: azcore.ClientOptions{
				Transport: tr, Retry: policy.RetryOptions{RetryDelay: time.Millisecond, MaxRetryDelay: 10 * time.Millisecond}},
				DisableRPRegistration: true})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Subscriptions(context.Background())
			e, ok := AsError(err)
			if !ok {
				t.Fatalf("not typed: %v", err)
			}
			if e.Kind != tc.want || e.Code != tc.code || e.Status != tc.status || e.Op != "list-subscriptions" {
				t.Fatalf("got %+v", e)
			}
			if e.Message != "the message for "+tc.code {
				t.Fatalf("message %q", e.Message)
			}
			if e.RetryAfter != tc.after {
				t.Fatalf("retry after %v, want %v", e.RetryAfter, tc.after)
			}
		})
	}
}

func TestClassifyContext(t *testing.T) {
	if e, _ := AsError(Classify("x", context.Canceled)); e.Kind != KindCanceled {
		t.Fatalf("canceled: %v", e.Kind)
	}
	if e, _ := AsError(Classify("x", fmt.Errorf("wrapped: %w", context.DeadlineExceeded))); e.Kind != KindTimeout {
		t.Fatalf("deadline: %v", e.Kind)
	}
	if Classify("x", nil) != nil {
		t.Fatal("nil must stay nil")
	}
}

func TestSignInFailureHidesCredentialText(t *testing.T) {
	cred := &azfake.TokenCredential{}
	cred.SetError(fmt.Errorf("AzureCLICredential: ERROR: secret-ish detail from /home/me/.azure/msal_token_cache.json"))
	c, err := New(cred, &arm.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: &statusTransport{status: 200}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Identity(context.Background())
	e, ok := AsError(err)
	if !ok || e.Kind != KindSignIn {
		t.Fatalf("want sign-in error, got %v", err)
	}
	if strings.Contains(e.Error(), "msal") || strings.Contains(e.Error(), "secret") {
		t.Fatalf("credential detail leaked: %s", e.Error())
	}
}

func jwt(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(claims)) + ".sig"
}

func TestIdentityFromToken(t *testing.T) {
	cases := map[string]Identity{
		`{"upn":"ada@contoso.com","tid":"t1","oid":"o1"}`:            {Name: "ada@contoso.com", TenantID: "t1", ObjectID: "o1", Kind: "user"},
		`{"unique_name":"live.com#bob@x.com","tid":"t2"}`:            {Name: "live.com#bob@x.com", TenantID: "t2", Kind: "user"},
		`{"appid":"11111111-2222","tid":"t3","idtyp":"app"}`:         {Name: "11111111-2222", TenantID: "t3", Kind: "app"},
		`{"preferred_username":"carol@y.com","tid":"t4","oid":"o4"}`: {Name: "carol@y.com", TenantID: "t4", ObjectID: "o4", Kind: "user"},
	}
	for claims, want := range cases {
		if got := identityFromToken(jwt(claims)); got != want {
			t.Errorf("%s: got %+v want %+v", claims, got, want)
		}
	}
	if got := identityFromToken("not-a-jwt"); got != (Identity{}) {
		t.Errorf("garbage token gave %+v", got)
	}
}

func TestTraceRedactsAndCounts(t *testing.T) {
	var buf bytes.Buffer
	tr := &statusTransport{status: 404, code: "NotFound"}
	c, err := New(&azfake.TokenCredential{}, &arm.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport: tr, PerRetryPolicies: []policy.Policy{NewTracePolicy(&buf)}}})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Subscriptions(context.Background())
	line := strings.TrimSpace(buf.String())
	fields := strings.Split(line, "\t")
	if len(fields) != 5 {
		t.Fatalf("want 5 tab-separated fields, got %q", line)
	}
	if _, err := time.Parse(time.RFC3339, fields[0]); err != nil {
		t.Fatalf("time field %q: %v", fields[0], err)
	}
	if fields[1] != "GET" || !strings.HasPrefix(fields[2], "/subscriptions?api-version=") || fields[3] != "404" {
		t.Fatalf("fields: %q", fields)
	}
	if strings.Contains(line, "Bearer") || strings.Contains(line, "management.azure.com") {
		t.Fatalf("trace leaks: %q", line)
	}
	q := map[string][]string{"api-version": {"1"}, "sig": {"abc"}, "s": {"xyz"}}
	if got := redactQuery(q); strings.Contains(got, "abc") || strings.Contains(got, "xyz") {
		t.Fatalf("signature kept: %s", got)
	}
}

// A policy denial names the assignment that denied it.
func TestPolicyDenialNamesTheAssignment(t *testing.T) {
	body := `{"error":{"code":"RequestDisallowedByPolicy","message":"Resource 'rsv' was disallowed by policy.",
	"additionalInfo":[{"type":"PolicyViolation","info":{"policyAssignmentName":"a1b2","policyAssignmentDisplayName":"Allowed locations"}}]}}`
	tr := transportFunc(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 403, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
	})
	c, err := New(&azfake.TokenCredential{}, &arm.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Subscriptions(context.Background())
	e, _ := AsError(err)
	if e == nil || e.Kind != KindPolicy || e.Policy != "Allowed locations" || !strings.Contains(e.Message, "disallowed by policy") {
		t.Fatalf("got %+v", e)
	}
}

type transportFunc func(*http.Request) (*http.Response, error)

func (f transportFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }
