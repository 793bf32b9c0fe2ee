package sim

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/backupready/backupready/azure"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"
	graphfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph/fake"
)

// armresourcegraph: POST /providers/Microsoft.ResourceGraph/resources
// (api-version 2024-04-01). The simulator answers exactly the queries of the
// azure package (azure.QueryVMs, QueryNetwork, QueryVaults), not general KQL.
// Rows are built once per state generation, kept per subscription sorted by
// lower-cased id, and a page is a merge of those slices from the skip token's
// position: O(page) per request, whatever the fleet size.

type graphKind int

const (
	graphVMs graphKind = iota
	graphNetwork
	graphVaults
	graphKinds
)

var graphQueries = map[string]graphKind{
	azure.QueryVMs:     graphVMs,
	azure.QueryNetwork: graphNetwork,
	azure.QueryVaults:  graphVaults,
}

const (
	graphDefaultTop = 100
	graphMaxTop     = 1000
)

type graphRow struct {
	key  string // lower-cased id
	data json.RawMessage
}

type graphTable struct {
	perSub map[string][]graphRow // by lower-cased subscription id, sorted by key
}

type graphCache struct {
	once   [graphKinds]sync.Once
	tables [graphKinds]*graphTable
}

func (c *Cloud) graphTransport() policy.Transporter {
	return graphfake.NewServerFactoryTransport(&graphfake.ServerFactory{
		Server: graphfake.Server{
			Resources: func(ctx context.Context, q armresourcegraph.QueryRequest, _ *armresourcegraph.ClientResourcesOptions) (resp azfake.Responder[armresourcegraph.ClientResourcesResponse], errResp azfake.ErrorResponder) {
				out, ae := c.graphQuery(q)
				if ae != nil {
					errResp.SetError(ae)
					return
				}
				resp.SetResponse(http.StatusOK, armresourcegraph.ClientResourcesResponse{QueryResponse: out}, nil)
				return
			},
		},
	})
}

func graphBadRequest(code, msg string) *armError {
	return &armError{status: http.StatusBadRequest, code: "BadRequest",
		message: "Please provide below info when asking for support: timestamp = simulated, correlationId = 00000000-0000-0000-0000-000000000000.",
		details: []armError{{code: code, message: msg}}}
}

// graphQuery answers one Resources request.
func (c *Cloud) graphQuery(q armresourcegraph.QueryRequest) (armresourcegraph.QueryResponse, *armError) {
	var out armresourcegraph.QueryResponse
	if q.Query == nil {
		return out, graphBadRequest("InvalidQuery", "The request has no query.")
	}
	kind, ok := graphQueries[*q.Query]
	if !ok {
		return out, graphBadRequest("UnsupportedQuery",
			"The simulated Azure Resource Graph does not support this query: it answers only the queries of backupready's azure package (QueryVMs, QueryNetwork, QueryVaults), matched by their exact text.")
	}
	top, skip, after := graphDefaultTop, 0, ""
	if o := q.Options; o != nil {
		if o.Top != nil {
			top = int(*o.Top)
		}
		if o.Skip != nil && *o.Skip > 0 {
			skip = int(*o.Skip)
		}
		if o.SkipToken != nil && *o.SkipToken != "" {
			k, last, ok := decodeSkipToken(*o.SkipToken)
			if !ok || k != kind {
				return out, graphBadRequest("InvalidSkipToken", "The skip token is not valid for this query.")
			}
			after, skip = last, 0
		}
		if o.ResultFormat != nil && *o.ResultFormat != armresourcegraph.ResultFormatObjectArray {
			return out, graphBadRequest("UnsupportedResultFormat", "The simulated Azure Resource Graph answers only resultFormat objectArray.")
		}
	}
	if top <= 0 {
		top = graphDefaultTop
	}
	top = min(top, graphMaxTop)

	c.mu.RLock()
	defer c.mu.RUnlock()
	var subs []string
	seen := map[string]bool{}
	addSub := func(s string) {
		k := strings.ToLower(s)
		if c.st.visible(k) && !seen[k] {
			seen[k] = true
			subs = append(subs, k)
		}
	}
	if len(q.Subscriptions) > 0 {
		for _, s := range q.Subscriptions {
			if s != nil {
				addSub(*s)
			}
		}
	} else {
		for _, s := range c.st.subs {
			addSub(s.ID)
		}
	}
	table := c.graphTable(kind)

	// merge the subscriptions' sorted rows from the cursor position
	type cursor struct {
		rows []graphRow
		i    int
	}
	var curs []*cursor
	total := 0
	for _, s := range subs {
		rows := table.perSub[s]
		total += len(rows)
		i := 0
		if after != "" {
			i = sort.Search(len(rows), func(j int) bool { return rows[j].key > after })
		}
		if i < len(rows) {
			curs = append(curs, &cursor{rows: rows, i: i})
		}
	}
	next := func() *graphRow {
		var best *cursor
		for _, cu := range curs {
			if cu.i < len(cu.rows) && (best == nil || cu.rows[cu.i].key < best.rows[best.i].key) {
				best = cu
			}
		}
		if best == nil {
			return nil
		}
		r := &best.rows[best.i]
		best.i++
		return r
	}
	for ; skip > 0 && next() != nil; skip-- {
	}
	data := make([]json.RawMessage, 0, min(top, total))
	var last string
	for len(data) < top {
		r := next()
		if r == nil {
			break
		}
		data = append(data, r.data)
		last = r.key
	}
	more := false
	for _, cu := range curs {
		if cu.i < len(cu.rows) {
			more = true
		}
	}
	out.Data = data
	out.Count = to.Ptr(int64(len(data)))
	out.TotalRecords = to.Ptr(int64(total))
	out.ResultTruncated = to.Ptr(armresourcegraph.ResultTruncatedFalse)
	out.Facets = []armresourcegraph.FacetClassification{}
	if more && last != "" {
		out.SkipToken = to.Ptr(encodeSkipToken(kind, last))
	}
	return out, nil
}

func encodeSkipToken(kind graphKind, lastKey string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("sim1|" + string(rune('0'+kind)) + "|" + lastKey))
}

func decodeSkipToken(tok string) (graphKind, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, "", false
	}
	parts := strings.SplitN(string(b), "|", 3)
	if len(parts) != 3 || parts[0] != "sim1" || len(parts[1]) != 1 || parts[2] == "" {
		return 0, "", false
	}
	k := graphKind(parts[1][0] - '0')
	if k < 0 || k >= graphKinds {
		return 0, "", false
	}
	return k, parts[2], true
}

// warmGraph builds the Resource Graph rows of the current state ahead of the
// first query (the tables are rebuilt lazily after a change).
func (c *Cloud) warmGraph() {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var wg sync.WaitGroup
	for k := graphKind(0); k < graphKinds; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.graphTable(k)
		}()
	}
	wg.Wait()
}

// graphTable returns the rows of a query kind for the current state,
// building them on first use. Caller holds c.mu (read).
func (c *Cloud) graphTable(kind graphKind) *graphTable {
	d := c.view()
	d.graph.once[kind].Do(func() {
		var t *graphTable
		switch kind {
		case graphVMs:
			t = c.buildVMRows()
		case graphNetwork:
			t = c.buildRows(func(r *resource) bool {
				return r.typeKey == typeNSG || r.typeKey == typeVNet || r.typeKey == typeRouteTable
			}, nil)
		case graphVaults:
			t = c.buildRows(func(r *resource) bool { return r.typeKey == typeVault }, c.vaultDoc)
		}
		d.graph.tables[kind] = t
	})
	return d.graph.tables[kind]
}

func (t *graphTable) add(sub string, row graphRow) {
	t.perSub[sub] = append(t.perSub[sub], row)
}

func (t *graphTable) sort() {
	for _, rows := range t.perSub {
		sort.Slice(rows, func(i, j int) bool { return rows[i].key < rows[j].key })
	}
}

// rowHead writes a row's common columns: id, name, type, subscriptionId,
// resourceGroup, location, tags, properties.
func rowHead(buf *bytes.Buffer, r *resource, tags json.RawMessage, props []byte, withTags bool) {
	buf.WriteString(`{"id":`)
	writeJSONString(buf, r.ID)
	buf.WriteString(`,"name":`)
	writeJSONString(buf, r.Name)
	buf.WriteString(`,"type":`)
	writeJSONString(buf, r.typeKey)
	buf.WriteString(`,"subscriptionId":`)
	writeJSONString(buf, r.subID)
	buf.WriteString(`,"resourceGroup":`)
	writeJSONString(buf, r.rg)
	buf.WriteString(`,"location":`)
	writeJSONString(buf, normLocation(r.Location))
	if withTags {
		buf.WriteString(`,"tags":`)
		if isNull(tags) {
			buf.WriteString("{}")
		} else {
			buf.Write(tags)
		}
	}
	buf.WriteString(`,"properties":`)
	if len(props) == 0 {
		buf.WriteString("{}")
	} else {
		buf.Write(props)
	}
}

// buildRows makes the rows of a "project id, name, type, subscriptionId,
// resourceGroup, location, properties" query.
func (c *Cloud) buildRows(match func(*resource) bool, docOf func(*resource) json.RawMessage) *graphTable {
	t := &graphTable{perSub: map[string][]graphRow{}}
	var buf bytes.Buffer
	for _, r := range c.st.res {
		if !match(r) || !c.st.visible(r.sub) {
			continue
		}
		doc := r.doc
		if docOf != nil {
			doc = docOf(r)
		}
		buf.Reset()
		rowHead(&buf, r, nil, objectOrNil(member(members(doc), "properties")), false)
		buf.WriteByte('}')
		t.add(r.sub, graphRow{key: r.key, data: append(json.RawMessage(nil), buf.Bytes()...)})
	}
	t.sort()
	return t
}

// member returns the raw value of a member, or nil.
func member(ms []pkey, name string) []byte {
	for i := range ms {
		if ms[i].name == name {
			return ms[i].val.raw
		}
	}
	return nil
}

// objectOrNil returns raw if it is a JSON object, else nil.
func objectOrNil(raw []byte) []byte {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] != '{' {
		return nil
	}
	return t
}

// nicJoin is what the VM query packs of a NIC.
type nicJoin struct {
	key  string
	data []byte
}

// buildVMRows makes the rows of azure.QueryVMs: each VM with properties
// (instanceView replaced by Resource Graph's extended.instanceView), its NICs
// and its protected item joined in.
func (c *Cloud) buildVMRows() *graphTable {
	var nicRes, vmRes []*resource
	for _, r := range c.st.res {
		if !c.st.visible(r.sub) {
			continue
		}
		switch r.typeKey {
		case typeNIC:
			nicRes = append(nicRes, r)
		case typeVM, typeClassicVM:
			vmRes = append(vmRes, r)
		}
	}
	nicRows := make([]*nicJoin, len(nicRes))
	nicVM := make([]string, len(nicRes))
	parallelFor(len(nicRes), func(i int) {
		r := nicRes[i]
		pm := members(objectOrNil(member(members(r.doc), "properties")))
		var ref struct {
			ID string `json:"id"`
		}
		if vmRaw := objectOrNil(member(pm, "virtualMachine")); vmRaw == nil || json.Unmarshal(vmRaw, &ref) != nil || ref.ID == "" {
			return
		}
		var buf bytes.Buffer
		buf.WriteString(`{"id":`)
		writeJSONString(&buf, r.ID)
		for _, k := range []string{"primary", "networkSecurityGroup", "ipConfigurations"} {
			buf.WriteString(`,"` + k + `":`)
			if v := member(pm, k); isNull(v) {
				buf.WriteString("null")
			} else {
				buf.Write(v)
			}
		}
		buf.WriteByte('}')
		nicRows[i] = &nicJoin{key: r.key, data: bytes.Clone(buf.Bytes())}
		nicVM[i] = strings.ToLower(ref.ID)
	})
	nics := map[string][]nicJoin{}
	for i, n := range nicRows {
		if n != nil {
			nics[nicVM[i]] = append(nics[nicVM[i]], *n)
		}
	}
	for _, list := range nics {
		sort.Slice(list, func(i, j int) bool { return list[i].key < list[j].key })
	}
	prot := map[string][]*resource{}
	for _, it := range c.st.items {
		if it.source == "" || !c.st.visible(it.sub) {
			continue
		}
		prot[it.source] = append(prot[it.source], it)
	}

	rows := make([]graphRow, len(vmRes))
	parallelFor(len(vmRes), func(i int) {
		r := vmRes[i]
		var buf bytes.Buffer
		buf.Grow(len(r.doc) + 1024)
		ms := members(r.doc)
		tags := objectOrNil(member(ms, "tags"))
		props := vmGraphProperties(members(objectOrNil(member(ms, "properties"))))
		buf.Reset()
		rowHead(&buf, r, tags, props, true)
		if list := nics[r.key]; len(list) > 0 {
			buf.WriteString(`,"nics":[`)
			for i, n := range list {
				if i > 0 {
					buf.WriteByte(',')
				}
				buf.Write(n.data)
			}
			buf.WriteByte(']')
		}
		if items := prot[r.key]; len(items) > 0 {
			// summarize make_list(): every protected item of the VM.
			sort.Slice(items, func(a, b int) bool { return items[a].key < items[b].key })
			buf.WriteString(`,"protection":[`)
			for j, it := range items {
				if j > 0 {
					buf.WriteByte(',')
				}
				buf.Write(protectionPack(it))
			}
			buf.WriteByte(']')
		}
		buf.WriteByte('}')
		rows[i] = graphRow{key: r.key, data: bytes.Clone(buf.Bytes())}
	})
	t := &graphTable{perSub: map[string][]graphRow{}}
	for i, r := range vmRes {
		t.add(r.sub, rows[i])
	}
	t.sort()
	return t
}

// parallelFor runs fn(0..n-1) on all CPUs.
func parallelFor(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/64+1)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// vmGraphProperties turns a VM document's properties into what Resource
// Graph shows: no instanceView, but extended.instanceView with power state,
// OS name and version. It splices raw members instead of re-encoding them.
func vmGraphProperties(props []pkey) []byte {
	var ivRaw []byte
	hasIV, hasExt := false, false
	for _, k := range props {
		switch k.name {
		case "instanceView":
			ivRaw, hasIV = k.val.raw, true
		case "extended":
			hasExt = true
		}
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	n := 0
	for _, k := range props {
		if k.name == "instanceView" || (k.name == "extended" && (hasIV || !hasExt)) {
			continue
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		writeJSONString(&buf, k.name)
		buf.WriteByte(':')
		buf.Write(k.val.raw)
		n++
	}
	if hasIV || !hasExt {
		iv := liteInstanceView(ivRaw)
		inst := map[string]any{}
		if code, display := iv.power(); code != "" {
			inst["powerState"] = map[string]string{"code": code, "displayStatus": display, "level": "Info"}
		}
		if iv.OSName != "" {
			inst["osName"] = iv.OSName
		}
		if iv.OSVersion != "" {
			inst["osVersion"] = iv.OSVersion
		}
		if iv.ComputerName != "" {
			inst["computerName"] = iv.ComputerName
		}
		if iv.HyperVGeneration != "" {
			inst["hyperVGeneration"] = iv.HyperVGeneration
		}
		b, _ := json.Marshal(map[string]any{"instanceView": inst})
		if n > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`"extended":`)
		buf.Write(b)
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

// protectionPack is the VM query's pack() of a protected item, its
// healthDetails included (the last backup's error after a failed one,
// written by finishBackupJob, or the demo's).
func protectionPack(it *resource) []byte {
	pm := members(objectOrNil(member(members(it.doc), "properties")))
	var buf bytes.Buffer
	buf.WriteString(`{"id":`)
	writeJSONString(&buf, it.ID)
	for _, k := range []string{"protectionState", "protectionStatus", "policyName", "healthStatus", "lastBackupStatus", "healthDetails"} {
		buf.WriteString(`,"` + k + `":`)
		if v := member(pm, k); isNull(v) {
			buf.WriteString("null")
		} else {
			buf.Write(v)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes()
}
