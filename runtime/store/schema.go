package store

import (
	"fmt"

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
		idTable(TablePublishers, func(p *Publisher) []string { return []string{p.ID} }),
		idTable(TableAPIs, func(a *API) []string { return []string{a.ID} }),
		routesTableSchema(),
		idTable(TableConsumers, func(c *Consumer) []string { return []string{c.ID} }),
		idTable(TableApps, func(a *App) []string { return []string{a.ID} }),
		credentialsTableSchema(),
		// grants: id is (app, API, environment, access mode), the
		// entitlement check; a prefix of (app, API, environment) lists
		// the grants a user-restricted request may use.
		idTable(TableGrants, func(g *Grant) []string { return []string{g.App, g.API, g.Environment, g.AccessMode} }),
	}
	s := &memdb.DBSchema{Tables: make(map[string]*memdb.TableSchema, len(tables))}
	for _, t := range tables {
		s.Tables[t.Name] = t
	}
	return s
}

// idTable is a table with only its primary index, over the fields key
// returns.
func idTable[T any](name string, key func(T) []string) *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    name,
		Indexes: map[string]*memdb.IndexSchema{IndexID: {Name: IndexID, Unique: true, Indexer: keyIndexer(key)}},
	}
}

// environmentsTableSchema holds *Environment.
func environmentsTableSchema() *memdb.TableSchema {
	t := idTable(TableEnvironments, func(e *Environment) []string { return []string{e.Name} })
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
	t := idTable(TableRoutes, func(r *Route) []string { return []string{r.Environment, r.BasePath} })
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
	t := idTable(TableCredentials, func(c *Credential) []string { return []string{c.App.ID, c.ID} })
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

func (ix *typedIndexer[T]) PrefixFromArgs(args ...any) ([]byte, error) {
	key, err := argsKey(args)
	if err != nil {
		return nil, err
	}
	// Drop the last terminator so that a partial last field matches.
	return key[:len(key)-1], nil
}

// argsKey is the key of string arguments, or the key itself when the one
// argument is a rawKey.
func argsKey(args []any) ([]byte, error) {
	if len(args) == 1 {
		if k, ok := args[0].(rawKey); ok {
			return k, nil
		}
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

// rawKey is an index key built already (see appendKey).
type rawKey []byte

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
	return true, pathKey(r.Environment, r.BasePath), nil
}

func (pathIndexer) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("path index: got %d arguments, want 2", len(args))
	}
	env, ok1 := args[0].(string)
	path, ok2 := args[1].(string)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("path index: want two strings")
	}
	return pathKey(env, path), nil
}

func (ix pathIndexer) PrefixFromArgs(args ...any) ([]byte, error) { return ix.FromArgs(args...) }

func pathKey(env, path string) []byte {
	b := make([]byte, 0, len(env)+len(path)+2)
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
	if len(args) == 1 {
		if s, ok := args[0].([32]byte); ok {
			return s[:], nil
		}
	}
	return nil, fmt.Errorf("sha256 index: want one [32]byte")
}
