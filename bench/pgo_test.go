package bench

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/kojihq/koji-edge/host"
	"github.com/kojihq/koji-edge/internal/wasmbuild"
)

// TestPGOProfile measures the profile the .wasm is built with (`make pgo` writes it to
// cmd/koji-edge/default.pgo, which go build uses by itself; make test checks that it still finds
// the hot path). In Go's wasm backend a call costs about as much as a dozen straight-line operations, and
// profile-guided optimisation inlines the hot ones. The profile is measured, not written by hand:
// koji-edge, built without a profile, serves a mix of requests in the host while every guest call
// is counted by caller and callee; each count becomes a sample at the caller's call site, found in
// the Go source.
func TestPGOProfile(t *testing.T) {
	out := os.Getenv("KOJI_PGO_OUT") // make pgo; otherwise a scratch file, to check that the hot path is found
	if out == "" {
		out = filepath.Join(t.TempDir(), "default.pgo")
	}
	edges := &edgeCounter{counts: map[[2]string]int64{}}
	h, err := host.New(wasmbuild.Read(t, wasmbuild.ModuleWithoutPGO(t, "./cmd/koji-edge")), host.Options{
		Workers: 1, VMID: "pgo", Configuration: []byte(config), Listeners: edges})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()

	// The mix: mostly counted requests with an allowed Origin (the benchmark's), some without an
	// Origin, preflights, and keys beyond the key cache.
	counted := &host.Request{Method: "GET", Path: "/v1/things", Authority: "api.example", Headers: countedHeaders}
	plain := &host.Request{Method: "GET", Path: "/v1/things", Authority: "api.example", Headers: []host.Header{{"x-api-key", "server-key"}}}
	preflight := &host.Request{Method: "OPTIONS", Path: "/v1/things", Authority: "api.example", Headers: []host.Header{
		{"origin", "https://app.example"}, {"access-control-request-method", "POST"}, {"access-control-request-headers", "x-api-key, content-type"}}}
	mix := func(i int) *host.Request {
		switch {
		case i%10 == 9:
			return plain
		case i%20 == 8:
			return preflight
		case i%50 == 7:
			return &host.Request{Method: "GET", Path: "/", Authority: "api.example", Headers: []host.Header{{"x-api-key", "k-" + strings.Repeat("x", i%7) + string(rune('a'+i%26))}}}
		}
		return counted
	}
	for i := 0; i < 200; i++ {
		h.DoOn(0, mix(i), nil)
	}
	edges.on = true
	for i := 0; i < 20000; i++ {
		if _, err := h.DoOn(0, mix(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	edges.on = false

	sites := callSites(t, wasmbuild.Root())
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     1,
	}
	funcs := map[string]*profile.Function{}
	function := func(f *funcSource) *profile.Function {
		if fn, ok := funcs[f.name]; ok {
			return fn
		}
		fn := &profile.Function{ID: uint64(len(funcs) + 1), Name: f.name, SystemName: f.name, Filename: f.file, StartLine: int64(f.line)}
		funcs[f.name] = fn
		p.Function = append(p.Function, fn)
		return fn
	}
	location := func(fn *profile.Function, line int) *profile.Location {
		l := &profile.Location{ID: uint64(len(p.Location) + 1), Line: []profile.Line{{Function: fn, Line: int64(line)}}}
		p.Location = append(p.Location, l)
		return l
	}
	var kept []string
	for _, e := range edges.sorted() {
		caller, callee := sites.funcs[e.caller], sites.funcs[e.callee]
		if caller == nil || callee == nil {
			continue // the runtime, the ABI binding, closures: see callSites
		}
		lines := caller.calls[shortName(e.callee)]
		for _, line := range lines { // a callee called from several lines of one caller shares its count
			w := e.count / int64(len(lines))
			p.Sample = append(p.Sample, &profile.Sample{
				Location: []*profile.Location{location(function(callee), callee.line), location(function(caller), line)},
				Value:    []int64{w, w},
			})
		}
		if len(lines) > 0 {
			kept = append(kept, caller.name+" -> "+callee.name)
		}
	}
	for _, want := range []string{"filter.(*stream).OnHttpRequestHeaders -> github.com/kojihq/koji-edge/filter.(*request).read",
		"filter.(*table).admit -> github.com/kojihq/koji-edge/limiter.Apply"} {
		if !slices.Contains(kept, "github.com/kojihq/koji-edge/"+want) {
			t.Errorf("the profile lacks the hot call %s (renamed? callSites must find it)", want)
		}
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := p.Write(f); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d call edges written to %s:\n%s", len(kept), out, strings.Join(kept, "\n"))
}

// edgeCounter counts guest calls by (caller, callee) while on.
type edgeCounter struct {
	on     bool
	counts map[[2]string]int64
}

type edge struct {
	caller, callee string
	count          int64
}

func (c *edgeCounter) NewFunctionListener(api.FunctionDefinition) experimental.FunctionListener {
	return c
}

func (c *edgeCounter) Before(_ context.Context, _ api.Module, def api.FunctionDefinition, _ []uint64, stack experimental.StackIterator) {
	if !c.on || !stack.Next() || !stack.Next() { // the callee's frame, then its caller's
		return
	}
	c.counts[[2]string{stack.Function().Definition().Name(), def.Name()}]++
}

func (*edgeCounter) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {}

func (*edgeCounter) Abort(context.Context, api.Module, api.FunctionDefinition, error) {}

func (c *edgeCounter) sorted() []edge {
	var out []edge
	for k, n := range c.counts {
		out = append(out, edge{k[0], k[1], n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].count > out[j].count })
	return out
}

// funcSource is where a function of this repository starts and the lines its calls are on, by
// the called name.
type funcSource struct {
	name  string // the linker name, as the compiler looks it up in a profile
	file  string
	line  int
	calls map[string][]int
}

type sourceIndex struct{ funcs map[string]*funcSource }

// callSites indexes the functions of the filter's own packages by the names the module's name
// section gives them (see wasmName). The ABI binding (proxywasm) is left out on purpose: the
// benchmark's floor and pass-through modules use it without a profile, and the comparison is
// fair only if it is compiled the same way in all three.
func callSites(t *testing.T, root string) *sourceIndex {
	idx := &sourceIndex{funcs: map[string]*funcSource{}}
	fset := token.NewFileSet()
	for _, pkg := range []string{"filter", "limiter", "cors", "config"} {
		files, _ := filepath.Glob(filepath.Join(root, pkg, "*.go"))
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range file.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				fs := &funcSource{file: path, line: fset.Position(fd.Pos()).Line, calls: map[string][]int{}}
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					if _, ok := n.(*ast.FuncLit); ok {
						return false // a closure is a function of its own at run time
					}
					if call, ok := n.(*ast.CallExpr); ok {
						name := ""
						switch fun := call.Fun.(type) {
						case *ast.Ident:
							name = fun.Name
						case *ast.SelectorExpr:
							name = fun.Sel.Name
						}
						if name != "" {
							fs.calls[name] = append(fs.calls[name], fset.Position(call.Lparen).Line)
						}
					}
					return true
				})
				fs.name = "github.com/kojihq/koji-edge/" + pkg + "." + receiver(fd) + fd.Name.Name
				idx.funcs[wasmName(fs.name)] = fs
			}
		}
	}
	return idx
}

// wasmName is a linker name as Go writes it into a module's name section: every byte other than
// a letter, a digit, '.' or '_' becomes '_' (…/filter.(*stream).F → …_filter.__stream_.F).
func wasmName(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, name)
}

// receiver is "(*T)." or "T." for a method, "" for a function.
func receiver(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return ""
	}
	switch t := fd.Recv.List[0].Type.(type) {
	case *ast.StarExpr:
		if id, ok := t.X.(*ast.Ident); ok {
			return "(*" + id.Name + ")."
		}
	case *ast.Ident:
		return t.Name + "."
	}
	return "?."
}

// shortName is a linker name's last element: "check" of "…/limiter.window.check".
func shortName(name string) string { return name[strings.LastIndex(name, ".")+1:] }
