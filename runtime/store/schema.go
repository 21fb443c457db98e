package store

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Table names.
const (
	TableRoutes      = "routes"
	TableAPIs        = "apis"
	TablePublishers  = "publishers"
	TableApps        = "apps"
	TableCredentials = "credentials"
	TableGrants      = "grants"
)

// Index names. Every table has IndexID, memdb's unique primary index.
const (
	IndexID        = "id"
	IndexPublisher = "publisher"
	IndexOrg       = "org"
	IndexSHA256    = "sha256"
)

// dbSchema returns the schema of one snapshot's database.
func dbSchema() *memdb.DBSchema {
	tables := []*memdb.TableSchema{
		routesTableSchema(),
		apisTableSchema(),
		publishersTableSchema(),
		appsTableSchema(),
		credentialsTableSchema(),
		grantsTableSchema(),
	}
	s := &memdb.DBSchema{Tables: make(map[string]*memdb.TableSchema, len(tables))}
	for _, t := range tables {
		s.Tables[t.Name] = t
	}
	return s
}

// routesTableSchema holds *Route. Requests find their route through the
// precomputed routeTable, not through this table; it serves queries.
func routesTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableRoutes,
		Indexes: map[string]*memdb.IndexSchema{
			// id: (environment, base path), unique. A prefix query on
			// (environment) lists an environment's routes in path order.
			IndexID: {
				Name:    IndexID,
				Unique:  true,
				Indexer: keyIndexer[*Route](2, func(r *Route) []string { return []string{r.Environment, r.BasePath} }),
			},
		},
	}
}

// apisTableSchema holds *snapshot.API.
func apisTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableAPIs,
		Indexes: map[string]*memdb.IndexSchema{
			// id: the API's ID ("<publisher>/<api>"), unique.
			IndexID: {
				Name:    IndexID,
				Unique:  true,
				Indexer: keyIndexer[*snapshot.API](1, func(a *snapshot.API) []string { return []string{a.ID} }),
			},
			// publisher: the publisher's ID; lists a publisher's APIs.
			IndexPublisher: {
				Name:    IndexPublisher,
				Indexer: keyIndexer[*snapshot.API](1, func(a *snapshot.API) []string { return []string{a.Publisher} }),
			},
		},
	}
}

// publishersTableSchema holds *snapshot.Publisher.
func publishersTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TablePublishers,
		Indexes: map[string]*memdb.IndexSchema{
			// id: the publisher's ID, unique.
			IndexID: {
				Name:    IndexID,
				Unique:  true,
				Indexer: keyIndexer[*snapshot.Publisher](1, func(p *snapshot.Publisher) []string { return []string{p.ID} }),
			},
		},
	}
}

// appsTableSchema holds *App.
func appsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableApps,
		Indexes: map[string]*memdb.IndexSchema{
			// id: the app's ID ("<org>/<app>"), unique.
			IndexID: {
				Name:    IndexID,
				Unique:  true,
				Indexer: keyIndexer[*App](1, func(a *App) []string { return []string{a.ID} }),
			},
			// org: the consumer organisation's ID; lists an org's apps.
			IndexOrg: {
				Name:    IndexOrg,
				Indexer: keyIndexer[*App](1, func(a *App) []string { return []string{a.Org} }),
			},
		},
	}
}

// credentialsTableSchema holds *Credential: the apps' API key hashes. (An
// app's inline JWKs are few; they are read from its row in apps.)
func credentialsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableCredentials,
		Indexes: map[string]*memdb.IndexSchema{
			// id: (app, key ID), unique. A prefix query on (app) lists an
			// app's keys.
			IndexID: {
				Name:    IndexID,
				Unique:  true,
				Indexer: keyIndexer[*Credential](2, func(c *Credential) []string { return []string{c.App.ID, c.ID} }),
			},
			// sha256: the lowercase hex SHA-256 of the key, unique: the
			// API-key authenticator's lookup.
			IndexSHA256: {
				Name:    IndexSHA256,
				Unique:  true,
				Indexer: keyIndexer[*Credential](1, func(c *Credential) []string { return []string{c.SHA256} }),
			},
		},
	}
}

// grantsTableSchema holds *Grants: one row per app with entitlements.
//
// Rows are per app rather than per (app, api, environment, access mode)
// tuple for memory: a memdb index entry costs about 400 bytes (radix node,
// leaf, two watch channels, key), so 100,000 tuples would cost 40 MB per
// index, where 10,000 app rows holding sub-slices of the snapshot's sorted
// entitlements cost 4 MB. A lookup finds the row, then binary-searches it.
func grantsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableGrants,
		Indexes: map[string]*memdb.IndexSchema{
			// id: the app's ID, unique.
			IndexID: {
				Name:    IndexID,
				Unique:  true,
				Indexer: keyIndexer[*Grants](1, func(g *Grants) []string { return []string{g.App} }),
			},
		},
	}
}

// keyIndexer returns a typed memdb indexer over n string fields of T. The
// key is each field followed by a NUL byte, as memdb's StringFieldIndex
// builds it, so that a key built from the first k arguments is a prefix of
// every key that starts with them. fields returns nil when the object has no
// value for the index (then AllowMissing must be set).
func keyIndexer[T any](n int, fields func(T) []string) *typedIndexer[T] {
	return &typedIndexer[T]{n: n, fields: fields}
}

// typedIndexer implements memdb.SingleIndexer, memdb.Indexer and
// memdb.PrefixIndexer without reflection (consul's typed indexers).
type typedIndexer[T any] struct {
	n      int
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
	return true, appendKey(nil, fs), nil
}

func (ix *typedIndexer[T]) FromArgs(args ...any) ([]byte, error) {
	if len(args) != ix.n {
		return nil, fmt.Errorf("index key: got %d arguments, want %d", len(args), ix.n)
	}
	return argsKey(args)
}

func (ix *typedIndexer[T]) PrefixFromArgs(args ...any) ([]byte, error) {
	if len(args) == 0 || len(args) > ix.n {
		return nil, fmt.Errorf("index prefix: got %d arguments, want 1 to %d", len(args), ix.n)
	}
	key, err := argsKey(args)
	if err != nil {
		return nil, err
	}
	// Drop the last terminator so that a partial last field matches.
	return key[:len(key)-1], nil
}

func argsKey(args []any) ([]byte, error) {
	fs := make([]string, len(args))
	for i, a := range args {
		s, ok := a.(string)
		if !ok {
			return nil, fmt.Errorf("index key argument %d: got %T, want string", i, a)
		}
		fs[i] = s
	}
	return appendKey(nil, fs), nil
}

func appendKey(b []byte, fields []string) []byte {
	n := 0
	for _, f := range fields {
		n += len(f) + 1
	}
	if b == nil {
		b = make([]byte, 0, n)
	}
	for _, f := range fields {
		b = append(b, f...)
		b = append(b, 0)
	}
	return b
}
