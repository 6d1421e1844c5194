package sweep

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/smdlab/smd/experiment"
)

// Sweep is a parsed, validated sweep config: every point resolved to a
// simulate config.
type Sweep struct {
	// Name is the config file's name (error messages).
	Name string
	// Keys are the varied config keys in column order: grid keys, then zip
	// keys (in the config's order), then "seed" when seeds is given.
	Keys []string
	// Window is the fraction of the last steps over which collect averages
	// (default 0.25: t ≥ 0.75·steps).
	Window float64
	// Points in expansion order (grid outermost, seeds innermost).
	Points []*Point
	// Resolved is the sweep config with the base inlined (base_file read),
	// as written to DIR/sweep.yaml: a self-contained copy for a cluster.
	Resolved []byte
}

// Point is one simulate run of a sweep.
type Point struct {
	// ID is derived from the resolved config (see pointID), so reordering
	// the grid does not rename points.
	ID string `json:"id"`
	// Params are the varied keys' values, in Sweep.Keys order, as YAML
	// scalars (flow YAML for a list or mapping).
	Params []string `json:"params"`
	// Config is the resolved simulate config of the point.
	Config *experiment.Config `json:"config"`
}

// Work is the point's trial-steps (trials × steps).
func (p *Point) Work() int64 { return int64(p.Config.Trials) * int64(p.Config.Steps) }

// Label is "eta=0.1 lambda=0.001 seed=1" for keys.
func (p *Point) Label(keys []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + p.Params[i]
	}
	return strings.Join(parts, " ")
}

// Error is bad input in a sweep config: the file, line, point (if any) and
// field. It wraps experiment.ErrConfig.
type Error struct {
	File  string
	Line  int
	Point string // "eta=0.1 lambda=20 seed=1", "" for the config as a whole
	Field string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Point != "" {
		fmt.Fprintf(&b, "point %s: ", e.Point)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return experiment.ErrConfig }

// axis is one varied key and its values.
type axis struct {
	key    string
	line   int // line of the key in the sweep file
	values []*yaml.Node
}

// Load reads and validates the sweep config at path.
func Load(path string) (*Sweep, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read sweep config: %v", err)}
	}
	return Parse(data, path, filepath.Dir(path))
}

// MaxPoints bounds the points of one sweep (issue 12, class 4: a huge
// seeds count or grid product expanded for ever while memory grew).
const MaxPoints = 1 << 20

var topKeys = []string{"base", "base_file", "grid", "zip", "seeds", "window"}

// Parse decodes and validates a sweep config; name is used in messages and
// dir resolves base_file and the base's relative file names. Every point
// is resolved and validated before Parse returns.
func Parse(data []byte, name, dir string) (*Sweep, error) {
	bad := func(line int, field, format string, a ...any) error {
		return &Error{File: name, Line: line, Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if m := regexp.MustCompile(`^line (\d+): (.*)$`).FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		return nil, bad(line, "", "YAML syntax error: %s", strings.ReplaceAll(msg, "\n", " "))
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, bad(0, "", "want a mapping with base (or base_file), grid, zip, seeds")
	}
	root := doc.Content[0]
	sw := &Sweep{Name: name, Window: 0.25}
	var (
		base, baseFileNode, seedsNode, gridNode, zipNode *yaml.Node
		baseName, baseDir                                = name, dir
		bdata                                            []byte
	)
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if !slices.Contains(topKeys, k.Value) {
			return nil, bad(k.Line, k.Value, "unknown key in the sweep config (known keys: %s)", strings.Join(topKeys, ", "))
		}
		if seen[k.Value] {
			return nil, bad(k.Line, k.Value, "key given twice")
		}
		seen[k.Value] = true
		switch k.Value {
		case "base":
			base = v
		case "base_file":
			baseFileNode = v
		case "grid":
			gridNode = v
		case "zip":
			zipNode = v
		case "seeds":
			seedsNode = v
		case "window":
			w, err := strconv.ParseFloat(v.Value, 64)
			if v.Kind != yaml.ScalarNode || err != nil || !(w > 0 && w <= 1) {
				return nil, bad(v.Line, "window", "want a fraction of the steps in (0, 1], got %q", v.Value)
			}
			sw.Window = w
		}
	}
	switch {
	case base != nil && baseFileNode != nil:
		return nil, bad(baseFileNode.Line, "base_file", "give base or base_file, not both")
	case baseFileNode != nil:
		if baseFileNode.Kind != yaml.ScalarNode || baseFileNode.Value == "" {
			return nil, bad(baseFileNode.Line, "base_file", "want a file name")
		}
		baseName = baseFileNode.Value
		if !filepath.IsAbs(baseName) && dir != "" {
			baseName = filepath.Join(dir, baseName)
		}
		var err error
		bdata, err = os.ReadFile(baseName)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, bad(baseFileNode.Line, "base_file", "cannot read %s: %v", baseName, err)
		}
		var bdoc yaml.Node
		if err := yaml.Unmarshal(bdata, &bdoc); err != nil {
			// Let the config layer word the syntax error.
			_, perr := experiment.Parse(bdata, baseName, filepath.Dir(baseName))
			return nil, perr
		}
		if len(bdoc.Content) == 0 {
			return nil, bad(baseFileNode.Line, "base_file", "%s is empty", baseName)
		}
		base, baseDir = bdoc.Content[0], filepath.Dir(baseName)
	case base == nil:
		return nil, bad(0, "base", "required: a simulate config (inline) or base_file")
	}
	if base.Kind != yaml.MappingNode {
		return nil, &Error{File: baseName, Line: base.Line, Field: "base", Msg: "want a mapping (a simulate config)"}
	}
	// The base alone must be a valid config (errors with its own lines).
	if baseFileNode != nil {
		if _, err := experiment.Parse(bdata, baseName, baseDir); err != nil {
			return nil, err
		}
	} else if _, err := experiment.Parse(encode(base), baseName, baseDir); err != nil {
		var fe *experiment.FieldError
		if errors.As(err, &fe) {
			return nil, &Error{File: baseName, Line: lineOf(base, fe.Field), Field: fieldName("base", fe.Field, baseFileNode == nil), Msg: fe.Msg}
		}
		return nil, err
	}

	var axes []axis // grid axes
	var zips [][]axis
	used := map[string]int{}
	addAxis := func(k, v *yaml.Node) (axis, error) {
		if prev, ok := used[k.Value]; ok {
			return axis{}, bad(k.Line, k.Value, "varied twice (also on line %d)", prev)
		}
		used[k.Value] = k.Line
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			return axis{}, bad(v.Line, k.Value, "want a non-empty list of values")
		}
		if _, err := parsePath(k.Value); err != nil {
			return axis{}, bad(k.Line, k.Value, "%v", err)
		}
		return axis{key: k.Value, line: k.Line, values: v.Content}, nil
	}
	if gridNode != nil {
		if gridNode.Kind != yaml.MappingNode {
			return nil, bad(gridNode.Line, "grid", "want a mapping: config key → list of values")
		}
		for i := 0; i+1 < len(gridNode.Content); i += 2 {
			a, err := addAxis(gridNode.Content[i], gridNode.Content[i+1])
			if err != nil {
				return nil, err
			}
			axes = append(axes, a)
		}
	}
	if zipNode != nil {
		groups := []*yaml.Node{zipNode}
		if zipNode.Kind == yaml.SequenceNode {
			groups = zipNode.Content
		}
		for gi, g := range groups {
			if g.Kind != yaml.MappingNode || len(g.Content) == 0 {
				return nil, bad(g.Line, "zip", "want a mapping (or a list of mappings): config key → list of values, all of one length")
			}
			var group []axis
			for i := 0; i+1 < len(g.Content); i += 2 {
				a, err := addAxis(g.Content[i], g.Content[i+1])
				if err != nil {
					return nil, err
				}
				if len(group) > 0 && len(a.values) != len(group[0].values) {
					return nil, bad(a.line, a.key, "zip group %d: %d values but %s has %d (lists in a zip group vary together)", gi, len(a.values), group[0].key, len(group[0].values))
				}
				group = append(group, a)
			}
			zips = append(zips, group)
		}
	}
	if seedsNode != nil {
		if prev, ok := used["seed"]; ok {
			return nil, bad(seedsNode.Line, "seeds", "seed is already varied on line %d", prev)
		}
		var vals []*yaml.Node
		switch seedsNode.Kind {
		case yaml.ScalarNode:
			n, err := strconv.Atoi(seedsNode.Value)
			if err != nil || n < 1 {
				return nil, bad(seedsNode.Line, "seeds", "want a count ≥ 1 or a list of seeds, got %q", seedsNode.Value)
			}
			if n > MaxPoints { // seeds: 9223372036854775807 grew a list for ever
				return nil, bad(seedsNode.Line, "seeds", "%d seeds: a sweep has at most 2^20 = %d points", n, MaxPoints)
			}
			for s := 1; s <= n; s++ {
				vals = append(vals, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(s), Line: seedsNode.Line})
			}
		case yaml.SequenceNode:
			if len(seedsNode.Content) == 0 {
				return nil, bad(seedsNode.Line, "seeds", "want a count ≥ 1 or a non-empty list of seeds")
			}
			vals = seedsNode.Content
		default:
			return nil, bad(seedsNode.Line, "seeds", "want a count ≥ 1 or a list of seeds")
		}
		axes = append(axes, axis{key: "seed", line: seedsNode.Line, values: vals})
		used["seed"] = seedsNode.Line
	}
	// Column order: grid keys, zip keys, seed.
	var dims [][]axis // each dimension: one grid axis, or one zip group
	for _, a := range axes {
		if a.key != "seed" {
			dims = append(dims, []axis{a})
		}
	}
	dims = append(dims, zips...)
	if seedsNode != nil {
		dims = append(dims, []axis{axes[len(axes)-1]})
	}
	for _, d := range dims {
		for _, a := range d {
			sw.Keys = append(sw.Keys, a.key)
		}
	}

	points := 1.0 // float64: the product of the axis lengths cannot overflow
	for _, d := range dims {
		points *= float64(len(d[0].values))
	}
	if points > MaxPoints {
		return nil, bad(0, "grid", "%.4g points (the product of the axes' lengths): a sweep has at most 2^20 = %d", points, MaxPoints)
	}
	// Expand the product (first dimension outermost), resolve and validate
	// every point.
	ids := map[string]string{}
	idx := make([]int, len(dims))
	for {
		node := clone(base)
		var params []string
		var lines []int
		for di, d := range dims {
			for _, a := range d {
				v := a.values[idx[di]]
				if err := setPath(node, a.key, v); err != nil {
					return nil, bad(a.line, a.key, "%v", err)
				}
				params = append(params, scalarText(v))
				lines = append(lines, v.Line)
			}
		}
		pt := &Point{Params: params}
		label := pt.Label(sw.Keys)
		c, err := experiment.Parse(encode(node), baseName, baseDir)
		if err != nil {
			var fe *experiment.FieldError
			if !errors.As(err, &fe) {
				return nil, err
			}
			e := &Error{File: name, Point: label, Field: fe.Field, Msg: fe.Msg}
			varied := false
			for i, k := range sw.Keys {
				if fe.Field == k || strings.HasPrefix(fe.Field, k+".") || strings.HasPrefix(fe.Field, k+"[") || strings.HasPrefix(k, fe.Field+".") || strings.HasPrefix(k, fe.Field+"[") {
					e.Line, varied = lines[i], true
					break
				}
			}
			if !varied { // the base's value, in a combination the point makes bad
				e.File, e.Line = baseName, lineOf(base, fe.Field)
				e.Field = fieldName("base", fe.Field, baseFileNode == nil)
			}
			return nil, e
		}
		pt.Config = c
		pt.ID = pointID(c)
		if prev, ok := ids[pt.ID]; ok {
			return nil, bad(0, "", "points %s and %s are the same config (id %s)", prev, label, pt.ID)
		}
		ids[pt.ID] = label
		sw.Points = append(sw.Points, pt)
		// Next index (last dimension fastest).
		k := len(dims) - 1
		for ; k >= 0; k-- {
			idx[k]++
			if idx[k] < len(dims[k][0].values) {
				break
			}
			idx[k] = 0
		}
		if k < 0 {
			break
		}
	}
	// The self-contained copy: base inlined.
	res := clone(root)
	for i := 0; i+1 < len(res.Content); i += 2 {
		if res.Content[i].Value == "base_file" {
			res.Content[i].Value = "base"
			res.Content[i+1] = clone(base)
		}
	}
	sw.Resolved = encode(res)
	return sw, nil
}

// fieldName prefixes an inline base's field with "base.".
func fieldName(prefix, field string, inline bool) string {
	if !inline || field == "" {
		return field
	}
	return prefix + "." + field
}

// pointID is the first 12 hex digits of the SHA-256 of the resolved
// config's JSON (fields in a fixed order, defaults applied), so the same
// physics gets the same id whatever the grid's order or spelling
// (0.1 and 1e-1 are one point).
func pointID(c *experiment.Config) string {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // a Config always marshals
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:6])
}

// encode writes n as block YAML: one key per line, so that the config
// layer's line-to-field map names the right field.
func encode(n *yaml.Node) []byte {
	n = clone(n)
	var block func(*yaml.Node)
	block = func(x *yaml.Node) {
		x.Style &^= yaml.FlowStyle
		for _, c := range x.Content {
			block(c)
		}
	}
	block(n)
	return encodeAs(n)
}

func encodeAs(n *yaml.Node) []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		panic(err) // nodes built from parsed YAML always encode
	}
	enc.Close()
	return b.Bytes()
}

func clone(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, ch := range n.Content {
		c.Content[i] = clone(ch)
	}
	return &c
}

// scalarText is a value as written: the scalar, or flow YAML for a list
// or mapping.
func scalarText(v *yaml.Node) string {
	if v.Kind == yaml.ScalarNode {
		return v.Value
	}
	f := clone(v)
	var set func(*yaml.Node)
	set = func(n *yaml.Node) {
		n.Style = yaml.FlowStyle
		for _, c := range n.Content {
			set(c)
		}
	}
	set(f)
	return strings.TrimSpace(string(encodeAs(f)))
}

// step is one element of a key path: a mapping key, or a list index.
type step struct {
	key   string
	index int // ≥ 0 for a list index
}

var pathRe = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$`)

// parsePath splits "init.std" or "schedule[0].lr_divide" into steps.
func parsePath(path string) ([]step, error) {
	var out []step
	for _, part := range strings.Split(path, ".") {
		m := pathRe.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("not a config key path (want key, key.sub or key[i].sub), got %q", path)
		}
		out = append(out, step{key: m[1], index: -1})
		for _, ix := range regexp.MustCompile(`\d+`).FindAllString(m[2], -1) {
			i, _ := strconv.Atoi(ix)
			out = append(out, step{index: i})
		}
	}
	return out, nil
}

// setPath sets the value at path in the mapping n, creating missing
// mapping keys; list indexes must exist. The config layer then checks the
// key like any other (unknown keys and wrong types are its errors).
func setPath(n *yaml.Node, path string, v *yaml.Node) error {
	steps, err := parsePath(path)
	if err != nil {
		return err
	}
	cur := n
	for si, s := range steps {
		last := si == len(steps)-1
		if s.index >= 0 {
			if cur.Kind != yaml.SequenceNode || s.index >= len(cur.Content) {
				return fmt.Errorf("the base has no list element %s here (give the list in the base)", path)
			}
			if last {
				cur.Content[s.index] = clone(v)
				return nil
			}
			cur = cur.Content[s.index]
			continue
		}
		if cur.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: the base's value here is not a mapping", path)
		}
		var next *yaml.Node
		for i := 0; i+1 < len(cur.Content); i += 2 {
			if cur.Content[i].Value == s.key {
				if last {
					cur.Content[i+1] = clone(v)
					return nil
				}
				next = cur.Content[i+1]
				break
			}
		}
		if next == nil {
			kn := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s.key}
			if last {
				cur.Content = append(cur.Content, kn, clone(v))
				return nil
			}
			if steps[si+1].index >= 0 {
				return fmt.Errorf("the base has no list %s (give it in the base)", s.key)
			}
			next = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			cur.Content = append(cur.Content, kn, next)
		}
		cur = next
	}
	return nil
}

// lineOf returns the line of field (a dotted path) in the mapping n, or
// n's own line.
func lineOf(n *yaml.Node, field string) int {
	steps, err := parsePath(field)
	if err != nil || field == "" {
		return n.Line
	}
	cur, line := n, n.Line
	for _, s := range steps {
		var next *yaml.Node
		switch {
		case s.index >= 0 && cur.Kind == yaml.SequenceNode && s.index < len(cur.Content):
			next = cur.Content[s.index]
			line = next.Line
		case s.index < 0 && cur.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(cur.Content); i += 2 {
				if cur.Content[i].Value == s.key {
					next, line = cur.Content[i+1], cur.Content[i].Line
					break
				}
			}
		}
		if next == nil {
			return line
		}
		cur = next
	}
	return line
}
