package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// The router is the one policy.Transporter in front of the simulated cloud.
// For each request it applies the scenario's faults and latency, checks that
// the subscription and resource group in the path exist, and hands the
// request to the SDK fake server transport of the module that owns the path.

// Module names (one SDK module each).
const (
	modSubscriptions = "armsubscriptions"
	modResources     = "armresources"
	modGraph         = "armresourcegraph"
	modCompute       = "armcompute"
	modNetwork       = "armnetwork"
	modVaults        = "armrecoveryservices"
	modBackup        = "armrecoveryservicesbackup"
)

// api-versions of the pinned modules that decide Recovery Services routing.
const (
	apiVaults = "2023-04-01"
	apiBackup = "2026-07-01"
)

type router struct {
	c       *Cloud
	modules map[string]*fakeModule
	natives []nativeRoute // answered by the simulator itself (operations.go)
	reqID   atomic.Uint64
}

// reqInfo is what the router read from the path; the fake server functions
// (which are not given the subscription) read it from the request context.
type reqInfo struct {
	sub string // subscription id as written in the path ("" for tenant-level calls)
	rg  string // resource group as written in the path
}

type reqInfoKey struct{}

func infoOf(ctx context.Context) reqInfo {
	ri, _ := ctx.Value(reqInfoKey{}).(reqInfo)
	return ri
}

// Do implements policy.Transporter.
func (r *router) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	target := req.Method + " " + req.URL.EscapedPath() + "?" + req.URL.RawQuery
	fault := r.c.matchFault(target)
	if d := r.c.latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	if fault != nil && fault.FailOperation {
		r.c.failOperation(req.URL.Path, fault)
	} else if fault != nil {
		return r.respond(req, fault.armError()), nil
	}
	r.c.settle()
	mod, info := route(req.Method, req.URL)
	if ae := r.c.precheck(req.Method, req.URL, info); ae != nil {
		return r.respond(req, ae), nil
	}
	limitHeaders, ae := r.c.limits.admit(req.Method, req.URL, info)
	if ae != nil {
		return r.respond(req, ae), nil
	}
	if nr, m := r.native(req); nr != nil {
		resp, ae := nr.serve(req.WithContext(context.WithValue(ctx, reqInfoKey{}, info)), info, m)
		if ae != nil {
			return r.respond(req, ae), nil
		}
		if resp.Header.Get("x-ms-request-id") == "" {
			resp.Header.Set("x-ms-request-id", r.nextRequestID())
		}
		addHeaders(resp, limitHeaders)
		return resp, nil
	}
	m := r.modules[mod]
	if m == nil {
		return r.respond(req, &armError{status: http.StatusNotFound, code: "ResourceNotFound",
			message: fmt.Sprintf("The simulated Azure has no resource at '%s'.", req.URL.Path)}), nil
	}
	// The fakes of armcompute, armnetwork and armrecoveryservicesbackup close
	// their result channel when the request context ends while their handler
	// goroutine may still send on it ("send on closed channel" panics the
	// process). Their handlers never block, so they get a context that is
	// never cancelled, and cancellation is honoured here instead.
	req = req.WithContext(context.WithValue(context.WithoutCancel(ctx), reqInfoKey{}, info))
	resp, err := m.do(req)
	if ctxErr := ctx.Err(); ctxErr != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		return nil, ctxErr
	}
	if err != nil {
		var ae *armError
		if errors.As(err, &ae) {
			return r.respond(req, ae), nil
		}
		return nil, err
	}
	if resp != nil && resp.Header != nil && resp.Header.Get("x-ms-request-id") == "" {
		resp.Header.Set("x-ms-request-id", r.nextRequestID())
	}
	addHeaders(resp, limitHeaders)
	return resp, nil
}

// addHeaders adds the throttling headers of the limits to an answer.
func addHeaders(resp *http.Response, h http.Header) {
	if resp == nil || len(h) == 0 {
		return
	}
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	for k, v := range h {
		resp.Header[k] = append([]string(nil), v...)
	}
}

func (r *router) nextRequestID() string {
	n := r.reqID.Add(1)
	return fmt.Sprintf("00000000-0000-4000-8000-%012x", n)
}

func (r *router) respond(req *http.Request, ae *armError) *http.Response {
	resp := ae.response(req)
	resp.Header.Set("x-ms-request-id", r.nextRequestID())
	return resp
}

// route picks the SDK module that owns a request path.
func route(method string, u *url.URL) (string, reqInfo) {
	var info reqInfo
	segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	lower := make([]string, len(segs))
	for i, s := range segs {
		lower[i] = strings.ToLower(s)
	}
	unesc := func(s string) string {
		if v, err := url.PathUnescape(s); err == nil {
			return v
		}
		return s
	}
	if len(segs) == 0 || segs[0] == "" {
		return "", info
	}
	if lower[0] == "tenants" {
		return modSubscriptions, info
	}
	if lower[0] == "subscriptions" {
		if len(segs) == 1 {
			return modSubscriptions, info
		}
		info.sub = unesc(segs[1])
		if len(segs) == 2 || (len(segs) == 3 && lower[2] == "locations") {
			return modSubscriptions, info
		}
		if lower[2] == "resourcegroups" && len(segs) >= 4 {
			info.rg = unesc(segs[3])
		}
	}
	p := -1
	for i := len(lower) - 1; i >= 0; i-- {
		if lower[i] == "providers" {
			p = i
			break
		}
	}
	if p < 0 {
		if lower[0] == "subscriptions" && len(lower) >= 3 {
			switch lower[2] {
			case "resourcegroups", "resources", "tagnames", "tags":
				return modResources, info
			}
		}
		return "", info
	}
	if p+1 >= len(lower) {
		return modResources, info // provider list
	}
	ns := lower[p+1]
	rest := lower[p+2:]
	if len(rest) == 0 || (len(rest) == 1 && (rest[0] == "register" || rest[0] == "unregister" || rest[0] == "providerpermissions")) {
		return modResources, info // ProvidersClient
	}
	switch ns {
	case "microsoft.resources":
		return modResources, info
	case "microsoft.resourcegraph":
		return modGraph, info
	case "microsoft.compute":
		return modCompute, info
	case "microsoft.network":
		return modNetwork, info
	case "microsoft.recoveryservices":
		switch u.Query().Get("api-version") {
		case apiVaults:
			return modVaults, info
		case apiBackup:
			return modBackup, info
		}
		for _, s := range rest {
			if strings.HasPrefix(s, "backup") {
				return modBackup, info
			}
		}
		return modVaults, info
	}
	return "", info
}

// precheck answers for a subscription or resource group that does not exist,
// as ARM does before any resource provider sees the request.
func (c *Cloud) precheck(method string, u *url.URL, info reqInfo) *armError {
	if info.sub == "" && info.rg == "" {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if info.sub != "" && !c.st.visible(info.sub) {
		return &armError{status: http.StatusNotFound, code: "SubscriptionNotFound",
			message: fmt.Sprintf("The subscription '%s' could not be found.", info.sub)}
	}
	if info.rg == "" {
		return nil
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(segs) == 4 && method != http.MethodGet && method != http.MethodHead && method != http.MethodDelete {
		return nil // creating or updating the resource group itself
	}
	if !c.view().hasRG(info.sub, info.rg) {
		return &armError{status: http.StatusNotFound, code: "ResourceGroupNotFound",
			message: fmt.Sprintf("Resource group '%s' could not be found.", info.rg)}
	}
	return nil
}

// fakeModule wraps one module's fake ServerFactoryTransport.
type fakeModule struct {
	name    string
	tr      policy.Transporter
	pagerMu sync.Mutex
	cur     atomic.Pointer[reqInfo] // the request being paged (pager funcs get no context)
}

// do dispatches to the fake. The fakes keep pager state keyed by URL path and
// are not safe for concurrent pagers on the same path, so pager requests are
// serialised (every simulated list is one page, so nothing spans requests).
func (m *fakeModule) do(req *http.Request) (*http.Response, error) {
	api, _ := req.Context().Value(runtime.CtxAPINameKey{}).(string)
	if strings.Contains(api, "Pager") {
		m.pagerMu.Lock()
		defer m.pagerMu.Unlock()
		info := infoOf(req.Context())
		m.cur.Store(&info)
	}
	resp, err := m.tr.Do(req)
	if err == nil {
		return resp, nil
	}
	var ae *armError
	if errors.As(err, &ae) {
		return nil, ae
	}
	// "fake for method X not implemented", unparsable paths and the like:
	// never worth a retry.
	return nil, &nonRetriable{fmt.Errorf("simulated %s: %w", m.name, err)}
}

// nonRetriable marks an error that azcore's retry policy must not retry.
type nonRetriable struct{ error }

func (nonRetriable) NonRetriable() {}

func (e *nonRetriable) Unwrap() error { return e.error }

// armError is an ARM error answer. Fake server functions return it through
// the fakes' ErrorResponder.SetError; the router turns it into a real HTTP
// response with ARM's {"error":{"code","message"}} body (the fakes' own
// SetResponseError sends no body and cannot be retried).
type armError struct {
	status  int
	code    string
	message string
	details []armError
	header  http.Header
}

func (e *armError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message)
}

type armErrorBody struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details []armErrorBody `json:"details,omitempty"`
}

func (e *armError) body() armErrorBody {
	b := armErrorBody{Code: e.code, Message: e.message}
	for i := range e.details {
		b.Details = append(b.Details, e.details[i].body())
	}
	return b
}

func (e *armError) response(req *http.Request) *http.Response {
	body, _ := json.Marshal(struct {
		Error armErrorBody `json:"error"`
	}{e.body()})
	h := http.Header{}
	for k, v := range e.header {
		h[k] = append([]string(nil), v...)
	}
	return jsonResponse(req, e.status, body, h)
}

// jsonResponse builds an HTTP response with a JSON body.
func jsonResponse(req *http.Request, status int, body []byte, h http.Header) *http.Response {
	if h == nil {
		h = http.Header{}
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// pagerInfo returns the path facts of the pager request a module is
// answering. The fakes call pager functions without a context; pager requests
// are serialised per module, so this is the request being answered.
func (c *Cloud) pagerInfo(mod string) reqInfo {
	if m := c.router.modules[mod]; m != nil {
		if p := m.cur.Load(); p != nil {
			return *p
		}
	}
	return reqInfo{}
}

func notFound(typ, name, rg string) *armError {
	return &armError{status: http.StatusNotFound, code: "ResourceNotFound", message: notFoundMessage(typ, name, rg)}
}

// faultRule is a compiled Fault with its counters.
type faultRule struct {
	Fault
	mu    sync.Mutex
	seen  int
	fired int
}

// defaultCodes are the ARM error codes used when a fault names none.
var defaultCodes = map[int]string{
	400: "BadRequest", 401: "InvalidAuthenticationToken", 403: "AuthorizationFailed", 404: "ResourceNotFound",
	408: "RequestTimeout", 409: "Conflict", 412: "PreconditionFailed", 429: "TooManyRequests",
	500: "InternalServerError", 502: "BadGateway", 503: "ServiceUnavailable", 504: "GatewayTimeout",
}

func (f *faultRule) armError() *armError {
	code := f.Code
	if code == "" {
		code = defaultCodes[f.Status]
		if code == "" {
			code = strings.ReplaceAll(http.StatusText(f.Status), " ", "")
		}
	}
	msg := f.Message
	if msg == "" {
		msg = fmt.Sprintf("Simulated fault: %d %s.", f.Status, http.StatusText(f.Status))
	}
	ae := &armError{status: f.Status, code: code, message: msg}
	if f.RetryAfter > 0 {
		secs := int64((f.RetryAfter + time.Second - 1) / time.Second)
		ae.header = http.Header{"Retry-After": []string{strconv.FormatInt(secs, 10)}}
	}
	return ae
}

// matchFault counts the request against every fault whose expression matches
// and returns the first one that fires, or nil.
func (c *Cloud) matchFault(target string) *faultRule {
	var hit *faultRule
	for _, f := range c.faults {
		if f.re == nil || !f.re.MatchString(target) {
			continue
		}
		f.mu.Lock()
		f.seen++
		fire := true
		if f.Every > 0 {
			fire = f.seen%f.Every == 0
		}
		if f.Times > 0 && f.fired >= f.Times {
			fire = false
		}
		if fire && hit == nil {
			f.fired++
			hit = f
		}
		f.mu.Unlock()
	}
	return hit
}
