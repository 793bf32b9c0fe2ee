package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// A scenario file is read into a small tree of pnodes that remember where each
// value stood, so that every validation error can name its line and column.
// JSON and YAML produce the same tree. Large ARM documents (the resources) are
// kept as raw JSON and only their top-level keys are looked at.

type nodeKind int

const (
	kindNull nodeKind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
	kindBadNumber // YAML .inf / .nan: not representable in JSON
)

func (k nodeKind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindBool:
		return "a boolean"
	case kindNumber, kindBadNumber:
		return "a number"
	case kindString:
		return "a string"
	case kindArray:
		return "a list"
	case kindObject:
		return "an object"
	}
	return "a value"
}

type pnode struct {
	kind      nodeKind
	line, col int
	str       string // string value, or the text of a number
	b         bool
	keys      []pkey   // object members, in document order
	items     []*pnode // array elements
	raw       []byte   // the value as JSON (JSON input: a slice of the input)
	shallow   bool     // JSON input: nested values of this object were skipped
	aliased   bool     // YAML: an alias refers to this node
}

type pkey struct {
	name      string
	line, col int
	val       *pnode
}

// get returns the member named k, or nil.
func (n *pnode) get(k string) *pnode {
	for i := range n.keys {
		if n.keys[i].name == k {
			return n.keys[i].val
		}
	}
	return nil
}

// maxDepth bounds nesting in both parsers (encoding/json uses the same limit).
const maxDepth = 10000

// lineIndex turns byte offsets into 1-based line and column (in runes).
type lineIndex struct {
	data   []byte
	starts []int
}

func newLineIndex(data []byte) *lineIndex {
	li := &lineIndex{data: data, starts: []int{0}}
	for i, c := range data {
		if c == '\n' {
			li.starts = append(li.starts, i+1)
		}
	}
	return li
}

func (li *lineIndex) pos(off int) (line, col int) {
	if off < 0 {
		off = 0
	}
	if off > len(li.data) {
		off = len(li.data)
	}
	i := sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return i + 1, utf8.RuneCount(li.data[li.starts[i]:off]) + 1
}

// ---------------------------------------------------------------------------
// JSON

// jsonParser walks a document already known to be valid JSON (json.Valid),
// so it only has to find boundaries, not report syntax errors.
type jsonParser struct {
	data []byte
	pos  int
	li   *lineIndex
}

func (p *jsonParser) ws() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) at(n *pnode, off int) *pnode {
	if p.li != nil {
		n.line, n.col = p.li.pos(off)
	}
	return n
}

// stringEnd returns the offset just past the closing quote of the string at p.pos.
func (p *jsonParser) stringEnd() (end int, escaped bool) {
	i := p.pos + 1
	for i < len(p.data) {
		switch p.data[i] {
		case '\\':
			escaped = true
			i += 2
			continue
		case '"':
			return i + 1, escaped
		}
		i++
	}
	return len(p.data), escaped
}

func (p *jsonParser) str() string {
	end, escaped := p.stringEnd()
	var s string
	if !escaped {
		s = string(p.data[p.pos+1 : end-1])
	} else if err := json.Unmarshal(p.data[p.pos:end], &s); err != nil {
		s = string(p.data[p.pos+1 : end-1])
	}
	p.pos = end
	return s
}

// skip moves past one value without building anything.
func (p *jsonParser) skip() {
	p.ws()
	if p.pos >= len(p.data) {
		return
	}
	switch p.data[p.pos] {
	case '"':
		p.pos, _ = p.stringEnd()
	case '{', '[':
		depth := 0
		for p.pos < len(p.data) {
			switch p.data[p.pos] {
			case '"':
				p.pos, _ = p.stringEnd()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					p.pos++
					return
				}
			}
			p.pos++
		}
	default:
		for p.pos < len(p.data) {
			switch p.data[p.pos] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			p.pos++
		}
	}
}

// value parses one value. With shallow set, the members of an object are
// read but their non-scalar values are skipped (kept only as raw bytes).
func (p *jsonParser) value(shallow bool) *pnode {
	p.ws()
	start := p.pos
	if p.pos >= len(p.data) {
		return p.at(&pnode{kind: kindNull}, start)
	}
	var n *pnode
	switch c := p.data[p.pos]; {
	case c == '"':
		n = &pnode{kind: kindString, str: p.str()}
	case c == '{':
		n = &pnode{kind: kindObject, shallow: shallow}
		p.pos++
		for {
			p.ws()
			if p.pos >= len(p.data) || p.data[p.pos] == '}' {
				p.pos++
				break
			}
			if p.data[p.pos] == ',' {
				p.pos++
				continue
			}
			koff := p.pos
			k := pkey{name: p.str()}
			if p.li != nil {
				k.line, k.col = p.li.pos(koff)
			}
			p.ws()
			p.pos++ // ':'
			if shallow {
				p.ws()
				voff := p.pos
				if p.pos < len(p.data) && (p.data[p.pos] == '{' || p.data[p.pos] == '[') {
					p.skip()
					k.val = p.at(&pnode{kind: kindObject, shallow: true, raw: p.data[voff:p.pos]}, voff)
					if p.data[voff] == '[' {
						k.val.kind = kindArray
					}
				} else {
					k.val = p.value(false)
				}
			} else {
				k.val = p.value(false)
			}
			n.keys = append(n.keys, k)
		}
	case c == '[':
		n = &pnode{kind: kindArray}
		p.pos++
		for {
			p.ws()
			if p.pos >= len(p.data) || p.data[p.pos] == ']' {
				p.pos++
				break
			}
			if p.data[p.pos] == ',' {
				p.pos++
				continue
			}
			n.items = append(n.items, p.value(shallow))
		}
	case c == 't' || c == 'f':
		n = &pnode{kind: kindBool, b: c == 't'}
		p.skip()
	case c == 'n':
		n = &pnode{kind: kindNull}
		p.skip()
	default:
		p.skip()
		n = &pnode{kind: kindNumber, str: string(p.data[start:p.pos])}
	}
	n.raw = p.data[start:p.pos]
	return p.at(n, start)
}

// parseJSONDoc reads a valid JSON document. The members listed in shallowKeys
// are lists of large documents: their elements are read shallowly.
func parseJSONDoc(data []byte, shallowKeys map[string]bool) *pnode {
	p := &jsonParser{data: data, li: newLineIndex(data)}
	p.ws()
	if p.pos >= len(data) || data[p.pos] != '{' {
		return p.value(false)
	}
	start := p.pos
	root := &pnode{kind: kindObject}
	p.pos++
	for {
		p.ws()
		if p.pos >= len(data) || data[p.pos] == '}' {
			p.pos++
			break
		}
		if data[p.pos] == ',' {
			p.pos++
			continue
		}
		koff := p.pos
		k := pkey{name: p.str()}
		k.line, k.col = p.li.pos(koff)
		p.ws()
		p.pos++
		k.val = p.value(shallowKeys[k.name])
		root.keys = append(root.keys, k)
	}
	root.raw = data[start:min(p.pos, len(data))]
	return p.at(root, start)
}

// jsonSyntaxError locates the first syntax error of an invalid JSON document.
func jsonSyntaxError(data []byte) (off int64, msg string) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	err := dec.Decode(&v)
	if err == nil {
		// valid first value followed by something else
		off = dec.InputOffset()
		return off, "unexpected content after the JSON document"
	}
	var se *json.SyntaxError
	if ok := asSyntax(err, &se); ok {
		return se.Offset, se.Error()
	}
	return int64(len(data)), err.Error()
}

func asSyntax(err error, target **json.SyntaxError) bool {
	se, ok := err.(*json.SyntaxError)
	if ok {
		*target = se
	}
	return ok
}

// ---------------------------------------------------------------------------
// YAML

type yamlConv struct {
	anchors map[string]*pnode
	depth   int
}

type posError struct {
	line, col int
	msg       string
}

func (e *posError) Error() string { return e.msg }

func tokPos(tk *token.Token) (int, int) {
	if tk == nil || tk.Position == nil {
		return 0, 0
	}
	return tk.Position.Line, tk.Position.Column
}

func nodePos(n ast.Node) (int, int) {
	if n == nil {
		return 0, 0
	}
	return tokPos(n.GetToken())
}

func yamlErr(n ast.Node, format string, args ...any) error {
	l, c := nodePos(n)
	return &posError{line: l, col: c, msg: fmt.Sprintf(format, args...)}
}

// parseYAMLDoc parses YAML into a pnode tree. Parser panics are turned into errors.
func parseYAMLDoc(data []byte) (root *pnode, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, &posError{line: 1, col: 1, msg: fmt.Sprintf("cannot parse YAML: %v", r)}
		}
	}()
	if err := checkNesting(data); err != nil {
		return nil, err
	}
	f, perr := parser.ParseBytes(data, 0)
	if perr != nil {
		var ye yaml.Error
		if asYAMLError(perr, &ye) {
			l, c := tokPos(ye.GetToken())
			return nil, &posError{line: l, col: c, msg: "YAML syntax: " + ye.GetMessage()}
		}
		return nil, &posError{line: 1, col: 1, msg: "YAML syntax: " + perr.Error()}
	}
	var body ast.Node
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		if _, isComment := d.Body.(*ast.CommentGroupNode); isComment {
			continue
		}
		if body != nil {
			return nil, yamlErr(d.Body, "a scenario file holds one YAML document; found a second one")
		}
		body = d.Body
	}
	if body == nil {
		return &pnode{kind: kindNull, line: 1, col: 1}, nil
	}
	cv := &yamlConv{anchors: map[string]*pnode{}}
	return cv.conv(body)
}

func asYAMLError(err error, target *yaml.Error) bool {
	for err != nil {
		if ye, ok := err.(yaml.Error); ok {
			*target = ye
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// checkNesting rejects absurdly deep flow nesting before the recursive YAML
// parser sees it.
func checkNesting(data []byte) error {
	depth, line := 0, 1
	for _, c := range data {
		switch c {
		case '[', '{':
			depth++
			if depth > maxDepth {
				return &posError{line: line, col: 1, msg: "nesting too deep"}
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		case '\n':
			line++
		}
	}
	return nil
}

func (cv *yamlConv) conv(n ast.Node) (*pnode, error) {
	cv.depth++
	defer func() { cv.depth-- }()
	if cv.depth > maxDepth {
		return nil, yamlErr(n, "nesting too deep")
	}
	if n == nil {
		return &pnode{kind: kindNull}, nil
	}
	l, c := nodePos(n)
	at := func(p *pnode) (*pnode, error) { p.line, p.col = l, c; return p, nil }
	switch v := n.(type) {
	case *ast.NullNode:
		return at(&pnode{kind: kindNull})
	case *ast.BoolNode:
		return at(&pnode{kind: kindBool, b: v.Value})
	case *ast.IntegerNode:
		return at(&pnode{kind: kindNumber, str: fmt.Sprint(v.Value)})
	case *ast.FloatNode:
		if math.IsInf(v.Value, 0) || math.IsNaN(v.Value) {
			return at(&pnode{kind: kindBadNumber, str: fmt.Sprint(v.Value)})
		}
		return at(&pnode{kind: kindNumber, str: strconv.FormatFloat(v.Value, 'g', -1, 64)})
	case *ast.InfinityNode, *ast.NanNode:
		return at(&pnode{kind: kindBadNumber, str: n.String()})
	case *ast.StringNode:
		return at(&pnode{kind: kindString, str: v.Value})
	case *ast.LiteralNode:
		if v.Value == nil {
			return at(&pnode{kind: kindString})
		}
		return at(&pnode{kind: kindString, str: v.Value.Value})
	case *ast.TagNode:
		inner, err := cv.conv(v.Value)
		if err != nil {
			return nil, err
		}
		if v.Start != nil && (v.Start.Value == "!!str" || v.Start.Value == "!str") {
			switch inner.kind {
			case kindNumber, kindBadNumber:
				inner = &pnode{kind: kindString, str: inner.str, line: inner.line, col: inner.col}
			case kindBool:
				inner = &pnode{kind: kindString, str: strconv.FormatBool(inner.b), line: inner.line, col: inner.col}
			case kindNull:
				inner = &pnode{kind: kindString, line: inner.line, col: inner.col}
			}
		}
		return inner, nil
	case *ast.AnchorNode:
		inner, err := cv.conv(v.Value)
		if err != nil {
			return nil, err
		}
		if v.Name != nil {
			cv.anchors[v.Name.String()] = inner
		}
		return inner, nil
	case *ast.AliasNode:
		name := ""
		if v.Value != nil {
			name = v.Value.String()
		}
		p, ok := cv.anchors[name]
		if !ok {
			return nil, yamlErr(n, "unknown YAML alias *%s", name)
		}
		p.aliased = true
		return p, nil
	case *ast.MappingNode:
		out := &pnode{kind: kindObject, line: l, col: c}
		for _, mv := range v.Values {
			if err := cv.member(out, mv); err != nil {
				return nil, err
			}
		}
		return out, nil
	case *ast.MappingValueNode:
		out := &pnode{kind: kindObject, line: l, col: c}
		if err := cv.member(out, v); err != nil {
			return nil, err
		}
		if kl, kc := nodePos(v.Key); kl > 0 {
			out.line, out.col = kl, kc
		}
		return out, nil
	case *ast.SequenceNode:
		out := &pnode{kind: kindArray, line: l, col: c}
		for _, item := range v.Values {
			p, err := cv.conv(item)
			if err != nil {
				return nil, err
			}
			if p.line == 0 {
				p.line, p.col = l, c
			}
			out.items = append(out.items, p)
		}
		return out, nil
	case *ast.CommentGroupNode, *ast.CommentNode:
		return at(&pnode{kind: kindNull})
	}
	return nil, yamlErr(n, "unsupported YAML construct (%s)", n.Type())
}

func (cv *yamlConv) member(out *pnode, mv *ast.MappingValueNode) error {
	if mv == nil {
		return nil
	}
	key := mv.Key
	if mk, ok := key.(*ast.MappingKeyNode); ok {
		if mk.Value == nil {
			return yamlErr(mv, "empty mapping key")
		}
		kn, ok := mk.Value.(ast.MapKeyNode)
		if !ok {
			return yamlErr(mk, "mapping keys must be plain values")
		}
		key = kn
	}
	if key == nil {
		return yamlErr(mv, "empty mapping key")
	}
	var name string
	switch k := key.(type) {
	case *ast.MergeKeyNode:
		return yamlErr(k, "YAML merge keys (<<) are not supported in scenario files")
	case *ast.StringNode:
		name = k.Value
	case *ast.NullNode:
		name = "null"
	case ast.ScalarNode:
		name = fmt.Sprint(k.GetValue())
	default:
		return yamlErr(key, "mapping keys must be plain values")
	}
	kl, kc := nodePos(key)
	for _, existing := range out.keys {
		if existing.name == name {
			return &posError{line: kl, col: kc, msg: fmt.Sprintf("duplicate key %q (first at line %d)", name, existing.line)}
		}
	}
	val, err := cv.conv(mv.Value)
	if err != nil {
		return err
	}
	if val.line == 0 {
		val.line, val.col = kl, kc
	}
	out.keys = append(out.keys, pkey{name: name, line: kl, col: kc, val: val})
	return nil
}

// toJSON renders a pnode as JSON. Aliased subtrees are expanded each time;
// budget counts the nodes written inside them, so that a "billion laughs"
// document fails fast instead of expanding without end.
func (n *pnode) toJSON(buf *bytes.Buffer, budget *int) error {
	return n.writeJSON(buf, budget, false)
}

func (n *pnode) writeJSON(buf *bytes.Buffer, budget *int, inAlias bool) error {
	if inAlias = inAlias || n.aliased; inAlias {
		*budget--
		if *budget < 0 {
			return &posError{line: n.line, col: n.col, msg: "document too large after expanding YAML aliases"}
		}
	}
	if n.raw != nil && !n.shallow {
		buf.Write(n.raw)
		return nil
	}
	switch n.kind {
	case kindNull:
		buf.WriteString("null")
	case kindBool:
		buf.WriteString(strconv.FormatBool(n.b))
	case kindNumber:
		buf.WriteString(n.str)
	case kindBadNumber:
		return &posError{line: n.line, col: n.col, msg: fmt.Sprintf("%s cannot be written as JSON", n.str)}
	case kindString:
		writeJSONString(buf, n.str)
	case kindArray:
		buf.WriteByte('[')
		for i, it := range n.items {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := it.writeJSON(buf, budget, inAlias); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case kindObject:
		if n.shallow && n.raw != nil {
			buf.Write(n.raw)
			return nil
		}
		buf.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, k.name)
			buf.WriteByte(':')
			if err := k.val.writeJSON(buf, budget, inAlias); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	}
	return nil
}

// jsonRaw returns the JSON text of a node (a copy, so the scenario does not
// pin the whole input file in memory). budget counts the nodes written.
func (n *pnode) jsonRaw(budget *int) (json.RawMessage, error) {
	if n.raw != nil {
		return append(json.RawMessage(nil), n.raw...), nil
	}
	var buf bytes.Buffer
	if err := n.toJSON(&buf, budget); err != nil {
		return nil, err
	}
	return json.RawMessage(buf.Bytes()), nil
}

func writeJSONString(buf *bytes.Buffer, s string) {
	if isPlainASCII(s) {
		buf.WriteByte('"')
		buf.WriteString(s)
		buf.WriteByte('"')
		return
	}
	b, _ := json.Marshal(s)
	buf.Write(b)
}

func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// looksLikeJSON reports whether data (without a BOM) starts like a JSON object.
func looksLikeJSON(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

func extOf(filename string) string {
	i := strings.LastIndexByte(filename, '.')
	if i < 0 {
		return ""
	}
	return strings.ToLower(filename[i:])
}

// members returns the top-level members of a valid JSON object with their
// raw values (slices of raw), without decoding them; nil if raw is not an
// object.
func members(raw []byte) []pkey {
	p := &jsonParser{data: raw}
	p.ws()
	if p.pos >= len(raw) || raw[p.pos] != '{' {
		return nil
	}
	n := p.value(true)
	for i := range n.keys {
		v := n.keys[i].val
		if v.raw == nil {
			v.raw = []byte("null")
		}
	}
	return n.keys
}
