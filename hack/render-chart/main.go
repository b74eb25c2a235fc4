// render-chart renders a Helm chart the way `helm template` does, offline, with Helm's own
// template engine: Go's text/template with the sprig function library, Helm's extra functions
// (include, tpl, required, toYaml, toJson, fromYaml, fromJson, lookup), the same built-in objects
// (.Values, .Release, .Chart, .Capabilities, .Template, .Files), values merged from values.yaml,
// -f files and --set flags in Helm's order, and validation against values.schema.json. Every
// rendered document must parse as YAML, as it must for `helm install`.
//
//	render-chart [--set k=v] [--set-string k=v] [--set-json k=JSON] [-f values.yaml]
//	             [--release-name NAME] [--namespace NS] [--show-only templates/x.yaml]
//	             [--notes] [--json] CHART_DIR
//
// --json prints [{"source": ..., "object": ...}] instead of YAML, for tests.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/xeipuuv/gojsonschema"
	"gopkg.in/yaml.v3"
)

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// Chart is Chart.yaml with the field names templates use (.Chart.Name, .Chart.AppVersion).
type Chart struct {
	APIVersion  string `yaml:"apiVersion"`
	Name        string `yaml:"name"`
	Version     string `yaml:"version"`
	AppVersion  string `yaml:"appVersion"`
	Description string `yaml:"description"`
	Type        string `yaml:"type"`
	KubeVersion string `yaml:"kubeVersion"`
	Home        string `yaml:"home"`
	Keywords    []string
}

// Files is .Files: the chart's non-template files.
type Files map[string][]byte

func (f Files) Get(name string) string      { return string(f[name]) }
func (f Files) GetBytes(name string) []byte { return f[name] }

type apiVersions []string

func (a apiVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

type kubeVersion struct{ Version, Major, Minor, GitVersion string }

type capabilities struct {
	KubeVersion kubeVersion
	APIVersions apiVersions
}

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "render-chart: "+format+"\n", a...)
	os.Exit(1)
}

// --- values ---------------------------------------------------------------------------------

// mergeValues merges src into dst as Helm coalesces user values over defaults: maps merge
// key by key, anything else replaces, and null deletes.
func mergeValues(dst, src map[string]interface{}) {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				mergeValues(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// typedValue is Helm's --set typing: true, false, null and integers are typed, the rest strings.
func typedValue(v string) interface{} {
	switch strings.ToLower(v) {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if v == "0" {
		return int64(0)
	}
	if !strings.HasPrefix(v, "0") {
		if i, err := strconv.ParseInt(v, 10, 64); err == nil {
			return i
		}
	}
	return v
}

// splitUnescaped splits on sep outside braces and not preceded by a backslash.
func splitUnescaped(s string, sep byte) []string {
	return splitOutside(s, sep, false)
}

// splitJSONAssignments splits --set-json's key=JSON pairs on commas outside their JSON values
// (objects, arrays and strings), as Helm does.
func splitJSONAssignments(s string) []string {
	return splitOutside(s, ',', true)
}

func splitOutside(s string, sep byte, jsonValues bool) []string {
	var parts []string
	var cur strings.Builder
	depth := 0
	inString := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if jsonValues {
			// JSON keeps its escapes; only where a value ends matters here.
			switch {
			case inString && c == '\\' && i+1 < len(s):
				cur.WriteByte(c)
				cur.WriteByte(s[i+1])
				i++
				continue
			case c == '"':
				inString = !inString
			case !inString && (c == '{' || c == '['):
				depth++
			case !inString && (c == '}' || c == ']'):
				depth--
			case !inString && c == sep && depth == 0:
				parts = append(parts, cur.String())
				cur.Reset()
				continue
			}
			cur.WriteByte(c)
			continue
		}
		switch {
		case c == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			i++
			continue
		case c == '{':
			depth++
		case c == '}':
			depth--
		case c == sep && depth == 0:
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	return append(parts, cur.String())
}

func setPath(values map[string]interface{}, key string, value interface{}) {
	keys := splitUnescaped(key, '.')
	m := values
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]interface{})
		if !ok {
			next = map[string]interface{}{}
			m[k] = next
		}
		m = next
	}
	last := keys[len(keys)-1]
	if value == nil {
		delete(m, last)
	} else {
		m[last] = value
	}
}

func applySet(values map[string]interface{}, expr string, kind string) {
	assignments := splitUnescaped(expr, ',')
	if kind == "set-json" {
		assignments = splitJSONAssignments(expr)
	}
	for _, assignment := range assignments {
		kv := strings.SplitN(assignment, "=", 2)
		if len(kv) != 2 || kv[0] == "" {
			fail("--%s %q: expected key=value", kind, assignment)
		}
		var v interface{}
		switch {
		case kind == "set-json":
			if err := json.Unmarshal([]byte(kv[1]), &v); err != nil {
				fail("--set-json %s: %v", kv[0], err)
			}
		case kind == "set-string":
			v = kv[1]
		case strings.HasPrefix(kv[1], "{") && strings.HasSuffix(kv[1], "}"):
			var list []interface{}
			if inner := kv[1][1 : len(kv[1])-1]; inner != "" {
				for _, item := range splitUnescaped(inner, ',') {
					list = append(list, typedValue(item))
				}
			}
			v = list
		default:
			v = typedValue(kv[1])
		}
		setPath(values, kv[0], v)
	}
}

func readYAMLMap(file string) map[string]interface{} {
	data, err := os.ReadFile(file)
	if err != nil {
		fail("%v", err)
	}
	m := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		fail("%s: %v", file, err)
	}
	return m
}

func validateSchema(chartDir string, values map[string]interface{}) {
	schema, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return
	} else if err != nil {
		fail("%v", err)
	}
	doc, err := json.Marshal(values)
	if err != nil {
		fail("values: %v", err)
	}
	result, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(schema), gojsonschema.NewBytesLoader(doc))
	if err != nil {
		fail("values.schema.json: %v", err)
	}
	if !result.Valid() {
		var msgs []string
		for _, e := range result.Errors() {
			msgs = append(msgs, "- "+e.String())
		}
		fail("values don't meet the specifications of the schema(s):\n%s", strings.Join(msgs, "\n"))
	}
}

// --- engine ---------------------------------------------------------------------------------

func toYAML(v interface{}) string {
	// As Helm's: through JSON, so that structs and maps render alike; "" on error.
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var generic interface{}
	if err := yaml.Unmarshal(data, &generic); err != nil {
		return ""
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(generic); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func funcMap(root *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env") // Helm removes these: a chart must render the same everywhere
	delete(f, "expandenv")
	f["toYaml"] = toYAML
	f["toJson"] = func(v interface{}) string {
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	}
	f["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return v, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, errors.New(msg)
		}
		return v, nil
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	// No cluster to look anything up in: like `helm template`, an empty answer.
	f["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	return f
}

type rendered struct {
	Source string      `json:"source"`
	Object interface{} `json:"object"`
}

func main() {
	var sets, setStrings, setJSONs, valueFiles, showOnly stringList
	releaseName, namespace := "tcpulse", "default"
	asJSON, notes := false, false
	var chartDir string
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func() string {
			if i+1 >= len(args) {
				fail("%s: missing value", a)
			}
			i++
			return args[i]
		}
		switch a {
		case "--set":
			sets.Set(value())
		case "--set-string":
			setStrings.Set(value())
		case "--set-json":
			setJSONs.Set(value())
		case "-f", "--values":
			valueFiles.Set(value())
		case "--show-only", "-s":
			showOnly.Set(value())
		case "--release-name":
			releaseName = value()
		case "--namespace", "-n":
			namespace = value()
		case "--json":
			asJSON = true
		case "--notes":
			notes = true
		case "-h", "--help":
			fmt.Println("usage: render-chart [--set k=v] [--set-string k=v] [--set-json k=JSON] [-f values.yaml] [--release-name NAME] [--namespace NS] [--show-only templates/x.yaml] [--notes] [--json] CHART_DIR")
			return
		default:
			if strings.HasPrefix(a, "-") || chartDir != "" {
				fail("unknown argument %q", a)
			}
			chartDir = a
		}
	}
	if chartDir == "" {
		fail("no chart directory")
	}

	var chart Chart
	data, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		fail("%v", err)
	}
	if err := yaml.Unmarshal(data, &chart); err != nil {
		fail("Chart.yaml: %v", err)
	}
	values := readYAMLMap(filepath.Join(chartDir, "values.yaml"))
	for _, f := range valueFiles {
		mergeValues(values, readYAMLMap(f))
	}
	for _, s := range sets {
		applySet(values, s, "set")
	}
	for _, s := range setStrings {
		applySet(values, s, "set-string")
	}
	for _, s := range setJSONs {
		applySet(values, s, "set-json")
	}
	validateSchema(chartDir, values)

	files := Files{}
	var templates []string
	err = filepath.WalkDir(chartDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(chartDir, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "templates/") {
			templates = append(templates, rel)
		} else if rel != "values.yaml" && rel != "Chart.yaml" {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files[rel] = b
		}
		return nil
	})
	if err != nil {
		fail("%v", err)
	}
	sort.Strings(templates)

	root := template.New("gotpl").Option("missingkey=zero")
	root.Funcs(funcMap(root))
	for _, t := range templates {
		src, err := os.ReadFile(filepath.Join(chartDir, t))
		if err != nil {
			fail("%v", err)
		}
		if _, err := root.New(path.Join(chart.Name, t)).Parse(string(src)); err != nil {
			fail("%v", err)
		}
	}

	top := map[string]interface{}{
		"Values": values,
		"Chart":  chart,
		"Release": map[string]interface{}{
			"Name": releaseName, "Namespace": namespace, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Capabilities": capabilities{
			KubeVersion: kubeVersion{Version: "v1.20.0", Major: "1", Minor: "20", GitVersion: "v1.20.0"},
			APIVersions: apiVersions{"v1", "apps/v1", "policy/v1", "rbac.authorization.k8s.io/v1"},
		},
		"Files": files,
	}
	var out []rendered
	shown := map[string]bool{}
	for _, t := range templates {
		base := path.Base(t)
		isNotes := base == "NOTES.txt"
		if strings.HasPrefix(base, "_") || (isNotes && !notes) {
			continue
		}
		if len(showOnly) > 0 {
			match := false
			for _, s := range showOnly {
				match = match || s == t
			}
			if !match {
				continue
			}
			shown[t] = true
		}
		name := path.Join(chart.Name, t)
		top["Template"] = map[string]interface{}{"Name": name, "BasePath": path.Join(chart.Name, "templates")}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, top); err != nil {
			fail("%v", err)
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if isNotes {
			fmt.Print(text)
			continue
		}
		for _, doc := range strings.Split("\n"+text, "\n---") {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var obj interface{}
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
				fail("%s: the rendered YAML does not parse: %v\n%s", name, err, doc)
			}
			if obj == nil {
				continue // only comments
			}
			if asJSON {
				out = append(out, rendered{name, obj})
			} else {
				fmt.Printf("---\n# Source: %s\n%s\n", name, strings.Trim(doc, "\n"))
			}
		}
	}
	for _, s := range showOnly {
		if !shown[s] {
			fail("could not find template %s in chart", s)
		}
	}
	if asJSON {
		if out == nil {
			out = []rendered{}
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fail("%v", err)
		}
	}
}
