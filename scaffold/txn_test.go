package scaffold

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
)

// tree lists every path under dir with its contents ("" for directories).
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// firstDay is a repository with an onboarded publisher, an API taking API
// keys and a consumer whose app has none.
func firstDay(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := Init(ctx, dir, InitOptions{OperatorOwners: []string{"op"}, DepartmentOwners: []string{"dept"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewPublisher(ctx, dir, "acme", PublisherOptions{Name: "Acme", Category: "public-body", Email: "a@acme.example",
		Owners: []string{"acme-dev"}, OnboardedBy: "op", Agreement: "PA-1", LegalBasis: "Health Act"}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewAPI(ctx, dir, "acme", "patients", APIOptions{Title: "Patients", Summary: "Find patients."}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewConsumer(ctx, dir, "clinic", ConsumerOptions{Name: "Clinic", ContactName: "Ada", ContactEmail: "ada@clinic.example",
		Owners: []string{"clinic-dev"}, App: "portal"}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestAFailedOperationLeavesTheRepositoryAsItWas(t *testing.T) {
	ctx := context.Background()
	grant := Grant{API: "acme/patients", App: "clinic/portal", Environment: "sandbox", Approver: "acme-dev"}
	for _, tc := range []struct {
		name string
		run  func(dir string) error
	}{
		{"a publisher of an unknown category", func(dir string) error {
			_, err := NewPublisher(ctx, dir, "other", PublisherOptions{Name: "Other", Category: "no-such", Email: "o@other.example", Owners: []string{"o"}})
			return err
		}},
		{"an API whose mode no identity provider offers", func(dir string) error {
			_, err := NewAPI(ctx, dir, "acme", "records", APIOptions{Title: "R", Summary: "R.", Modes: []string{"nhs-login-p9"}})
			return err
		}},
		{"a first grant the app has no credential for", func(dir string) error {
			_, err := AddGrant(ctx, dir, grant)
			return err
		}},
		{"a grant by an approver who does not own the publisher", func(dir string) error {
			g := grant
			g.Approver = "clinic-dev"
			_, err := AddGrant(ctx, dir, g)
			return err
		}},
		{"a consumer whose key is not a hash", func(dir string) error {
			_, err := NewConsumer(ctx, dir, "leaky", ConsumerOptions{Name: "L", ContactName: "L", ContactEmail: "l@l.example",
				Owners: []string{"l"}, App: "app", APIKeySHA256: "not-a-hash"})
			return err
		}},
		{"an init over an existing repository", func(dir string) error {
			_, err := Init(ctx, filepath.Join(dir, "publishers"), InitOptions{})
			if err == nil {
				return errors.New("init succeeded")
			}
			_, err = Init(ctx, filepath.Join(dir, "new", "deeper"), InitOptions{Domain: "not a domain"})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := firstDay(t)
			before := tree(t, dir)
			if err := tc.run(dir); err == nil {
				t.Fatal("got nil, want the operation refused")
			}
			if after := tree(t, dir); !maps.Equal(after, before) {
				for p := range after {
					if _, ok := before[p]; !ok {
						t.Errorf("left %s behind", p)
					}
				}
				for p, s := range before {
					if after[p] != s {
						t.Errorf("changed or removed %s", p)
					}
				}
			}
		})
	}
}

func TestAGrantFailingOnAnExistingFileRestoresIt(t *testing.T) {
	ctx := context.Background()
	dir := firstDay(t)
	if _, err := NewConsumer(ctx, dir, "lab", ConsumerOptions{Name: "Lab", ContactName: "Bo", ContactEmail: "bo@lab.example",
		Owners: []string{"lab-dev"}, App: "analyser", APIKeySHA256: strings.Repeat("ab", 32)}); err != nil {
		t.Fatal(err)
	}
	g := Grant{API: "acme/patients", App: "lab/analyser", Environment: "sandbox", Approver: "acme-dev"}
	if _, err := AddGrant(ctx, dir, g); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	g.Environment, g.Approver = "integration", "stranger"
	var inv *InvalidError
	if _, err := AddGrant(ctx, dir, g); !errors.As(err, &inv) {
		t.Fatalf("got %v, want the grant refused as invalid", err)
	}
	if !maps.Equal(tree(t, dir), before) {
		t.Error("got the grants file changed, want it restored")
	}
}

func TestNewOwnersAreWrittenToCodeOwners(t *testing.T) {
	dir := firstDay(t)
	b, err := os.ReadFile(filepath.Join(dir, "CODEOWNERS"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/publishers/acme/  @acme-dev\n", "/consumers/clinic/ @clinic-dev\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("got\n%s\nwant a line %q", b, want)
		}
	}
}

func TestNewConsumerRegistersTheAppsCredentials(t *testing.T) {
	ctx := context.Background()
	hash := strings.Repeat("0f", 32)
	for _, tc := range []struct {
		name    string
		o       ConsumerOptions
		want    []string
		wantErr string
	}{
		{"a JWKS URL", ConsumerOptions{App: "a", JWKSURL: "https://lab.example/jwks.json"}, []string{`jwksURL: "https://lab.example/jwks.json"`}, ""},
		{"an API key's hash, in sandbox by default", ConsumerOptions{App: "a", APIKeySHA256: hash}, []string{hash, `environments: ["sandbox"]`}, ""},
		{"an API key's hash in two environments", ConsumerOptions{App: "a", APIKeySHA256: hash, APIKeyEnvironments: []string{"sandbox", "integration"}},
			[]string{`environments: ["sandbox", "integration"]`}, ""},
		{"credentials without an app", ConsumerOptions{JWKSURL: "https://lab.example/jwks.json"}, nil, "pass --app too"},
		{"environments without a key", ConsumerOptions{App: "a", APIKeyEnvironments: []string{"sandbox"}}, nil, "needs --api-key-sha256"},
		{"an uppercase hash", ConsumerOptions{App: "a", APIKeySHA256: strings.ToUpper(hash)}, nil, "64 lowercase hex digits"},
		{"a client certificate's fingerprint", ConsumerOptions{App: "a", APIKeySHA256: hash, ClientCertFingerprint: strings.Repeat("1e", 32)},
			[]string{`clientCertificates: cert1: sha256: "` + strings.Repeat("1e", 32) + `"`}, ""},
		{"a fingerprint with colons", ConsumerOptions{App: "a", ClientCertFingerprint: strings.TrimSuffix(strings.Repeat("1E:", 32), ":")}, nil, "64 lowercase hex digits"},
		{"a fingerprint without an app", ConsumerOptions{ClientCertFingerprint: strings.Repeat("1e", 32)}, nil, "pass --app too"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := firstDay(t)
			o := tc.o
			o.Name, o.ContactName, o.ContactEmail, o.Owners = "Lab", "Bo", "bo@lab.example", []string{"lab-dev"}
			_, err := NewConsumer(ctx, dir, "lab", o)
			if errorWanted(t, err, tc.wantErr) {
				return
			}
			b, _ := os.ReadFile(filepath.Join(dir, "consumers/lab/consumer.cue"))
			for _, w := range tc.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("got\n%s\nwant %q in it", b, w)
				}
			}
		})
	}
}

func TestInitMakesAGitRepositoryOnlyOutsideOne(t *testing.T) {
	ctx := context.Background()
	outer := t.TempDir()
	res, err := Init(ctx, outer, InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.GitInit {
		t.Fatal("got no git init in a plain directory")
	}
	repo, err := git.PlainOpen(outer)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := repo.Config()
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Raw.Section("core").Option("hooksPath"); got != ".githooks" {
		t.Errorf("got core.hooksPath %q, want .githooks", got)
	}
	inner := filepath.Join(outer, "platform")
	res, err = Init(ctx, inner, InitOptions{Today: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(inner, ".git")); res.GitInit || err == nil {
		t.Error("got a git repository inside another one, want none")
	}
}

func TestAFailedInitOutsideARepositoryLeavesNoGitRepository(t *testing.T) {
	for _, tc := range []struct {
		name   string
		exists bool
	}{{"into an empty directory", true}, {"into a new directory", false}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "platform")
			if tc.exists {
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := Init(context.Background(), dir, InitOptions{Domain: "not a domain"}); err == nil {
				t.Fatal("got nil, want the invalid domain refused")
			}
			ents, err := os.ReadDir(dir)
			switch {
			case tc.exists && (err != nil || len(ents) != 0):
				t.Errorf("got %v, %v; want the directory left empty", ents, err)
			case !tc.exists && !errors.Is(err, fs.ErrNotExist):
				t.Errorf("got %v, %v; want the directory gone", ents, err)
			}
		})
	}
}
