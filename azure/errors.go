package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Kind says what sort of failure an Azure call met, so that the UI can explain
// it without reading error text. The azure package carries no user-facing words.
type Kind string

// The failure kinds. Their string values are stable: they appear in --json output.
const (
	KindUnknown      Kind = "unknown"
	KindSignIn       Kind = "signIn"       // no credential, expired token, 401
	KindForbidden    Kind = "forbidden"    // 403 AuthorizationFailed and friends
	KindNotFound     Kind = "notFound"     // 404
	KindConflict     Kind = "conflict"     // 409 (another operation, name taken)
	KindThrottled    Kind = "throttled"    // 429 after azcore's retries
	KindUnregistered Kind = "unregistered" // resource provider not registered
	KindPolicy       Kind = "policy"       // RequestDisallowedByPolicy
	KindInvalid      Kind = "invalid"      // 400 bad request
	KindServer       Kind = "server"       // 5xx after retries
	KindTimeout      Kind = "timeout"      // deadline exceeded
	KindCanceled     Kind = "canceled"     // the user cancelled
	KindNetwork      Kind = "network"      // could not reach Azure
	KindBadResponse  Kind = "badResponse"  // Azure answered something we could not read
	KindOperation    Kind = "operationFailed"
)

// Error is the typed failure every operation of this package returns. Op is a
// stable id of the call ("list-subscriptions"; the UI's catalog has a phrase
// for each, under "op.<id>"); Status, Code and Message come from ARM.
type Error struct {
	Kind       Kind
	Op         string
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration
	// Policy names the Azure Policy assignment that denied a request
	// (RequestDisallowedByPolicy), when ARM says which.
	Policy string
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(string(e.Kind))
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d", e.Status)
		if e.Code != "" {
			b.WriteString(" " + e.Code)
		}
		b.WriteString(")")
	} else if e.Code != "" {
		b.WriteString(" (" + e.Code + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// codes that mean the subscription has not registered the provider.
var unregisteredCodes = map[string]bool{
	"missingsubscriptionregistration":        true,
	"missingregistrationforresourceprovider": true,
	"subscriptionnotregistered":              true,
	"noregisteredproviderfound":              true,
}

// Classify turns any error from the SDK into an *Error naming op. It never
// returns the raw error text of a credential, which may describe token caches.
func Classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if e, ok := AsError(err); ok {
		return e
	}
	out := &Error{Kind: KindUnknown, Op: op, Err: err}
	var re *azcore.ResponseError
	var authErr *azidentity.AuthenticationFailedError
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		out.Kind = KindCanceled
	case errors.Is(err, context.DeadlineExceeded):
		out.Kind = KindTimeout
	case errors.As(err, &re):
		out.Status = re.StatusCode
		out.Code = re.ErrorCode
		out.Message, out.Policy = armMessage(re)
		if re.RawResponse != nil {
			out.RetryAfter = retryAfter(re.RawResponse.Header)
		}
		out.Kind = kindOf(re.StatusCode, re.ErrorCode)
	case errors.As(err, &authErr):
		out.Kind = KindSignIn
		out.Err = errors.New("sign-in failed")
		if authErr.RawResponse != nil {
			out.Status = authErr.RawResponse.StatusCode
		}
	case errors.As(err, &syntaxErr), errors.As(err, &typeErr), strings.HasPrefix(err.Error(), "unmarshalling type "):
		out.Kind = KindBadResponse
		out.Message = err.Error()
	case errors.As(err, &netErr):
		out.Kind = KindNetwork
		if netErr.Timeout() {
			out.Kind = KindTimeout
		}
	}
	return out
}

func kindOf(status int, code string) Kind {
	lc := strings.ToLower(code)
	switch {
	case unregisteredCodes[lc]:
		return KindUnregistered
	case strings.Contains(lc, "disallowedbypolicy"):
		return KindPolicy
	case status == http.StatusUnauthorized || lc == "invalidauthenticationtoken" || lc == "expiredauthenticationtoken":
		return KindSignIn
	case status == http.StatusForbidden || strings.HasPrefix(lc, "authorizationfailed") || lc == "linkedauthorizationfailed":
		return KindForbidden
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusConflict:
		return KindConflict
	case status == http.StatusTooManyRequests:
		return KindThrottled
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return KindTimeout
	case status >= 500:
		return KindServer
	case status >= 400:
		return KindInvalid
	}
	return KindUnknown
}

// armMessage reads the human message out of an ARM error body, and for a
// policy denial the assignment that denied it (from additionalInfo). ARM wraps
// errors as {"error":{"code","message","additionalInfo"}}; some services
// answer a bare {"code","message"} and the Backup service sometimes a bare {}.
func armMessage(re *azcore.ResponseError) (message, policy string) {
	if re.RawResponse == nil {
		return "", ""
	}
	body, err := runtime.Payload(re.RawResponse)
	if err != nil || len(body) == 0 {
		return "", ""
	}
	type info struct {
		Type string `json:"type"`
		Info struct {
			AssignmentDisplayName string `json:"policyAssignmentDisplayName"`
			AssignmentName        string `json:"policyAssignmentName"`
		} `json:"info"`
	}
	var env struct {
		Error *struct {
			Message        string `json:"message"`
			AdditionalInfo []info `json:"additionalInfo"`
		} `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &env) != nil {
		return "", ""
	}
	if env.Error == nil {
		return env.Message, ""
	}
	for _, ai := range env.Error.AdditionalInfo {
		if ai.Info.AssignmentDisplayName != "" {
			return env.Error.Message, ai.Info.AssignmentDisplayName
		}
		if ai.Info.AssignmentName != "" {
			return env.Error.Message, ai.Info.AssignmentName
		}
	}
	return env.Error.Message, ""
}

// retryAfter reads the server's wait hint with azcore's header precedence.
func retryAfter(h http.Header) time.Duration {
	for _, name := range []string{"retry-after-ms", "x-ms-retry-after-ms"} {
		if v := h.Get(name); v != "" {
			if ms, err := strconv.Atoi(v); err == nil {
				return time.Duration(ms) * time.Millisecond
			}
		}
	}
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(v); err == nil {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return time.Until(t).Round(time.Second)
		}
	}
	return 0
}
