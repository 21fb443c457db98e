package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/frontdoor-dev/frontdoor/internal/atomicfile"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// benchLimitPerSecond is the rate limit of the benchmark's API, app and
// grant: high enough never to refuse a request, yet a real limit that the
// gateway checks.
const benchLimitPerSecond = 1_000_000_000

// prepare rewrites a snapshot for a benchmark: every upstream to one URL,
// an API key for an app entitled to one app-level0 API, optionally exactly
// N routes, and writes it signed.
func prepare(args []string, stdout, stderr io.Writer) error {
	fs := flags("prepare", stderr)
	in := fs.String("in", "", "snapshot to start from (a frontdoor build output)")
	out := fs.String("o", "", "output directory: snapshot.json, .sig (with -sign-key), .sha256")
	upstream := fs.String("upstream", "", "set every route's upstream to this URL")
	apiKey := fs.String("apikey", "", "API key to add to the benchmark app, entitled to the benchmark API")
	env := fs.String("env", snapshot.EnvSandbox, "environment of the benchmark route")
	routes := fs.Int("routes", 0, "if set, keep only the benchmark API and clone it to exactly this many routes in -env")
	generation := fs.Uint64("generation", 0, "if set, the snapshot's generation")
	signKey := fs.String("sign-key", "", "ed25519 private key (PEM) to sign with")
	if err := parse(fs, args, "in", "o"); err != nil {
		return err
	}
	_, s, err := readSnapshot(*in)
	if err != nil {
		return err
	}
	api, err := benchAPI(s, *env)
	if err != nil {
		return err
	}
	if *routes > 0 {
		cloneRoutes(s, api, *env, *routes)
	}
	if *upstream != "" {
		for i := range s.Routes {
			s.Routes[i].Upstream = *upstream
			s.Routes[i].UpstreamCredential = ""
		}
		for i := range s.APIs {
			for j := range s.APIs[i].Environments {
				s.APIs[i].Environments[j].Upstream = *upstream
				s.APIs[i].Environments[j].UpstreamCredential = ""
			}
		}
	}
	app := ""
	if *apiKey != "" {
		if app, err = grantKey(s, api, *env, *apiKey); err != nil {
			return err
		}
	}
	if *generation > 0 {
		s.Generation = *generation
	}
	s.Normalize()
	if err := s.Consistent(); err != nil {
		return fmt.Errorf("prepared snapshot is inconsistent: %w", err)
	}
	raw, err := s.Encode()
	if err != nil {
		return err
	}
	sign, err := signer(*signKey)
	if err != nil {
		return err
	}
	if err := writeSnapshot(*out, raw, sign); err != nil {
		return err
	}
	a, _ := s.API(api)
	host := ""
	if e, ok := s.Platform.Environment(*env); ok {
		host = e.Host
	}
	n := 0
	for _, r := range s.Routes {
		if r.Environment == *env {
			n++
		}
	}
	fmt.Fprintf(stdout, "path=%s\nhost=%s\napi=%s\napp=%s\nroutes=%d\nbytes=%d\n", a.BasePath, host, api, app, n, len(raw))
	return nil
}

// benchAPI returns the first API with a route in env that accepts API keys.
func benchAPI(s *snapshot.Snapshot, env string) (string, error) {
	for _, r := range s.Routes {
		if r.Environment == env && slices.Contains(r.AccessModes, snapshot.ModeAppLevel0) {
			return r.API, nil
		}
	}
	return "", fmt.Errorf("no %s route accepts %s", env, snapshot.ModeAppLevel0)
}

// cloneRoutes keeps only api and n-1 clones of it, each with one route in
// env, and only the entitlements to them.
func cloneRoutes(s *snapshot.Snapshot, id, env string, n int) {
	orig, _ := s.API(id)
	base := *orig
	base.Related = nil
	var envEntry snapshot.APIEnvironment
	for _, e := range base.Environments {
		if e.Name == env {
			envEntry = e
		}
	}
	envEntry.Launch = nil
	var route snapshot.Route
	for _, r := range s.Routes {
		if r.API == id && r.Environment == env {
			route = r
		}
	}
	s.APIs, s.Routes = nil, nil
	for i := range n {
		a := base
		if i > 0 {
			a.Name = fmt.Sprintf("%s-%05d", base.Name, i)
			a.ID = a.Publisher + "/" + a.Name
			a.BasePath = fmt.Sprintf("/%s/%s/v%d", a.Publisher, a.Name, a.Major)
		}
		a.Environments = []snapshot.APIEnvironment{envEntry}
		r := route
		r.API, r.BasePath = a.ID, a.BasePath
		s.APIs = append(s.APIs, a)
		s.Routes = append(s.Routes, r)
	}
	s.Entitlements = slices.DeleteFunc(s.Entitlements, func(e snapshot.Entitlement) bool {
		_, ok := s.API(e.API)
		return !ok || e.Environment != env
	})
}

// grantKey adds key to the first app and entitles it to api in env with
// API keys, with limits that never bite. It returns the app's ID.
func grantKey(s *snapshot.Snapshot, api, env, key string) (string, error) {
	if len(s.Consumers) == 0 || len(s.Consumers[0].Apps) == 0 {
		return "", errors.New("no consumer app to give the key to")
	}
	app := &s.Consumers[0].Apps[0]
	sum := sha256.Sum256([]byte(key))
	app.APIKeys = append(app.APIKeys, snapshot.APIKey{ID: "bench", SHA256: hex.EncodeToString(sum[:]), Environments: []string{env}})
	a, ok := s.API(api)
	if !ok {
		return "", fmt.Errorf("no api %s", api)
	}
	limit := snapshot.RateLimit{Limit: benchLimitPerSecond, Per: "second"}
	a.RateLimit, a.AppRateLimit = limit, limit
	s.Platform.AppRateLimit = limit
	approval := snapshot.Approval{By: "bench", Date: "2026-01-01"}
	if p, ok := s.Publisher(a.Publisher); ok && p.Onboarded.By != "" {
		approval = p.Onboarded
	}
	e := snapshot.Entitlement{
		App: app.ID, API: api, Environment: env, AccessMode: snapshot.ModeAppLevel0,
		RateLimit: &limit, GrantedBy: a.Publisher, Approval: approval,
	}
	s.Entitlements = slices.DeleteFunc(s.Entitlements, func(x snapshot.Entitlement) bool { return x.Key() == e.Key() })
	s.Entitlements = append(s.Entitlements, e)
	return app.ID, nil
}

// writeSnapshot writes dir/snapshot.json with its digest and, with sign,
// its signature, as frontdoor build does.
func writeSnapshot(dir string, raw []byte, sign func([]byte) []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "snapshot.json")
	if sign != nil {
		if err := atomicfile.Write(path+snapshot.SignatureSuffix, sign(raw), 0o644); err != nil {
			return err
		}
	}
	if err := atomicfile.Write(path+".sha256", []byte(snapshot.Digest(raw)+"\n"), 0o644); err != nil {
		return err
	}
	return atomicfile.Write(path, raw, 0o644)
}

// signer returns a function signing with the ed25519 private key (PEM) in
// the file at path, or nil when path is empty.
func signer(path string) (func([]byte) []byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	priv, err := snapshot.ParsePrivateKey(b)
	if err != nil {
		return nil, err
	}
	return func(b []byte) []byte { return snapshot.Sign(priv, b) }, nil
}
