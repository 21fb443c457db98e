package kubernetes_test

import (
	"bufio"
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The parts of the Kubernetes objects the checks read.
type (
	object struct {
		APIVersion string            `yaml:"apiVersion"`
		Kind       string            `yaml:"kind"`
		Metadata   metadata          `yaml:"metadata"`
		Data       map[string]string `yaml:"data"`
		StringData map[string]string `yaml:"stringData"`
		Spec       spec              `yaml:"spec"`
		file       string
	}
	metadata struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	}
	spec struct {
		// Deployment
		Replicas *int      `yaml:"replicas"`
		Selector yaml.Node `yaml:"selector"`
		Template struct {
			Metadata metadata `yaml:"metadata"`
			Spec     podSpec  `yaml:"spec"`
		} `yaml:"template"`
		// Service
		ClusterIP string        `yaml:"clusterIP"`
		Ports     []servicePort `yaml:"ports"`
		// PodDisruptionBudget
		MinAvailable *int `yaml:"minAvailable"`
	}
	podSpec struct {
		SecurityContext securityContext `yaml:"securityContext"`
		Containers      []container     `yaml:"containers"`
		Volumes         []volume        `yaml:"volumes"`
	}
	securityContext struct {
		RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
		RunAsUser                *int  `yaml:"runAsUser"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
	}
	container struct {
		Name            string          `yaml:"name"`
		Image           string          `yaml:"image"`
		Args            []string        `yaml:"args"`
		Env             []envVar        `yaml:"env"`
		Ports           []containerPort `yaml:"ports"`
		ReadinessProbe  *probe          `yaml:"readinessProbe"`
		LivenessProbe   *probe          `yaml:"livenessProbe"`
		Resources       resources       `yaml:"resources"`
		SecurityContext securityContext `yaml:"securityContext"`
		VolumeMounts    []volumeMount   `yaml:"volumeMounts"`
	}
	envVar struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef    *keyRef `yaml:"secretKeyRef"`
			ConfigMapKeyRef *keyRef `yaml:"configMapKeyRef"`
		} `yaml:"valueFrom"`
	}
	keyRef struct {
		Name string `yaml:"name"`
		Key  string `yaml:"key"`
	}
	containerPort struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	}
	servicePort struct {
		Name       string    `yaml:"name"`
		Port       int       `yaml:"port"`
		TargetPort yaml.Node `yaml:"targetPort"`
	}
	probe struct {
		HTTPGet *struct {
			Path string    `yaml:"path"`
			Port yaml.Node `yaml:"port"`
		} `yaml:"httpGet"`
	}
	resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	}
	volumeMount struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	}
	volume struct {
		Name                  string     `yaml:"name"`
		EmptyDir              *yaml.Node `yaml:"emptyDir"`
		PersistentVolumeClaim *yaml.Node `yaml:"persistentVolumeClaim"`
		ConfigMap             *struct {
			Name  string      `yaml:"name"`
			Items []keyToPath `yaml:"items"`
		} `yaml:"configMap"`
		Secret *struct {
			SecretName string      `yaml:"secretName"`
			Items      []keyToPath `yaml:"items"`
		} `yaml:"secret"`
	}
	keyToPath struct {
		Key  string `yaml:"key"`
		Path string `yaml:"path"`
	}
)

// manifests reads every object of every YAML file in this directory.
func manifests(t *testing.T) []object {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no manifests")
	}
	var objs []object
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(false)
		for {
			var o object
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind == "" || o.APIVersion == "" {
				t.Fatalf("%s: a document without apiVersion and kind", f)
			}
			o.file = f
			objs = append(objs, o)
		}
	}
	return objs
}

func byKind(objs []object, kind string) []object {
	var out []object
	for _, o := range objs {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

func find(objs []object, kind, name string) (object, bool) {
	for _, o := range objs {
		if o.Kind == kind && o.Metadata.Name == name {
			return o, true
		}
	}
	return object{}, false
}

// gateway returns the one Deployment and its frontdoor container.
func gateway(t *testing.T, objs []object) (object, container) {
	t.Helper()
	ds := byKind(objs, "Deployment")
	if len(ds) != 1 {
		t.Fatalf("got %d Deployments, want 1", len(ds))
	}
	d := ds[0]
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == "frontdoor" {
			return d, c
		}
	}
	t.Fatal("no container named frontdoor in the Deployment")
	return object{}, container{}
}

// args returns the container's serve flags by name, and fails unless the
// first argument is "serve".
func args(t *testing.T, c container) map[string]string {
	t.Helper()
	if len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Fatalf("got args %q, want serve first", c.Args)
	}
	flags := map[string]string{}
	for i := 1; i < len(c.Args); i++ {
		a := c.Args[i]
		if !strings.HasPrefix(a, "--") {
			t.Fatalf("argument %q is not a --flag", a)
		}
		name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !ok {
			if i+1 < len(c.Args) && !strings.HasPrefix(c.Args[i+1], "--") {
				value = c.Args[i+1]
				i++
			} else {
				value = "true"
			}
		}
		flags[name] = value
	}
	return flags
}

// portNumber resolves a probe's or service's port (a number or a name) to
// a container port.
func portNumber(t *testing.T, c container, n yaml.Node) int {
	t.Helper()
	if p, err := strconv.Atoi(n.Value); err == nil {
		return p
	}
	for _, p := range c.Ports {
		if p.Name == n.Value {
			return p.ContainerPort
		}
	}
	t.Fatalf("port %q is not a port of container %s", n.Value, c.Name)
	return 0
}

// listenPort returns the port of a listen address such as ":9090".
func listenPort(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("listen address %q: %v", addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("listen address %q: %v", addr, err)
	}
	return n
}

func matchLabels(t *testing.T, sel yaml.Node) map[string]string {
	t.Helper()
	var s struct {
		MatchLabels      map[string]string `yaml:"matchLabels"`
		MatchExpressions []yaml.Node       `yaml:"matchExpressions"`
	}
	if err := sel.Decode(&s); err != nil {
		t.Fatal(err)
	}
	if len(s.MatchExpressions) > 0 {
		t.Fatal("matchExpressions are not checked; use matchLabels")
	}
	return s.MatchLabels
}

// selects reports whether the labels selector selects labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func TestDeploymentRunsThreeReplicasOfServe(t *testing.T) {
	d, c := gateway(t, manifests(t))
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
		t.Errorf("got replicas %v, want 3", d.Spec.Replicas)
	}
	args(t, c)
	if !selects(matchLabels(t, d.Spec.Selector), d.Spec.Template.Metadata.Labels) {
		t.Errorf("Deployment selector does not select its own pods %v", d.Spec.Template.Metadata.Labels)
	}
}

func TestProbesCheckReadyzAndHealthzOnTheAdminPort(t *testing.T) {
	_, c := gateway(t, manifests(t))
	admin := listenPort(t, args(t, c)["admin-listen"])
	for _, p := range []struct {
		name, path string
		probe      *probe
	}{{"readiness", "/readyz", c.ReadinessProbe}, {"liveness", "/healthz", c.LivenessProbe}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("no %s httpGet probe", p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path {
			t.Errorf("%s probe: got path %q, want %q", p.name, p.probe.HTTPGet.Path, p.path)
		}
		if got := portNumber(t, c, p.probe.HTTPGet.Port); got != admin {
			t.Errorf("%s probe: got port %d, want the admin port %d (--admin-listen)", p.name, got, admin)
		}
	}
}

func TestContainerPortsAreTheListenAddresses(t *testing.T) {
	_, c := gateway(t, manifests(t))
	flags := args(t, c)
	want := map[string]int{"http": listenPort(t, flags["listen"]), "admin": listenPort(t, flags["admin-listen"])}
	for name, port := range want {
		if got := portNumber(t, c, yaml.Node{Value: name}); got != port {
			t.Errorf("container port %s: got %d, want %d", name, got, port)
		}
	}
}

func TestServicesAndDisruptionBudgetSelectTheGatewayPods(t *testing.T) {
	objs := manifests(t)
	d, c := gateway(t, objs)
	pods := d.Spec.Template.Metadata.Labels
	svcs := byKind(objs, "Service")
	if len(svcs) == 0 {
		t.Fatal("no Service")
	}
	for _, s := range svcs {
		var sel map[string]string
		if err := s.Spec.Selector.Decode(&sel); err != nil {
			t.Fatalf("Service %s: selector: %v", s.Metadata.Name, err)
		}
		if !selects(sel, pods) {
			t.Errorf("Service %s: selector %v does not select the pods %v", s.Metadata.Name, sel, pods)
		}
		for _, p := range s.Spec.Ports {
			portNumber(t, c, p.TargetPort)
		}
	}
	pdbs := byKind(objs, "PodDisruptionBudget")
	if len(pdbs) != 1 {
		t.Fatalf("got %d PodDisruptionBudgets, want 1", len(pdbs))
	}
	pdb := pdbs[0]
	if pdb.Spec.MinAvailable == nil || *pdb.Spec.MinAvailable != 2 {
		t.Errorf("got minAvailable %v, want 2", pdb.Spec.MinAvailable)
	}
	if sel := matchLabels(t, pdb.Spec.Selector); !selects(sel, pods) {
		t.Errorf("PodDisruptionBudget selector %v does not select the pods %v", sel, pods)
	}
}

func TestGatewayRunsAsNonRootOnAReadOnlyRootFilesystem(t *testing.T) {
	d, _ := gateway(t, manifests(t))
	pod := d.Spec.Template.Spec.SecurityContext
	for _, c := range d.Spec.Template.Spec.Containers {
		sc := c.SecurityContext
		nonRoot := (sc.RunAsNonRoot != nil && *sc.RunAsNonRoot) || (sc.RunAsNonRoot == nil && pod.RunAsNonRoot != nil && *pod.RunAsNonRoot)
		if !nonRoot {
			t.Errorf("container %s: runAsNonRoot is not true", c.Name)
		}
		user := sc.RunAsUser
		if user == nil {
			user = pod.RunAsUser
		}
		if user == nil || *user == 0 {
			t.Errorf("container %s: got runAsUser %v, want a non-zero user", c.Name, user)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("container %s: readOnlyRootFilesystem is not true", c.Name)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("container %s: allowPrivilegeEscalation is not false", c.Name)
		}
	}
}

func TestEveryContainerHasCPUAndMemoryRequestsAndLimits(t *testing.T) {
	d, _ := gateway(t, manifests(t))
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, r := range []string{"cpu", "memory"} {
			if c.Resources.Requests[r] == "" {
				t.Errorf("container %s: no %s request", c.Name, r)
			}
			if c.Resources.Limits[r] == "" {
				t.Errorf("container %s: no %s limit", c.Name, r)
			}
		}
	}
}

// mountOf returns the volume mounted at the directory holding path (or at
// path itself) and the path below the mount.
func mountOf(t *testing.T, d object, c container, p string) (volume, string) {
	t.Helper()
	var best volumeMount
	for _, m := range c.VolumeMounts {
		if (p == m.MountPath || strings.HasPrefix(p, strings.TrimSuffix(m.MountPath, "/")+"/")) && len(m.MountPath) > len(best.MountPath) {
			best = m
		}
	}
	if best.Name == "" {
		t.Fatalf("%s is on no volume mount", p)
	}
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Name == best.Name {
			rel, _ := filepath.Rel(best.MountPath, p)
			return v, rel
		}
	}
	t.Fatalf("volume mount %s names no volume", best.Name)
	return volume{}, ""
}

func TestStateVolumeIsMountedWhereStatePoints(t *testing.T) {
	d, c := gateway(t, manifests(t))
	state := args(t, c)["state"]
	if state == "" {
		t.Fatal("no --state")
	}
	var mounted bool
	for _, m := range c.VolumeMounts {
		mounted = mounted || m.MountPath == state
	}
	if !mounted {
		t.Fatalf("no volume mounted at --state %s", state)
	}
	v, _ := mountOf(t, d, c, state)
	if v.EmptyDir == nil && v.PersistentVolumeClaim == nil {
		t.Errorf("state volume %s is neither an emptyDir nor a PVC", v.Name)
	}
}

// keysOf returns the keys of a ConfigMap's or Secret's data.
func keysOf(t *testing.T, objs []object, kind, name string) []string {
	t.Helper()
	o, ok := find(objs, kind, name)
	if !ok {
		t.Fatalf("%s %s is referenced but not defined", kind, name)
	}
	var keys []string
	for k := range o.Data {
		keys = append(keys, k)
	}
	for k := range o.StringData {
		keys = append(keys, k)
	}
	return keys
}

// fileOnVolume fails unless path is a file a configMap or secret volume
// projects; it returns the key it comes from.
func fileOnVolume(t *testing.T, objs []object, d object, c container, p string) (kind, name, key string) {
	t.Helper()
	v, rel := mountOf(t, d, c, p)
	var items []keyToPath
	switch {
	case v.ConfigMap != nil:
		kind, name, items = "ConfigMap", v.ConfigMap.Name, v.ConfigMap.Items
	case v.Secret != nil:
		kind, name, items = "Secret", v.Secret.SecretName, v.Secret.Items
	default:
		t.Fatalf("%s: volume %s is neither a configMap nor a secret", p, v.Name)
	}
	keys := keysOf(t, objs, kind, name)
	if len(items) == 0 {
		if !slices.Contains(keys, rel) {
			t.Errorf("%s: %s %s has no key %q (keys %v)", p, kind, name, rel, keys)
		}
		return kind, name, rel
	}
	for _, it := range items {
		if it.Path == rel {
			return kind, name, it.Key
		}
	}
	t.Errorf("%s: volume %s projects no file %q", p, v.Name, rel)
	return kind, name, ""
}

func TestEveryReferencedConfigMapAndSecretKeyExists(t *testing.T) {
	objs := manifests(t)
	d, c := gateway(t, objs)
	for _, v := range d.Spec.Template.Spec.Volumes {
		switch {
		case v.ConfigMap != nil:
			keys := keysOf(t, objs, "ConfigMap", v.ConfigMap.Name)
			for _, it := range v.ConfigMap.Items {
				if !slices.Contains(keys, it.Key) {
					t.Errorf("volume %s: ConfigMap %s has no key %q", v.Name, v.ConfigMap.Name, it.Key)
				}
			}
		case v.Secret != nil:
			keys := keysOf(t, objs, "Secret", v.Secret.SecretName)
			for _, it := range v.Secret.Items {
				if !slices.Contains(keys, it.Key) {
					t.Errorf("volume %s: Secret %s has no key %q", v.Name, v.Secret.SecretName, it.Key)
				}
			}
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			continue
		}
		if r := e.ValueFrom.SecretKeyRef; r != nil && !slices.Contains(keysOf(t, objs, "Secret", r.Name), r.Key) {
			t.Errorf("env %s: Secret %s has no key %q", e.Name, r.Name, r.Key)
		}
		if r := e.ValueFrom.ConfigMapKeyRef; r != nil && !slices.Contains(keysOf(t, objs, "ConfigMap", r.Name), r.Key) {
			t.Errorf("env %s: ConfigMap %s has no key %q", e.Name, r.Name, r.Key)
		}
	}
}

func TestFilesNamedByFlagsAreProjectedFromTheRightObjects(t *testing.T) {
	objs := manifests(t)
	d, c := gateway(t, objs)
	flags := args(t, c)
	tests := []struct{ flag, kind string }{
		{"trust", "ConfigMap"},
		{"webhook-secret-file", "Secret"},
	}
	for _, tc := range tests {
		p := flags[tc.flag]
		if p == "" {
			t.Errorf("no --%s", tc.flag)
			continue
		}
		if kind, name, _ := fileOnVolume(t, objs, d, c, p); kind != tc.kind {
			t.Errorf("--%s %s: comes from %s %s, want a %s", tc.flag, p, kind, name, tc.kind)
		}
	}
	for _, e := range c.Env {
		if e.Name == "DOCKER_CONFIG" {
			if kind, _, _ := fileOnVolume(t, objs, d, c, path.Join(e.Value, "config.json")); kind != "Secret" {
				t.Errorf("DOCKER_CONFIG %s/config.json: comes from a %s, want a Secret", e.Value, kind)
			}
		}
	}
}

func TestSecretTemplatesHoldNoRealValues(t *testing.T) {
	for _, s := range byKind(manifests(t), "Secret") {
		if len(s.Data) > 0 {
			t.Errorf("Secret %s has base64 data; templates use stringData placeholders", s.Metadata.Name)
		}
		for k, v := range s.StringData {
			if !strings.Contains(v, "REPLACE-ME") && v != `{"auths": {}}` {
				t.Errorf("Secret %s key %s: got %q, want a REPLACE-ME placeholder", s.Metadata.Name, k, v)
			}
		}
	}
}

// serveFlags returns the long flag names frontdoor serve registers: the
// calls of pflag's registration methods in newServeCmd and in the package's
// functions and methods it calls, transitively.
func serveFlags(t *testing.T) map[string]bool {
	t.Helper()
	dir := filepath.Join("..", "..", "cmd", "frontdoor")
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	funcs := map[string]*ast.FuncDecl{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				funcs[fd.Name.Name] = fd
			}
		}
	}
	if funcs["newServeCmd"] == nil {
		t.Fatalf("no newServeCmd in %s", dir)
	}
	register := regexp.MustCompile(`^(String|Bool|Duration|Int|Int32|Int64|Uint|Uint64|Float64|StringArray|StringSlice|Count)(Var)?(P)?$`)
	flags := map[string]bool{"help": true}
	seen := map[string]bool{}
	queue := []string{"newServeCmd"}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		ast.Inspect(funcs[name], func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var callee string
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				callee = fn.Name
			case *ast.SelectorExpr:
				callee = fn.Sel.Name
				if m := register.FindStringSubmatch(callee); m != nil {
					i := 0
					if m[2] != "" {
						i = 1
					}
					if i < len(call.Args) {
						if lit, ok := call.Args[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							s, _ := strconv.Unquote(lit.Value)
							flags[s] = true
						}
					}
				}
			}
			if funcs[callee] != nil {
				queue = append(queue, callee)
			}
			return true
		})
	}
	if len(flags) < 5 {
		t.Fatalf("found only %v in newServeCmd: has flag registration changed shape?", flags)
	}
	return flags
}

func TestArgsUseOnlyFlagsThatServeHas(t *testing.T) {
	_, c := gateway(t, manifests(t))
	have := serveFlags(t)
	for name := range args(t, c) {
		if !have[name] {
			t.Errorf("--%s is not a flag of frontdoor serve (it has %v)", name, slices.Sorted(maps.Keys(have)))
		}
	}
}

func TestDockerfileUserAndPortsMatchTheDeployment(t *testing.T) {
	d, c := gateway(t, manifests(t))
	f, err := os.Open(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var user string
	var exposed []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "USER":
			user, _, _ = strings.Cut(fields[1], ":")
		case "EXPOSE":
			for _, p := range fields[1:] {
				n, err := strconv.Atoi(strings.TrimSuffix(p, "/tcp"))
				if err != nil {
					t.Fatalf("EXPOSE %s: %v", p, err)
				}
				exposed = append(exposed, n)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	uid := c.SecurityContext.RunAsUser
	if uid == nil {
		uid = d.Spec.Template.Spec.SecurityContext.RunAsUser
	}
	if uid == nil || user != strconv.Itoa(*uid) {
		t.Errorf("Dockerfile USER %q, Deployment runAsUser %v: want the same non-root user", user, uid)
	}
	for _, p := range c.Ports {
		if !slices.Contains(exposed, p.ContainerPort) {
			t.Errorf("container port %s (%d) is not EXPOSEd by the Dockerfile (%v)", p.Name, p.ContainerPort, exposed)
		}
	}
}
