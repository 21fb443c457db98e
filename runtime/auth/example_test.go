package auth_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"

	"github.com/frontdoor-dev/frontdoor/runtime/auth"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// The gateway authenticates each request against the snapshot it routed on,
// then maps a refusal to a response in one place.
func ExampleAuthenticator_Authenticate() {
	sum := sha256.Sum256([]byte("secret-key"))
	snap := &snapshot.Snapshot{Consumers: []snapshot.Consumer{{ID: "acme", Apps: []snapshot.App{{
		ID: "acme/portal", Org: "acme",
		APIKeys: []snapshot.APIKey{{ID: "k1", SHA256: hex.EncodeToString(sum[:]), Environments: []string{snapshot.EnvSandbox}}},
	}}}}}
	built, err := store.Apply(nil, store.Change{Digest: "sha256:example", Doc: snap})
	if err != nil {
		panic(err)
	}
	dir := built.Read()
	a, err := auth.New(auth.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	modes := []string{snapshot.ModeAppLevel0}

	r := httptest.NewRequest("GET", "/acme/api/v1/x", nil)
	r.Header.Set("apikey", "secret-key")
	p, err := a.Authenticate(r, dir, "sandbox", modes)
	fmt.Println(p.AppID, p.AccessMode, err)

	r.Header.Set("apikey", "wrong-key")
	_, err = a.Authenticate(r, dir, "sandbox", modes)
	var e *auth.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Code, e.Message(), e.Reason)
	}
	// Output:
	// acme/portal app-level0 <nil>
	// 401 invalid_api_key invalid or expired API key invalid_api_key
}
