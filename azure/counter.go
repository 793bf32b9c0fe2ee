package azure

import (
	"net/http"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// RequestCounter is a per-retry pipeline policy counting requests by kind. The
// benchmarks and the idempotency checks use it; it costs a mutex per request.
type RequestCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

// NewRequestCounter returns an empty counter.
func NewRequestCounter() *RequestCounter { return &RequestCounter{counts: map[string]int{}} }

// Do implements policy.Policy.
func (c *RequestCounter) Do(req *policy.Request) (*http.Response, error) {
	r := req.Raw()
	key := r.Method
	if strings.Contains(strings.ToLower(r.URL.Path), "/providers/microsoft.resourcegraph/") {
		key = "graph"
	} else if strings.HasSuffix(strings.ToLower(r.URL.Path), "/instanceview") {
		key = "instanceView"
	}
	c.mu.Lock()
	c.counts[key]++
	c.counts["total"]++
	c.mu.Unlock()
	return req.Next()
}

// Count returns the requests counted under key: "total", "graph",
// "instanceView", or an HTTP method.
func (c *RequestCounter) Count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[key]
}

// Writes counts the requests that may change state (PUT, PATCH, POST other than
// Resource Graph queries, DELETE).
func (c *RequestCounter) Writes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts["PUT"] + c.counts["PATCH"] + c.counts["DELETE"] + c.counts["POST"]
}
