package experiment

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/smdlab/smd/sim"
)

// Config is the YAML config of an NRQ/NQM experiment. Keys are the yaml
// tags. Physics values (eta, lambda, sigma, the spectrum) have no defaults:
// λ = 0 is a real experiment, so a missing key is an error, never a zero.
type Config struct {
	// Model is "nrq" (eq 1–6) or "nqm" (Remark 1, eqs 7–8). Default nrq.
	Model string `yaml:"model" json:"model"`
	// Spectrum lists A's distinct eigenvalues in ascending order, each
	// repeated Multiplicity times (default 1 each): A = diag(…).
	Spectrum     []float64 `yaml:"spectrum,omitempty" json:"spectrum,omitempty"`
	Multiplicity []int     `yaml:"multiplicity,omitempty" json:"multiplicity,omitempty"`
	// Diagonal gives A's whole diagonal instead (any order).
	Diagonal []float64 `yaml:"diagonal,omitempty" json:"diagonal,omitempty"`
	// AFile is a CSV file holding a dense symmetric PSD A (p rows of p
	// numbers); relative to the config file's directory.
	AFile string `yaml:"a_file,omitempty" json:"a_file,omitempty"`
	// Sigma gives isotropic noise Σ̃ = σ²I (Assumption 2).
	Sigma *float64 `yaml:"sigma,omitempty" json:"sigma,omitempty"`
	// NoiseVar gives diagonal noise Σ̃ = diag(noise_var).
	NoiseVar []float64 `yaml:"noise_var,omitempty" json:"noise_var,omitempty"`
	// NoiseFile is a CSV file holding a dense positive-definite Σ̃.
	NoiseFile string `yaml:"noise_file,omitempty" json:"noise_file,omitempty"`
	// Eta (η) and Lambda (λ) of eq 3; Momentum μ of heavy-ball SGD (default 0).
	Eta      *float64 `yaml:"eta" json:"eta"`
	Lambda   *float64 `yaml:"lambda" json:"lambda"`
	Momentum float64  `yaml:"momentum" json:"momentum"`
	// Optimizer is sgd (default; torch.optim.SGD with Momentum), adamw
	// (torch.optim.AdamW) or lion (Chen et al. 2023). Beta1, Beta2 and Eps
	// are their knobs with PyTorch's defaults: AdamW β = (0.9, 0.999),
	// ε = 1e−8; Lion β = (0.9, 0.99) (no ε).
	Optimizer string   `yaml:"optimizer" json:"optimizer"`
	Beta1     *float64 `yaml:"beta1,omitempty" json:"beta1,omitempty"`
	Beta2     *float64 `yaml:"beta2,omitempty" json:"beta2,omitempty"`
	Eps       *float64 `yaml:"eps,omitempty" json:"eps,omitempty"`
	// Init is {std: σ̃} (X₀ ~ N(0, σ̃²I)) or {norm: ‖X₀‖, f0: f₀}.
	Init Init `yaml:"init" json:"init"`
	// Steps, Trials (default 100), RecordEvery (default max(1, steps/200)),
	// Seed (default 1).
	Steps       int    `yaml:"steps" json:"steps"`
	Trials      int    `yaml:"trials" json:"trials"`
	RecordEvery int    `yaml:"record_every" json:"record_every"`
	Seed        uint64 `yaml:"seed" json:"seed"`
	// Method selects the engine (default "auto": the fastest engine exact
	// in law for the config, see sim.AutoMethod).
	Method string `yaml:"method" json:"method"`
	// TailXi is ξ of Theorem 1: the tail column is P(f < ξ). Default 0.9.
	TailXi float64 `yaml:"tail_xi" json:"tail_xi"`
	// Schedule lists learning-rate decays, rescales and weight-decay changes.
	Schedule []Event `yaml:"schedule,omitempty" json:"schedule,omitempty"`

	// Dir is the directory relative file names are resolved against.
	Dir string `yaml:"-" json:"-"`
	// Log receives the progress of reading and decomposing a big matrix
	// file (nil: slog.Default()); smd's commands give it their logger.
	Log *slog.Logger `yaml:"-" json:"-"`

	// keyLines maps each key path of the parsed file to its line, for the
	// errors found after Parse (BuildModel's matrix files).
	keyLines map[string]int
	// built caches the model BuildModel built (set by Parse).
	built *modelCache

	// recordDefaulted marks a RecordEvery that Parse defaulted (the YAML
	// has no record_every): SetSteps recomputes it for the new steps.
	recordDefaulted bool
}

// SetSteps sets Steps (e.g. from `smd simulate --steps`) and, when the
// config did not set record_every, recomputes its default for the new
// steps, so that an override never leaves the default of the old ones.
func (c *Config) SetSteps(n int) {
	c.Steps = n
	c.defaultRecordEvery()
}

// defaultRecordEvery is the one rule of record_every's default:
// max(1, steps/200) (about 200 rows), applied when the config does not set it.
func (c *Config) defaultRecordEvery() {
	if c.recordDefaulted && c.Steps > 0 {
		c.RecordEvery = max(1, c.Steps/200)
	}
}

// Init is the initialisation of X₀.
type Init struct {
	Std  *float64 `yaml:"std,omitempty" json:"std,omitempty"`
	Norm *float64 `yaml:"norm,omitempty" json:"norm,omitempty"`
	F0   *float64 `yaml:"f0,omitempty" json:"f0,omitempty"`
}

// Event is a schedule entry, applied at the start of step Step.
type Event struct {
	Step int `yaml:"step" json:"step"`
	// LRDivide divides η by this factor.
	LRDivide *float64 `yaml:"lr_divide,omitempty" json:"lr_divide,omitempty"`
	// Rescale divides X by lr_divide^{1/4} (the paper's "rescale").
	Rescale bool `yaml:"rescale,omitempty" json:"rescale,omitempty"`
	// Lambda sets a new weight decay λ.
	Lambda *float64 `yaml:"lambda,omitempty" json:"lambda,omitempty"`
	// LRExp multiplies η by this factor at every later step (Li & Arora
	// 2020's exponential schedule; 1 stops it).
	LRExp *float64 `yaml:"lr_exp,omitempty" json:"lr_exp,omitempty"`
}

// ErrConfig marks bad input (wrapped in every error of Parse, Load and Validate).
var ErrConfig = errors.New("bad config")

// FieldError is a config error that names the field.
type FieldError struct {
	File  string // config file name ("" for an embedded or in-memory config)
	Line  int    // 0 if unknown
	Field string // dotted path, e.g. "schedule[0].lr_divide"
	Msg   string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return strings.ReplaceAll(b.String(), "\n", `\n`) // one line, whatever a value holds
}

func (e *FieldError) Unwrap() error { return ErrConfig }

// FieldErrors is every problem found in one config, one *FieldError per
// line of its message, in file order (errors.As finds the first; each
// wraps ErrConfig).
type FieldErrors []*FieldError

func (es FieldErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es FieldErrors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// joinErrors returns nil for no errors, the *FieldError itself for one
// (so that a single problem reads as before), else FieldErrors. Errors that
// are not *FieldError are wrapped as one with no field.
func joinErrors(errs []error) error {
	var fes FieldErrors
	for _, err := range errs {
		var many FieldErrors
		var fe *FieldError
		switch {
		case err == nil:
		case errors.As(err, &many):
			fes = append(fes, many...)
		case errors.As(err, &fe):
			fes = append(fes, fe)
		default:
			fes = append(fes, &FieldError{Msg: err.Error()})
		}
	}
	switch len(fes) {
	case 0:
		return nil
	case 1:
		return fes[0]
	}
	return fes
}

// fieldErrors returns the *FieldErrors inside err (none for another error).
func fieldErrors(err error) []*FieldError {
	var many FieldErrors
	if errors.As(err, &many) {
		return many
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return []*FieldError{fe}
	}
	return nil
}

//go:embed presets/example.yaml
var exampleYAML []byte

// ExampleYAML returns the embedded example config (the default of
// `smd simulate`): the contract example of issue 2, p = 100, a learning-rate
// decay with rescale at step 10⁴.
func ExampleYAML() []byte { return bytes.Clone(exampleYAML) }

// Load reads and validates the config file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &FieldError{File: path, Msg: fmt.Sprintf("cannot read config: %v", unwrapPathErr(err))}
	}
	return Parse(data, path, filepath.Dir(path))
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse decodes YAML config data, applies defaults and validates it. name
// is used in error messages; dir resolves relative file names. Every
// problem found is reported at once (a FieldErrors, one line each, in file
// order), each with the line of its key where the key is in the file: the
// unknown, repeated, null or fractional keys and the type errors
// (DecodeYAML), then the semantic errors of Validate for every field that
// has no error yet.
func Parse(data []byte, name, dir string) (*Config, error) {
	c := &Config{Dir: dir}
	d, err := decodeYAML(data, name, c)
	if err != nil {
		return nil, err // a syntax error: nothing else is known
	}
	c.applyDefaults(d.present)
	for _, fe := range fieldErrors(c.Validate()) {
		if fe.File == "" {
			fe.File = name
			if fe.Line == 0 {
				fe.Line = lineOf(d.lines, fe.Field)
			}
		}
		d.report(fe)
	}
	c.keyLines, c.built = d.lines, &modelCache{}
	if err := d.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// DecodeYAML decodes the YAML data into v, a pointer to a struct with yaml
// tags (fields absent from the data keep v's values), and reports every
// problem at once, as Parse does: a syntax error (on its own line), or the
// unknown, repeated, null and fractional keys and yaml.v3's type errors, a
// FieldErrors of one *FieldError per line, each with its line and field,
// in file order; file is the name they start with ("" for none). It is the
// YAML layer of every smd config (experiment, train).
func DecodeYAML(data []byte, file string, v any) error {
	d, err := decodeYAML(data, file, v)
	if err != nil {
		return err
	}
	return d.err()
}

// decoded is what decodeYAML learnt of a config file: the keys present, the
// line of each key, and the errors reported so far.
type decoded struct {
	present map[string]bool
	lines   map[string]int
	errs    []error
	said    map[string]bool // fields with an error
	above   map[string]bool // the enclosing fields of those
	whole   bool            // an error of the whole document: no more
}

// parents returns the fields enclosing f, innermost first
// ("schedule[0].lr_exp": "schedule[0]", "schedule").
func parents(f string) []string {
	var ps []string
	for {
		i := strings.LastIndexAny(f, ".[")
		if i <= 0 {
			return ps
		}
		f = f[:i]
		ps = append(ps, f)
	}
}

// report adds fe unless its field, or an enclosing or enclosed one, has an
// error already (`init.std: null` is not also "init: required"), or the
// whole document has one; it reports whether fe was added.
func (d *decoded) report(fe *FieldError) bool {
	if d.whole || d.said[fe.Field] || d.above[fe.Field] { // the same field, or one inside it
		return false
	}
	ps := parents(fe.Field)
	for _, p := range ps { // a field enclosing it
		if d.said[p] {
			return false
		}
	}
	if d.said == nil {
		d.said, d.above = map[string]bool{}, map[string]bool{}
	}
	d.said[fe.Field] = true
	for _, p := range ps {
		d.above[p] = true
	}
	d.whole = fe.Field == ""
	d.errs = append(d.errs, fe)
	return true
}

// err returns the errors reported, sorted by line.
func (d *decoded) err() error {
	err := joinErrors(d.errs)
	if fes, ok := err.(FieldErrors); ok {
		sortByLine(fes)
	}
	return err
}

// decodeYAML: DecodeYAML's work; a syntax error is returned at once, the
// other errors are in the result.
func decodeYAML(data []byte, name string, v any) (*decoded, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlSyntaxError(name, data, err)
	}
	k := keys{name: name, present: map[string]bool{}, fields: map[int]string{}, lines: map[string]int{}}
	d := &decoded{present: k.present, lines: k.lines}
	if len(doc.Content) == 0 {
		return d, nil
	}
	root := doc.Content[0]
	k.check(root, reflect.TypeOf(v), "")
	for _, err := range k.errs {
		for _, fe := range fieldErrors(err) {
			d.report(fe)
		}
	}
	if err := root.Decode(v); err != nil {
		for _, err := range typeErrors(name, err, k.fields) {
			for _, fe := range fieldErrors(err) {
				d.report(fe)
			}
		}
	}
	return d, nil
}

// sortByLine orders errors by line, those with no line (a missing key) last.
func sortByLine(fes FieldErrors) {
	key := func(e *FieldError) int {
		if e.Line == 0 {
			return math.MaxInt
		}
		return e.Line
	}
	slices.SortStableFunc(fes, func(a, b *FieldError) int { return key(a) - key(b) })
}

// lineOf returns the line of field's key, or of the nearest enclosing key
// that is in the file ("schedule[0].lr_exp", "schedule[0]", "schedule"), or
// 0 if none is: a missing top-level key.
func lineOf(lines map[string]int, field string) int {
	for field != "" {
		if l, ok := lines[field]; ok {
			return l
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			break
		}
		field = field[:i]
	}
	return 0
}

// yamlParserErrors are the messages of yaml.v3's parser (parserc.go), as
// opposed to its scanner: for these yaml.v3 prints the 0-based line of the
// mark (its decode.go adds 1 for scanner errors only), and it prints the
// problem's mark, not the context's, when the context (an unclosed
// bracket's opening) is on the first line, a 0-based line 0.
var yamlParserErrors = regexp.MustCompile(`^(did not find expected (',' or '[\]}]'|'-' indicator|<document start>|<stream-start>|key|node content)|found (duplicate %TAG directive|duplicate %YAML directive|incompatible YAML document|undefined tag handle)|expected \S+ event but got \S+)$`)

var yamlLineRe = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlSyntaxError reports a syntax error on its own line: an unclosed
// bracket on the bracket's line, not the one before (issue 12, class 9).
// For a parser error the data is parsed again after one blank line, which
// moves every mark one line down (no context is then on line 0) and makes
// the printed 0-based line the 1-based line of the original.
func yamlSyntaxError(name string, data []byte, err error) error {
	split := func(err error) (int, string) {
		msg := strings.ReplaceAll(strings.TrimPrefix(err.Error(), "yaml: "), "\n", " ")
		if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return line, m[2]
		}
		return 0, msg
	}
	line, msg := split(err)
	if yamlParserErrors.MatchString(msg) {
		line++ // the 0-based line (none printed: the first line)
		var doc yaml.Node
		if err2 := yaml.Unmarshal(append([]byte("\n"), data...), &doc); err2 != nil {
			if l2, msg2 := split(err2); msg2 == msg && l2 > 0 {
				line = l2
			}
		}
	}
	return &FieldError{File: name, Line: line, Msg: "YAML syntax error: " + msg}
}

var typeErrRe = regexp.MustCompile("(?s)^line (\\d+): cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")

// typeErrors returns one *FieldError per type error of yaml.v3's Decode
// (it reports them all), naming the field on the line.
func typeErrors(name string, err error, fields map[int]string) []error {
	var te *yaml.TypeError
	if !errors.As(err, &te) || len(te.Errors) == 0 {
		return []error{&FieldError{File: name, Msg: err.Error()}}
	}
	var errs []error
	for _, msg := range te.Errors {
		m := typeErrRe.FindStringSubmatch(msg)
		if m == nil {
			errs = append(errs, &FieldError{File: name, Msg: msg})
			continue
		}
		line, _ := strconv.Atoi(m[1])
		want := m[4]
		switch {
		case strings.Contains(want, "float"):
			want = "a number"
		case strings.Contains(want, "uint"):
			want = "a non-negative whole number"
		case strings.Contains(want, "int"):
			want = "a whole number"
		case want == "bool":
			want = "true or false"
		case strings.HasPrefix(want, "[]"):
			want = "a list"
		case want == "string":
			want = "a string"
		default:
			want = "a mapping"
		}
		got := m[2]
		if m[3] != "" {
			got += fmt.Sprintf(" %q", m[3])
		}
		errs = append(errs, &FieldError{File: name, Line: line, Field: fields[line], Msg: fmt.Sprintf("want %s, got %s", want, got)})
	}
	return errs
}

// keys walks the YAML tree against the Config type: it collects the
// unknown, repeated, null and fractional keys (every one, not the first),
// and records which keys are present, the line of each key (lines: field
// path → line) and the field each line holds (fields: line → path).
type keys struct {
	name    string
	present map[string]bool
	fields  map[int]string
	lines   map[string]int
	errs    []error
}

func (k *keys) at(line int, path string) {
	if _, ok := k.fields[line]; !ok {
		k.fields[line] = path
	}
	if _, ok := k.lines[path]; !ok {
		k.lines[path] = line
	}
}

func (k *keys) check(n *yaml.Node, t reflect.Type, prefix string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	bad := func(line int, field, format string, a ...any) {
		k.errs = append(k.errs, &FieldError{File: k.name, Line: line, Field: field, Msg: fmt.Sprintf(format, a...)})
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := map[string]reflect.Type{}
		var known []string
		for i := range t.NumField() {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = f.Type
			known = append(known, tag)
		}
		sort.Strings(known)
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, v := n.Content[i], n.Content[i+1]
			path := kn.Value
			if prefix != "" {
				path = prefix + "." + kn.Value
			}
			ft, ok := fields[kn.Value]
			if !ok {
				where := "the config"
				if prefix != "" {
					where = prefix
				}
				bad(kn.Line, path, "unknown key in %s (known keys: %s)", where, strings.Join(known, ", "))
				continue
			}
			if k.present[path] {
				bad(kn.Line, path, "key given twice")
				continue
			}
			k.present[path] = true
			k.fields[kn.Line] = path // a key owns its line
			k.at(kn.Line, path)
			k.at(v.Line, path)
			k.check(v, ft, path)
		}
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		bad(n.Line, prefix, "value is null: give a value, or leave the key out for its default")
	case isIntKind(t.Kind()) && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float":
		if err := wholeNumber(n, prefix, k.name); err != nil {
			k.errs = append(k.errs, err)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, v := range n.Content {
			p := fmt.Sprintf("%s[%d]", prefix, i)
			k.at(v.Line, p)
			k.check(v, t.Elem(), p)
		}
	}
}

func isIntKind(k reflect.Kind) bool {
	return reflect.Int <= k && k <= reflect.Uint64
}

// wholeNumber accepts a YAML float for an integer key only when it is an
// exact whole number of magnitude ≤ 2⁵³ (so 1e4 means 10000), rewriting
// the node to that integer; 100.7, .inf, .nan and 1e30 are errors (yaml.v3
// alone would truncate them silently).
func wholeNumber(n *yaml.Node, field, name string) error {
	v, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v != math.Trunc(v) {
		return &FieldError{File: name, Line: n.Line, Field: field, Msg: fmt.Sprintf("want a whole number, got %q", n.Value)}
	}
	if math.Abs(v) > 1<<53 {
		return &FieldError{File: name, Line: n.Line, Field: field, Msg: fmt.Sprintf("whole number %q is out of range (|value| ≤ 2^53)", n.Value)}
	}
	n.Tag, n.Value = "!!int", strconv.FormatInt(int64(v), 10)
	return nil
}

func (c *Config) applyDefaults(present map[string]bool) {
	if !present["model"] {
		c.Model = "nrq"
	}
	if !present["trials"] {
		c.Trials = 100
	}
	c.recordDefaulted = !present["record_every"]
	c.defaultRecordEvery()
	if !present["seed"] {
		c.Seed = 1
	}
	if !present["method"] {
		c.Method = "auto"
	}
	if !present["optimizer"] {
		c.Optimizer = "sgd"
	}
	def := func(p **float64, v float64) {
		if *p == nil {
			*p = &v
		}
	}
	switch c.Optimizer {
	case "adamw":
		def(&c.Beta1, 0.9)
		def(&c.Beta2, 0.999)
		def(&c.Eps, 1e-8)
	case "lion":
		def(&c.Beta1, 0.9)
		def(&c.Beta2, 0.99)
	}
	if !present["tail_xi"] {
		c.TailXi = 0.9
	}
	if len(c.Spectrum) > 0 && !present["multiplicity"] {
		c.Multiplicity = make([]int, len(c.Spectrum))
		for i := range c.Multiplicity {
			c.Multiplicity[i] = 1
		}
	}
}

// Methods lists the engines a config may name.
var Methods = func() []string {
	var m []string
	for _, e := range engines {
		m = append(m, e.name)
	}
	return m
}()

// Validate checks every field and returns every problem found: a
// *FieldError naming the field and the reason for one, a FieldErrors for
// several (a check that needs an earlier field valid is skipped when it is
// not, so each problem is reported once).
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, a ...any) error {
		return &FieldError{Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	add := func(err error) bool { // records err; reports whether it was nil
		if err = fromSim(err); err != nil {
			errs = append(errs, err)
			return false
		}
		return true
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	checkList := func(field string, v []float64, min float64, strict bool) error {
		for i, x := range v {
			if !finite(x) {
				return bad(fmt.Sprintf("%s[%d]", field, i), "must be a finite number, got %v", x)
			}
			if x < min || (strict && x == min) {
				op := "≥"
				if strict {
					op = ">"
				}
				return bad(fmt.Sprintf("%s[%d]", field, i), "must be %s %v, got %v", op, min, x)
			}
		}
		return nil
	}
	switch c.Model {
	case "nrq", "nqm":
	default:
		add(bad("model", "must be nrq or nqm, got %q", c.Model))
	}
	// A: exactly one of spectrum, diagonal, a_file.
	nA := 0
	for _, ok := range []bool{len(c.Spectrum) > 0, len(c.Diagonal) > 0, c.AFile != ""} {
		if ok {
			nA++
		}
	}
	if nA != 1 {
		add(bad("spectrum", "give exactly one of spectrum (+ multiplicity), diagonal or a_file (got %d)", nA))
	}
	if len(c.Spectrum) > 0 {
		if add(checkList("spectrum", c.Spectrum, 0, false)) {
			for i := 1; i < len(c.Spectrum); i++ {
				if c.Spectrum[i] <= c.Spectrum[i-1] {
					add(bad(fmt.Sprintf("spectrum[%d]", i), "distinct eigenvalues must be strictly ascending, got %v after %v", c.Spectrum[i], c.Spectrum[i-1]))
					break
				}
			}
		}
		if len(c.Multiplicity) != len(c.Spectrum) {
			add(bad("multiplicity", "has %d entries but spectrum has %d", len(c.Multiplicity), len(c.Spectrum)))
		}
		add(sim.CheckMultiplicity(c.Multiplicity))
	} else if len(c.Multiplicity) > 0 {
		add(bad("multiplicity", "only goes with spectrum"))
	}
	add(checkList("diagonal", c.Diagonal, 0, false))
	// Noise: exactly one of sigma, noise_var, noise_file.
	nN := 0
	for _, ok := range []bool{c.Sigma != nil, len(c.NoiseVar) > 0, c.NoiseFile != ""} {
		if ok {
			nN++
		}
	}
	if nN != 1 {
		add(bad("sigma", "give exactly one of sigma, noise_var or noise_file (got %d)", nN))
	}
	if c.Sigma != nil && (!finite(*c.Sigma) || *c.Sigma < 0) {
		add(bad("sigma", "must be a finite number ≥ 0, got %v", *c.Sigma))
	}
	if add(checkList("noise_var", c.NoiseVar, 0, false)) {
		if p := c.dimFromLists(); p > 0 && len(c.NoiseVar) > 0 && len(c.NoiseVar) != p {
			add(bad("noise_var", "has %d entries but p = %d", len(c.NoiseVar), p))
		}
	}
	etaOK := false
	if c.Eta == nil {
		add(bad("eta", "required (the learning rate η > 0)"))
	} else {
		etaOK = add(sim.CheckEta(*c.Eta))
	}
	lambdaOK := false
	switch {
	case c.Lambda == nil:
		add(bad("lambda", "required (the weight decay λ ≥ 0; write 0 for none)"))
	case etaOK:
		lambdaOK = add(sim.CheckLambda(*c.Lambda, *c.Eta))
	default: // η invalid: λ alone (λη unknown)
		add(sim.CheckLambda(*c.Lambda, 0))
	}
	add(sim.CheckMomentum(c.Momentum))
	add(c.validateOptimizer())
	switch in := c.Init; {
	case in.Std != nil && (in.Norm != nil || in.F0 != nil):
		add(bad("init", "give either std, or norm and f0, not both"))
	case in.Std != nil:
		add(sim.CheckInit(sim.Init{Std: *in.Std}))
	case in.Norm != nil || in.F0 != nil:
		switch {
		case in.Norm == nil:
			add(bad("init.norm", "required with init.f0"))
		case in.F0 == nil:
			add(bad("init.f0", "required with init.norm"))
		case *in.Norm == 0: // sim.Init reads norm 0 as "no norm given"
			add(bad("init.norm", "must be a finite number > 0, got 0"))
		default:
			add(sim.CheckInit(sim.Init{Norm: *in.Norm, F0: *in.F0}))
		}
	default:
		add(bad("init", "required: {std: σ̃} or {norm: ‖X₀‖, f0: f₀}"))
	}
	if p := c.dimFromLists(); p > 0 && etaOK && len(errs) == 0 {
		add(c.checkScale(p))
	}
	stepsOK := add(sim.CheckCount("steps", c.Steps))
	if add(sim.CheckCount("trials", c.Trials)) && stepsOK {
		add(sim.CheckWork(c.Steps, c.Trials))
	}
	add(sim.CheckCount("record_every", c.RecordEvery))
	if !validMethod(c.Method) {
		add(bad("method", "must be one of %s, got %q", strings.Join(Methods, ", "), c.Method))
	}
	add(sim.CheckXi(c.TailXi))
	// YAML's part of the schedule rules: what each event must give.
	schedOK := true
	for i, e := range c.Schedule {
		f := fmt.Sprintf("schedule[%d]", i)
		if e.LRDivide == nil && e.Lambda == nil && e.LRExp == nil {
			schedOK = add(bad(f, "needs lr_divide, lambda and/or lr_exp")) && schedOK
		}
		if e.LRExp != nil && !(*e.LRExp > 0) {
			schedOK = add(bad(f+".lr_exp", "must be a finite number > 0, got %v", *e.LRExp)) && schedOK
		}
		if e.LRDivide != nil && !(*e.LRDivide > 0) {
			schedOK = add(bad(f+".lr_divide", "must be a finite number > 0, got %v", *e.LRDivide)) && schedOK
		}
	}
	if etaOK && lambdaOK && stepsOK && schedOK {
		// the schedule's rules need valid η, λ, steps and events
		if add(sim.CheckSchedule(*c.Eta, *c.Lambda, c.simEvents())) {
			add(sim.CheckScheduleSteps(*c.Eta, *c.Lambda, c.simEvents(), c.Steps))
		}
	}
	return joinErrors(errs)
}

// fromSim turns sim's *FieldError (the shared validation rules) into a
// *FieldError of the config.
func fromSim(err error) error {
	var fe *sim.FieldError
	if errors.As(err, &fe) {
		return &FieldError{Field: fe.Field, Msg: fe.Reason}
	}
	return err
}

// simEvents returns the schedule as sim events.
func (c *Config) simEvents() []sim.Event {
	var evs []sim.Event
	for _, e := range c.Schedule {
		ev := sim.Event{Step: e.Step, Rescale: e.Rescale}
		if e.LRDivide != nil {
			ev.LRDivide = *e.LRDivide
		}
		if e.Lambda != nil {
			ev.SetLambda, ev.Lambda = true, *e.Lambda
		}
		if e.LRExp != nil {
			ev.LRExp = *e.LRExp
		}
		evs = append(evs, ev)
	}
	return evs
}

// validateOptimizer checks that each optimizer knob given in the file
// belongs to the chosen optimizer (what only the YAML layer can see), then
// the ranges by sim.CheckOptimizer.
func (c *Config) validateOptimizer() error {
	bad := func(field, format string, a ...any) error {
		return &FieldError{Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	switch c.Optimizer {
	case "sgd", "": // "": a config built in Go (presets) is plain SGD
		for _, k := range []struct {
			name string
			v    *float64
		}{{"beta1", c.Beta1}, {"beta2", c.Beta2}, {"eps", c.Eps}} {
			if k.v != nil {
				return bad(k.name, "belongs to optimizer adamw or lion, not sgd (sgd's knob is momentum)")
			}
		}
	case "lion":
		if c.Eps != nil {
			return bad("eps", "belongs to optimizer adamw; lion has no ε")
		}
	}
	val := func(v *float64) float64 {
		if v == nil {
			return 0
		}
		return *v
	}
	return fromSim(sim.CheckOptimizer(c.Optimizer, c.Momentum, val(c.Beta1), val(c.Beta2), val(c.Eps)))
}

func validMethod(m string) bool { return slices.Contains(Methods, m) }

// checkScale applies sim.CheckScale to a config whose A and noise are
// lists (a_file and noise_file: checked by SimConfig once read), naming
// diagonal or noise_var where they hold the offending value.
func (c *Config) checkScale(p int) error {
	a := 0.0
	for _, v := range append(slices.Clone(c.Spectrum), c.Diagonal...) {
		a = math.Max(a, v)
	}
	s := 0.0
	if c.Sigma != nil {
		s = *c.Sigma * *c.Sigma
		if math.IsInf(s, 0) {
			return &FieldError{Field: "sigma", Msg: fmt.Sprintf("σ = %g: σ² overflows", *c.Sigma)}
		}
	}
	for _, v := range c.NoiseVar {
		s = math.Max(s, v)
	}
	return c.scaleError(sim.CheckScale(p, a, s, *c.Eta, c.simInit()))
}

// simInit is the config's init as a sim.Init.
func (c *Config) simInit() sim.Init {
	switch {
	case c.Init.Std != nil:
		return sim.Init{Std: *c.Init.Std}
	case c.Init.Norm != nil && c.Init.F0 != nil:
		return sim.Init{Norm: *c.Init.Norm, F0: *c.Init.F0}
	}
	return sim.Init{}
}

// scaleError names, in an error of sim.CheckScale, the config key that
// holds A (spectrum, diagonal, a_file) or the noise (sigma, noise_var,
// noise_file), with its line.
func (c *Config) scaleError(err error) error {
	err = fromSim(err)
	var fe *FieldError
	if errors.As(err, &fe) {
		switch {
		case fe.Field == "spectrum" && len(c.Diagonal) > 0:
			fe.Field = "diagonal"
		case fe.Field == "spectrum" && c.AFile != "":
			fe.Field = "a_file"
		case fe.Field == "sigma" && len(c.NoiseVar) > 0:
			fe.Field = "noise_var"
		case fe.Field == "sigma" && c.NoiseFile != "":
			fe.Field = "noise_file"
		}
		fe.Line = lineOf(c.keyLines, fe.Field)
	}
	return err
}

// log returns the logger for progress lines (Log, else slog.Default()).
func (c *Config) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}

// dimFromLists returns p when it follows from spectrum/diagonal, else 0.
func (c *Config) dimFromLists() int {
	if len(c.Diagonal) > 0 {
		return len(c.Diagonal)
	}
	p := 0
	for _, m := range c.Multiplicity {
		if m < 1 || p > sim.MaxCount-m { // invalid: reported by Validate
			return 0
		}
		p += m
	}
	return p
}
