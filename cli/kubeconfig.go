package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/latchapp/latch/base/atomicfile"
)

// kubeconfigPath is the kubeconfig kubectl writes to: the first file that
// KUBECONFIG names, else ~/.kube/config.
func kubeconfigPath(getenv func(string) string) (string, error) {
	for _, f := range filepath.SplitList(getenv("KUBECONFIG")) {
		if f != "" {
			return f, nil
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home folder for ~/.kube/config: set KUBECONFIG (%w)", err)
	}
	return filepath.Join(home, ".kube", "config"), nil
}

// execUser is a kubeconfig user whose credential comes from an exec
// plugin.
type execUser struct {
	Name string
	Exec struct {
		APIVersion      string   `yaml:"apiVersion"`
		Command         string   `yaml:"command"`
		Args            []string `yaml:"args"`
		InteractiveMode string   `yaml:"interactiveMode"`
	}
}

// setKubeconfigUser writes u into the kubeconfig text as users[].name ==
// u.Name (replacing such a user, or added), and, when context is not
// empty, makes that context use it. Everything else in the file, its
// comments included, is kept. An empty text is a new kubeconfig.
func setKubeconfigUser(text []byte, u execUser, context string) ([]byte, error) {
	var doc yaml.Node
	if len(bytes.TrimSpace(text)) > 0 {
		if err := yaml.Unmarshal(text, &doc); err != nil {
			return nil, fmt.Errorf("it is not YAML: %w", err)
		}
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
		root := doc.Content[0]
		setKey(root, "apiVersion", &yaml.Node{Kind: yaml.ScalarNode, Value: "v1"})
		setKey(root, "kind", &yaml.Node{Kind: yaml.ScalarNode, Value: "Config"})
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("it is not a kubeconfig (a YAML mapping)")
	}
	root := doc.Content[0]
	var user yaml.Node
	if err := user.Encode(map[string]any{"exec": u.Exec}); err != nil {
		return nil, err
	}
	if err := setNamed(root, "users", "user", u.Name, &user); err != nil {
		return nil, err
	}
	if context != "" {
		ctx := namedItem(lookup(root, "contexts"), context)
		if ctx == nil {
			return nil, fmt.Errorf("it has no context %q (kubectl config get-contexts lists them)", context)
		}
		inner := lookup(ctx, "context")
		if inner == nil || inner.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("its context %q has no context mapping", context)
		}
		setKey(inner, "user", &yaml.Node{Kind: yaml.ScalarNode, Value: u.Name})
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// lookup is the value of key in the mapping m, nil when there is none.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// setKey sets key in the mapping m to value, in its place when it is
// there, else at the end.
func setKey(m *yaml.Node, key string, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = value
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, value)
}

// namedItem is the item of the sequence seq whose name is name.
func namedItem(seq *yaml.Node, name string) *yaml.Node {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	for _, item := range seq.Content {
		if n := lookup(item, "name"); n != nil && n.Value == name {
			return item
		}
	}
	return nil
}

// setNamed sets field of the item named name in the list list of root
// (users, clusters, contexts) to value, adding the item (and the list)
// when there is none.
func setNamed(root *yaml.Node, list, field, name string, value *yaml.Node) error {
	seq := lookup(root, list)
	if seq == nil || (seq.Kind == yaml.ScalarNode && (seq.Tag == "!!null" || seq.Value == "")) {
		seq = &yaml.Node{Kind: yaml.SequenceNode}
		setKey(root, list, seq)
	}
	if seq.Kind != yaml.SequenceNode {
		return fmt.Errorf("its %s is not a list", list)
	}
	if item := namedItem(seq, name); item != nil {
		setKey(item, field, value)
		return nil
	}
	item := &yaml.Node{Kind: yaml.MappingNode}
	setKey(item, "name", &yaml.Node{Kind: yaml.ScalarNode, Value: name})
	setKey(item, field, value)
	seq.Content = append(seq.Content, item)
	return nil
}

// writeKubeconfigUser writes u into the kubeconfig at path (see
// setKubeconfigUser), made if missing, private.
func writeKubeconfigUser(path string, u execUser, context string) error {
	text, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("the kubeconfig %s cannot be read: %w", path, err)
	}
	out, err := setKubeconfigUser(text, u, context)
	if err != nil {
		return fmt.Errorf("the kubeconfig %s cannot be changed: %w", path, err)
	}
	mode := os.FileMode(0o600)
	if info, err := os.Stat(path); err == nil {
		mode = info.Mode().Perm()
	}
	if err := atomicfile.WriteThrough(path, out, mode); err != nil {
		return fmt.Errorf("the kubeconfig %s cannot be written: %w", path, err)
	}
	return nil
}

// execUserYAML is u's entry as it is written, for the person to read.
func execUserYAML(u execUser) string {
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	_ = enc.Encode(map[string]any{"users": []any{map[string]any{"name": u.Name, "user": map[string]any{"exec": u.Exec}}}})
	return strings.TrimRight(b.String(), "\n")
}
