package auth

import (
	"crypto/sha256"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Directory is what authentication needs from one published snapshot. The
// gateway's store implements it with one read transaction on its database
// (store.Read). Implementations must be safe for
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
