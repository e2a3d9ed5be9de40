// Command embedgen writes schema-embed.json and terraform-mapping-embed.json
// (embedded by ../main.go) into the current directory, from the files that the
// provider module ships in cmd/pulumi-resource-kubernetes/. Like upstream's
// generate.go it stamps the schema with the provider version and compacts both.
//
// Usage (from tools/pulumi-resource-kubernetes): go run ./embedgen VERSION
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

const providerModule = "github.com/pulumi/pulumi-kubernetes/provider/v4"

func main() {
	if len(os.Args) != 2 || os.Args[1] == "" {
		fail("usage: go run ./embedgen VERSION")
	}
	version := os.Args[1]

	// `go mod download` (unlike `go list -m`) also fetches the module when the
	// module cache does not have it yet; the version comes from go.mod.
	out, err := exec.Command("go", "mod", "download", "-json", providerModule).Output()
	if err != nil {
		fail("go mod download %s: %v", providerModule, err)
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		fail("go mod download %s: %v %s", providerModule, err, mod.Error)
	}
	dir := filepath.Join(mod.Dir, "cmd", "pulumi-resource-kubernetes")

	var schema map[string]json.RawMessage
	readJSON(filepath.Join(dir, "schema.json"), &schema)
	v, err := json.Marshal(version)
	if err != nil {
		fail("%v", err)
	}
	schema["version"] = v
	writeJSON("schema-embed.json", schema)

	var mapping any
	readJSON(filepath.Join(dir, "terraform-mapping.json"), &mapping)
	writeJSON("terraform-mapping-embed.json", mapping)
}

func readJSON(path string, into any) {
	data, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(into); err != nil {
		fail("%s: %v", path, err)
	}
}

func writeJSON(path string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		fail("%s: %v", path, err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "embedgen: "+format+"\n", args...)
	os.Exit(1)
}
