package auth

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Directory is what authentication needs from one published snapshot. The
// gateway's store implements it over its memdb; NewSnapshotDirectory
// implements it over a *snapshot.Snapshot. Implementations must be safe for
// concurrent use and must not change while a request uses them: callers pass
// the directory of the snapshot a request started on.
type Directory interface {
	// AppByAPIKeyHash returns the app owning the API key whose SHA-256 is
	// hexsha (64 lowercase hex digits).
	AppByAPIKeyHash(hexsha string) (*snapshot.App, bool)
	// App returns the app with the given ID ("<org>/<app>").
	App(id string) (*snapshot.App, bool)
	// IdentityProviders returns the platform's trusted identity providers.
	IdentityProviders() []snapshot.IdentityProvider
}

// APIKeySumDirectory is an optional Directory fast path: looking a key up by
// its raw SHA-256 avoids converting the hex digest to a string on every
// request. Authenticate uses it when the Directory implements it.
type APIKeySumDirectory interface {
	Directory
	// AppByAPIKeySum is AppByAPIKeyHash with the digest as bytes.
	AppByAPIKeySum(sum [sha256.Size]byte) (*snapshot.App, bool)
}

// TokenURLDirectory is an optional Directory extension for directories that
// know the public token endpoint URL of each environment (the gateway derives
// them from the snapshot's environment base URLs, so they follow the
// snapshot). ServeToken uses it for environments that Config.TokenURLs does
// not name.
type TokenURLDirectory interface {
	Directory
	// TokenURL returns the exact token endpoint URL of env.
	TokenURL(env string) (string, bool)
}

// SnapshotDirectory is a Directory over a published snapshot, with an index
// of API-key hashes built once. It is immutable and safe for concurrent use.
type SnapshotDirectory struct {
	snap  *snapshot.Snapshot
	byKey map[[sha256.Size]byte]*snapshot.App
}

var _ APIKeySumDirectory = (*SnapshotDirectory)(nil)

// NewSnapshotDirectory indexes snap, which must not be mutated afterwards.
// Only well-formed hashes (64 lowercase hex digits, as the snapshot format
// requires) are indexed. A key hash shared by two apps is ambiguous and
// indexed for neither, so it authenticates nobody.
func NewSnapshotDirectory(snap *snapshot.Snapshot) *SnapshotDirectory {
	d := &SnapshotDirectory{snap: snap, byKey: make(map[[sha256.Size]byte]*snapshot.App)}
	ambiguous := make(map[[sha256.Size]byte]bool)
	for i := range snap.Consumers {
		c := &snap.Consumers[i]
		for j := range c.Apps {
			app := &c.Apps[j]
			for _, k := range app.APIKeys {
				var h [sha256.Size]byte
				if n, err := hex.Decode(h[:], []byte(k.SHA256)); err != nil || n != len(h) || hex.EncodeToString(h[:]) != k.SHA256 {
					continue // not a lowercase hex SHA-256: matches no key
				}
				if prev, ok := d.byKey[h]; ok && prev != app {
					ambiguous[h] = true
				}
				d.byKey[h] = app
			}
		}
	}
	for h := range ambiguous {
		delete(d.byKey, h)
	}
	return d
}

// AppByAPIKeyHash implements Directory.
func (d *SnapshotDirectory) AppByAPIKeyHash(hexsha string) (*snapshot.App, bool) {
	var h [sha256.Size]byte
	if n, err := hex.Decode(h[:], []byte(hexsha)); err != nil || n != len(h) {
		return nil, false
	}
	return d.AppByAPIKeySum(h)
}

// AppByAPIKeySum implements APIKeySumDirectory.
func (d *SnapshotDirectory) AppByAPIKeySum(sum [sha256.Size]byte) (*snapshot.App, bool) {
	app, ok := d.byKey[sum]
	return app, ok
}

// App implements Directory.
func (d *SnapshotDirectory) App(id string) (*snapshot.App, bool) { return d.snap.App(id) }

// IdentityProviders implements Directory.
func (d *SnapshotDirectory) IdentityProviders() []snapshot.IdentityProvider {
	return d.snap.Platform.IdentityProviders
}
