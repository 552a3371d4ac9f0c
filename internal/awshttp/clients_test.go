package awshttp

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSDKClientsSetHTTPClient finds every aws-sdk-go-v2 service client the
// module builds by hand (svc.New(svc.Options{...}), in tests above all)
// and requires it to name its HTTPClient. One left to the SDK's default
// sends request bodies with WriteTo and so meets the transport race Wrap
// avoids: a rare "deserialization failed ... use of closed network
// connection" that, with RetryMaxAttempts: 1, fails a test (it once failed
// CI's TestStoresContract). Clients built with NewFromConfig take the
// loaded config's client, which the daemon wraps.
func TestSDKClientsSetHTTPClient(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "vendor" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		services := sdkServiceImports(f)
		if len(services) == 0 {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			fn, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || fn.Sel.Name != "New" {
				return true
			}
			pkg, ok := fn.X.(*ast.Ident)
			if !ok || !services[pkg.Name] {
				return true
			}
			lit, ok := call.Args[0].(*ast.CompositeLit)
			if !ok {
				return true
			}
			checked++
			for _, e := range lit.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "HTTPClient" {
						return true
					}
				}
			}
			t.Errorf("%s: %s.New without HTTPClient: give it awssim.HTTPClient() (tests) or awshttp.Wrap", fset.Position(call.Pos()), pkg.Name)
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("found no svc.New(svc.Options{...}) call: the walk or the match is broken")
	}
}

// sdkServiceImports names the file's imports of aws-sdk-go-v2 service
// packages (their base clients, not their types packages).
func sdkServiceImports(f *ast.File) map[string]bool {
	const prefix = "github.com/aws/aws-sdk-go-v2/service/"
	out := map[string]bool{}
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil || !strings.HasPrefix(p, prefix) || strings.Contains(strings.TrimPrefix(p, prefix), "/") {
			continue
		}
		name := p[strings.LastIndex(p, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		out[name] = true
	}
	return out
}
