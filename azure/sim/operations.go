package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Long-running operations. Azure answers a long write (vault creation,
// enabling protection, a container refresh, a backup) at once with 201/202
// and a status URL, and finishes the work later. The simulator does the
// same: the write records a simOp in the state (so a resume token from a run
// that was killed still works in the next process, as it does against
// Azure), status URLs answer InProgress until the operation's time is up,
// and the first request after that finishes it, applying its effect.
//
// These routes are answered here, in front of the SDK fakes, because the
// fakes' own long-running operations are a scripted queue of responses held
// in memory: they neither take time nor survive the process.

// simOp is a long-running operation of the simulated cloud.
type simOp struct {
	ID      string          `json:"id"`
	Kind    string          `json:"kind"`   // opVaultCreate, …
	Target  string          `json:"target"` // id of the resource it works on
	Start   time.Time       `json:"start"`
	Ready   time.Time       `json:"ready"`  // when it finishes
	Status  string          `json:"status"` // InProgress, Succeeded, Failed
	Code    string          `json:"code,omitempty"`
	Message string          `json:"message,omitempty"`
	JobID   string          `json:"jobId,omitempty"` // backup operations: the job they started
	Data    json.RawMessage `json:"data,omitempty"`  // what the finisher needs
}

// Operation kinds.
const (
	opVaultCreate      = "vault.create"
	opProviderRegister = "provider.register"
)

const (
	opInProgress = "InProgress"
	opSucceeded  = "Succeeded"
	opFailed     = "Failed"
)

// opFinisher applies an operation's effect when its time is up. It may set
// op.Status to Failed (with Code and Message); otherwise it succeeds. It runs
// under the state's write lock.
type opFinisher func(c *Cloud, st *state, op *simOp)

// finishers are the effects per operation kind; files that start operations
// of a kind register theirs in init.
var finishers = map[string]opFinisher{}

// startOp records a new operation. The caller holds the write lock (inside
// mutate). The id is derived from the operation and the state's generation,
// so identical runs give identical ids.
func (c *Cloud) startOp(st *state, kind, target string, data any) *simOp {
	now := c.now().UTC()
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%d|%d", kind, strings.ToLower(target), st.gen, len(st.ops))
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], uint64(now.UnixNano()))
	h.Write(seq[:])
	sum := h.Sum(nil)
	id := fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
	op := &simOp{ID: id, Kind: kind, Target: target, Start: now, Ready: now.Add(c.opTime), Status: opInProgress}
	if data != nil {
		op.Data, _ = json.Marshal(data)
	}
	st.ops[id] = op
	return op
}

// settle finishes every operation whose time is up. It is called before each
// request is answered, so a status request after the operation's time sees it
// done and reads of the target see its effect.
func (c *Cloud) settle() {
	now := c.now()
	c.mu.RLock()
	due := false
	for _, op := range c.st.ops {
		if op.Status == opInProgress && !now.Before(op.Ready) {
			due = true
			break
		}
	}
	c.mu.RUnlock()
	if !due {
		return
	}
	_ = c.mutate(func(st *state) error {
		ids := make([]string, 0, len(st.ops))
		for id, op := range st.ops {
			if op.Status == opInProgress && !now.Before(op.Ready) {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids) // finish in a stable order
		for _, id := range ids {
			op := st.ops[id]
			if f := finishers[op.Kind]; f != nil {
				f(c, st, op)
			}
			if op.Status == opInProgress {
				op.Status = opSucceeded
			}
		}
		return nil
	})
}

// operation returns a copy of an operation, or false.
func (c *Cloud) operation(id string) (simOp, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	op, ok := c.st.ops[id]
	if !ok {
		return simOp{}, false
	}
	return *op, true
}

// nativeRoute is a request the simulator answers itself rather than through
// an SDK fake. re is matched against the unescaped path, case-insensitively;
// serve gets the submatches.
type nativeRoute struct {
	method string
	re     *regexp.Regexp
	serve  func(req *http.Request, info reqInfo, m []string) (*http.Response, *armError)
}

// native finds the native route for a request, if any.
func (r *router) native(req *http.Request) (*nativeRoute, []string) {
	for i := range r.natives {
		nr := &r.natives[i]
		if nr.method != req.Method {
			continue
		}
		if m := nr.re.FindStringSubmatch(req.URL.Path); m != nil {
			return nr, m
		}
	}
	return nil, nil
}

// statusRoutes answer the status URLs of every simulated operation:
// …/operationStatus/{id} and …/operationsStatus/{id} (Azure-AsyncOperation,
// a status document) and …/operationResults/{id} (Location: 202 while
// running, then 204, or the failure).
func (c *Cloud) statusRoutes() []nativeRoute {
	return []nativeRoute{
		{method: http.MethodGet, re: regexp.MustCompile(`(?i)/operations?Status/([^/]+)$`), serve: c.serveOpStatus},
		{method: http.MethodGet, re: regexp.MustCompile(`(?i)/operationResults/([^/]+)$`), serve: c.serveOpResult},
	}
}

func (c *Cloud) serveOpStatus(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	op, ok := c.operation(m[1])
	if !ok {
		return nil, &armError{status: http.StatusNotFound, code: "OperationNotFound",
			message: fmt.Sprintf("The operation '%s' could not be found.", m[1])}
	}
	doc := map[string]any{
		"id":        strings.TrimSuffix(req.URL.Path, "/"),
		"name":      op.ID,
		"status":    op.Status,
		"startTime": op.Start.Format(time.RFC3339),
	}
	if op.Status != opInProgress {
		doc["endTime"] = op.Ready.Format(time.RFC3339)
	}
	if op.Status == opFailed {
		doc["error"] = map[string]string{"code": op.Code, "message": op.Message}
	}
	if op.JobID != "" {
		doc["properties"] = map[string]string{"objectType": "OperationStatusJobExtendedInfo", "jobId": op.JobID}
	}
	body, _ := json.Marshal(doc)
	h := http.Header{}
	if op.Status == opInProgress {
		h.Set("Retry-After", "5")
	}
	return jsonResponse(req, http.StatusOK, body, h), nil
}

func (c *Cloud) serveOpResult(req *http.Request, _ reqInfo, m []string) (*http.Response, *armError) {
	op, ok := c.operation(m[1])
	if !ok {
		return nil, &armError{status: http.StatusNotFound, code: "OperationNotFound",
			message: fmt.Sprintf("The operation '%s' could not be found.", m[1])}
	}
	switch op.Status {
	case opInProgress:
		h := http.Header{}
		h.Set("Location", absURL(req.URL.Path, req.URL.RawQuery))
		h.Set("Retry-After", "5")
		return jsonResponse(req, http.StatusAccepted, []byte("{}"), h), nil
	case opFailed:
		return nil, &armError{status: http.StatusBadRequest, code: op.Code, message: op.Message}
	}
	resp := jsonResponse(req, http.StatusNoContent, nil, nil)
	resp.Header.Del("Content-Type")
	return resp, nil
}

// absURL is the absolute URL ARM would put in a status header.
func absURL(path, rawQuery string) string {
	u := "https://management.azure.com" + path
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	return u
}

// opHeaders are the headers of a write that started an operation: the
// Azure-AsyncOperation status URL (under statusBase, "/operationStatus/" or
// "/operationsStatus/") and the Location result URL.
func opHeaders(base, statusSeg, apiVersion string, op *simOp) http.Header {
	q := "api-version=" + apiVersion
	h := http.Header{}
	h.Set("Azure-AsyncOperation", absURL(base+statusSeg+op.ID, q))
	h.Set("Location", absURL(base+"/operationResults/"+op.ID, q))
	h.Set("Retry-After", "5")
	return h
}

// opIDInPath finds the operation id in a status URL path.
var opIDInPath = regexp.MustCompile(`(?i)/(?:operations?Status|operationResults)/([^/]+)$`)

// failOperation ends the operation a status request asks about as Failed
// (a fault with failOperation). Its target is marked Failed where it has a
// provisioning state.
func (c *Cloud) failOperation(path string, f *faultRule) {
	m := opIDInPath.FindStringSubmatch(path)
	if m == nil {
		return
	}
	code, msg := f.Code, f.Message
	if code == "" {
		code = "OperationFailed"
	}
	if msg == "" {
		msg = "Simulated fault: the operation failed."
	}
	_ = c.mutate(func(st *state) error {
		op := st.ops[m[1]]
		if op == nil || op.Status != opInProgress {
			return nil
		}
		op.Status, op.Code, op.Message, op.Ready = opFailed, code, msg, c.now().UTC()
		if r := st.res[strings.ToLower(op.Target)]; r != nil && op.Kind == opVaultCreate {
			r.doc = setProvisioningState(r.doc, "Failed")
		}
		return nil
	})
}
