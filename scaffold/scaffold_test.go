package scaffold

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// example is the example platform, relative to this package.
const example = "../examples/national-health-platform"

func TestExamplesCIAreWhatInitWrites(t *testing.T) {
	for file, want := range map[string]string{
		"../examples/ci/github-workflow.yml": GitHubWorkflow,
		"../examples/ci/pre-commit":          PreCommitHook,
	} {
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s differs from what frontdoor init writes; copy it from scaffold/ci.go", file)
		}
	}
}

func TestInitWritesARepositoryThatValidates(t *testing.T) {
	dir := t.TempDir()
	res, err := Init(context.Background(), dir, InitOptions{OperatorOwners: []string{"op"}, DepartmentOwners: []string{"dept"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(res.Files, " "), "frontdoor.cue README.md .gitignore .github/workflows/frontdoor.yml .githooks/pre-commit CODEOWNERS"; got != want {
		t.Errorf("got files %q, want %q", got, want)
	}
	mine, others, err := Validate(context.Background(), dir, nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if ds := append(mine, others...); len(ds) != 0 {
		t.Errorf("got %v, want a valid repository", ds)
	}
	if _, err := Init(context.Background(), dir, InitOptions{}); err == nil {
		t.Error("got nil initialising twice, want an error")
	}
}

func TestAppendingAGrantKeepsTheFileByteForByte(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(example, "publishers/nhsbsa/grants/northshire-icb.cue"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := appendGrant("g.cue", src, "{\napp: \"x\"\napi: \"y\"\n}")
	if err != nil {
		t.Fatal(err)
	}
	before, _, _ := strings.Cut(string(src), "\n]")
	if !strings.HasPrefix(string(out), before) {
		t.Errorf("got\n%s\nwant it to start with the original grants\n%s", out, before)
	}
	if want := "\t{\n\t\tapp: \"x\"\n\t\tapi: \"y\"\n\t},\n]\n"; !strings.HasSuffix(string(out), want) {
		t.Errorf("got\n%s\nwant it to end with\n%s", out, want)
	}
}

func TestAppendingToAListWithoutATrailingCommaAddsOne(t *testing.T) {
	out, err := appendGrant("g.cue", []byte("grants: [\n\t{app: \"a\"}\n]\n"), "{app: \"b\"}")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "grants: [\n\t{app: \"a\"},\n\t{app: \"b\"},\n]\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
