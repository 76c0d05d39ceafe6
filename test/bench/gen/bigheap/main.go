// Command bigheap writes a large real heap profile: it records every allocation
// (runtime.MemProfileRate = 1) while type-checking standard library packages from source.
//
//	bigheap OUT.pb.gz [PACKAGE ...]   (default packages: net/http go/types)
package main

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
)

func init() {
	// Set before anything else allocates much, so the profile covers the whole run.
	runtime.MemProfileRate = 1
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bigheap OUT.pb.gz [PACKAGE ...]")
		os.Exit(2)
	}
	out := os.Args[1]
	pkgs := os.Args[2:]
	if len(pkgs) == 0 {
		pkgs = []string{"net/http", "go/types"}
	}

	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "source", nil)
	var keep []*types.Package // retained, so the profile has in-use memory too
	for _, path := range pkgs {
		pkg, err := check(fset, imp, path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bigheap: %s: %v\n", path, err)
			os.Exit(1)
		}
		keep = append(keep, pkg)
	}

	runtime.GC() // the heap profile reports as of the last GC
	f, err := os.Create(out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bigheap:", err)
		os.Exit(1)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		fmt.Fprintln(os.Stderr, "bigheap:", err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "bigheap:", err)
		os.Exit(1)
	}
	fmt.Printf("type-checked %d packages (%d retained), wrote %s\n", len(pkgs), len(keep), out)
	runtime.KeepAlive(keep)
}

// check parses and type-checks one standard library package; its imports are type-checked
// from source by the importer.
func check(fset *token.FileSet, imp types.Importer, path string) (*types.Package, error) {
	bp, err := build.Import(path, "", 0)
	if err != nil {
		return nil, err
	}
	var files []*ast.File
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(bp.Dir, name), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	conf := types.Config{Importer: imp, Error: func(err error) {}}
	info := &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
	}
	// Type errors (cgo-only declarations missing, for instance) are collected and ignored by the
	// Error func above: the allocations of checking are what matter.
	pkg, _ := conf.Check(path, fset, files, info)
	return pkg, nil
}
