// Decode test for the generated Go client (GOPATH mode; .ci/generators puts the generated
// package at the import path "klarnaclient").
// Usage: klarnadecode FIELDS_JSON CORPUS_ROOT...
//
// For each corpus file (CORPUS_ROOT/<kind>/*.json, kinds as in fields.json): decode it with json.Unmarshal into the generated model (what the
// generated APIClient.decode does with a JSON answer), then compare every path listed in
// fields.json (a) read through the model's struct fields, found by their json tags, and
// (b) in the model re-encoded by json.Marshal (the generated MarshalJSON), with the value
// in the corpus file. Absent and null count as the same.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	openapi "klarnaclient"
)

const missing = "<missing>"

// The generated models, by the spec's schema name.
var models = map[string]func() interface{}{
	"session_read":     func() interface{} { return &openapi.SessionRead{} },
	"merchant_session": func() interface{} { return &openapi.MerchantSession{} },
	"error_response":   func() interface{} { return &openapi.ErrorResponse{} },
	"session_create":   func() interface{} { return &openapi.SessionCreate{} },
	"order":            func() interface{} { return &openapi.Order{} },
	"customer_token":   func() interface{} { return &openapi.CustomerToken{} },
}

type kind struct {
	Model      string   `json:"model"`
	Extensible []string `json:"extensible"`
	Plain      []string `json:"plain"`
}

type getter func(node reflect.Value, key string) reflect.Value

// deref follows pointers, interfaces and the generated Nullable<Model> wrappers (whose
// Get() returns a pointer); an invalid Value means absent or null.
func deref(v reflect.Value) reflect.Value {
	for v.IsValid() {
		switch {
		case v.Kind() == reflect.Ptr || v.Kind() == reflect.Interface:
			if v.IsNil() {
				return reflect.Value{}
			}
			v = v.Elem()
		case v.Kind() == reflect.Struct && strings.HasPrefix(v.Type().Name(), "Nullable") &&
			v.MethodByName("Get").IsValid():
			v = v.MethodByName("Get").Call(nil)[0]
		default:
			return v
		}
	}
	return v
}

func canon(v reflect.Value) string {
	v = deref(v)
	if !v.IsValid() {
		return missing
	}
	if n, ok := v.Interface().(json.Number); ok {
		return n.String()
	}
	switch v.Kind() {
	case reflect.String:
		return strconv.Quote(v.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	}
	return fmt.Sprintf("<%s: %v>", v.Type(), v.Interface())
}

func collect(node reflect.Value, segments []string, path string, get getter, out map[string]string) {
	segment, rest := segments[0], segments[1:]
	isList := strings.HasSuffix(segment, "[]")
	key := strings.TrimSuffix(segment, "[]")
	here := key
	if path != "" {
		here = path + "." + key
	}
	value := deref(get(node, key))
	if !value.IsValid() || (isList && value.Kind() == reflect.Slice && value.IsNil()) {
		if len(rest) == 0 {
			out[here] = missing
		}
		return
	}
	if !isList {
		if len(rest) > 0 {
			collect(value, rest, here, get, out)
		} else {
			out[here] = canon(value)
		}
		return
	}
	if value.Kind() != reflect.Slice {
		out[here] = fmt.Sprintf("<not a list: %s>", value.Type())
		return
	}
	for i := 0; i < value.Len(); i++ {
		at := fmt.Sprintf("%s[%d]", here, i)
		element := deref(value.Index(i))
		if len(rest) == 0 {
			out[at] = canon(element)
		} else if element.IsValid() {
			collect(element, rest, at, get, out)
		}
	}
}

func values(root interface{}, paths []string, get getter) map[string]string {
	out := map[string]string{}
	for _, p := range paths {
		collect(reflect.ValueOf(root), strings.Split(p, "."), "", get, out)
	}
	return out
}

func differences(expected, actual map[string]string) []string {
	keys := map[string]bool{}
	for k := range expected {
		keys[k] = true
	}
	for k := range actual {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var diffs []string
	for _, k := range sorted {
		e, a := expected[k], actual[k]
		if e == "" {
			e = missing
		}
		if a == "" {
			a = missing
		}
		if e != a {
			diffs = append(diffs, fmt.Sprintf("%s: corpus %s, got %s", k, e, a))
		}
	}
	return diffs
}

// getJSON reads a key of a generic JSON object (decoded with UseNumber).
func getJSON(node reflect.Value, key string) reflect.Value {
	node = deref(node)
	if !node.IsValid() || node.Kind() != reflect.Map {
		return reflect.Value{}
	}
	return node.MapIndex(reflect.ValueOf(key))
}

// getModel reads the struct field whose json tag names key.
func getModel(node reflect.Value, key string) reflect.Value {
	node = deref(node)
	if !node.IsValid() || node.Kind() != reflect.Struct {
		return reflect.Value{}
	}
	for i := 0; i < node.NumField(); i++ {
		if strings.Split(node.Type().Field(i).Tag.Get("json"), ",")[0] == key {
			return node.Field(i)
		}
	}
	panic(fmt.Sprintf("%s has no field with json tag %q", node.Type(), key))
}

func parseJSON(data []byte) (interface{}, error) {
	var v interface{}
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()
	err := decoder.Decode(&v)
	return v, err
}

func check(data []byte, k kind) (problems []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	paths := append(append([]string{}, k.Extensible...), k.Plain...)
	raw, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	expected := values(raw, paths, getJSON)
	model := models[k.Model]()
	if err := json.Unmarshal(data, model); err != nil {
		return nil, err
	}
	for _, d := range differences(expected, values(model, paths, getModel)) {
		problems = append(problems, "model "+d)
	}
	encoded, err := json.Marshal(model)
	if err != nil {
		return nil, err
	}
	reparsed, err := parseJSON(encoded)
	if err != nil {
		return nil, err
	}
	for _, d := range differences(expected, values(reparsed, paths, getJSON)) {
		problems = append(problems, "re-encoded "+d)
	}
	return problems, nil
}

func main() {
	fieldsFile, roots := os.Args[1], os.Args[2:]
	fieldsData, err := os.ReadFile(fieldsFile)
	if err != nil {
		panic(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(fieldsData, &fields); err != nil {
		panic(err)
	}
	var kinds []string
	for name, raw := range fields {
		if strings.HasPrefix(strings.TrimSpace(string(raw)), "{") {
			kinds = append(kinds, name)
		}
	}
	sort.Strings(kinds)
	passed, failed := 0, 0
	for _, root := range roots {
		for _, kindName := range kinds {
			files, err := filepath.Glob(filepath.Join(root, kindName, "*.json"))
			if err != nil {
				panic(err)
			}
			sort.Strings(files)
			var k kind
			if err := json.Unmarshal(fields[kindName], &k); err != nil {
				panic(err)
			}
			for _, file := range files {
				p, f := run(file, k)
				passed += p
				failed += f
			}
		}
	}
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

// run checks one corpus file and prints its result line.
func run(file string, k kind) (passed, failed int) {
	data, err := os.ReadFile(file)
	if err != nil {
		panic(err)
	}
	problems, err := check(data, k)
	if err != nil {
		problems = append(problems, "error: "+err.Error())
	}
	if len(problems) > 0 {
		fmt.Printf("FAIL %s: %s\n", file, strings.Join(problems, "; "))
		return 0, 1
	}
	raw, _ := parseJSON(data)
	all := len(values(raw, append(append([]string{}, k.Extensible...), k.Plain...), getJSON))
	extensible := len(values(raw, k.Extensible, getJSON))
	fmt.Printf("PASS %s (%d extensible + %d other values)\n", file, extensible, all-extensible)
	return 1, 0
}
