package store

import (
	"fmt"
	"strings"

	memdb "github.com/hashicorp/go-memdb"
)

// Table names.
const (
	TableEnvironments = "environments"
	TablePublishers   = "publishers"
	TableAPIs         = "apis"
	TableRoutes       = "routes"
	TableConsumers    = "consumers"
	TableApps         = "apps"
	TableCredentials  = "credentials"
	TableGrants       = "grants"
)

// Index names. Every table has IndexID, memdb's unique primary index, whose
// order is the order of the snapshot's list (see Snapshot.Document).
const (
	IndexID     = "id"
	IndexHost   = "host"
	IndexPath   = "path"
	IndexSHA256 = "sha256"
)

// dbSchema returns the schema of the gateway's database.
func dbSchema() *memdb.DBSchema {
	tables := []*memdb.TableSchema{
		environmentsTableSchema(),
		idTable(TablePublishers, 1, (*Publisher).key),
		idTable(TableAPIs, 1, (*API).key),
		routesTableSchema(),
		idTable(TableConsumers, 1, (*Consumer).key),
		idTable(TableApps, 1, (*App).key),
		credentialsTableSchema(),
		// grants: id is the app; its row holds the app's grants sorted
		// by (API, environment, access mode), which Read.Grant and
		// Read.Grants search.
		idTable(TableGrants, 1, (*appGrants).key),
	}
	s := &memdb.DBSchema{Tables: make(map[string]*memdb.TableSchema, len(tables))}
	for _, t := range tables {
		s.Tables[t.Name] = t
	}
	return s
}

// idTable is a table with only its primary index, over the first n fields
// key returns.
func idTable[T any](name string, n int, key func(T) rowKey) *memdb.TableSchema {
	ix := &idIndexer[T]{key: key, n: n}
	return &memdb.TableSchema{
		Name:    name,
		Indexes: map[string]*memdb.IndexSchema{IndexID: {Name: IndexID, Unique: true, Indexer: ix}},
	}
}

// rowKey holds a row's primary key fields, unused ones empty.
type rowKey [4]string

// index returns k's primary index key: its fields up to the unused ones.
func (k rowKey) index() []byte {
	n := len(k)
	for n > 0 && k[n-1] == "" {
		n--
	}
	return appendKey(nil, k[:n]...)
}

// compareKeys orders keys as the primary index orders their rows.
func compareKeys(a, b rowKey) int {
	for i := range a {
		if c := strings.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

func (e *Environment) key() rowKey { return rowKey{e.Name} }
func (p *Publisher) key() rowKey   { return rowKey{p.ID} }
func (a *API) key() rowKey         { return rowKey{a.ID} }
func (r *Route) key() rowKey       { return rowKey{r.Environment, r.BasePath} }
func (c *Consumer) key() rowKey    { return rowKey{c.ID} }
func (a *App) key() rowKey         { return rowKey{a.ID} }
func (c *Credential) key() rowKey  { return rowKey{c.App.ID, c.ID} }
func (g *Grant) key() rowKey       { return entitlementKey(&g.Entitlement) }
func (a *appGrants) key() rowKey   { return rowKey{a.app} }

// environmentsTableSchema holds *Environment.
func environmentsTableSchema() *memdb.TableSchema {
	t := idTable(TableEnvironments, 1, (*Environment).key)
	// host: the environment's host, lower case; a request's Host finds
	// its environment.
	t.Indexes[IndexHost] = &memdb.IndexSchema{Name: IndexHost, Unique: true, AllowMissing: true,
		Indexer: keyIndexer(func(e *Environment) []string {
			if e.host == "" {
				return nil
			}
			return []string{e.host}
		})}
	return t
}

// routesTableSchema holds *Route.
func routesTableSchema() *memdb.TableSchema {
	t := idTable(TableRoutes, 2, (*Route).key)
	// path: environment, NUL, base path and "/": the longest key that
	// prefixes environment, NUL, a request path and "/" is the route
	// whose base path is that path or a prefix of it ending at a "/"
	// (see Read.Route).
	t.Indexes[IndexPath] = &memdb.IndexSchema{Name: IndexPath, Unique: true, Indexer: pathIndexer{}}
	return t
}

// credentialsTableSchema holds *Credential: the apps' API key hashes.
func credentialsTableSchema() *memdb.TableSchema {
	// id: (app, key ID).
	t := idTable(TableCredentials, 2, (*Credential).key)
	// sha256: the key's SHA-256, 32 bytes; a hash that is not 64
	// lowercase hex digits is not indexed and matches no key.
	t.Indexes[IndexSHA256] = &memdb.IndexSchema{Name: IndexSHA256, Unique: true, AllowMissing: true, Indexer: sumIndexer{}}
	return t
}

// keyIndexer returns a typed memdb indexer over the string fields of T that
// fields returns. The key is each field followed by a NUL byte, as memdb's
// StringFieldIndex builds it, so that a key built from the first k
// arguments is a prefix of every key that starts with them. fields returns
// nil when the object has no value for the index (AllowMissing must then be
// set).
func keyIndexer[T any](fields func(T) []string) *typedIndexer[T] {
	return &typedIndexer[T]{fields: fields}
}

// typedIndexer implements memdb.SingleIndexer and memdb.PrefixIndexer
// without reflection (consul's typed indexers).
type typedIndexer[T any] struct {
	fields func(T) []string
}

var (
	_ memdb.SingleIndexer = (*typedIndexer[*Route])(nil)
	_ memdb.PrefixIndexer = (*typedIndexer[*Route])(nil)
)

func (ix *typedIndexer[T]) FromObject(raw any) (bool, []byte, error) {
	obj, ok := raw.(T)
	if !ok {
		return false, nil, fmt.Errorf("indexing %T: not a %T", raw, obj)
	}
	fs := ix.fields(obj)
	if fs == nil {
		return false, nil, nil
	}
	return true, appendKey(nil, fs...), nil
}

func (ix *typedIndexer[T]) FromArgs(args ...any) ([]byte, error) { return argsKey(args) }

func (ix *typedIndexer[T]) PrefixFromArgs(args ...any) ([]byte, error) { return prefixKey(args) }

// prefixKey is argsKey without its last terminator, so that a partial last
// field matches; a *keyArg is the prefix itself.
func prefixKey(args []any) ([]byte, error) {
	if k, ok := oneKey(args); ok {
		return k, nil
	}
	key, err := argsKey(args)
	if err != nil {
		return nil, err
	}
	return key[:len(key)-1], nil
}

// idIndexer is a typedIndexer over the first n fields of a row's primary
// key, building the key in one allocation.
type idIndexer[T any] struct {
	key func(T) rowKey
	n   int
}

var _ memdb.PrefixIndexer = (*idIndexer[*Route])(nil)

func (ix *idIndexer[T]) FromObject(raw any) (bool, []byte, error) {
	obj, ok := raw.(T)
	if !ok {
		return false, nil, fmt.Errorf("indexing %T: not a %T", raw, obj)
	}
	k := ix.key(obj)
	size := ix.n
	for _, f := range k[:ix.n] {
		size += len(f)
	}
	return true, appendKey(make([]byte, 0, size), k[:ix.n]...), nil
}

func (ix *idIndexer[T]) FromArgs(args ...any) ([]byte, error) { return argsKey(args) }

func (ix *idIndexer[T]) PrefixFromArgs(args ...any) ([]byte, error) { return prefixKey(args) }

// argsKey is the key of string arguments, or the key itself when the one
// argument is a *keyArg.
func argsKey(args []any) ([]byte, error) {
	if k, ok := oneKey(args); ok {
		return k, nil
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("index key: no arguments")
	}
	fs := make([]string, len(args))
	for i, a := range args {
		s, ok := a.(string)
		if !ok {
			return nil, fmt.Errorf("index key argument %d: got %T, want string", i, a)
		}
		fs[i] = s
	}
	return appendKey(nil, fs...), nil
}

// keyArg is an index key built already (see appendKey), given to memdb as
// a pointer, which it holds without allocating.
type keyArg struct{ b []byte }

// oneKey returns the key of args when it is one *keyArg.
func oneKey(args []any) ([]byte, bool) {
	if len(args) == 1 {
		if k, ok := args[0].(*keyArg); ok {
			return k.b, true
		}
	}
	return nil, false
}

func appendKey(b []byte, fields ...string) []byte {
	for _, f := range fields {
		b = append(b, f...)
		b = append(b, 0)
	}
	return b
}

// pathIndexer indexes *Route by environment and base path; its arguments
// are an environment and a request path.
type pathIndexer struct{}

func (pathIndexer) FromObject(raw any) (bool, []byte, error) {
	r, ok := raw.(*Route)
	if !ok {
		return false, nil, fmt.Errorf("indexing %T: not a route", raw)
	}
	return true, appendPathKey(make([]byte, 0, len(r.Environment)+len(r.BasePath)+2), r.Environment, r.BasePath), nil
}

func (pathIndexer) FromArgs(args ...any) ([]byte, error) {
	if k, ok := oneKey(args); ok {
		return k, nil
	}
	if len(args) != 2 {
		return nil, fmt.Errorf("path index: got %d arguments, want 2", len(args))
	}
	env, ok1 := args[0].(string)
	path, ok2 := args[1].(string)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("path index: want two strings")
	}
	return appendPathKey(nil, env, path), nil
}

func (ix pathIndexer) PrefixFromArgs(args ...any) ([]byte, error) { return ix.FromArgs(args...) }

func appendPathKey(b []byte, env, path string) []byte {
	b = append(append(append(b, env...), 0), path...)
	return append(b, '/')
}

// sumIndexer indexes *Credential by its key's SHA-256 as 32 bytes; its
// argument is a [sha256.Size]byte.
type sumIndexer struct{}

func (sumIndexer) FromObject(raw any) (bool, []byte, error) {
	c, ok := raw.(*Credential)
	if !ok {
		return false, nil, fmt.Errorf("indexing %T: not a credential", raw)
	}
	if !c.valid {
		return false, nil, nil
	}
	return true, c.sum[:], nil
}

func (sumIndexer) FromArgs(args ...any) ([]byte, error) {
	if k, ok := oneKey(args); ok {
		return k, nil
	}
	if len(args) == 1 {
		if s, ok := args[0].([32]byte); ok {
			return s[:], nil
		}
	}
	return nil, fmt.Errorf("sha256 index: want one [32]byte")
}
