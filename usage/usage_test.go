package usage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// randomDays returns aggregates of several replicas and days with traffic
// of every size, small counts included.
func randomDays(rng *rand.Rand, replicas, days int) []*Aggregate {
	var out []*Aggregate
	for r := range replicas {
		for d := range days {
			a := &Aggregate{Replica: fmt.Sprintf("gw-%d", r), Date: fmt.Sprintf("2026-%02d-%02d", 10+d%3, 1+d%28)}
			for range 1 + rng.IntN(12) {
				h := Hist{}
				n := uint64(1 + rng.IntN(3))
				if rng.IntN(3) == 0 {
					n = uint64(rng.IntN(400))
				}
				h[BucketOf(uint64(rng.IntN(50000)))] = n
				app := ""
				if rng.IntN(5) > 0 {
					app = fmt.Sprintf("org%d/app%d", rng.IntN(30), rng.IntN(2))
				}
				g := NewGroup([]string{"production", "sandbox"}[rng.IntN(2)],
					fmt.Sprintf("pub%d/api%d", rng.IntN(3), rng.IntN(4)), app, []int{200, 404, 503}[rng.IntN(3)], h)
				a.Groups = append(a.Groups, g)
				a.Requests += g.Count
			}
			SortGroups(a.Groups)
			out = append(out, a)
		}
	}
	return out
}

func setOf(t *testing.T, as ...*Aggregate) *Set {
	t.Helper()
	s := NewSet()
	for _, a := range as {
		if err := s.Add(a); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func publishJSON(t *testing.T, s *Set) string {
	t.Helper()
	b, err := json.Marshal(Publish(s))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTheFiguresDependNeitherOnTheOrderNorOnRepeatsOfAdding(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		days := randomDays(rng, 3, 6)
		// A second version of some replica days (a day's figures grow).
		for _, a := range days[:4] {
			b := *a
			b.Requests++
			days = append(days, &b)
		}
		want := publishJSON(t, setOf(t, days...))

		shuffled := append([]*Aggregate(nil), days...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := publishJSON(t, setOf(t, shuffled...)); got != want {
			t.Fatalf("seed %d: the order of adding changed the figures", seed)
		}
		// Overlapping parts, every day added twice.
		cut1, cut2 := rng.IntN(len(days)), rng.IntN(len(days))
		again := append(append(append([]*Aggregate(nil), days[:cut2]...), days[cut1:]...), shuffled...)
		if got := publishJSON(t, setOf(t, again...)); got != want {
			t.Fatalf("seed %d: adding overlapping parts changed the figures", seed)
		}
	}
}

func TestAFileReadTwiceCountsOnce(t *testing.T) {
	dir := t.TempDir()
	days := randomDays(rand.New(rand.NewPCG(7, 7)), 1, 3)
	days[0].Replica = "" // written before replicas were named
	for i, a := range days {
		b, _ := json.Marshal(a)
		for _, sub := range []string{"gw-a", "copy"} {
			os.MkdirAll(filepath.Join(dir, sub), 0o755)
			os.WriteFile(filepath.Join(dir, sub, fmt.Sprintf("aggregate-2026-10-0%d.json", i+1)), b, 0o644)
		}
	}
	once := setOf(t, days...)
	s := NewSet()
	for range 2 {
		if _, err := s.AddPath(dir); err != nil {
			t.Fatal(err)
		}
	}
	if s.Len() != len(days) || publishJSON(t, s) != publishJSON(t, once) {
		t.Fatalf("got %d days, want %d, each counted once", s.Len(), len(days))
	}
}

func TestALaterVersionOfAReplicasDayReplacesTheEarlier(t *testing.T) {
	h := Hist{BucketOf(1000): 40}
	early := &Aggregate{Replica: "gw-1", Date: "2026-11-03", Requests: 40,
		Groups: []Group{NewGroup("production", "pub/api", "org/app", 200, h)}}
	h2 := Hist{BucketOf(1000): 90}
	late := &Aggregate{Replica: "gw-1", Date: "2026-11-03", Requests: 90,
		Groups: []Group{NewGroup("production", "pub/api", "org/app", 200, h2)}}
	for _, order := range [][]*Aggregate{{early, late}, {late, early}} {
		d := Publish(setOf(t, order...))
		if got := *d.Environments[0].APIs[0].Months[0].Requests.Value; got != 90 {
			t.Fatalf("got %d requests, want the later version's 90", got)
		}
	}
}

func TestASmallAPIIsLeftOutOfItsPublishersTotal(t *testing.T) {
	a := &Aggregate{Replica: "gw", Date: "2026-11-01", Groups: []Group{
		NewGroup("production", "pub/small", "org1/app", 200, Hist{BucketOf(500): 5}),
		NewGroup("production", "pub/big", "org2/app", 200, Hist{BucketOf(500): 100}),
	}}
	env := Publish(setOf(t, a)).Environments[0]
	small := env.APIs[1] // sorted: pub/big, pub/small
	if small.ID != "pub/small" || small.Months[0].Requests.FewerThan != Threshold || small.Months[0].ErrorRate != nil {
		t.Fatalf("small API published as %+v, want fewer than %d and no rate", small.Months[0], Threshold)
	}
	for _, f := range []Figures{env.Publishers[0].Months[0], env.Platform[0]} {
		if *f.Requests.Value != 100 || f.Requests.Excluded != 1 {
			t.Fatalf("total published as %d excluding %d, want 100 excluding 1 (5 + 100 would reveal the 5)", *f.Requests.Value, f.Requests.Excluded)
		}
	}
}

// walk calls fn for every published total with the figures of its parts.
func walk(d *Dataset, fn func(total Figures, parts []Figures, below []Figures)) {
	for _, e := range d.Environments {
		for i, pf := range e.Platform {
			var pubs, apis []Figures
			for _, p := range e.Publishers {
				for _, m := range p.Months {
					if m.Month == pf.Month {
						pubs = append(pubs, m)
						var own []Figures
						for _, a := range e.APIs {
							for _, am := range a.Months {
								if am.Month == m.Month && strings.HasPrefix(a.ID, p.ID+"/") {
									own = append(own, am)
								}
							}
						}
						fn(m, own, own)
						apis = append(apis, own...)
					}
				}
			}
			fn(e.Platform[i], pubs, append(pubs, apis...))
		}
	}
}

func TestNoSubtractionOfPublishedFiguresRevealsASmallCount(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 2))
		d := Publish(setOf(t, randomDays(rng, 1+rng.IntN(3), 1+rng.IntN(30))...))
		walk(d, func(total Figures, parts, below []Figures) {
			// Requests: a total is exactly the sum of its shown parts, so
			// the total minus the other parts leaves nothing hidden.
			var sum uint64
			for _, p := range parts {
				if v := p.Requests.Value; v != nil {
					sum += *v
				}
			}
			if *total.Requests.Value != sum {
				t.Fatalf("seed %d: total %d requests, shown parts add to %d", seed, *total.Requests.Value, sum)
			}
			// Organisations: no difference with a published count below,
			// nor with the sum of the parts, is a small count.
			v := total.Organisations.Value
			if v == nil {
				return
			}
			var partSum uint64
			for _, p := range parts {
				if pv := p.Organisations.Value; pv != nil {
					partSum += *pv
				}
			}
			if partSum >= *v && small(partSum-*v) {
				t.Fatalf("seed %d: parts' organisations minus the total = %d", seed, partSum-*v)
			}
			for _, p := range below {
				if pv := p.Organisations.Value; pv != nil && *v >= *pv && small(*v-*pv) {
					t.Fatalf("seed %d: total organisations %d minus a part's %d is small", seed, *v, *pv)
				}
			}
		})
		for _, e := range d.Environments {
			for _, s := range append(e.APIs, e.Publishers...) {
				for _, m := range s.Months {
					for _, c := range []Count{m.Requests, m.Organisations} {
						if c.Value != nil && small(*c.Value) {
							t.Fatalf("seed %d: %s %s published a count of %d", seed, s.ID, m.Month, *c.Value)
						}
					}
					if !m.Requests.Shown() && (m.ErrorRate != nil || m.P50Ms != nil) {
						t.Fatalf("seed %d: %s rates published for suppressed requests", seed, s.ID)
					}
				}
			}
		}
	}
}

func TestUsageNamesNoAppOrOrganisation(t *testing.T) {
	b := publishJSON(t, setOf(t, randomDays(rand.New(rand.NewPCG(3, 3)), 2, 10)...))
	if m := regexp.MustCompile(`org[0-9]|app[0-9]|gw-`).FindString(b); m != "" {
		t.Fatalf("usage.json contains %q", m)
	}
}

func TestTheDatasetMatchesItsSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	if err := c.AddResource("usage.schema.json", bytes.NewReader(Schema)); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("usage.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for seed := range uint64(10) {
		var v any
		json.Unmarshal([]byte(publishJSON(t, setOf(t, randomDays(rand.New(rand.NewPCG(seed, 4)), 2, 20)...))), &v)
		if err := sch.Validate(v); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
	var empty any
	json.Unmarshal([]byte(publishJSON(t, NewSet())), &empty)
	if err := sch.Validate(empty); err != nil {
		t.Fatalf("empty dataset: %v", err)
	}
}

func TestOnlyConfigurationIDsArePublished(t *testing.T) {
	a := &Aggregate{Replica: "gw", Date: "2026-11-01"}
	for _, id := range [][2]string{
		{"production", "pub/api"},
		{"production", `pub/<script>alert(1)</script>`},
		{`prod" onmouseover="x`, "pub/api"},
		{"production", "../../etc/passwd"},
		{"production", "pub/api/extra"},
		{"", "pub/api"},
	} {
		a.Groups = append(a.Groups, NewGroup(id[0], id[1], "org/app", 200, Hist{BucketOf(100): 50}))
	}
	d := Publish(setOf(t, a))
	if len(d.Environments) != 1 || len(d.Environments[0].APIs) != 1 || d.Environments[0].APIs[0].ID != "pub/api" {
		t.Fatalf("published %+v, want production's pub/api only", d.Environments)
	}
}
