package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// YAMLToJSON converts a YAML document to indented JSON, keeping the order
// of every mapping. It takes the YAML subset JSON can hold: string keys,
// scalars of the core schema (strings, integers, floats, booleans, null)
// and anchors.
func YAMLToJSON(in []byte) ([]byte, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(in, &root); err != nil {
		return nil, err
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		return nil, fmt.Errorf("want one YAML document")
	}
	var b bytes.Buffer
	if err := writeJSON(&b, root.Content[0], ""); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, n *yaml.Node, indent string) error {
	switch n.Kind {
	case yaml.AliasNode:
		return writeJSON(b, n.Alias, indent)
	case yaml.MappingNode:
		return writeItems(b, indent, '{', '}', len(n.Content)/2, func(i int, inner string) error {
			k, v := n.Content[2*i], n.Content[2*i+1]
			if k.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: a mapping key must be a scalar", k.Line)
			}
			key, _ := json.Marshal(k.Value)
			b.Write(key)
			b.WriteString(": ")
			return writeJSON(b, v, inner)
		})
	case yaml.SequenceNode:
		return writeItems(b, indent, '[', ']', len(n.Content), func(i int, inner string) error {
			return writeJSON(b, n.Content[i], inner)
		})
	case yaml.ScalarNode:
		return writeScalar(b, n)
	}
	return fmt.Errorf("line %d: unsupported YAML node", n.Line)
}

// writeItems writes n items between open and close, one a line, indented
// one step more than indent; item writes the i-th.
func writeItems(b *bytes.Buffer, indent string, open, close byte, n int, item func(i int, inner string) error) error {
	b.WriteByte(open)
	if n == 0 {
		b.WriteByte(close)
		return nil
	}
	b.WriteByte('\n')
	inner := indent + "  "
	for i := range n {
		b.WriteString(inner)
		if err := item(i, inner); err != nil {
			return err
		}
		if i+1 < n {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(indent)
	b.WriteByte(close)
	return nil
}

func writeScalar(b *bytes.Buffer, n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		b.WriteString("null")
	case "!!bool":
		var v bool
		if err := n.Decode(&v); err != nil {
			return err
		}
		b.WriteString(strconv.FormatBool(v))
	case "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			return err
		}
		out, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("line %d: %v", n.Line, err)
		}
		b.Write(out)
	case "!!str":
		enc := json.NewEncoder(b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(n.Value); err != nil {
			return err
		}
		b.Truncate(b.Len() - 1) // Encode's newline
	default:
		return fmt.Errorf("line %d: unsupported tag %s", n.Line, n.ShortTag())
	}
	return nil
}
