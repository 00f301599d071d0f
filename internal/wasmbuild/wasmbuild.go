// Package wasmbuild gives tests a built .wasm: the one `make build` wrote (KOJI_WASM), or one
// built once per test process with the same command.
package wasmbuild

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	built = map[string]string{}
)

// Root is the repository's top directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Filter returns the path of koji-edge.wasm.
func Filter(t testing.TB) string {
	if p := os.Getenv("KOJI_WASM"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return Module(t, "./cmd/koji-edge")
}

// Module builds a package (relative to the repository root) as a wasip1 reactor.
func Module(t testing.TB, pkg string) string { return build(t, pkg) }

// ModuleWithoutPGO builds a package as Module does but ignores its default.pgo: make pgo
// profiles the code as written, before the profile's inlining.
func ModuleWithoutPGO(t testing.TB, pkg string) string { return build(t, pkg, "-pgo=off") }

func build(t testing.TB, pkg string, flags ...string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	id := strings.Join(append([]string{pkg}, flags...), " ")
	if p, ok := built[id]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "koji-wasm-")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, filepath.Base(pkg)+".wasm")
	cmd := exec.Command("go", append(append([]string{"build", "-buildmode=c-shared", "-trimpath"}, flags...), "-o", out, pkg)...)
	cmd.Dir = Root()
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", pkg, err, b)
	}
	built[id] = out
	return out
}

// Read returns a module's bytes.
func Read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RenameExport returns a copy of a module whose export named from is called to. The SDK's
// emulator (proxytest) runs only _start, so a test copy of the reactor renames _initialize.
func RenameExport(wasm []byte, from, to string) ([]byte, bool) {
	if len(wasm) < 8 {
		return nil, false
	}
	out := append([]byte(nil), wasm[:8]...)
	renamed := false
	for i := 8; i < len(wasm); {
		id := wasm[i]
		size, n := uleb(wasm[i+1:])
		body := wasm[i+1+n : i+1+n+int(size)]
		i += 1 + n + int(size)
		if id == 7 { // export section: count, then (name, kind, index)
			count, k := uleb(body)
			nb := appendUleb(nil, count)
			for e := uint64(0); e < count; e++ {
				l, m := uleb(body[k:])
				name := string(body[k+m : k+m+int(l)])
				k += m + int(l)
				_, m2 := uleb(body[k+1:])
				rest := body[k : k+1+m2]
				k += 1 + m2
				if name == from {
					name, renamed = to, true
				}
				nb = appendUleb(nb, uint64(len(name)))
				nb = append(append(nb, name...), rest...)
			}
			body = nb
		}
		out = append(out, id)
		out = appendUleb(out, uint64(len(body)))
		out = append(out, body...)
	}
	return out, renamed
}

func uleb(b []byte) (uint64, int) {
	var v uint64
	for i, s := 0, 0; i < len(b); i, s = i+1, s+7 {
		v |= uint64(b[i]&0x7f) << s
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return v, len(b)
}

func appendUleb(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}
